"""The XLSX writer: the official form on one sheet, the findings on a second.

Both tables of the layout share seven physical columns (the indicator table's); the main table's
columns are spread over them.  Styles are set on every cell of a range before it is merged, amounts
are numbers with as many decimals as they have, rows are as tall as their wrapped text needs
(merged cells never grow by themselves), and the sheet prints on A4, fit to width, title repeated.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import partial
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as OpenpyxlCell
from openpyxl.cell.cell import MergedCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import BaseModel

from jixiao.findings import SECTION_TITLES, Report
from jixiao.model import Budget, Department, Indicator, TargetTable, Task
from jixiao.write.layout import WARNING_FILLS, Block, Cell, layout, placed_cells

FONT_NAME: Final = "宋体"
#: Widths of the seven columns, in characters of the default font (a 汉字 counts two).
COLUMN_WIDTHS: Final = (12.0, 14.0, 26.0, 34.0, 8.0, 12.0, 9.0)
#: Widths of the optional indicator columns (``layout.INDICATOR_EXTRAS``), by heading.
EXTRA_WIDTHS: Final = {"指标权重": 9.0, "指标值类型": 10.0, "评(扣)分标准": 24.0}
LINE_HEIGHT: Final = 14.5  # points per line of 10.5 pt text
TABLE_COLUMNS: Final = 7
FINDINGS_SHEET: Final = "校验结果"
FORM_SHEET: Final = "目标表"

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_FONT = Font(name=FONT_NAME, size=10.5)
_BOLD = Font(name=FONT_NAME, size=10.5, bold=True)
_FILL = PatternFill("solid", fgColor="F2F2F2")
_ALIGN = {
    "label": Alignment(horizontal="center", vertical="center", wrap_text=True),
    "heading": Alignment(horizontal="center", vertical="center", wrap_text=True),
    "amount": Alignment(horizontal="right", vertical="center"),
    "number": Alignment(horizontal="right", vertical="center"),
    "seq": Alignment(horizontal="center", vertical="center"),
    "short": Alignment(horizontal="center", vertical="center", wrap_text=True),
    "text": Alignment(horizontal="left", vertical="center", wrap_text=True),
    "goal": Alignment(horizontal="left", vertical="center", wrap_text=True),
}


def _physical_columns(block: Block, width: int = TABLE_COLUMNS) -> list[tuple[int, int]]:
    """Logical column → the (first, last) physical column it covers, of ``width`` columns (seven,
    more where the indicator table has optional columns: the main table's last column widens)."""
    if block.name == "indicators" or block.columns == width:
        return [(c, c) for c in range(block.columns)]
    if block.columns == 5:
        return [(0, 0), (1, 1), (2, 2), (3, 4), (5, width - 1)]
    return [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, width - 1)]


def _column_widths(blocks: list[Block]) -> tuple[float, ...]:
    """The sheet's column widths: the seven, and one per optional indicator column."""
    indicators = next((b for b in blocks if b.name == "indicators"), None)
    extra = indicators.rows[0][TABLE_COLUMNS:] if indicators is not None and indicators.rows else []
    return (*COLUMN_WIDTHS, *(EXTRA_WIDTHS.get(cell.text, 12.0) for cell in extra))


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _lines_needed(text: str, width: float) -> int:
    usable = max(width - 1.5, 1.0)
    return sum(max(1, math.ceil(_display_width(line) / usable)) for line in text.splitlines() or [""])


def _number_format(amount: Decimal) -> str:
    exponent = amount.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def _named_styles() -> dict[str, NamedStyle]:
    """One named style per role: assigned by name, a cell's style costs one lookup, not four."""
    styles = {}
    for role, alignment in _ALIGN.items():
        heading = role in {"label", "heading"}
        styles[role] = NamedStyle(
            name=f"jixiao-{role}",
            font=_BOLD if heading else _FONT,
            fill=_FILL if heading else PatternFill(),
            border=_BORDER,
            alignment=alignment,
            number_format="@" if role in {"label", "heading", "text", "short", "goal"} else "General",
        )
    styles["border"] = NamedStyle(name="jixiao-border", border=_BORDER, font=_FONT)
    return styles


def _write_cell(sheet: Worksheet, row: int, column: int, cell: Cell) -> None:
    target = sheet.cell(row=row, column=column)
    target.style = f"jixiao-{cell.role}"
    if cell.colour:
        # the warning's shade; the cell's text is the colour's word (colour is never the only signal)
        target.fill = PatternFill("solid", fgColor=WARNING_FILLS[cell.colour])
        target.font = _BOLD
    if cell.role == "amount" and cell.amount is not None:
        target.value = cell.amount
        target.number_format = _number_format(cell.amount)
    elif cell.role in {"number", "seq"} and cell.text.lstrip("-").isdigit():
        target.value = int(cell.text)
    else:
        target.value = cell.text or None  # text cells are formatted "@": text stays text
        if cell.text.startswith("="):
            target.data_type = "s"  # text such as "=1+1" is text, never a formula


#: Called for each cell a block writes (the sheet's cell and the layout's): the lines of text it
#: needs at the least (a form's cell to write in wants room).
CellHook = Callable[[OpenpyxlCell | MergedCell, Cell], int]
#: A block's columns on the sheet: per layout column, the first and last sheet column (0-based).
ColumnMap = Callable[[Block], list[tuple[int, int]]]


def _write_block(
    sheet: Worksheet,
    block: Block,
    top: int,
    heights: dict[int, float],
    widths: tuple[float, ...] = COLUMN_WIDTHS,
    columns: list[tuple[int, int]] | None = None,
    each: CellHook | None = None,
) -> int:
    """Write a table block with its first row at sheet row ``top``; returns the next free row."""
    if columns is None:
        columns = _physical_columns(block, len(widths))
    for r, c, cell in placed_cells(block):
        first_row, last_row = top + r, top + r + cell.rowspan - 1
        first_col, last_col = columns[c][0] + 1, columns[c + cell.colspan - 1][1] + 1
        _write_cell(sheet, first_row, first_col, cell)
        least = each(sheet.cell(row=first_row, column=first_col), cell) if each is not None else 1
        if (first_row, first_col) != (last_row, last_col):
            # Every cell a range covers keeps its own border, so the merged cell is ruled all round;
            # added as a range (not merge_cells) openpyxl does not restyle the edges cell by cell.
            for row in range(first_row, last_row + 1):
                for column in range(first_col, last_col + 1):
                    if (row, column) != (first_row, first_col):
                        sheet.cell(row=row, column=column).style = "jixiao-border"
            sheet.merged_cells.add(
                CellRange(min_row=first_row, min_col=first_col, max_row=last_row, max_col=last_col)
            )
        width = sum(widths[first_col - 1 : last_col])
        lines = _lines_needed(cell.text, width) if cell.role not in {"amount", "number", "seq"} else 1
        per_row = max(lines, least) * LINE_HEIGHT / cell.rowspan + 4
        for row in range(first_row, last_row + 1):
            heights[row] = max(heights.get(row, 0.0), per_row)
    return top + len(block.rows)


def _text_row(
    sheet: Worksheet,
    row: int,
    text: str,
    font: Font,
    align: Alignment,
    heights: dict[int, float],
    widths: tuple[float, ...] = COLUMN_WIDTHS,
) -> None:
    sheet.cell(row=row, column=1, value=text).font = font
    sheet.cell(row=row, column=1).alignment = align
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(widths))
    heights[row] = _lines_needed(text, sum(widths)) * (font.size or 10.5) * 1.45 + 6


def _form_sheet(sheet: Worksheet, table: TargetTable) -> None:
    sheet.title = FORM_SHEET
    write_form(sheet, table)


def add_styles(workbook: Workbook) -> None:
    """Register the form's named styles in ``workbook`` (once, before :func:`write_form`)."""
    for style in _named_styles().values():
        workbook.add_named_style(style)


def write_form(sheet: Worksheet, table: TargetTable) -> None:
    """Lay ``table`` out in the official form on ``sheet`` (of a workbook given :func:`add_styles`):
    the cells, merges, widths, heights and print set-up; the sheet keeps its name."""
    blocks = layout(table)
    write_blocks(sheet, blocks, _column_widths(blocks))


def write_blocks(
    sheet: Worksheet,
    blocks: list[Block],
    widths: tuple[float, ...],
    *,
    landscape: bool = False,
    columns: ColumnMap | None = None,
    each: CellHook | None = None,
) -> None:
    """Lay laid-out blocks (a table's, a self-evaluation's, a monitoring report's) on ``sheet``
    over columns of ``widths``: cells, merges, widths, heights and print set-up.  ``columns``
    places a table block's columns (default: spread over the sheet's); ``each`` sees every cell."""
    heights: dict[int, float] = {}
    row = 1
    fonts = {
        "title": Font(name=FONT_NAME, size=16, bold=True),
        "heading": Font(name=FONT_NAME, size=13, bold=True),
        "note": Font(name=FONT_NAME, size=9),
    }
    for block in blocks:
        if block.kind == "table":
            placed = columns(block) if columns is not None else None
            row = _write_block(sheet, block, row, heights, widths, placed, each)
            continue
        if block.kind == "heading":
            sheet.row_breaks.append(Break(id=row))  # each part starts a page, as in the PDF
            row += 1
        elif block.kind == "note":
            row += 1
        if block.text:
            align = _ALIGN["text" if block.kind == "note" else "heading"]
            _text_row(sheet, row, block.text, fonts[block.kind], align, heights, widths)
            row += 1
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for number, height in heights.items():
        sheet.row_dimensions[number].height = round(height, 1)
    setup = sheet.page_setup
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.orientation = "landscape" if landscape else "portrait"
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    _fit_to_page(sheet)
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    if blocks and blocks[0].kind == "title" and blocks[0].text:
        sheet.print_title_rows = "1:1"
    footer = sheet.oddFooter
    if footer is not None and footer.center is not None:
        footer.center.text = "第 &P 页，共 &N 页"


def _fit_to_page(sheet: Worksheet) -> None:
    properties = sheet.sheet_properties.pageSetUpPr
    if properties is None:
        properties = sheet.sheet_properties.pageSetUpPr = PageSetupProperties()
    properties.fitToPage = True


#: Where a finding's field is defined, by section: its title names the 栏目 in Chinese.
_SECTION_MODELS: Final[dict[str, type[BaseModel]]] = {
    "department": Department,
    "budget": Budget,
    "tasks": Task,
    "indicators": Indicator,
}


def _field_title(section: str | None, field: str | None) -> str:
    """A field as the form names it (``project_expenditure`` → 项目支出)."""
    if not field:
        return ""
    info = _SECTION_MODELS.get(section or "", TargetTable).model_fields.get(field)
    return info.title if info is not None and info.title else field


def _findings_sheet(
    sheet: Worksheet,
    report: Report,
    sections: dict[str, str] = SECTION_TITLES,
    field_title: Callable[[str | None, str | None], str] = _field_title,
) -> None:
    """The findings, one a row: ``sections`` and ``field_title`` name the parts and fields of the
    document they are about (the target table's, or a self-evaluation's)."""
    headings: Sequence[str] = ("级别", "代码", "部分", "行", "栏目", "说明")
    sheet.append(list(headings))
    for cell in sheet[1]:
        cell.font, cell.fill, cell.border = _BOLD, _FILL, _BORDER
    for item in report.findings:
        location = item.location
        section = sections.get(location.section or "", "")
        sheet.append(
            [
                item.severity.label,
                item.code,
                section,
                location.row,
                field_title(location.section, location.field),
                item.message,
            ]
        )
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.font, cell.border = _FONT, _BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    for letter, width in zip("ABCDEF", (8, 30, 12, 6, 22, 80), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    _fit_to_page(sheet)
    sheet.print_title_rows = "1:1"


def write_xlsx(table: TargetTable, report: Report | None = None) -> bytes:
    """The table as an XLSX workbook: the form, and the findings (``report``, else a fresh check)."""
    if report is None:
        from jixiao.check import check_table

        report = check_table(table)
    workbook = Workbook()
    add_styles(workbook)
    sheet = workbook.active
    assert sheet is not None
    _form_sheet(sheet, table)
    _findings_sheet(workbook.create_sheet(FINDINGS_SHEET), report)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- season: many tables in one workbook ---------------------------------------------------------

SUMMARY_SHEET: Final = "汇总"
#: Characters a sheet name may not hold, and its length limit (Excel's).
_SHEET_NAME_FORBIDDEN: Final = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))
SHEET_NAME_LENGTH: Final = 31


def sheet_name(wanted: str, taken: set[str]) -> str:
    """``wanted`` as a sheet name Excel accepts, unlike every name in ``taken`` (compared as Excel
    does, ignoring case); added to ``taken``."""
    base = wanted.translate(_SHEET_NAME_FORBIDDEN).strip("'").strip() or "表"
    name, number = base[:SHEET_NAME_LENGTH], 1
    while name.casefold() in taken:
        number += 1
        suffix = f"（{number}）"
        name = base[: SHEET_NAME_LENGTH - len(suffix)] + suffix
    taken.add(name.casefold())
    return name


SummaryValue = str | int | Decimal | None


def write_workbook(
    tables: Sequence[tuple[str, TargetTable]],
    summary_headings: Sequence[str],
    summary_rows: Sequence[Sequence[SummaryValue]],
    summary_title: str = "",
    links: Sequence[int | None] = (),
) -> bytes:
    """One workbook: a summary sheet first (``summary_rows`` under ``summary_headings``, titled
    ``summary_title``), then each table of ``tables`` in the official form on a sheet named after
    it (``(name, table)``).  ``links[i]``: the index in ``tables`` whose sheet summary row ``i``'s
    first cell links to (None: no link)."""
    forms = [(name, partial(write_form, table=table)) for name, table in tables]
    return summary_workbook(forms, summary_headings, summary_rows, summary_title, links)


def summary_workbook(
    forms: Sequence[tuple[str, Callable[[Worksheet], None]]],
    summary_headings: Sequence[str],
    summary_rows: Sequence[Sequence[SummaryValue]],
    summary_title: str = "",
    links: Sequence[int | None] = (),
) -> bytes:
    """As :func:`write_workbook`, for any kind of form: ``forms`` is ``(name, write)``, where
    ``write(sheet)`` lays one document out on its own sheet (a self-evaluation's, a table's)."""
    workbook = Workbook()
    add_styles(workbook)
    summary = workbook.active
    assert summary is not None
    summary.title = SUMMARY_SHEET
    taken = {SUMMARY_SHEET.casefold()}
    names = []
    for name, write in forms:
        sheet = workbook.create_sheet(sheet_name(name, taken))
        write(sheet)
        names.append(sheet.title)
    targets = [names[i] if i is not None else None for i in links]
    _summary_sheet(summary, summary_headings, summary_rows, summary_title, targets)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _summary_value(target: Any, value: SummaryValue) -> None:
    if isinstance(value, Decimal):
        target.value = value
        target.number_format = _number_format(value)
    else:
        target.value = value
        if isinstance(value, str) and value.startswith("="):
            target.data_type = "s"  # text, never a formula


def _summary_sheet(
    sheet: Worksheet,
    headings: Sequence[str],
    rows: Sequence[Sequence[SummaryValue]],
    title: str,
    linked: Sequence[str | None],
) -> None:
    top = 1
    if title:
        sheet.cell(row=1, column=1, value=title).font = Font(name=FONT_NAME, size=14, bold=True)
        top = 3
    for column, heading in enumerate(headings, start=1):
        cell = sheet.cell(row=top, column=column, value=heading)
        cell.font, cell.fill, cell.border = _BOLD, _FILL, _BORDER
        cell.alignment = _ALIGN["heading"]
    for index, values in enumerate(rows):
        for column, value in enumerate(values, start=1):
            written = sheet.cell(row=top + 1 + index, column=column)
            _summary_value(written, value)
            written.font, written.border = _FONT, _BORDER
            written.alignment = Alignment(vertical="top", wrap_text=True)
        target = linked[index] if index < len(linked) else None
        if target is not None:
            first = sheet.cell(row=top + 1 + index, column=1)
            quoted = target.replace("'", "''")
            first.hyperlink = Hyperlink(
                ref=first.coordinate, location=f"'{quoted}'!A1", display=str(first.value)
            )
            first.font = Font(name=FONT_NAME, size=10.5, color="0B57D0", underline="single")
    for column, heading in enumerate(headings, start=1):
        longest = max(
            [_display_width(str(heading))]
            + [_display_width(str(r[column - 1] or "")) for r in rows if len(r) >= column]
        )
        sheet.column_dimensions[get_column_letter(column)].width = min(max(longest + 2, 8), 40)
    sheet.freeze_panes = f"A{top + 1}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    _fit_to_page(sheet)
    sheet.print_title_rows = f"{top}:{top}"
