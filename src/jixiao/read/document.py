"""Reading any document jixiao knows, told apart by its content: a target table, a
self-evaluation (:mod:`jixiao.read.selfeval`) or a monitoring report (:mod:`jixiao.read.monitoring`).

The readers of self-evaluations and monitoring reports (and their models) are imported when a
document of their kind is met: ``jixiao check`` on a folder of target tables starts without them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

from jixiao.findings import unreadable
from jixiao.profile import DEFAULT, Profile
from jixiao.read import (
    GRID_READERS,
    MAX_INPUT_BYTES,
    ReadResult,
    _from_rows,
    file_bytes,
    read_bytes,
    sniff_format,
)
from jixiao.read.cells import label_key
from jixiao.read.grid import GridRow, GridTooLarge

if TYPE_CHECKING:
    from jixiao.read.monitoring import MonitoringReadResult
    from jixiao.read.selfeval import SelfevalReadResult

    #: What :func:`read_document` gives: one of the three kinds.
    DocumentResult: TypeAlias = ReadResult | SelfevalReadResult | MonitoringReadResult

#: The labels of the indicator table that tell a 自评表 (both) and a 监控表 (both) from a target table.
_SELFEVAL_KEYS: Final = frozenset({label_key("实际完成值"), label_key("得分")})
_MONITORING_KEYS: Final = frozenset({label_key("全年预计完成值"), label_key("完成可能性")})


def grid_kind(rows: list[GridRow]) -> Literal["monitoring", "selfeval", "table"]:
    """What a grid holds: a 监控表 has 全年预计完成值 and 完成可能性, a 自评表 实际完成值 and 得分.

    Every target table is asked this, so only cells holding 值, 分 or 性 (the same in both scripts,
    whatever the spacing) are made label keys.
    """
    keys = {
        label_key(cell) for row in rows for cell in row.cells if "值" in cell or "分" in cell or "性" in cell
    }
    if keys >= _MONITORING_KEYS:
        return "monitoring"
    return "selfeval" if keys >= _SELFEVAL_KEYS else "table"


def _json_kind(data: bytes) -> str:
    """``monitoring``, ``selfeval`` or ``table``: a document made from an approved table has
    ``approved``, a monitoring report its ``month`` besides."""
    if b'"approved"' not in data[:65536]:
        return "table"
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return "selfeval"  # reported by the self-evaluation's JSON reader
    return "monitoring" if isinstance(document, dict) and "month" in document else "selfeval"


def read_document(data: bytes, source: str = "<输入>", profile: Profile = DEFAULT) -> DocumentResult:
    """Whatever ``data`` holds: a target table, a self-evaluation or a monitoring report, told
    apart by its content."""
    if len(data) > MAX_INPUT_BYTES:
        return read_bytes(data, source)  # refused there, with the size in the message
    kind = sniff_format(data, source)
    if kind == "json":
        json_kind = _json_kind(data)
        if json_kind == "monitoring":
            from jixiao.read.monitoring import monitoring_json

            return monitoring_json(data, source)
        if json_kind == "selfeval":
            from jixiao.read.selfeval import selfeval_json

            return selfeval_json(data, source)
        return read_bytes(data, source)
    if kind not in GRID_READERS:
        return read_bytes(data, source)
    try:
        rows = GRID_READERS[kind](data, source)
    except GridTooLarge as error:
        raise unreadable(source, "grid-too-large", size=error) from None
    except MemoryError:
        raise unreadable(source, "grid-too-large", size="超出内存") from None
    kind = grid_kind(rows)
    if kind == "monitoring":
        from jixiao.read.monitoring import monitoring_from_grid

        return monitoring_from_grid(rows, source)
    if kind == "selfeval":
        from jixiao.read.selfeval import selfeval_from_grid

        return selfeval_from_grid(rows, source, profile)
    return _from_rows(rows, source)


def read_document_path(path: str | Path, profile: Profile = DEFAULT) -> DocumentResult:
    """Whatever the file at ``path`` holds (see :func:`read_document`)."""
    return read_document(file_bytes(path), str(path), profile)
