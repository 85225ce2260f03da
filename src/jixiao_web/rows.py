"""Rows people can name: the table kept in printed order, and a stable key per task and indicator row.

The printed form (:mod:`jixiao.write.layout`) lists 年度重点工作任务 before 其他需完成任务 and groups
the indicators by the framework.  The web system stores the table in that order, so that row N of
the stored table (the ``row`` of the library's findings, of comments and of the form) is row N of
what is printed.  Beside the table (``Filing.row_keys``, ``Version.row_keys``; the library's
canonical JSON keeps its schema) every task and indicator row has a key that stays with the row
when rows move, so that a comment follows its row from version to version.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any, Final

from jixiao.model import TargetTable
from jixiao.write.layout import printed_order

ROW_SECTIONS: Final = ("tasks", "indicators")
KEY_PATTERN: Final = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

RowKeys = dict[str, list[str]]


def new_key() -> str:
    return secrets.token_hex(6)


def keys_for(table: TargetTable | Mapping[str, Any], given: Mapping[str, Any] | None) -> RowKeys:
    """A key for every task and indicator row of ``table``: the ``given`` ones where they are
    well-formed and unique, new ones for the rest (rows added, or a table that never had keys)."""
    data = table.model_dump(mode="json") if isinstance(table, TargetTable) else table
    keys: RowKeys = {}
    for section in ROW_SECTIONS:
        count = len(data.get(section) or [])
        offered = list((given or {}).get(section) or [])[:count]
        seen: set[str] = set()
        made = []
        for index in range(count):
            key = offered[index] if index < len(offered) else ""
            if not isinstance(key, str) or not KEY_PATTERN.match(key) or key in seen:
                key = new_key()
            seen.add(key)
            made.append(key)
        keys[section] = made
    return keys


def in_printed_order(
    table: TargetTable, given: Mapping[str, Any] | None = None
) -> tuple[TargetTable, RowKeys]:
    """``table`` with its tasks key-then-other (序号 running on) and its indicators in the printed
    form's order, stable within a group; the row keys moved with their rows."""
    keys = keys_for(table, given)
    tasks = sorted(zip(table.tasks, keys["tasks"], strict=True), key=lambda pair: pair[0].kind != "key")
    for seq, (task, _) in enumerate(tasks, start=1):
        task.seq = seq
    order = printed_order(table)
    indicators = [table.indicators[i] for i in order]
    ordered = table.model_copy(update={"tasks": [t for t, _ in tasks], "indicators": indicators})
    return ordered, {"tasks": [k for _, k in tasks], "indicators": [keys["indicators"][i] for i in order]}


def row_of(keys: Mapping[str, Sequence[str]], section: str, key: str) -> int | None:
    """The 1-based row that holds ``key`` now; None when the row is gone (or has no key)."""
    rows = list(keys.get(section) or [])
    return rows.index(key) + 1 if key and key in rows else None


def key_at(keys: Mapping[str, Sequence[str]], section: str, row: int | None) -> str:
    """The key of row ``row`` (1-based) of ``section``; empty when there is none."""
    rows = list(keys.get(section) or [])
    return rows[row - 1] if row is not None and 1 <= row <= len(rows) else ""
