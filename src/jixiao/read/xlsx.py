"""The XLSX reader (openpyxl, with defusedxml guarding the XML).

The first sheet that holds a label of the form is read; merged ranges are laid out through the
shared grid step.  Numbers come back as the text that was typed (``0.86075``, not a float).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Final

from jixiao.findings import Location, ReadError, unreadable
from jixiao.model import format_amount
from jixiao.read.grid import (
    MAX_GRID_CELLS,
    MAX_GRID_COLUMNS,
    MAX_GRID_ROWS,
    GridRow,
    GridTooLarge,
    SpannedCell,
    build_grid,
    expand_spans,
    form_score,
    number_text,
)
from jixiao.read.safety import open_zip


def cell_text(value: Any) -> str:
    """A spreadsheet cell's value as text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float | int):
        return number_text(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


_FORMULA: Final = re.compile(rb"<(?:\w+:)?f[ >]")
_MERGE_REF: Final = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3})(\d{1,7}):([A-Z]{1,3})(\d{1,7})"')


def _check_sheets(package: zipfile.ZipFile) -> bool:
    """Refuse merged ranges no form has (openpyxl would create a cell for every position).

    Returns whether any sheet holds a formula.
    """
    from openpyxl.utils.cell import column_index_from_string

    formulas = False
    for name in package.namelist():
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        xml = package.read(name)
        formulas = formulas or _FORMULA.search(xml) is not None
        for match in _MERGE_REF.finditer(xml):
            first_col, first_row, last_col, last_row = match.groups()
            rows = int(last_row) - int(first_row) + 1
            columns = (
                column_index_from_string(last_col.decode()) - column_index_from_string(first_col.decode()) + 1
            )
            if rows > MAX_GRID_ROWS or columns > MAX_GRID_COLUMNS or rows * columns > MAX_GRID_CELLS:
                raise GridTooLarge(f"合并单元格 {match.group(0).decode()[-30:]}")
    return formulas


def cell_value_text(value: Any, number_format: str) -> str:
    """A cell's value as the text a person sees: ``1`` formatted ``0%`` is ``100%``."""
    if isinstance(value, float | int) and not isinstance(value, bool) and "%" in number_format:
        return f"{format_amount((Decimal(number_text(value)) * 100).normalize())}%"
    decimals = _FIXED_DECIMALS.search(number_format)
    if isinstance(value, float | int) and not isinstance(value, bool) and decimals:
        # 3215.6 formatted 0.00 is shown, and was typed, as 3215.60; never rounded away
        number = Decimal(number_text(value))
        shown = number.quantize(Decimal(1).scaleb(-len(decimals.group(1))))
        if shown == number:
            return format_amount(shown)
    return cell_text(value)


#: A number format with a fixed count of decimals (``0.00``, ``#,##0.000``), in its first section.
_FIXED_DECIMALS: Final = re.compile(r"^[#,0]*0\.(0+)(?:;|$)")


def sheet_rows(sheet: Any, formulas: Any = None) -> list[list[str]]:
    """A worksheet's cells on a grid, merged ranges laid out; only the cells that exist are visited.

    ``formulas`` is the same sheet loaded with its formulas: a formula whose result the file does
    not hold (it was never calculated, as files written by programs often are) is read as the
    formula itself, so that the finding on that cell shows it instead of a silent blank.
    """
    merged = {(r.min_row, r.min_col): r for r in sheet.merged_cells.ranges}
    # Looked up once: indexing row_dimensions per cell would create an entry for every row.
    hidden = {number for number, row in sheet.row_dimensions.items() if row.hidden}
    cells = []
    for (row_number, column_number), cell in sheet._cells.items():  # openpyxl keeps only real cells here
        span = merged.get((row_number, column_number))
        value = cell.value
        if value is None and formulas is not None:
            value = formulas._cells.get((row_number, column_number), cell).value
        if value is None and span is None:
            continue
        if row_number in hidden:
            continue
        cells.append(
            SpannedCell(
                cell_value_text(value, cell.number_format or ""),
                row_number - 1,
                column_number - 1,
                span.max_row - span.min_row + 1 if span else 1,
                span.max_col - span.min_col + 1 if span else 1,
            )
        )
    return expand_spans(cells)


def best_sheet(sheets: Iterable[list[list[str]]], source: str) -> list[GridRow]:
    """The grid of the sheet with the most labels of the form."""
    scored = [
        (form_score(text for row in rows for text in row if text), index, rows)
        for index, rows in enumerate(sheets)
    ]
    score, _, rows = max(scored, key=lambda item: (item[0], -item[1]), default=(0, 0, []))
    if not score:
        raise ReadError("not-a-target-table", Location("file"), source=source)
    return build_grid((number, cells) for number, cells in enumerate(rows, start=1))


def read_xlsx_grid(data: bytes, source: str) -> list[GridRow]:
    """The grid of the form's sheet in an XLSX workbook (hidden sheets and rows are not read)."""
    import openpyxl  # imported here: it takes a while, and only this format needs it

    has_formulas = _check_sheets(open_zip(data, source))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=False)
        with_formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=False) if has_formulas else None
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise unreadable(source, "damaged", format="XLSX", error=type(error).__name__) from None
    sheets = [
        sheet_rows(sheet, with_formulas[sheet.title] if with_formulas is not None else None)
        for sheet in workbook.worksheets
        if sheet.sheet_state == "visible"
    ]
    return best_sheet(sheets, source)
