"""The filing form: a table as HTML form fields and back, mirroring the printed table.

Rows are repeated fields in document order (``task_name`` …, ``ind_level1`` …), so adding,
removing and reordering rows in the page needs no index bookkeeping.  Amounts and counts go through
the library's own cell parsers (``1,234.5``, ``１２３``, ``143万元`` are accepted) and HTML pasted into
a field is reduced to its text the way the readers clean cells; what cannot be read
is reported with the library's finding codes at the field it concerns, and the table is not saved,
so nothing typed is lost.

The fields are derived from the model (:mod:`jixiao.model.table`), so that the form keeps every
field the library reads.  An optional field (one the canonical JSON leaves out when the source
does not have it: 部门职能概述, 期望达到的目标, 指标权重 …) is shown when the table has it or when the
filer switches it on (a ``show`` checkbox naming it); switched off, its fields are disabled and not
posted, and it stays absent (None), never "".  A text of a row that may be None in a shown column
(a row without 期望达到的目标 beside rows with it; a comparator the source did not print) is named in
the row's hidden ``task_absent``/``ind_absent`` field and stays None while left blank.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, get_args

from django.http import QueryDict
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from jixiao.catalogue import PHRASES
from jixiao.findings import Finding, Location, finding
from jixiao.model import TargetTable
from jixiao.model.framework import FRAMEWORKS, Comparator
from jixiao.model.table import Budget, Department, Indicator, Task, format_amount
from jixiao.model.values import parse_number, to_halfwidth
from jixiao.read.cells import Unreadable, html_to_text, parse_amount, parse_count
from jixiao.rules.limits import text_too_long


def _optional(info: FieldInfo) -> bool:
    """A field the canonical JSON leaves out when the source does not have it."""
    return info.exclude_if is not None


def _holds(annotation: Any, kind: type) -> bool:
    """Whether ``annotation`` (through ``X | None`` and ``Annotated``) is, or may be, ``kind``."""
    return annotation is kind or any(_holds(arg, kind) for arg in get_args(annotation))


def is_amount(info: FieldInfo) -> bool:
    return _holds(info.annotation, Decimal)


def _nullable_text(info: FieldInfo) -> bool:
    return _holds(info.annotation, type(None)) and not is_amount(info) and not _holds(info.annotation, int)


#: The form's parts: the POST names of a part's fields start with its prefix.
PREFIXES: Final[dict[str, str]] = {
    "table": "",
    "department": "department_",
    "budget": "budget_",
    "tasks": "task_",
    "indicators": "ind_",
}
MODELS: Final[dict[str, type[BaseModel]]] = {
    "table": TargetTable,
    "department": Department,
    "budget": Budget,
    "tasks": Task,
    "indicators": Indicator,
}
#: Fields of the whole table the form does not show as fields of its own: the parts (each has its
#: fields) and the year (the filing's).
TABLE_PARTS: Final = ("department", "budget", "tasks", "indicators")
NOT_TYPED: Final[dict[str, tuple[str, ...]]] = {"table": ("year", *TABLE_PARTS), "tasks": ("seq",)}

BUDGET_FIELDS: Final = tuple(Budget.model_fields)
DEPARTMENT_FIELDS: Final = tuple(Department.model_fields)
#: 序号 is the row's place (the printed order), not typed.
TASK_FIELDS: Final = tuple(name for name in Task.model_fields if name not in NOT_TYPED["tasks"])
INDICATOR_FIELDS: Final = tuple(Indicator.model_fields)
#: The texts of the whole table typed into the form (表名, 总体绩效目标, 部门职能概述 …).
TABLE_TEXTS: Final = tuple(name for name in TargetTable.model_fields if name not in NOT_TYPED["table"])


#: The texts of the whole table the model lists before 总体绩效目标: they belong with the title.
HEADER_TEXTS: Final = TABLE_TEXTS[: TABLE_TEXTS.index("overall_goal")]


def optional_fields(section: str) -> tuple[str, ...]:
    """The optional fields of a part, in the model's order."""
    return tuple(name for name, info in MODELS[section].model_fields.items() if _optional(info))


def switch_of(section: str, name: str) -> str:
    """The name an optional field is switched on by (the ``show`` checkbox's value)."""
    return PREFIXES[section] + name


#: A row's fields any of which, filled, make the row a row (blank rows are skipped).
FILLED: Final[dict[str, tuple[str, ...]]] = {
    "tasks": tuple(name for name in TASK_FIELDS if name != "kind"),
    "indicators": tuple(name for name in INDICATOR_FIELDS if name not in ("level1", "level2")),
}
#: Texts of a row that may be None (``absent``): optional ones, and the comparator.
ABSENT_CAPABLE: Final[dict[str, tuple[str, ...]]] = {
    section: tuple(name for name, info in MODELS[section].model_fields.items() if _nullable_text(info))
    for section in ("tasks", "indicators")
}
ROW_SECTIONS: Final = ("tasks", "indicators")

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
        return {section: [row.get("key", "") for row in self.raw[section]] for section in ROW_SECTIONS}


def _text(value: object) -> str:
    if value is None:
        return ""
    return format_amount(value) if isinstance(value, Decimal) else str(value)


def _shown(table: TargetTable) -> list[str]:
    """The optional fields ``table`` has (a column: some row has it)."""
    shown = [switch_of("table", n) for n in optional_fields("table") if getattr(table, n) is not None]
    for section in ("department", "budget"):
        part = getattr(table, section)
        shown += [switch_of(section, n) for n in optional_fields(section) if getattr(part, n) is not None]
    for section in ROW_SECTIONS:
        rows = getattr(table, section)
        shown += [
            switch_of(section, n)
            for n in optional_fields(section)
            if any(getattr(row, n) is not None for row in rows)
        ]
    return shown


def form_values(table: TargetTable, row_keys: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The table as the strings the form shows (with each row's key, when given)."""
    # Attributes, not model_dump(): the dump leaves absent optional fields out.
    values: dict[str, Any] = {name: _text(getattr(table, name)) for name in TABLE_TEXTS}
    values |= {
        "year": table.year,
        "department": {k: _text(getattr(table.department, k)) for k in DEPARTMENT_FIELDS},
        "budget": {k: _text(getattr(table.budget, k)) for k in BUDGET_FIELDS},
        "shown": _shown(table),
    }
    shown = set(values["shown"])
    for section, names in (("tasks", TASK_FIELDS), ("indicators", INDICATOR_FIELDS)):
        # A row's texts that are None where the part has the field (a column switched off is None
        # in every row anyway).
        nullable = [
            k
            for k in ABSENT_CAPABLE[section]
            if k not in optional_fields(section) or switch_of(section, k) in shown
        ]
        values[section] = [
            {
                **{k: _text(getattr(row, k)) for k in names},
                "absent": " ".join(k for k in nullable if getattr(row, k) is None),
            }
            for row in getattr(table, section)
        ]
    for section in ROW_SECTIONS:  # review: row keys, kept in hidden fields
        for row, key in zip(values[section], (row_keys or {}).get(section, []), strict=False):
            row["key"] = key
    return values


@dataclass(frozen=True, slots=True)
class Cell:
    """An optional field as the page shows it: its switch, POST name, label and value."""

    section: str
    name: str
    label: str
    value: str = ""
    shown: bool = False
    amount: bool = False

    @property
    def switch(self) -> str:
        return switch_of(self.section, self.name)

    @property
    def post(self) -> str:
        return PREFIXES[self.section] + self.name


def _cells(section: str, shown: set[str], row: dict[str, Any] | None = None) -> list[Cell]:
    fields = MODELS[section].model_fields
    return [
        Cell(
            section,
            name,
            str(fields[name].title),
            str((row or {}).get(name, "")),
            switch_of(section, name) in shown,
            is_amount(fields[name]),
        )
        for name in optional_fields(section)
    ]


def form_context(values: dict[str, Any]) -> dict[str, Any]:
    """The context of the form's fields (``_table_fields.html``): ``values``, the choice lists, the
    optional fields of each part with their labels and whether they are shown, and each row's
    optional cells (added to the rows as ``row["cells"]``)."""
    shown = set(values.get("shown") or ())
    for section in ROW_SECTIONS:
        for row in values[section]:
            row["cells"] = _cells(section, shown, row)
    table_cells = _cells("table", shown, values)
    return {
        "values": values,
        "levels": LEVELS,
        "comparators": COMPARATORS,
        # The whole table's optional texts: those the model lists before 总体绩效目标 (填报人,
        # 联系电话 …) under the title, the others (部门职能概述, 长期绩效目标) with the goal.
        "header_optional": [c for c in table_cells if c.name in HEADER_TEXTS],
        "goal_optional": [c for c in table_cells if c.name not in HEADER_TEXTS],
        "department_optional": _cells("department", shown, values["department"]),
        "budget_optional": _cells("budget", shown, values["budget"]),
        "task_columns": _cells("tasks", shown),
        "indicator_columns": _cells("indicators", shown),
        "filled": {section: " ".join(FILLED[section]) for section in ROW_SECTIONS},
    }


def _weight(text: str) -> Decimal | Unreadable | None:
    """指标权重 as typed: a number, with 分 after it accepted (as the reader takes it)."""
    folded = to_halfwidth(text).strip()
    if not folded:
        return None
    weight = parse_number(folded.removesuffix("分").strip())
    return Unreadable.of(text) if weight is None else weight


def html_to_text_keeping_lines(value: str) -> str:
    """Text pasted from a web page or Word, as plain text (the library's cell cleaning: tags and
    scripts dropped, block ends kept as line breaks); plain text is left as typed."""
    return html_to_text(value) if ("<" in value or "&" in value) else value


class _Cleaner:
    """Posted text as plain text (:func:`html_to_text_keeping_lines`), but a text the form was given
    (one of the stored table's texts, ``R&amp;D`` or ``<A 类>`` read from a spreadsheet) is kept as it
    is: only what is typed or pasted is cleaned."""

    def __init__(self, given: TargetTable | None) -> None:
        self.given: set[str] = set(_texts_of(given.model_dump())) if given is not None else set()

    def __call__(self, value: str) -> str:
        if "<" not in value and "&" not in value:
            return value
        # A browser posts a textarea's line breaks as CR LF.
        return value if value.replace("\r\n", "\n") in self.given else html_to_text(value)

    def field(self, post: QueryDict, name: str) -> str:
        return self(post.get(name, ""))

    def rows(self, post: QueryDict, prefix: str, names: tuple[str, ...]) -> list[dict[str, str]]:
        columns = {name: [self(v) for v in post.getlist(f"{prefix}{name}")] for name in names}
        count = max((len(values) for values in columns.values()), default=0)
        return [
            {name: (columns[name][i] if i < len(columns[name]) else "") for name in names}
            for i in range(count)
        ]


def _texts_of(data: object) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [text for value in data.values() for text in _texts_of(value)]
    if isinstance(data, list):
        return [text for value in data for text in _texts_of(value)]
    return []


def _optional_value(
    section: str, name: str, text: str, shown: set[str], absent: set[str] | None = None
) -> str | None:
    """An optional or nullable text as posted: None when its field is switched off, or left blank
    where the table did not have it."""
    if name in optional_fields(section) and switch_of(section, name) not in shown:
        return None
    if absent is not None and name in absent and not text.strip():
        return None
    return text


def parse_form(post: QueryDict, year: int, given: TargetTable | None = None) -> Parsed:
    """The table a posted form describes (``year`` is the filing's, not the form's); ``given``: the
    table the form was made from, whose texts come back as they were (see :class:`_Cleaner`)."""
    shown = set(post.getlist("show"))
    clean = _Cleaner(given)
    raw: dict[str, Any] = {name: clean.field(post, name) for name in TABLE_TEXTS}
    raw |= {
        "year": year,
        "shown": sorted(shown),
        "department": {name: clean.field(post, f"department_{name}") for name in DEPARTMENT_FIELDS},
        "budget": {name: clean.field(post, f"budget_{name}") for name in BUDGET_FIELDS},
        "tasks": [
            row
            for row in clean.rows(post, "task_", (*TASK_FIELDS, "key", "absent"))
            if any(row[k].strip() for k in FILLED["tasks"])
        ],
        "indicators": [
            row
            for row in clean.rows(post, "ind_", (*INDICATOR_FIELDS, "key", "absent"))
            if any(row[k].strip() for k in FILLED["indicators"])
        ],
    }
    findings: list[Finding] = []
    texts: dict[str, Any] = {name: _optional_value("table", name, raw[name], shown) for name in TABLE_TEXTS}
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
    for name in optional_fields("department"):
        department[name] = _optional_value("department", name, department[name], shown)
    budget: dict[str, Any] = {}
    for name in BUDGET_FIELDS:
        if name in optional_fields("budget") and switch_of("budget", name) not in shown:
            budget[name] = None
            continue
        amount = parse_amount(raw["budget"][name])  # as typed: 100.00 stays, as a reader keeps it
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
        amount = parse_amount(row["amount"])
        if isinstance(amount, Unreadable):
            place = PHRASES["task-amount-place"].format(
                section=PHRASES[f"task-section.{kind}"], row=seq, name=row["name"]
            )
            findings.append(
                finding(
                    "amount-invalid", Location("tasks", row=seq, field="amount"), place=place, value=amount
                )
            )
        task: dict[str, Any] = {
            name: _optional_value("tasks", name, row[name], shown, set(row["absent"].split()))
            for name in TASK_FIELDS
        }
        tasks.append(
            task | {"seq": seq, "kind": kind, "amount": None if isinstance(amount, Unreadable) else amount}
        )
    indicators = []
    for number, row in enumerate(raw["indicators"], start=1):
        indicator: dict[str, Any] = {
            name: _optional_value("indicators", name, row[name], shown, set(row["absent"].split()))
            for name in INDICATOR_FIELDS
        }
        for name in INDICATOR_FIELDS:
            if not is_amount(Indicator.model_fields[name]) or indicator[name] is None:
                continue
            weight = _weight(indicator[name])
            if isinstance(weight, Unreadable):
                place = PHRASES["indicator-weight-place"].format(row=number, name=row["name"])
                findings.append(
                    finding(
                        "weight-invalid",
                        Location("indicators", row=number, field=name),
                        place=place,
                        value=weight,
                    )
                )
            indicator[name] = None if isinstance(weight, Unreadable) else weight
        indicators.append(indicator)
    table = TargetTable.model_validate(
        {
            **texts,
            "year": year,
            "department": department,
            "budget": budget,
            "tasks": tasks,
            "indicators": indicators,
        }
    )
    findings.extend(text_too_long(table))  # refused like an unreadable amount: nothing is stored
    return Parsed(raw, table, findings)
