"""How long a text field may be: the one table of limits, used wherever a table comes in (the
checker, and through it the web form, uploads and the API).

Each limit is many times what a real table writes there (the seed's goal has about 400 characters,
its longest 主要实施内容 about 150): a field beyond it is a pasted document, not an entry, and storing
it made every save of the table copy it again into the history (a 4.2 MB goal grew the audit log by
13 MB).  The web system refuses to store a table with such a field.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from pydantic import BaseModel

from jixiao.catalogue import PHRASES
from jixiao.findings import SECTION_TITLES, Finding, Location, Section, finding
from jixiao.model import TargetTable
from jixiao.model.table import Department, Indicator, Task
from jixiao.rules.registry import rule

#: Characters allowed in each text field, by (section, JSON field name).
TEXT_LIMITS: Final[dict[tuple[Section, str], int]] = {
    ("title", "title"): 200,
    ("department", "name"): 100,
    ("department", "competent_department"): 100,
    ("department", "preparer"): 50,
    ("department", "contact_phone"): 50,
    ("department", "prepared_on"): 50,
    ("overall_goal", "overall_goal"): 5_000,
    ("overall_goal", "duties"): 5_000,
    ("overall_goal", "long_term_goal"): 5_000,
    ("tasks", "name"): 200,
    ("tasks", "content"): 2_000,
    ("tasks", "expected_outcome"): 2_000,
    ("indicators", "level1"): 50,
    ("indicators", "level2"): 50,
    ("indicators", "name"): 200,
    ("indicators", "explanation"): 1_000,
    ("indicators", "comparator"): 20,
    ("indicators", "value"): 200,
    ("indicators", "unit"): 50,
    ("indicators", "value_type"): 20,
    ("indicators", "scoring_standard"): 1_000,
}
_MODELS: Final[dict[str, type[BaseModel]]] = {
    "department": Department,
    "tasks": Task,
    "indicators": Indicator,
}

#: Texts of the table itself shown with the department's header (湖北's 填报人 and the like).
HEADER_TEXTS: Final = ("preparer", "contact_phone", "prepared_on")
_INDICATOR_TEXTS: Final = tuple(field for section, field in TEXT_LIMITS if section == "indicators")


def label_of(section: Section, field: str) -> str:
    """The field's Chinese name (the model's title)."""
    model = _MODELS.get(section)
    if model is not None and field in model.model_fields:
        return str(model.model_fields[field].title)
    text = TargetTable.model_fields.get(field)  # 部门职能概述 beside the goal, 填报人 in the header
    return str(text.title) if field != section and text is not None else SECTION_TITLES[section]


def _too_long(section: Section, field: str, text: str, row: int | None = None) -> Finding:
    limit = TEXT_LIMITS[(section, field)]
    label = label_of(section, field)
    place = (
        label
        if row is None
        else PHRASES["row-field"].format(section=SECTION_TITLES[section], row=row, label=label)
    )
    where = Location(section, row=row, field=field)
    return finding("text-too-long", where, place=place, length=len(text), limit=limit)


def _fields(table: TargetTable) -> Iterator[tuple[Section, str, str | None, int | None]]:
    """Every text field with its section and row, in the order of the form."""
    yield "title", "title", table.title, None
    for field in ("name", "competent_department"):
        yield "department", field, getattr(table.department, field), None
    for field in HEADER_TEXTS:
        yield "department", field, getattr(table, field), None
    for field in ("overall_goal", "duties", "long_term_goal"):
        yield "overall_goal", field, getattr(table, field), None
    for row, task in enumerate(table.tasks, start=1):
        for field in ("name", "content", "expected_outcome"):
            yield "tasks", field, getattr(task, field), row
    for row, indicator in enumerate(table.indicators, start=1):
        for field in _INDICATOR_TEXTS:
            yield "indicators", field, getattr(indicator, field), row


@rule("text-too-long")
def text_too_long(table: TargetTable) -> Iterator[Finding]:
    """No text field beyond its limit in :data:`TEXT_LIMITS`."""
    limits = TEXT_LIMITS
    for section, field, text, row in _fields(table):
        if text is not None and len(text) > limits[(section, field)]:
            yield _too_long(section, field, text, row)
