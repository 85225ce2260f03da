"""The family of layouts a department's target table is published in (``shared/spec/LAYOUTS.md``).

Each layout is data: the labels only it prints (its *marks*), words of its title, and the parts of
the form it does not have.  The reader notes every label it acts on; :func:`identify` names the
layout whose marks it saw most of.  Rules judge what the layout asks for: a part the layout lacks
and the table leaves empty is said once (``part-absent``) instead of being reported as missing
field by field (:func:`fit_layout`).  A table from an unknown layout, a form or JSON is judged by
every rule.  A new member of the family is a new entry in :data:`LAYOUTS`, not code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from jixiao.findings import Finding, Location, Section, finding
from jixiao.model import TargetTable

UNKNOWN: Final = "unknown"


@dataclass(frozen=True, slots=True)
class Part:
    """A part of the form that some layouts do not print, and the rules that judge it."""

    name: str
    title: str
    section: Section
    #: The codes of the rules that judge this part; left out when the layout lacks the part.
    codes: frozenset[str]
    #: What is therefore not checked, said in the ``part-absent`` finding.
    unchecked: str
    empty: Callable[[TargetTable], bool]


PARTS: Final[dict[str, Part]] = {
    part.name: part
    for part in (
        Part(
            "staff_count",
            "“财政供养人员数”",
            "department",
            frozenset({"staff-count-invalid"}),
            "人员数未检查",
            lambda table: table.department.staff_count is None,
        ),
        Part(
            "subordinate_unit_count",
            "“下属二级单位数”",
            "department",
            frozenset({"subordinate-units-blank", "subordinate-units-invalid"}),
            "下属二级单位数未检查",
            lambda table: table.department.subordinate_unit_count is None,
        ),
        Part(
            "budget",
            "基本支出、项目支出、财政拨款、其他资金的预算金额",
            "budget",
            frozenset(
                {"budget-overview-incomplete", "income-expenditure-mismatch", "project-expenditure-mismatch"}
            ),
            "预算整体情况的收支是否相符未检查",
            lambda table: all(
                getattr(table.budget, name) is None
                for name in (
                    "basic_expenditure",
                    "project_expenditure",
                    "fiscal_appropriation",
                    "other_funds",
                )
            ),
        ),
        Part(
            "tasks",
            "“年度重点工作任务”",
            "tasks",
            frozenset(
                {
                    "task-name-missing",
                    "task-amount-missing",
                    "task-content-missing",
                    "task-duplicate",
                    "task-numbering",
                    "goal-tasks-unlinked",
                    "project-expenditure-mismatch",
                }
            ),
            "任务及其金额未检查",
            lambda table: not table.tasks,
        ),
        Part(
            "levels",
            "“一级指标”“二级指标”栏",
            "indicators",
            frozenset(
                {
                    "indicator-category-unknown",
                    "indicator-misclassified",
                    "timeliness-unit",
                    "output-indicator-missing",
                    "benefit-indicator-missing",
                    "satisfaction-indicator-missing",
                    "cost-indicator-missing",
                }
            ),
            "指标类别、以及产出、效益、满意度、成本指标是否齐全未检查",
            lambda table: all(not i.level1.strip() and not i.level2.strip() for i in table.indicators),
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Layout:
    name: str
    #: How people call it, in messages: 重庆区县.
    place: str
    #: Label keys (``read.cells.label_key``) that this layout prints and the others do not.
    marks: frozenset[str]
    #: Words of its printed title (compared in simplified script, half-width).
    title_words: tuple[str, ...]
    #: Names of :data:`PARTS` the layout does not have.
    lacks: frozenset[str] = frozenset()


_HEADER_ONLY_NAME: Final = frozenset({"staff_count", "subordinate_unit_count"})

LAYOUTS: Final[dict[str, Layout]] = {
    layout.name: layout
    for layout in (
        Layout(
            "jieyang",
            "揭阳市直",
            frozenset({"财政支出分类", "对比符号", "三级指标解释", "拟投入金额", "其他需完成任务"}),
            ("市直部门整体预算绩效目标表",),
        ),
        Layout(
            "zhanjiang",
            "湛江市级",
            frozenset({"部门预算支出", "拟投入的资金", "期望达到的目标(概述)", "其他需完成的任务(可选填)"}),
            ("市级部门整体预算绩效目标表",),
        ),
        Layout(
            "chongqing",
            "重庆区县",
            frozenset(
                {
                    "区级支出预算总量",
                    "县级支出预算总量",
                    "支出预算总量",
                    "当年整体绩效目标",
                    "指标性质",
                    "指标权重",
                }
            ),
            ("部门(单位)整体绩效目标表",),
            frozenset({*_HEADER_ONLY_NAME, "budget", "tasks", "levels"}),
        ),
        Layout(
            "hunan",
            "湖南区县",
            frozenset({"年度总体绩效目标", "指标值类型", "评(扣)分标准", "职责"}),
            ("年度整体绩效目标表",),
            frozenset({*_HEADER_ONLY_NAME, "budget", "tasks"}),
        ),
        Layout(
            "hubei",
            "湖北",
            # Not 填报人 and the like: many tables print them in a footer.
            frozenset({"收入构成", "支出构成", "部门职能概述", "年度主要任务"}),
            ("绩效目标申报表",),
            frozenset(_HEADER_ONLY_NAME),
        ),
    )
}

#: Fewer marks than this (title words included) is too little to name a layout.
_ENOUGH_MARKS: Final = 2


def identify(labels: Iterable[str], title: str) -> str:
    """The name of the layout whose marks were seen most (``unknown`` when none clearly is)."""
    seen = set(labels)
    scores = sorted(
        (
            (len(layout.marks & seen) + sum(1 for word in layout.title_words if word in title), layout.name)
            for layout in LAYOUTS.values()
        ),
        reverse=True,
    )
    (best, name), (runner_up, _) = scores[0], scores[1]
    return name if best >= _ENOUGH_MARKS and best > runner_up else UNKNOWN


def fit_layout(
    findings: list[Finding], table: TargetTable, layout: str, unprinted: frozenset[str]
) -> list[Finding]:
    """The rules' findings for a table read in ``layout``: each part the layout lacks said once,
    with the findings of the rules that judge it left out.

    A part counts as lacking only where the source printed none of its labels (``unprinted``) and
    the table holds nothing of it: a printed label left blank is the department's omission.
    """
    known = LAYOUTS.get(layout)
    if known is None:
        return findings
    absent = [PARTS[name] for name in sorted(known.lacks & unprinted) if PARTS[name].empty(table)]
    dropped = frozenset().union(*(part.codes for part in absent))
    kept = [f for f in findings if f.code not in dropped]
    kept.extend(
        finding(
            "part-absent",
            Location(part.section),
            layout=known.place,
            part=part.title,
            unchecked=part.unchecked,
        )
        for part in absent
    )
    return kept
