"""The XLSX reader (openpyxl, with defusedxml guarding the XML).

The first sheet that holds a label of the form is read; merged ranges are laid out through the
shared grid step.  Numbers come back as the text that was typed (``0.86075``, not a float).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from jixiao.findings import Location, ReadError, unreadable
from jixiao.read.cells import label_key
from jixiao.read.grid import GridRow, SpannedCell, build_grid, expand_spans, number_text
from jixiao.read.labels import FIELD_LABELS, INDICATOR_COLUMNS, TASK_SECTION_LABELS
from jixiao.read.safety import open_zip

_SHEET_LABELS = frozenset(FIELD_LABELS) | frozenset(INDICATOR_COLUMNS) | frozenset(TASK_SECTION_LABELS)


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


def is_form_sheet(rows: list[list[str]]) -> bool:
    """True when a sheet's cells include a label of the form."""
    return any(label_key(text) in _SHEET_LABELS for row in rows for text in row if text)


def read_xlsx_grid(data: bytes, source: str) -> list[GridRow]:
    """The grid of the form's sheet in an XLSX workbook."""
    import openpyxl  # imported here: it takes a while, and only this format needs it

    open_zip(data, source)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise unreadable(source, "damaged", format="XLSX", error=type(error).__name__) from None
    for sheet in workbook.worksheets:
        merged = {
            (cell_range.min_row, cell_range.min_col): cell_range for cell_range in sheet.merged_cells.ranges
        }
        cells = []
        for row in sheet.iter_rows():
            for cell in row:
                row_number, column_number = cell.row or 1, cell.column or 1
                if cell.value is None and (row_number, column_number) not in merged:
                    continue
                span = merged.get((row_number, column_number))
                cells.append(
                    SpannedCell(
                        cell_text(cell.value),
                        row_number - 1,
                        column_number - 1,
                        span.max_row - span.min_row + 1 if span else 1,
                        span.max_col - span.min_col + 1 if span else 1,
                    )
                )
        rows = expand_spans(cells)
        if is_form_sheet(rows):
            return build_grid((number, cells) for number, cells in enumerate(rows, start=1))
    raise ReadError("not-a-target-table", Location("file"), source=source)
