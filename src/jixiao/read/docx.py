"""The DOCX reader (python-docx for the package, the table XML read directly).

python-docx repeats a merged cell in ``row.cells``; the grid is built from each ``w:tc``'s
``w:gridSpan`` and ``w:vMerge`` instead, so merged cells are laid out exactly once.  Paragraphs
between tables give the title, the 绩效指标 heading and the note.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from jixiao.findings import unreadable
from jixiao.read.grid import GridRow, SpannedCell, build_grid, expand_spans, is_form_text
from jixiao.read.safety import open_zip


def _w(tag: str) -> str:
    return "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}" + tag


def _paragraph_text(paragraph: Any) -> str:
    parts: list[str] = []
    for node in paragraph.iter(_w("t"), _w("br"), _w("cr"), _w("tab")):
        if node.tag == _w("t"):
            parts.append(node.text or "")
        elif node.tag == _w("tab"):
            parts.append(" ")
        else:
            parts.append("\n")
    return "".join(parts)


def _int(node: Any, default: int) -> int:
    try:
        return max(1, min(int(node.get(_w("val"))), 1000)) if node is not None else default
    except (TypeError, ValueError):
        return default


_WRAPPERS = (_w("sdt"), _w("customXml"), _w("smartTag"))


def _unwrapped(node: Any) -> Iterator[Any]:
    """The children of ``node`` in order, looking through content controls and custom XML."""
    for child in node.iterchildren():
        if child.tag in _WRAPPERS:
            content = child.find(_w("sdtContent")) if child.tag == _w("sdt") else child
            if content is not None:
                yield from _unwrapped(content)
        else:
            yield child


def _children(node: Any, tag: str) -> Iterator[Any]:
    """The unwrapped children with ``tag``."""
    return (child for child in _unwrapped(node) if child.tag == tag)


def _cell_text(cell: Any) -> str:
    """A cell's paragraphs, those of tables nested in it included, one per line."""
    return "\n".join(_paragraph_text(p) for p in cell.iter(_w("p")))


def table_rows(table: Any) -> list[list[str]]:
    """A ``w:tbl`` element's rows on its full grid."""
    cells: list[SpannedCell] = []
    for r, row in enumerate(_children(table, _w("tr"))):
        properties = row.find(_w("trPr"))
        column = _int(properties.find(_w("gridBefore")) if properties is not None else None, 0)
        for cell in _children(row, _w("tc")):
            cell_properties = cell.find(_w("tcPr"))
            span = _int(cell_properties.find(_w("gridSpan")), 1) if cell_properties is not None else 1
            merge = cell_properties.find(_w("vMerge")) if cell_properties is not None else None
            continued = merge is not None and merge.get(_w("val")) in (None, "continue")
            text = "" if continued else _cell_text(cell)
            cells.append(SpannedCell(text, r, column, 1, span))
            column += span
    return expand_spans(cells)


def body_rows(body: Any) -> Iterator[list[str]]:
    """Rows of the document body in order: form paragraphs and every table's rows."""
    for node in _unwrapped(body):
        if node.tag == _w("p"):
            text = _paragraph_text(node).strip()
            if text and is_form_text(text):
                yield [text]
        elif node.tag == _w("tbl"):
            yield from table_rows(node)
            yield []


def read_docx_grid(data: bytes, source: str) -> list[GridRow]:
    """The grid of a Word document's tables and form paragraphs."""
    import docx  # imported here: only this format needs it

    open_zip(data, source)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception:  # python-docx raises many kinds for a damaged package
        raise unreadable(source, "damaged", format="DOCX") from None
    rows = body_rows(document.element.body)
    return build_grid((number, cells) for number, cells in enumerate(rows, start=1))
