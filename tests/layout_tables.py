"""Each layout of ``shared/spec/LAYOUTS.md`` as a published table with merged cells, in every format.

A layout is described once, as the text a person would pull out of the published table (the
fixtures under ``tests/fixtures/layouts/``, and the seed's 揭阳 layout) plus the merges that text
lost: a run of empty cells at the start of a row is the cell above it spanning down (a merged
label such as 收入构成 or 产出指标), the last cell of a row spans to the table's width, and
``colspans`` names the few merges inside a row.  A one-cell line is a paragraph outside the tables
(the title, the 绩效指标 heading); a row of indicator headings starts a table of its own.

From that description this module builds the same table as HTML (``rowspan``/``colspan``), XLSX
(openpyxl, merged ranges), DOCX (python-docx, merged cells) and, through LibreOffice, PDF with
narrow columns so that cells wrap.  Nothing here is committed as a binary: tests build the files.
"""

from __future__ import annotations

import html
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from jixiao.read.cells import html_to_text, label_key
from jixiao.read.labels import INDICATOR_COLUMNS

FIXTURES = Path(__file__).parent / "fixtures"
LAYOUT_FIXTURES = FIXTURES / "layouts"


@dataclass(slots=True)
class Cell:
    """A cell as published: its text (lines split by ``\\n``) and the rectangle it covers."""

    text: str
    row: int
    column: int
    rowspan: int = 1
    colspan: int = 1


@dataclass(slots=True)
class Table:
    width: int
    height: int
    cells: list[Cell] = field(default_factory=list)

    def rows(self) -> list[list[Cell]]:
        """The cells that start in each row, left to right."""
        out: list[list[Cell]] = [[] for _ in range(self.height)]
        for cell in sorted(self.cells, key=lambda c: (c.row, c.column)):
            out[cell.row].append(cell)
        return out

    def grid(self) -> list[list[str]]:
        """The table as text taken from it shows it: a merged cell's text in its first position."""
        grid = [[""] * self.width for _ in range(self.height)]
        for cell in self.cells:
            grid[cell.row][cell.column] = cell.text
        return grid


Part = str | Table


@dataclass(slots=True)
class Layout:
    name: str
    parts: list[Part]
    #: The text the parts stand for (what the text reader reads).
    text: str

    @property
    def tables(self) -> list[Table]:
        return [part for part in self.parts if isinstance(part, Table)]


def _is_indicator_heading(cells: list[str]) -> bool:
    keys = [label_key(cell) for cell in cells if cell.strip()]
    return len(keys) >= 3 and sum(key in INDICATOR_COLUMNS for key in keys) >= 3


def _table(rows: list[tuple[int, list[str]]], colspans: dict[tuple[int, int], int]) -> Table:
    width = max(len(cells) for _, cells in rows)
    table = Table(width, len(rows))
    covered: dict[tuple[int, int], Cell] = {}
    for r, (line, raw) in enumerate(rows):
        texts = [html_to_text(text) for text in raw]
        leading = next((i for i, text in enumerate(texts) if text), len(texts))
        c = 0
        while c < len(texts):
            if (r, c) in covered:
                c += 1
                continue
            if r > 0 and c < leading and (r - 1, c) in covered and covered[(r - 1, c)].colspan == 1:
                above = covered[(r - 1, c)]
                above.rowspan += 1
                covered[(r, c)] = above
                c += 1
                continue
            # the last cell spans to the table's width; others as ``colspans`` says
            span = width - c if c == len(texts) - 1 else colspans.get((line, c), 1)
            cell = Cell(texts[c], r, c, colspan=span)
            table.cells.append(cell)
            for dc in range(span):
                covered[(r, c + dc)] = cell
            c += span
    return table


def layout_of(name: str, text: str, colspans: dict[tuple[int, int], int] | None = None) -> Layout:
    """The layout a table's text stands for; ``colspans`` maps (1-based line, column) to a span."""
    parts: list[Part] = []
    rows: list[tuple[int, list[str]]] = []

    def close() -> None:
        if rows:
            parts.append(_table(rows, colspans or {}))
            rows.clear()

    for line, content in enumerate(text.split("\n"), start=1):
        cells = content.split("\t")
        while cells and not cells[-1].strip():
            cells.pop()
        if not cells:
            continue  # a blank line: no part of a published table
        if len(cells) == 1 and not content.startswith("\t"):
            close()
            parts.append(cells[0].lstrip("#").strip())
            continue
        if _is_indicator_heading(cells):
            close()
        rows.append((line, content.split("\t")))
    close()
    return Layout(name, parts, text)


def text_of(layout: Layout) -> str:
    """The layout as the text pulled out of it: tab-separated cells, paragraphs as lines."""
    lines: list[str] = []
    for part in layout.parts:
        if isinstance(part, str):
            lines.append(part)
            continue
        for row in part.grid():
            cells = ["<br>".join(html.escape(line) for line in cell.split("\n")) for cell in row]
            while cells and not cells[-1]:
                cells.pop()
            lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def _seed_mended() -> str:
    """The seed (揭阳) as its layout prints it: the published text lost 产出指标 from the merged
    一级 cell, shifted one row's amount a column right and ran task 5's two numbered points into
    one line; here all three are as the form has them."""
    lines = (FIXTURES / "seed.txt").read_text(encoding="utf-8").split("\n")
    mended = []
    for line in lines:
        cells = line.split("\t")
        if len(cells) == 6 and cells[0] in {"", "其他需完成任务"} and cells[4] == "":
            del cells[4]  # 其他需完成任务's rows: the amount under its heading
        if cells[:2] == ["", "数量指标"]:
            cells[0] = "产出指标"
        mended.append("\t".join(cells).replace("能力。 2、", "能力。<br>2、"))
    return "\n".join(mended)


def layouts() -> dict[str, Layout]:
    """Every layout of LAYOUTS.md, by name (the report's ``layout`` names)."""
    fixture = {name: (LAYOUT_FIXTURES / f"{name}.txt").read_text(encoding="utf-8") for name in
               ("zhanjiang", "chongqing", "hunan", "hubei")}  # fmt: skip
    return {
        # 部门名称's value covers two columns, as in the seed's form.
        "jieyang": layout_of("jieyang", _seed_mended(), {(5, 1): 2, (10, 1): 4}),
        "zhanjiang": layout_of("zhanjiang", fixture["zhanjiang"], {(3, 1): 2}),
        "chongqing": layout_of("chongqing", fixture["chongqing"]),
        "hunan": layout_of("hunan", fixture["hunan"]),
        "hubei": layout_of("hubei", fixture["hubei"]),
    }


# ---------------------------------------------------------------------------------------------
# The formats


def to_html(layout: Layout) -> bytes:
    """A published page: the title as a heading, each table a ``<table>`` with its merges."""
    body: list[str] = []
    for index, part in enumerate(layout.parts):
        if isinstance(part, str):
            tag = "h1" if index == 0 else "p"
            body.append(f"<{tag}>{html.escape(part)}</{tag}>")
            continue
        rows = []
        for cells in part.rows():
            tds = []
            for cell in cells:
                spans = (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "") + (
                    f' colspan="{cell.colspan}"' if cell.colspan > 1 else ""
                )
                content = "<br>".join(html.escape(line) for line in cell.text.split("\n"))
                tds.append(f"<td{spans}>{content}</td>")
            rows.append("<tr>" + "".join(tds) + "</tr>")
        body.append('<table border="1" cellspacing="0">' + "".join(rows) + "</table>")
    page = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>部门预算公开</title></head>'
        "<body>" + "".join(body) + "</body></html>"
    )
    return page.encode()


def to_xlsx(layout: Layout, column_width: float = 12) -> bytes:
    """One sheet: paragraphs merged across the widest table, tables with merged ranges and borders."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Side

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "目标表"
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    width = max(table.width for table in layout.tables)
    for column in range(1, width + 1):
        sheet.column_dimensions[_letter(column)].width = column_width
    row = 1
    for part in layout.parts:
        if isinstance(part, str):
            sheet.cell(row=row, column=1, value=part).alignment = Alignment(horizontal="center")
            if width > 1:
                sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
            row += 1
            continue
        for r in range(part.height):  # style every position before merging (openpyxl's rule)
            for c in range(part.width):
                target = sheet.cell(row=row + r, column=c + 1)
                target.border, target.alignment = border, wrap
        for cell in part.cells:
            sheet.cell(row=row + cell.row, column=cell.column + 1, value=cell.text or None)
            if cell.rowspan > 1 or cell.colspan > 1:
                sheet.merge_cells(
                    start_row=row + cell.row,
                    start_column=cell.column + 1,
                    end_row=row + cell.row + cell.rowspan - 1,
                    end_column=cell.column + cell.colspan,
                )
        for r in range(part.height):
            sheet.row_dimensions[row + r].height = _row_height(part, r, column_width)
        row += part.height
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    # one page wide, as many pages long as it takes (Calc would cut columns off onto pages of their own)
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _row_height(table: Table, row: int, column_width: float) -> float:
    """Points a row needs for its wrapped text (Calc does not size rows of a file it opens)."""
    lines = 1
    for cell in table.cells:
        if cell.row != row or cell.rowspan > 1:
            continue
        room = column_width * cell.colspan - 1
        needed = sum(
            max(1, math.ceil(sum(2.0 if ord(ch) > 0x2E80 else 1.0 for ch in line) / room))
            for line in cell.text.split("\n")
        )
        lines = max(lines, needed)
    return lines * 15 + 4


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column)


def to_docx(layout: Layout, column_cm: float = 2.1, table_width_cm: float = 16.0) -> bytes:
    """A Word document with narrow tables (cells wrap), merged cells, each line a paragraph."""
    import docx
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = docx.Document()
    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)  # type: ignore[attr-defined]
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "Noto Sans CJK SC")
    for part in layout.parts:
        if isinstance(part, str):
            document.add_paragraph(part)
            continue
        table = document.add_table(rows=part.height, cols=part.width)
        table.style = "Table Grid"
        table.autofit = False
        column_width = Cm(min(column_cm, table_width_cm / part.width))
        for column in table.columns:
            column.width = column_width
        for cells in table.rows:
            for target in cells.cells:
                target.width = column_width
        for cell in part.cells:
            target = table.cell(cell.row, cell.column)
            if cell.rowspan > 1 or cell.colspan > 1:
                target = target.merge(table.cell(cell.row + cell.rowspan - 1, cell.column + cell.colspan - 1))
                target.width = column_width * cell.colspan  # else LibreOffice squeezes the columns
            first, *rest = target.paragraphs
            for extra in rest:
                extra._element.getparent().remove(extra._element)
            lines = cell.text.split("\n")
            first.text = lines[0]
            for line in lines[1:]:
                target.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
