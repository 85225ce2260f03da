"""Readers: every published form of the table into one :class:`TargetTable`.

One registry (:data:`GRID_READERS`) maps a format to the function that lays its bytes out as a grid
of cells; one mapper (:mod:`jixiao.read.mapper`) turns every grid into the table.  The format is
sniffed from the content, with the file name's extension as a hint.  Each reader either returns a
:class:`ReadResult` or raises :class:`ReadError` with a Chinese message — never anything else.
"""

from __future__ import annotations

import errno
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from jixiao.catalogue import JSON_PROBLEMS
from jixiao.findings import Finding, Location, ReadError, unreadable
from jixiao.layouts import UNKNOWN
from jixiao.model import TargetTable
from jixiao.read.docx import read_docx_grid
from jixiao.read.grid import GridRow, GridTooLarge
from jixiao.read.html import read_html_grid
from jixiao.read.mapper import map_grid
from jixiao.read.ole import doc_to_docx, ole_kind, read_xls_grid
from jixiao.read.pdf import read_pdf_grid
from jixiao.read.text import decode_text, read_text_grid
from jixiao.read.xlsx import read_xlsx_grid

#: The finding codes readers emit (the rules emit the others; ``tests/test_catalogue.py`` checks both).
READER_CODES: Final = frozenset(
    {
        "not-a-target-table",
        "file-unreadable",
        "file-too-large",
        "file-needs-ocr",
        "format-unsupported",
        "level1-inferred",
        "row-unrecognized",
        "cells-unplaced",
        "task-total-mismatch",
        "budget-total-mismatch",
        "comparator-absent",
        "amounts-in-yuan",
        "more-tables",
        "year-missing",
        "amount-invalid",
        "staff-count-invalid",
        "subordinate-units-invalid",
        # reading a self-evaluation (jixiao.read.selfeval)
        "not-a-selfeval",
        "rows-unmatched",
    }
)

#: Largest input accepted, in bytes.  Real tables are a few hundred kilobytes at most.
MAX_INPUT_BYTES: Final = 20 * 1024 * 1024


@dataclass(slots=True)
class ReadResult:
    """A table read from a source, and what the reader noticed on the way."""

    table: TargetTable
    source: str
    findings: list[Finding] = field(default_factory=list)
    #: The layout it was read in (``jixiao.layouts``): ``unknown`` for JSON and unfamiliar layouts.
    layout: str = UNKNOWN
    #: The parts of the form none of whose labels the source shows (``labels.PART_LABELS``).
    unprinted: frozenset[str] = frozenset()


#: What the operating system's refusal means, for the errors a file being read can meet.
_OS_PROBLEMS: Final = {
    errno.EIO: "磁盘读写出错",
    errno.ENAMETOOLONG: "文件名或路径过长",
    errno.ELOOP: "符号链接形成了循环",
    errno.EMFILE: "打开的文件过多",
    errno.ENFILE: "系统打开的文件过多",
    errno.ENXIO: "这是设备而不是普通文件",
    errno.ENODEV: "这是设备而不是普通文件",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.ENOMEM: "内存不足",
    errno.EBUSY: "文件正被占用",
    errno.ETXTBSY: "文件正被占用",
    errno.ESTALE: "网络文件系统上的文件已失效",
}

GridReader = Callable[[bytes, str], list[GridRow]]


def _from_grid(grid_reader: GridReader, data: bytes, source: str) -> ReadResult:
    return _from_rows(grid_reader(data, source), source)


def _from_rows(rows: list[GridRow], source: str) -> ReadResult:
    """A target table from a grid already laid out (see :func:`jixiao.read.selfeval.read_document`)."""
    mapped = map_grid(rows, source)
    return ReadResult(mapped.table, source, mapped.findings, mapped.layout, mapped.unprinted)


def _validation_reason(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(part) for part in item["loc"]) or "（根）"
        parts.append(f"{where}：{JSON_PROBLEMS.get(item['type'], JSON_PROBLEMS[''])}")
    more = f"等 {error.error_count()} 处" if error.error_count() > 5 else ""
    return "；".join(parts) + more


def read_json(data: bytes, source: str) -> ReadResult:
    """The canonical JSON form (``spec/README.md``)."""
    text = decode_text(data, source)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise unreadable(source, "json-syntax", line=error.lineno, column=error.colno) from None
    except RecursionError:
        raise unreadable(source, "json-depth") from None
    except ValueError:  # e.g. an integer of thousands of digits
        raise unreadable(source, "json-number") from None
    if not isinstance(document, dict) or not ({"department", "indicators"} & document.keys()):
        raise ReadError("not-a-target-table", Location("file"), source=source)
    try:
        table = TargetTable.model_validate(document)
    except ValidationError as error:
        raise unreadable(source, "json-fields", fields=_validation_reason(error)) from None
    return ReadResult(table, source, [])


#: Format → the function that lays its bytes out as a grid; JSON is read by :func:`read_json`.
GRID_READERS: Final[dict[str, GridReader]] = {
    "text": read_text_grid,
    "html": read_html_grid,
    "xlsx": read_xlsx_grid,
    "docx": read_docx_grid,
    "xls": read_xls_grid,
    "doc": lambda data, source: read_docx_grid(doc_to_docx(data, source), source),
    "pdf": read_pdf_grid,
}

#: File extensions → format; ``jixiao check`` walks folders for these.
EXTENSIONS: Final[dict[str, str]] = {
    ".txt": "text",
    ".text": "text",
    ".tsv": "text",
    ".md": "text",
    ".json": "json",
    ".pdf": "pdf",
    ".xlsx": "xlsx",
    ".docx": "docx",
    ".xls": "xls",
    ".doc": "doc",
    ".html": "html",
    ".htm": "html",
}


def _zip_kind(data: bytes, name: str) -> str:
    """XLSX or DOCX, from the names inside the package (they sit in its central directory)."""
    tail = data[-65536:]
    if b"xl/workbook" in tail or b"xl/worksheets" in tail:
        return "xlsx"
    if b"word/document" in tail:
        return "docx"
    return "docx" if EXTENSIONS.get(Path(name).suffix.lower()) == "docx" else "xlsx"


def sniff_format(data: bytes, name: str = "") -> str:
    """The format of ``data``: from its first bytes, else from the extension of ``name``."""
    head = data[:4096]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data, name)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return ole_kind(data, name)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{\\rtf"):
        return "rtf"
    if stripped.startswith(b"{"):
        return "json"
    if stripped.startswith(b"<"):
        lowered = data[:65536].lower()
        if b"<html" in lowered or b"<table" in lowered:
            return "html"  # also a web page saved under .xls or .doc, as some systems export
    return EXTENSIONS.get(Path(name).suffix.lower(), "text")


def read_bytes(data: bytes, source: str = "<输入>") -> ReadResult:
    """Read a table from ``data``; ``source`` names it in messages (a file name, an upload)."""
    if len(data) > MAX_INPUT_BYTES:
        raise ReadError(
            "file-too-large",
            Location("file"),
            source=source,
            size=_size(len(data)),
            limit=_size(MAX_INPUT_BYTES),
        )
    kind = sniff_format(data, source)
    if kind == "rtf":
        raise unreadable(source, "rtf", code="format-unsupported")
    if kind == "json":
        return read_json(data, source)
    try:
        return _from_grid(GRID_READERS[kind], data, source)
    except GridTooLarge as error:
        raise unreadable(source, "grid-too-large", size=error) from None
    except MemoryError:  # a crafted file that slipped past the limits: refuse it, keep running
        raise unreadable(source, "grid-too-large", size="超出内存") from None


def read_path(path: str | Path) -> ReadResult:
    """Read the table in the file at ``path``."""
    return read_bytes(file_bytes(path), str(path))


def file_bytes(path: str | Path) -> bytes:
    """The bytes of the file at ``path``, or :class:`ReadError` saying in Chinese why not."""
    source = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_INPUT_BYTES:
            raise ReadError(
                "file-too-large",
                Location("file"),
                source=source,
                size=_size(size),
                limit=_size(MAX_INPUT_BYTES),
            )
        data = Path(path).read_bytes()
    except OSError as error:
        if isinstance(error, FileNotFoundError):
            raise unreadable(source, "not-found") from None
        if isinstance(error, PermissionError):
            raise unreadable(source, "no-permission") from None
        if isinstance(error, IsADirectoryError):
            raise unreadable(source, "is-folder") from None
        problem = _OS_PROBLEMS.get(
            error.errno or 0, f"系统错误号 {error.errno}" if error.errno else "原因不明"
        )
        raise unreadable(source, "os", error=problem) from None
    return data


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MiB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KiB"


__all__ = [
    "EXTENSIONS",
    "GRID_READERS",
    "MAX_INPUT_BYTES",
    "READER_CODES",
    "ReadResult",
    "decode_text",
    "read_bytes",
    "read_path",
    "sniff_format",
]
