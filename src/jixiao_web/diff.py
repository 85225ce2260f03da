"""Field-by-field differences between two states of a table, labelled from the model's field titles.

Rows are paired by their keys (:mod:`jixiao_web.rows`) where both states have them, so a row that
moved is not a change; a changed text is shown word by word (:func:`word_diff`).
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.safestring import SafeString, mark_safe

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
    #: The row's key (tasks and indicators, when the states have keys).
    key: str = ""

    @property
    def kind(self) -> str:
        """``added``, ``removed`` or ``changed``."""
        if not self.before:
            return "added"
        return "removed" if not self.after else "changed"

    @property
    def marked(self) -> tuple[SafeString, SafeString]:
        """Before and after as escaped HTML, what was taken out in ``<del>``, what came in ``<ins>``."""
        return word_diff(self.before, self.after)

    @property
    def before_html(self) -> SafeString:
        return self.marked[0]

    @property
    def after_html(self) -> SafeString:
        return self.marked[1]


#: A word of Latin letters or digits (with a decimal point) is one token; any other character
#: (a Chinese character, a punctuation mark, a space) is a token of its own.
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:\.[0-9]+)?|.", re.DOTALL)


def word_diff(before: str, after: str) -> tuple[SafeString, SafeString]:
    """``before`` and ``after`` escaped, with the words that differ marked ``<del>``/``<ins>``."""
    old, new = _TOKEN.findall(before), _TOKEN.findall(after)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    was: list[str] = []
    now: list[str] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        removed, added = html.escape("".join(old[a1:a2])), html.escape("".join(new[b1:b2]))
        if op == "equal":
            was.append(removed)
            now.append(added)
            continue
        if removed:
            was.append(f"<del>{removed}</del>")
        if added:
            now.append(f"<ins>{added}</ins>")
    return mark_safe("".join(was)), mark_safe("".join(now))


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


Keys = Mapping[str, Sequence[str]]
#: The parts of the table compared field by field (and row by row) on their own.
_PARTS = ("department", "budget", "tasks", "indicators")
#: 总体绩效目标 and the texts the model lists after it (部门职能概述, 长期绩效目标) are that section's;
#: the rest of the table's own fields (表名, 年度, 填报人 …) the title's.
_FIELDS = [name for name in TargetTable.model_fields if name not in _PARTS]
_GOAL_TEXTS = _FIELDS[_FIELDS.index("overall_goal") :]


def _pairs(
    section: str,
    rows_before: list[Any],
    rows_after: list[Any],
    keys_before: Keys | None,
    keys_after: Keys | None,
) -> list[tuple[int | None, int | None, str]]:
    """(row before, row after, key) of each row to compare: by key where both states have complete
    keys for ``section``, else by position; rows only after first in their order, removed ones last."""
    old = list((keys_before or {}).get(section) or [])
    new = list((keys_after or {}).get(section) or [])
    if len(old) != len(rows_before) or len(new) != len(rows_after) or not (old or new):
        count = max(len(rows_before), len(rows_after))
        return [
            (i + 1 if i < len(rows_before) else None, i + 1 if i < len(rows_after) else None, "")
            for i in range(count)
        ]
    where = {key: index + 1 for index, key in enumerate(old)}
    pairs: list[tuple[int | None, int | None, str]] = [
        (where.get(key), index + 1, key) for index, key in enumerate(new)
    ]
    kept = set(new)
    pairs += [(index + 1, None, key) for index, key in enumerate(old) if key not in kept]
    return pairs


def diff_tables(
    before: dict[str, Any] | None,
    after: dict[str, Any],
    keys_before: Keys | None = None,
    keys_after: Keys | None = None,
) -> list[Change]:
    """What changed from ``before`` to ``after`` (canonical JSON dicts); all of ``after`` when None.

    With the row keys of both states, rows are paired by key: a row moved is no change, a row
    removed is labelled with its old row (``（已删除）``).
    """
    old = TargetTable.model_validate(before or {}).model_dump(mode="json")
    new = TargetTable.model_validate(after).model_dump(mode="json")
    changes: list[Change] = []
    # The whole table's own fields (表名, 年度, 总体绩效目标, 部门职能概述, 长期绩效目标 …), from the model;
    # an optional one a state lacks is left out of its dump and compares as blank.
    for name in TargetTable.model_fields:
        if name in _PARTS:
            continue
        was, now = _text(old.get(name)), _text(new.get(name))
        if was != now:
            section = "overall_goal" if name in _GOAL_TEXTS else "title"
            changes.append(Change(section, None, name, _title(TargetTable, name), was, now))
    for section, model in (("department", Department), ("budget", Budget)):
        for name, was, now in _fields(model, old[section], new[section]):
            label = f"{SECTION_TITLES[section]}·{_title(model, name)}"
            changes.append(Change(section, None, name, label, was, now))
    for section, row_model in (("tasks", Task), ("indicators", Indicator)):
        rows_before, rows_after = old[section], new[section]
        for row_before, row_after, key in _pairs(section, rows_before, rows_after, keys_before, keys_after):
            was_row = rows_before[row_before - 1] if row_before is not None else {}
            now_row = rows_after[row_after - 1] if row_after is not None else {}
            if section == "tasks" and row_before is not None and row_after is not None:
                # 序号 follows the row's place: a row that moved has another, and that is no change.
                was_row = {**was_row, "seq": now_row.get("seq")}
            if row_after is not None:
                place = place_of(section, row_after)
            else:
                place = f"{place_of(section, row_before)}（已删除）"
            row = row_after if row_after is not None else row_before
            for name, was, now in _fields(row_model, was_row, now_row):
                label = f"{place}·{_title(row_model, name)}"
                changes.append(Change(section, row, name, label, was, now, key))
    return changes
