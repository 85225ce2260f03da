"""Reading any document jixiao knows, told apart by its content: a target table, a
self-evaluation (:mod:`jixiao.read.selfeval`) or a monitoring report (:mod:`jixiao.read.monitoring`)."""

from __future__ import annotations

import json
from pathlib import Path

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
from jixiao.read.grid import GridTooLarge
from jixiao.read.monitoring import (
    MonitoringReadResult,
    is_monitoring_grid,
    monitoring_from_grid,
    monitoring_json,
)
from jixiao.read.selfeval import SelfevalReadResult, is_selfeval_grid, selfeval_from_grid, selfeval_json

#: What :func:`read_document` gives: one of the three kinds.
DocumentResult = ReadResult | SelfevalReadResult | MonitoringReadResult


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
            return monitoring_json(data, source)
        if json_kind == "selfeval":
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
    if is_monitoring_grid(rows):
        return monitoring_from_grid(rows, source)
    if is_selfeval_grid(rows):
        return selfeval_from_grid(rows, source, profile)
    return _from_rows(rows, source)


def read_document_path(path: str | Path, profile: Profile = DEFAULT) -> DocumentResult:
    """Whatever the file at ``path`` holds (see :func:`read_document`)."""
    return read_document(file_bytes(path), str(path), profile)
