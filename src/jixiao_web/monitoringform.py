"""The monitoring form: a :class:`~jixiao.model.monitoring.MonitoringReport` as the page's fields,
and a posted form read back (as :mod:`jixiao_web.selfevalform` does for the self-evaluation).

The copied parts (the approved table, the month, every 年初预算数) are shown, never posted (the
stored ones are kept whatever comes, :func:`jixiao_web.monitoring.merged`); what the department
adds is one field each, named ``funds_<row>_<column>``, ``funds_reason``, ``task_<field>`` and
``ind_<field>`` (one per row, in table order; 偏差原因 ``ind_causes_<row>``, several), ``problems``
and ``next_steps``.  An amount that cannot be read is a finding (``amount-invalid``) and the form
is not saved; an indicator's values are text the library's rules judge (``monitor-value-invalid``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from django.http import QueryDict

from jixiao.findings import Finding, Location, finding
from jixiao.model.monitoring import MonitoringReport
from jixiao.model.selfeval import Tier
from jixiao.monitoring import Warnings
from jixiao.read.cells import Unreadable, parse_amount

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
TASK_FIELDS: Final = ("executed", "progress")
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


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def form_values(report: MonitoringReport) -> dict[str, Any]:
    """The form's fields as text, from a stored monitoring report."""
    funds = report.funds
    return {
        "funds": {
            name: {column: _text(getattr(getattr(funds, name), column)) for column, _ in FUNDS_COLUMNS}
            for name, _ in FUNDS_ROWS
        },
        "funds_reason": funds.reason,
        **{name: getattr(report, name) for name in TEXTS},
        "tasks": [{name: _text(getattr(task, name)) for name in TASK_FIELDS} for task in report.tasks],
        "indicators": [
            {
                **{name: _text(getattr(row, name)) for name in INDICATOR_TEXTS},
                **{name: bool(getattr(row, name)) for name in INDICATOR_FLAGS},
                "causes": list(row.causes),
            }
            for row in report.indicators
        ],
    }


@dataclass(slots=True)
class Parsed:
    """A posted form: the fields as typed (``raw``, shown again when it is refused), the report
    they describe (amounts that could not be read left blank) and the findings of those."""

    raw: dict[str, Any]
    data: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)


def _column(post: QueryDict, name: str, count: int) -> list[str]:
    values = post.getlist(name)
    return [(values[i] if i < len(values) else "").strip() for i in range(count)]


def parse_form(post: QueryDict, stored: MonitoringReport) -> Parsed:
    """The monitoring report a posted form describes (rows as many as the approved table has)."""
    tasks_count, rows_count = len(stored.tasks), len(stored.indicators)
    task_columns = {name: _column(post, f"task_{name}", tasks_count) for name in TASK_FIELDS}
    text_columns = {name: _column(post, f"ind_{name}", rows_count) for name in INDICATOR_TEXTS}
    raw: dict[str, Any] = {
        "funds": {
            name: {column: post.get(f"funds_{name}_{column}", "").strip() for column, _ in FUNDS_COLUMNS}
            for name, _ in FUNDS_ROWS
        },
        "funds_reason": post.get("funds_reason", "").strip(),
        **{name: post.get(name, "").strip() for name in TEXTS},
        "tasks": [{name: task_columns[name][i] for name in TASK_FIELDS} for i in range(tasks_count)],
        "indicators": [
            {
                **{name: text_columns[name][i] for name in INDICATOR_TEXTS},
                **{name: post.get(f"ind_{name}_{i + 1}") == "1" for name in INDICATOR_FLAGS},
                "causes": [c.strip() for c in post.getlist(f"ind_causes_{i + 1}") if c.strip()],
            }
            for i in range(rows_count)
        ],
    }
    findings: list[Finding] = []
    funds: dict[str, Any] = {"reason": raw["funds_reason"]}
    for number, (name, row_label) in enumerate(FUNDS_ROWS, 1):
        funds[name] = {}
        for column, column_label in FUNDS_COLUMNS:
            amount = parse_amount(raw["funds"][name][column])
            if isinstance(amount, Unreadable):
                findings.append(
                    finding(
                        "amount-invalid",
                        Location("funds", row=number, field=column),
                        place=f"资金情况中{row_label}的{column_label.format(month=stored.month)}",
                        value=amount,
                    )
                )
                amount = None
            funds[name][column] = amount
    tasks = []
    for number, (row, task) in enumerate(zip(raw["tasks"], stored.approved.tasks, strict=True), 1):
        amount = parse_amount(row["executed"])
        if isinstance(amount, Unreadable):
            findings.append(
                finding(
                    "amount-invalid",
                    Location("tasks", row=number, field="executed"),
                    place=f"任务第{number}行“{task.name}”的1–{stored.month}月执行数",
                    value=amount,
                )
            )
            amount = None
        tasks.append({"executed": amount, "progress": row["progress"]})
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
        "time_progress": _text(warned.time_progress_percent),
        "budget": {
            **alert(warned.budget.alert.colour, warned.budget.alert.why),
            "rate": _text(warned.budget.rate),
        },
        "rows": [{"row": r.row, **alert(r.alert.colour, r.alert.why)} for r in warned.rows],
        "department": alert(warned.department.colour, warned.department.why),
    }
