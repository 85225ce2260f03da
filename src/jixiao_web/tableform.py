"""The filing form: a table as HTML form fields and back, mirroring the printed table.

Rows are repeated fields in document order (``task_name`` …, ``ind_level1`` …), so adding,
removing and reordering rows in the page needs no index bookkeeping.  Amounts and counts go through
the library's own cell parsers (``1,234.5``, ``１２３``, ``143万元`` are accepted) and HTML pasted into
a field is reduced to its text the way the readers clean cells; what cannot be read
is reported with the library's finding codes at the field it concerns, and the table is not saved,
so nothing typed is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from django.http import QueryDict

from jixiao.catalogue import PHRASES
from jixiao.findings import Finding, Location, finding
from jixiao.model import TargetTable
from jixiao.model.framework import FRAMEWORKS, Comparator
from jixiao.model.table import Budget, Department, format_amount
from jixiao.read.cells import Unreadable, html_to_text, parse_amount, parse_count
from jixiao.rules.limits import text_too_long

BUDGET_FIELDS: Final = tuple(Budget.model_fields)
DEPARTMENT_FIELDS: Final = tuple(Department.model_fields)
TASK_FIELDS: Final = ("kind", "name", "content", "amount")
INDICATOR_FIELDS: Final = ("level1", "level2", "name", "explanation", "comparator", "value", "unit")
COMPARATORS: Final = tuple(c.value for c in Comparator)
#: 一级 → 二级 of both frameworks (88号 and 101号), for the choice lists.
LEVELS: Final[dict[str, list[str]]] = {}
for _framework in FRAMEWORKS.values():
    for _level1, _level2s in _framework.items():
        LEVELS.setdefault(_level1, [])
        LEVELS[_level1].extend(l2 for l2 in _level2s if l2 not in LEVELS[_level1])


@dataclass(slots=True)
class Parsed:
    """A posted form: the values as typed (to show again), the table, and what could not be read."""

    raw: dict[str, Any]
    table: TargetTable
    findings: list[Finding] = field(default_factory=list)

    @property
    def row_keys(self) -> dict[str, list[str]]:
        """review: the rows' keys (hidden ``task_key``/``ind_key`` fields), row for row of ``table``."""
        return {
            section: [row.get("key", "") for row in self.raw[section]] for section in ("tasks", "indicators")
        }


def _text(value: object) -> str:
    if value is None:
        return ""
    return format_amount(value) if isinstance(value, Decimal) else str(value)


def form_values(table: TargetTable, row_keys: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The table as the strings the form shows (with each row's key, when given)."""
    data = table.model_dump()
    values: dict[str, Any] = {
        "title": table.title,
        "year": table.year,
        "department": {k: _text(v) for k, v in data["department"].items()},
        "budget": {k: _text(v) for k, v in data["budget"].items()},
        "overall_goal": table.overall_goal,
        "tasks": [{k: _text(task[k]) for k in TASK_FIELDS} for task in data["tasks"]],
        "indicators": [{k: _text(ind[k]) for k in INDICATOR_FIELDS} for ind in data["indicators"]],
    }
    for section in ("tasks", "indicators"):  # review: row keys, kept in hidden fields
        for row, key in zip(values[section], (row_keys or {}).get(section, []), strict=False):
            row["key"] = key
    return values


def _amount(text: str) -> Decimal | Unreadable | None:
    """An amount as typed, without insignificant zeros (``100.00`` is stored and printed as ``100``)."""
    amount = parse_amount(text)
    return amount.normalize() if isinstance(amount, Decimal) else amount


def _field(post: QueryDict, name: str) -> str:
    return html_to_text_keeping_lines(post.get(name, ""))


def html_to_text_keeping_lines(value: str) -> str:
    """Text pasted from a web page or Word, as plain text (the library's cell cleaning: tags and
    scripts dropped, block ends kept as line breaks); plain text is left as typed."""
    return html_to_text(value) if ("<" in value or "&" in value) else value


def _rows(post: QueryDict, prefix: str, names: tuple[str, ...]) -> list[dict[str, str]]:
    columns = {
        name: [html_to_text_keeping_lines(v) for v in post.getlist(f"{prefix}_{name}")] for name in names
    }
    count = max((len(values) for values in columns.values()), default=0)
    return [
        {name: (columns[name][i] if i < len(columns[name]) else "") for name in names} for i in range(count)
    ]


def parse_form(post: QueryDict, year: int) -> Parsed:
    """The table a posted form describes (``year`` is the filing's, not the form's)."""
    raw: dict[str, Any] = {
        "title": _field(post, "title"),
        "year": year,
        "department": {name: _field(post, f"department_{name}") for name in DEPARTMENT_FIELDS},
        "budget": {name: _field(post, f"budget_{name}") for name in BUDGET_FIELDS},
        "overall_goal": _field(post, "overall_goal"),
        "tasks": [
            row
            for row in _rows(post, "task", (*TASK_FIELDS, "key"))
            if any(v.strip() for k, v in row.items() if k not in ("kind", "key"))
        ],
        "indicators": [
            row
            for row in _rows(post, "ind", (*INDICATOR_FIELDS, "key"))
            if any(row[k].strip() for k in ("name", "value", "explanation", "unit"))
        ],
    }
    findings: list[Finding] = []
    department: dict[str, Any] = dict(raw["department"])
    for name in ("staff_count", "subordinate_unit_count"):
        count = parse_count(department[name])
        if isinstance(count, Unreadable):
            code = "staff-count-invalid" if name == "staff_count" else "subordinate-units-invalid"
            findings.append(
                finding(
                    code,
                    Location("department", field=name),
                    problem=PHRASES["not-a-count"].format(value=count),
                    value=count,
                )
            )
        department[name] = None if isinstance(count, Unreadable) else count
    budget: dict[str, Any] = {}
    for name in BUDGET_FIELDS:
        amount = _amount(raw["budget"][name])
        if isinstance(amount, Unreadable):
            place = PHRASES["budget-amount-place"].format(label=Budget.model_fields[name].title)
            findings.append(
                finding("amount-invalid", Location("budget", field=name), place=place, value=amount)
            )
        budget[name] = None if isinstance(amount, Unreadable) else amount
    # 年度重点工作任务 first, then 其他需完成任务, numbered on through both (the printed order).
    ordered = sorted(raw["tasks"], key=lambda row: row["kind"] != "key")
    raw["tasks"] = ordered
    tasks = []
    for seq, row in enumerate(ordered, start=1):
        kind = "other" if row["kind"] == "other" else "key"
        amount = _amount(row["amount"])
        if isinstance(amount, Unreadable):
            place = PHRASES["task-amount-place"].format(
                section=PHRASES[f"task-section.{kind}"], row=seq, name=row["name"]
            )
            findings.append(
                finding(
                    "amount-invalid", Location("tasks", row=seq, field="amount"), place=place, value=amount
                )
            )
        tasks.append(
            {
                "seq": seq,
                "kind": kind,
                "name": row["name"],
                "content": row["content"],
                "amount": None if isinstance(amount, Unreadable) else amount,
            }
        )
    table = TargetTable.model_validate(
        {
            "title": raw["title"],
            "year": year,
            "department": department,
            "budget": budget,
            "overall_goal": raw["overall_goal"],
            "tasks": tasks,
            "indicators": raw["indicators"],
        }
    )
    findings.extend(text_too_long(table))  # refused like an unreadable amount: nothing is stored
    return Parsed(raw, table, findings)
