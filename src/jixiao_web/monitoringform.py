"""The monitoring form: a :class:`~jixiao.model.monitoring.MonitoringReport` as the page's fields,
and a posted form read back (as :mod:`jixiao_web.selfevalform` does for the self-evaluation, both
with the fixed rows of :mod:`jixiao_web.fixedform`).

The copied parts (the approved table, the month, every 年初预算数) are shown, never posted (the
stored ones are kept whatever comes, :func:`jixiao_web.monitoring.merged`); what the department
adds is one field each, named ``funds_<row>_<column>``, ``funds_reason``, ``task_<field>`` and
``ind_<field>`` (one per row, in table order; 偏差原因 ``ind_causes_<row>``, several), ``problems``
and ``next_steps``.  An amount that cannot be read is a finding (``amount-invalid``) and the form
is not saved; an indicator's values are text the library's rules judge (``monitor-value-invalid``).
"""

from __future__ import annotations

from typing import Any, Final

from django.http import QueryDict

from jixiao.findings import Finding
from jixiao.model.monitoring import MonitoringReport
from jixiao.model.selfeval import Tier
from jixiao.monitoring import Warnings
from jixiao_web import fixedform
from jixiao_web.fixedform import TASK_FIELDS, Parsed

#: The funds block's rows and the columns the department fills.
FUNDS_ROWS: Final = (
    ("total", "年度资金总额"),
    ("basic", "其中：基本支出"),
    ("project", "项目支出"),
    ("fiscal", "其中：财政拨款"),
    ("other", "其他资金"),
)
FUNDS_COLUMNS: Final = (
    ("adjusted_budget", "调整后预算数"),
    ("executed", "1–{month}月执行数"),  # the month filled in where shown
    ("forecast", "全年预计执行数"),
)
#: An indicator row's text fields (the check boxes ``year_end``/``stock`` and the causes apart).
INDICATOR_TEXTS: Final = (
    "to_date",
    "tier",
    "forecast",
    "likelihood",
    "cause_note",
    "measures",
    "year_end_reason",
    "adjusted_target",
    "adjustment_reason",
)
INDICATOR_FLAGS: Final = ("year_end", "stock")
TEXTS: Final = ("problems", "next_steps")
TIERS: Final = tuple(tier.value for tier in Tier)


def form_values(report: MonitoringReport) -> dict[str, Any]:
    """The form's fields as text, from a stored monitoring report."""
    funds = report.funds
    return {
        "funds": fixedform.funds_values(funds, FUNDS_ROWS, FUNDS_COLUMNS),
        "funds_reason": funds.reason,
        **{name: getattr(report, name) for name in TEXTS},
        "tasks": [
            {name: fixedform.text(getattr(task, name)) for name in TASK_FIELDS} for task in report.tasks
        ],
        "indicators": [
            {
                **{name: fixedform.text(getattr(row, name)) for name in INDICATOR_TEXTS},
                **{name: bool(getattr(row, name)) for name in INDICATOR_FLAGS},
                "causes": list(row.causes),
            }
            for row in report.indicators
        ],
    }


def parse_form(post: QueryDict, stored: MonitoringReport) -> Parsed:
    """The monitoring report a posted form describes (rows as many as the approved table has)."""
    tasks_count, rows_count = len(stored.tasks), len(stored.indicators)
    raw: dict[str, Any] = {
        "funds": fixedform.posted_funds(post, FUNDS_ROWS, FUNDS_COLUMNS),
        "funds_reason": post.get("funds_reason", "").strip(),
        **{name: post.get(name, "").strip() for name in TEXTS},
        "tasks": fixedform.rows(post, "task_", TASK_FIELDS, tasks_count),
        "indicators": [
            {
                **typed,
                **{name: post.get(f"ind_{name}_{i + 1}") == "1" for name in INDICATOR_FLAGS},
                "causes": [c.strip() for c in post.getlist(f"ind_causes_{i + 1}") if c.strip()],
            }
            for i, typed in enumerate(fixedform.rows(post, "ind_", INDICATOR_TEXTS, rows_count))
        ],
    }
    findings: list[Finding] = []
    columns = tuple((name, label.format(month=stored.month)) for name, label in FUNDS_COLUMNS)
    funds = fixedform.parse_funds(raw, FUNDS_ROWS, columns, "资金情况", findings)
    tasks = fixedform.parse_tasks(raw["tasks"], stored.approved.tasks, f"1–{stored.month}月执行数", findings)
    indicators = [
        {
            **{
                name: (row[name] or None)
                for name in ("to_date", "tier", "forecast", "likelihood", "adjusted_target")
            },
            **{
                name: row[name] for name in ("cause_note", "measures", "year_end_reason", "adjustment_reason")
            },
            **{name: row[name] for name in INDICATOR_FLAGS},
            "causes": row["causes"],
        }
        for row in raw["indicators"]
    ]
    data = {
        "funds": funds,
        "tasks": tasks,
        "indicators": indicators,
        **{name: raw[name] for name in TEXTS},
    }
    return Parsed(raw, data, findings)


def warnings_json(warned: Warnings) -> dict[str, Any]:
    """Every warning as the page shows it: colour, word and why (the live check's answer)."""

    def alert(colour: Any, why: str) -> dict[str, str]:
        return {"colour": colour.value if colour else "", "word": colour.word if colour else "—", "why": why}

    return {
        "time_progress": fixedform.text(warned.time_progress_percent),
        "budget": {
            **alert(warned.budget.alert.colour, warned.budget.alert.why),
            "rate": fixedform.text(warned.budget.rate),
        },
        "rows": [{"row": r.row, **alert(r.alert.colour, r.alert.why)} for r in warned.rows],
        "department": alert(warned.department.colour, warned.department.why),
    }
