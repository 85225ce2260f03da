"""Field-by-field differences between two states of a table, labelled from the model's field titles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jixiao.findings import SECTION_TITLES
from jixiao.model import TargetTable
from jixiao.model.table import Budget, Department, Indicator, Task
from jixiao.model.values import parse_number
from jixiao_web.wording import place_of


@dataclass(frozen=True, slots=True)
class Change:
    """One field that differs: where (section, 1-based row, field), its label, before and after."""

    section: str
    row: int | None
    field: str
    label: str
    before: str
    after: str

    @property
    def kind(self) -> str:
        """``added``, ``removed`` or ``changed``."""
        if not self.before:
            return "added"
        return "removed" if not self.after else "changed"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _title(model: type[Any], name: str) -> str:
    return str(model.model_fields[name].title or name)


def _same(before: str, after: str) -> bool:
    """Equal text, or equal amounts however written (``100.00`` and ``100``)."""
    if before == after:
        return True
    was, now = parse_number(before), parse_number(after)
    return was is not None and now is not None and was == now


def _fields(model: type[Any], before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (name, _text(before.get(name)), _text(after.get(name)))
        for name in model.model_fields
        if not _same(_text(before.get(name)), _text(after.get(name)))
    ]


def diff_tables(before: dict[str, Any] | None, after: dict[str, Any]) -> list[Change]:
    """What changed from ``before`` to ``after`` (canonical JSON dicts); all of ``after`` when None."""
    old = TargetTable.model_validate(before or {}).model_dump(mode="json")
    new = TargetTable.model_validate(after).model_dump(mode="json")
    changes: list[Change] = []
    for name in ("title", "year", "overall_goal"):
        if _text(old[name]) != _text(new[name]):
            section = "overall_goal" if name == "overall_goal" else "title"
            label = _title(TargetTable, name)
            changes.append(Change(section, None, name, label, _text(old[name]), _text(new[name])))
    for section, model in (("department", Department), ("budget", Budget)):
        for name, was, now in _fields(model, old[section], new[section]):
            label = f"{SECTION_TITLES[section]}·{_title(model, name)}"
            changes.append(Change(section, None, name, label, was, now))
    for section, row_model in (("tasks", Task), ("indicators", Indicator)):
        rows_before, rows_after = old[section], new[section]
        for index in range(max(len(rows_before), len(rows_after))):
            was_row = rows_before[index] if index < len(rows_before) else {}
            now_row = rows_after[index] if index < len(rows_after) else {}
            for name, was, now in _fields(row_model, was_row, now_row):
                label = f"{place_of(section, index + 1)}·{_title(row_model, name)}"
                changes.append(Change(section, index + 1, name, label, was, now))
    return changes
