"""Hypothesis strategies for whole tables, in the shapes real tables take."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from jixiao.model import Comparator, TargetTable
from jixiao.model.framework import FRAMEWORKS, SATISFACTION, Framework
from jixiao.model.selfeval import SelfEvaluation, Tier
from jixiao.read.cells import label_key
from jixiao.read.labels import (
    FIELD_LABELS,
    GOAL_LABELS,
    INDICATOR_COLUMNS,
    INDICATOR_HEADINGS,
    SECTION_LABELS,
    TASK_COLUMNS,
    TASK_SECTION_LABELS,
    TOTAL_LABELS,
    UNIT_NOTES,
)

#: A cell that is exactly a label of the form cannot be told from that label, in any format.
# Words of the header fields (项目支出, 部门名称) may stand in task and indicator cells (the mapper
# reads a label row only where the row starts left of the table's columns), see name_text; not in
# the header's own value cells, where they would be the next label.
_LABELS = (
    set(FIELD_LABELS)
    | set(GOAL_LABELS)
    | set(INDICATOR_COLUMNS)
    | set(SECTION_LABELS)
    | set(TASK_COLUMNS)
    | set(TASK_SECTION_LABELS)
    | TOTAL_LABELS
    | UNIT_NOTES
    | INDICATOR_HEADINGS
)
_FIELD_WORDS = st.sampled_from(["项目支出", "部门名称", "基本支出", "财政拨款"])

_ALPHABET = (
    "应急管理局项目资金安全生产培训服务建设完成率提升系统运维监测预警检查审查专家技术年度市县区"
    + "0123456789.%，。、（）《》：;“”-*×<>&' A"
)

# PDF text has no spaces where Latin words wrap, and no way to tell a typed space at a line end:
# generated PDF tables are written in 汉字, digits and Chinese punctuation, as real tables are.
PDF_ALPHABET = (
    "应急管理局项目资金安全生产培训服务建设完成率提升系统运维监测预警年度市县区0123456789，。、（）《》：“”%"
)


def _not_a_label(text: str) -> bool:
    return label_key(text) not in _LABELS and not text.startswith(
        ("填报要求", "填报说明", "注", "说明", "备注")
    )


amounts = st.none() | st.decimals(
    min_value=0, max_value=10**7, places=5, allow_nan=False, allow_infinity=False
).map(lambda d: d.normalize() if d == d.to_integral() else d)
counts = st.none() | st.integers(min_value=0, max_value=5000)

_NUMERIC_VALUES = st.sampled_from(["4", "100", "95.5", "0", "7*24", "2023.07-2024.01", "3", "12"])
_UNITS = st.sampled_from(["", "%", "个", "小时", "万元", "次", "天"])
_WORDS = st.sampled_from(["显著提升", "达标", "有效改善", "按时完成", "逐步提高"])
_WEIGHTS = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


def _texts(alphabet: str) -> tuple[st.SearchStrategy[str], st.SearchStrategy[str], st.SearchStrategy[str]]:
    """One-line text, multi-line text and names over ``alphabet``."""
    one_line = (
        st.text(alphabet=alphabet, min_size=1, max_size=40).map(str.strip).filter(bool).filter(_not_a_label)
    )
    return one_line, st.lists(one_line, min_size=0, max_size=4).map("\n".join), one_line | _FIELD_WORDS


def _maybe(draw: st.DrawFn, present: bool, values: st.SearchStrategy[Any]) -> Any:
    """A value of an optional field where its table has it (None in some rows even so), else None."""
    return draw(st.none() | values) if present else None


@st.composite
def indicators(draw: st.DrawFn, alphabet: str = _ALPHABET, optional: bool = False) -> list[dict[str, Any]]:
    """Indicators in the order of the printed framework, as a table lists them; with ``optional``,
    the optional columns (指标权重, 指标值类型, 评(扣)分标准) where the table has them, and comparators
    the source did not print (None)."""
    line_text, multiline_text, name_text = _texts(alphabet)
    columns = dict.fromkeys(("weight", "value_type", "scoring_standard", "no_comparator"), False)
    if optional:
        columns = {name: draw(st.booleans()) for name in columns}
    framework = FRAMEWORKS[draw(st.sampled_from(list(Framework)))]
    pairs = [(level1, level2) for level1, level2s in framework.items() for level2 in level2s]
    if draw(st.booleans()):
        pairs.append((SATISFACTION, "社会公众或服务对象满意度指标"))
    out = []
    for level1, level2 in pairs:
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            comparator = draw(st.sampled_from(list(Comparator)))
            numeric = comparator is not Comparator.QUALITATIVE
            out.append(
                {
                    "level1": level1,
                    "level2": level2,
                    "name": draw(name_text),
                    "explanation": draw(st.just("") | multiline_text),
                    "comparator": comparator.value,
                    "value": draw(_NUMERIC_VALUES if numeric else _WORDS | line_text),
                    "unit": draw(_UNITS if numeric else st.just("")),
                }
            )
            if optional:
                out[-1] |= {
                    "weight": _maybe(draw, columns["weight"], _WEIGHTS),
                    "value_type": _maybe(draw, columns["value_type"], st.sampled_from(["定量", "定性", ""])),
                    "scoring_standard": _maybe(
                        draw, columns["scoring_standard"], st.just("") | multiline_text
                    ),
                }
                if columns["no_comparator"] and draw(st.booleans()):
                    out[-1]["comparator"] = None
    return out


@st.composite
def tables(draw: st.DrawFn, alphabet: str = _ALPHABET, optional: bool = False) -> TargetTable:
    """Whole tables: long texts, many or no rows, blank amounts, amounts such as 0.86075.  With
    ``optional``, every optional field of the model too (部门职能概述, 长期绩效目标, 支出预算总量,
    期望达到的目标 beside rows without it, the indicators' optional columns), each absent or present."""
    line_text, multiline_text, name_text = _texts(alphabet)
    year = draw(st.none() | st.integers(min_value=2015, max_value=2035))
    city = draw(st.sampled_from(["揭阳市", "湛江市", "某市"]))
    title = draw(st.sampled_from([f"{city}{year}年市直部门整体预算绩效目标表", ""])) if year else ""
    with_outcome = draw(st.booleans())
    key_count = draw(st.integers(min_value=0, max_value=6))
    other_count = draw(st.integers(min_value=0, max_value=6))
    tasks = []
    for position in range(key_count + other_count):
        tasks.append(
            {
                "seq": draw(st.integers(min_value=1, max_value=999)),
                "kind": "key" if position < key_count else "other",
                "name": draw(name_text),
                "content": draw(multiline_text),
                "amount": draw(amounts),
                "expected_outcome": (
                    _maybe(draw, with_outcome, st.just("") | line_text)
                    if optional
                    else draw(st.just("") | line_text)
                    if with_outcome
                    else None
                ),
            }
        )
    return TargetTable.model_validate(
        {
            "title": title,
            "year": year,
            "department": {
                "name": draw(st.just("") | line_text),
                "competent_department": draw(st.just("") | line_text),
                "staff_count": draw(counts),
                "subordinate_unit_count": draw(counts),
            },
            "budget": {
                "basic_expenditure": draw(amounts),
                "project_expenditure": draw(amounts),
                "fiscal_appropriation": draw(amounts),
                "other_funds": draw(amounts),
                "total_expenditure": draw(amounts) if optional else None,
            },
            "overall_goal": draw(multiline_text),
            "duties": draw(st.none() | st.just("") | multiline_text) if optional else None,
            "long_term_goal": draw(st.none() | st.just("") | multiline_text) if optional else None,
            "tasks": tasks,
            "indicators": draw(indicators(alphabet, optional)),
        }
    )


#: Scores and points with three places: never equal to a 2-place default (an even split, a tier's
#: default score), which a reader takes as "as the profile says" (null).
_THREE_PLACES = st.decimals(
    min_value=0, max_value=40, places=3, allow_nan=False, allow_infinity=False
).filter(lambda d: d != d.quantize(Decimal("0.01")))


@st.composite
def selfevals(draw: st.DrawFn, alphabet: str = _ALPHABET) -> SelfEvaluation:
    """Self-evaluations of :func:`tables` with every field a department fills drawn at random."""
    line_text, multiline_text, _ = _texts(alphabet)
    made = SelfEvaluation.from_table(draw(tables(alphabet)))
    for row in (made.funds.total, made.funds.fiscal, made.funds.other):
        row.initial_budget = draw(st.just(row.initial_budget) | amounts)
        row.annual_budget, row.executed = draw(amounts), draw(amounts)
    made.funds.reason = draw(st.just("") | multiline_text)
    made.goal_actual = draw(st.just("") | multiline_text)
    for task in made.tasks:
        task.executed, task.progress = draw(amounts), draw(st.just("") | multiline_text)
    for result in made.indicators:
        result.tier = draw(st.none() | st.sampled_from(list(Tier)))
        actual = st.sampled_from(["9", "97", "7*24", "5.5", "0", "2023年12月20日", "≥5", "12次"]) | line_text
        result.actual = draw(st.none() | actual)
        result.points = draw(st.none() | _THREE_PLACES)
        result.entered_score = draw(st.none() | _THREE_PLACES)
        result.score_reason = draw(st.just("") | line_text)
        result.deviation = draw(st.just("") | multiline_text)
        result.monitoring_likelihood = draw(st.none() | st.sampled_from(["确定能", "有可能", "完全不可能"]))
    made.conclusion, made.problems, made.improvements = (draw(st.just("") | multiline_text) for _ in range(3))
    return made
