"""Writers: the table in the official layout and as open data.

One registry (:data:`WRITERS`) maps an output file's extension to a function giving its bytes.
Every office format is drawn from the one layout description in :mod:`jixiao.write.layout`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

from jixiao.findings import Report
from jixiao.model import TargetTable
from jixiao.write.text import write_text

Writer = Callable[[TargetTable, Report | None], bytes]


def _json(table: TargetTable, report: Report | None) -> bytes:
    return (table.to_json() + "\n").encode()


def _text(table: TargetTable, report: Report | None) -> bytes:
    return write_text(table).encode()


def _html(table: TargetTable, report: Report | None) -> bytes:
    from jixiao.write.html import write_html

    return write_html(table).encode()


def _xlsx(table: TargetTable, report: Report | None) -> bytes:
    from jixiao.write.xlsx import write_xlsx

    return write_xlsx(table, report)


def _docx(table: TargetTable, report: Report | None) -> bytes:
    from jixiao.write.docx import write_docx

    return write_docx(table)


def _pdf(table: TargetTable, report: Report | None) -> bytes:
    from jixiao.write.pdf import write_pdf

    return write_pdf(table)


# Office writers are imported on first use: the command line stays quick for check and parse.
WRITERS: Final[dict[str, Writer]] = {
    ".json": _json,
    ".txt": _text,
    ".html": _html,
    ".htm": _html,
    ".xlsx": _xlsx,
    ".docx": _docx,
    ".pdf": _pdf,
}


class UnsupportedOutput(ValueError):
    """An output extension no writer handles."""


def write_bytes(table: TargetTable, suffix: str, report: Report | None = None) -> bytes:
    """The table as the bytes of a file with extension ``suffix``.

    ``report`` (the findings) goes into the XLSX's second sheet; without it the table is checked.
    """
    writer = WRITERS.get(suffix.lower())
    if writer is None:
        known = "、".join(sorted(WRITERS))
        raise UnsupportedOutput(f"不支持输出为“{suffix or '无扩展名'}”格式，可用：{known}")
    return writer(table, report)


def write_path(table: TargetTable, path: str | Path, report: Report | None = None) -> None:
    """Write the table to ``path`` in the format its extension names."""
    Path(path).write_bytes(write_bytes(table, Path(path).suffix, report))


__all__ = ["WRITERS", "UnsupportedOutput", "write_bytes", "write_path", "write_text"]
