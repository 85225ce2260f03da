"""Old binary Office files (OLE2 compound documents): XLS read with xlrd, DOC through LibreOffice.

The same container also holds password-protected XLSX/DOCX files (an ``EncryptedPackage``); those
are refused with a clear message.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any, Final

from jixiao.findings import Location, ReadError, unreadable
from jixiao.read.grid import (
    MAX_GRID_COLUMNS,
    MAX_GRID_ROWS,
    GridRow,
    GridTooLarge,
    SpannedCell,
    expand_spans,
    number_text,
)
from jixiao.read.xlsx import best_sheet, cell_text

#: How long LibreOffice may take to turn one .doc into .docx.
CONVERT_SECONDS: Final = 60


def _streams(data: bytes, source: str) -> list[str]:
    import xlrd.compdoc

    try:
        document = xlrd.compdoc.CompDoc(data, logfile=io.StringIO())
    except Exception:  # the compound-document parser raises its own kinds and others
        raise unreadable(source, "damaged", format="OLE 复合文档") from None
    return [entry.name for entry in document.dirlist]


def ole_kind(data: bytes, source: str) -> str:
    """``xls``, ``doc``, or a ReadError for an encrypted package or an unknown document."""
    streams = _streams(data, source)
    if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
        raise unreadable(source, "encrypted")
    if "Workbook" in streams or "Book" in streams:
        return "xls"
    if "WordDocument" in streams:
        return "doc"
    raise ReadError("not-a-target-table", Location("file"), source=source)


def read_xls_grid(data: bytes, source: str) -> list[GridRow]:
    """The grid of the form's sheet in an old Excel (.xls) workbook (hidden sheets are not read)."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, logfile=io.StringIO())
    except Exception as error:  # xlrd raises XLRDError and assorted others on damaged files
        if "encrypt" in str(error).lower():
            raise unreadable(source, "encrypted") from None
        raise unreadable(source, "damaged", format="XLS") from None
    sheets = (_sheet_rows(book, sheet) for sheet in book.sheets() if sheet.visibility == 0)
    return best_sheet(sheets, source)


def _sheet_rows(book: Any, sheet: Any) -> list[list[str]]:
    import xlrd

    spans = {}
    for first_row, end_row, first_col, end_col in sheet.merged_cells:
        if end_row > MAX_GRID_ROWS or end_col > MAX_GRID_COLUMNS:
            raise GridTooLarge(f"合并单元格 {end_row} 行 × {end_col} 列")
        spans[(first_row, first_col)] = (end_row - first_row, end_col - first_col)
    cells = []
    for r in range(min(sheet.nrows, MAX_GRID_ROWS)):
        for c in range(min(sheet.ncols, MAX_GRID_COLUMNS)):
            cell = sheet.cell(r, c)
            value = cell.value
            text = ""
            if cell.ctype == xlrd.XL_CELL_DATE and isinstance(value, float):
                try:
                    text = cell_text(xlrd.xldate.xldate_as_datetime(value, book.datemode))
                except (OverflowError, ValueError):  # a number typed into a date-formatted cell
                    text = number_text(value)
            elif cell.ctype == xlrd.XL_CELL_NUMBER and isinstance(value, float | int):
                text = number_text(value)
            elif cell.ctype == xlrd.XL_CELL_TEXT and isinstance(value, str):
                text = value
            rowspan, colspan = spans.get((r, c), (1, 1))
            if text or (r, c) in spans:
                cells.append(SpannedCell(text, r, c, rowspan, colspan))
    return expand_spans(cells)


def libreoffice() -> str | None:
    """The LibreOffice command, when it is installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


@cache
def _offline() -> list[str]:
    """A prefix that runs a command without network access (a network namespace), where allowed.

    A .doc can link pictures and files by URL; LibreOffice must not fetch them while converting.
    """
    tool = shutil.which("unshare")
    if tool is None:
        return []
    try:
        done = subprocess.run([tool, "-rn", "true"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [tool, "-rn"] if done.returncode == 0 else []


def doc_to_docx(data: bytes, source: str) -> bytes:
    """A Word 97–2003 document turned into DOCX by LibreOffice, which must be installed."""
    command = libreoffice()
    if command is None:
        raise unreadable(source, "doc-needs-libreoffice", code="format-unsupported")
    with tempfile.TemporaryDirectory(prefix="jixiao-doc-") as folder:
        original = Path(folder) / "input.doc"
        original.write_bytes(data)
        try:
            subprocess.run(
                [*_offline(), command, f"-env:UserInstallation=file://{folder}/profile", "--headless", "--norestore",
                 "--convert-to", "docx", "--outdir", folder, str(original)],
                capture_output=True, timeout=CONVERT_SECONDS, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise unreadable(source, "doc-timeout") from None
        converted = Path(folder) / "input.docx"
        if not converted.exists():
            raise unreadable(source, "doc-failed")
        return converted.read_bytes()
