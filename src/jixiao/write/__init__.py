"""Writers: the table in the official layout and as open data.

One registry (:data:`WRITERS`) maps an output file's extension to a function giving its bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

from jixiao.model import TargetTable
from jixiao.write.text import write_text


def _json(table: TargetTable) -> bytes:
    return (table.to_json() + "\n").encode()


def _text(table: TargetTable) -> bytes:
    return write_text(table).encode()


Writer = Callable[[TargetTable], bytes]

WRITERS: Final[dict[str, Writer]] = {".json": _json, ".txt": _text}


class UnsupportedOutput(ValueError):
    """An output extension no writer handles."""


def write_bytes(table: TargetTable, suffix: str) -> bytes:
    """The table as the bytes of a file with extension ``suffix`` (``.json``, ``.txt``)."""
    writer = WRITERS.get(suffix.lower())
    if writer is None:
        known = "、".join(sorted(WRITERS))
        raise UnsupportedOutput(f"不支持输出为“{suffix or '无扩展名'}”格式，可用：{known}")
    return writer(table)


def write_path(table: TargetTable, path: str | Path) -> None:
    """Write the table to ``path`` in the format its extension names."""
    Path(path).write_bytes(write_bytes(table, Path(path).suffix))


__all__ = ["WRITERS", "UnsupportedOutput", "write_bytes", "write_path", "write_text"]
