"""What every form made FROM an approved table shares (the self-evaluation, the monitoring report):
its page, and its workbook on one grid of columns.

:func:`form_page` draws a form's blocks as a standalone HTML page (the PDF is rendered from it);
:func:`form_workbook` lays them out on one sheet; :func:`fillable_workbook` makes the workbook a
department fills: the copied parts locked (sheet protection without a password: it guards against
slips, not people), the :class:`jixiao.write.layout.FillCell` cells unlocked and coloured, each
list of choices as a data validation, and the instructions on a sheet of their own.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from jixiao.write import xlsx
from jixiao.write.layout import Block, FillCell, placed_cells

#: The colour that marks a cell to fill.
FILL_COLOUR: Final = "FFF2CC"
_UNLOCKED: Final = Protection(locked=False)
_MARKED: Final = PatternFill("solid", fgColor=FILL_COLOUR)


def form_page(title: str, blocks: list[Block], captions: Sequence[str], mark: str = "") -> str:
    """The form's blocks as a standalone HTML page: its own tables (those without a name) take
    ``captions`` in turn (for screen readers), the first with the 金额单位 line above it."""
    from jixiao.write.html import block_html, page

    parts: list[str] = []
    own = iter(captions)
    first = captions[0] if captions else ""
    for block in blocks:
        caption = next(own, "") if block.kind == "table" and block.name == "" else ""
        if caption and caption == first:
            parts.append('<p class="unit">金额单位：万元</p>')
        part = block_html(block, caption=caption)
        if part:
            parts.append(part)
    return page(title, "\n".join(parts), mark)


def page_pdf(html: str) -> bytes:
    """A page of :func:`form_page` as a PDF (A4, fonts embedded)."""
    from jixiao.write.pdf import _weasyprint

    weasyprint, fonts = _weasyprint()
    pdf: bytes = weasyprint.HTML(string=html).write_pdf(font_config=fonts)
    return pdf


@dataclass(slots=True)
class _Sheet:
    """A form being laid out on a sheet: its column widths, row heights and the cells with lists."""

    sheet: Worksheet
    widths: tuple[float, ...]
    fillable: bool
    heights: dict[int, float] = field(default_factory=dict)
    lists: dict[tuple[tuple[str, ...], bool, str], list[str]] = field(default_factory=dict)

    def place(self, block: Block, top: int) -> int:
        """Write a table block with its first row at ``top``; returns the next row.  The form's own
        tables use the columns one to one; the approved table's blocks are spread over them as on
        the target table's own sheet."""
        if block.name in {"main", "indicators"}:
            columns = xlsx._physical_columns(block)
        else:
            columns = [(c, c) for c in range(block.columns)]
        sheet = self.sheet
        for r, c, cell in placed_cells(block):
            first_row, last_row = top + r, top + r + cell.rowspan - 1
            first_col, last_col = columns[c][0] + 1, columns[c + cell.colspan - 1][1] + 1
            xlsx._write_cell(sheet, first_row, first_col, cell)
            to_fill = self.fillable and isinstance(cell, FillCell)
            if to_fill and isinstance(cell, FillCell):
                target = sheet.cell(row=first_row, column=first_col)
                target.protection, target.fill = _UNLOCKED, _MARKED
                if cell.choices:
                    key = (cell.choices, cell.free, cell.fill)
                    self.lists.setdefault(key, []).append(target.coordinate)
            if (first_row, first_col) != (last_row, last_col):
                for row in range(first_row, last_row + 1):
                    for column in range(first_col, last_col + 1):
                        if (row, column) != (first_row, first_col):
                            sheet.cell(row=row, column=column).style = "jixiao-border"
                sheet.merged_cells.add(
                    CellRange(min_row=first_row, min_col=first_col, max_row=last_row, max_col=last_col)
                )
            width = sum(self.widths[first_col - 1 : last_col])
            lines = (
                xlsx._lines_needed(cell.text, width) if cell.role not in {"amount", "number", "seq"} else 1
            )
            if to_fill and cell.role == "goal":
                lines = max(lines, 4)  # room to write in
            per_row = lines * xlsx.LINE_HEIGHT / cell.rowspan + 4
            for row in range(first_row, last_row + 1):
                self.heights[row] = max(self.heights.get(row, 0.0), per_row)
        return top + len(block.rows)

    def text_row(self, row: int, block: Block) -> None:
        size = {"title": 16.0, "heading": 13.0}.get(block.kind, 9.0)
        cell = self.sheet.cell(row=row, column=1, value=block.text)
        cell.font = Font(name=xlsx.FONT_NAME, size=size, bold=block.kind != "note")
        cell.alignment = xlsx._ALIGN["text" if block.kind == "note" else "heading"]
        self.sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(self.widths))
        self.heights[row] = xlsx._lines_needed(block.text, sum(self.widths)) * size * 1.45 + 6

    def lay_out(self, blocks: list[Block], landscape: bool) -> None:
        sheet, row = self.sheet, 1
        for block in blocks:
            if block.kind == "table":
                row = self.place(block, row)
                continue
            if block.kind == "heading":
                sheet.row_breaks.append(Break(id=row))  # each part starts a page, as in the PDF
                row += 1
            elif block.kind == "note":
                row += 1
            if block.text:
                self.text_row(row, block)
                row += 1
        for index, width in enumerate(self.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        for number, height in self.heights.items():
            sheet.row_dimensions[number].height = round(height, 1)
        setup = sheet.page_setup
        setup.paperSize = sheet.PAPERSIZE_A4
        setup.orientation = "landscape" if landscape else "portrait"
        setup.fitToWidth = 1
        setup.fitToHeight = 0
        xlsx._fit_to_page(sheet)
        sheet.print_options.horizontalCentered = True
        sheet.print_title_rows = "1:1"


@dataclass(frozen=True, slots=True)
class ListText:
    """What a data-validation list tells the person filling a cell: its title, a prompt and the
    message shown when something else is typed."""

    title: str
    prompt: str
    error: str


def form_workbook(
    blocks: list[Block],
    sheet_title: str,
    widths: tuple[float, ...],
    *,
    fillable: bool = False,
    landscape: bool = False,
) -> tuple[Workbook, Worksheet, dict[tuple[tuple[str, ...], bool, str], list[str]]]:
    """A workbook with the form laid out on its first sheet, and the coordinates of the cells to
    fill that have lists (by their choices, whether the list only suggests, and their kind)."""
    workbook = Workbook()
    xlsx.add_styles(workbook)
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title
    laid = _Sheet(sheet, widths, fillable)
    laid.lay_out(blocks, landscape)
    return workbook, sheet, laid.lists


def fillable_workbook(
    blocks: list[Block],
    sheet_title: str,
    widths: tuple[float, ...],
    *,
    instructions_title: str,
    instructions: Sequence[str],
    list_texts: dict[str, ListText],
    landscape: bool = False,
) -> bytes:
    """The workbook a department fills (see the module's docstring); ``list_texts`` by a
    :class:`FillCell`'s ``fill``."""
    workbook, sheet, lists = form_workbook(blocks, sheet_title, widths, fillable=True, landscape=landscape)
    for (choices, free, kind), coordinates in lists.items():
        text = list_texts[kind]
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(choices) + '"',
            allow_blank=True,
            showErrorMessage=not free,  # a suggesting list lets several choices be written
            errorTitle=text.title,
            error=text.error,
            promptTitle=text.title,
            prompt=text.prompt,
            showInputMessage=True,
        )
        for coordinate in coordinates:
            validation.add(coordinate)
        sheet.add_data_validation(validation)
    sheet.protection.sheet = True
    sheet.protection.formatColumns = sheet.protection.formatRows = False  # widths may change
    notes = workbook.create_sheet(instructions_title)
    for number, line in enumerate(instructions, start=1):
        cell = notes.cell(row=number, column=1, value=line)
        cell.font = Font(name=xlsx.FONT_NAME, size=14 if number == 1 else 10.5, bold=number == 1)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        notes.row_dimensions[number].height = 22 if number == 1 else 48
    notes.column_dimensions["A"].width = 100
    notes.protection.sheet = True
    return saved(workbook)


def saved(workbook: Workbook) -> bytes:
    """The workbook's bytes."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
