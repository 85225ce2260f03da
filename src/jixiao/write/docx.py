"""The DOCX writer (python-docx): the official form as a Word document, merged cells included.

A4 portrait; 宋体 for Chinese text; the title, the main table, the 绩效指标 heading and table (its
heading row repeated on every page) and the 填报要求 note.
"""

from __future__ import annotations

import io
from typing import Any, Final, cast

import docx
from docx.document import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from jixiao.model import TargetTable
from jixiao.write.layout import Block, Cell, layout, placed_cells

FONT_NAME: Final = "宋体"
USABLE_WIDTH_MM: Final = 186
_ALIGN: Final = {
    "label": WD_ALIGN_PARAGRAPH.CENTER,
    "heading": WD_ALIGN_PARAGRAPH.CENTER,
    "amount": WD_ALIGN_PARAGRAPH.RIGHT,
    "number": WD_ALIGN_PARAGRAPH.RIGHT,
    "seq": WD_ALIGN_PARAGRAPH.CENTER,
    "short": WD_ALIGN_PARAGRAPH.CENTER,
    "text": WD_ALIGN_PARAGRAPH.LEFT,
    "goal": WD_ALIGN_PARAGRAPH.LEFT,
}


def _font(paragraph: Paragraph, size: float, bold: bool = False) -> None:
    for run in paragraph.runs:
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.name = FONT_NAME
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT_NAME)


def _fill(target: _Cell, cell: Cell) -> None:
    lines = cell.text.splitlines() or [""]
    first, *rest = target.paragraphs
    for extra in rest:  # a merged cell keeps the empty paragraphs of the cells it swallowed
        extra._element.getparent().remove(extra._element)
    first.text = lines[0]
    paragraphs = [first] + [target.add_paragraph(line) for line in lines[1:]]
    for paragraph in paragraphs:
        paragraph.alignment = _ALIGN[cell.role]
        paragraph.paragraph_format.space_after = Pt(0)
        _font(paragraph, 10.5, bold=cell.role in {"label", "heading"})
    target.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    if cell.role in {"label", "heading"}:
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:fill"), "F2F2F2")
        # in the schema's order (Word refuses cell properties out of order): before w:vAlign
        target._tc.get_or_add_tcPr().insert_element_before(
            cast(Any, shading),
            "w:noWrap",
            "w:tcMar",
            "w:textDirection",
            "w:tcFitText",
            "w:vAlign",
            "w:hideMark",
        )


def _table(document: Document, block: Block) -> Table:
    table = document.add_table(rows=len(block.rows), cols=block.columns)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    column_widths = [Mm(USABLE_WIDTH_MM * width / 100) for width in block.widths]
    for column, width in zip(table.columns, column_widths, strict=True):
        column.width = width  # the table grid, which LibreOffice and WPS follow
    for row in table.rows:
        for cell, width in zip(row.cells, column_widths, strict=True):
            cell.width = width  # each cell, which Word follows
    for r, c, cell in placed_cells(block):
        target = table.cell(r, c)
        if cell.rowspan > 1 or cell.colspan > 1:
            target = target.merge(table.cell(r + cell.rowspan - 1, c + cell.colspan - 1))
        _fill(target, cell)
    for index, row in enumerate(table.rows):
        properties = row._tr.get_or_add_trPr()
        properties.append(OxmlElement("w:cantSplit"))  # a row stays on one page
        if index < block.head_rows:
            header = OxmlElement("w:tblHeader")
            header.set(qn("w:val"), "true")
            properties.append(header)
    return cast(Table, table)


def _paragraph(document: Document, text: str, size: float, bold: bool, align: WD_ALIGN_PARAGRAPH) -> None:
    paragraph = document.add_paragraph(text)
    paragraph.alignment = align
    _font(paragraph, size, bold)


def write_docx(table: TargetTable) -> bytes:
    """The table as a Word document in the official layout."""
    return blocks_docx(layout(table))


def blocks_docx(blocks: list[Block]) -> bytes:
    """Laid-out blocks (a table's, a self-evaluation's) as a Word document."""
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(12)
    section.top_margin = section.bottom_margin = Mm(15)
    normal = document.styles["Normal"]
    normal.font.name = FONT_NAME
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT_NAME)
    for block in blocks:
        if block.kind == "title":
            if block.text:
                _paragraph(document, block.text, 16, True, WD_ALIGN_PARAGRAPH.CENTER)
        elif block.kind == "heading":
            _paragraph(document, block.text, 13, True, WD_ALIGN_PARAGRAPH.CENTER)
        elif block.kind == "note":
            _paragraph(document, block.text, 9, False, WD_ALIGN_PARAGRAPH.LEFT)
        else:
            _table(document, block)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
