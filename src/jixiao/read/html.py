"""The HTML reader: a whole web page, or a fragment, holding the form's table(s).

Only tables that hold no other table and contain a label of the form are read (menus and layout
tables around them are not), with the title, the 绩效指标 heading and the note found among the
headings and paragraphs.  Scripts, styles and comments are dropped; nothing is fetched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from jixiao.findings import unreadable
from jixiao.read.grid import (
    MAX_GRID_COLUMNS,
    GridRow,
    SpannedCell,
    build_grid,
    expand_spans,
    form_score,
    is_form_text,
)
from jixiao.read.text import decode_text

if TYPE_CHECKING:
    from lxml import etree

_BLOCKS: Final = frozenset({"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"})
_TEXT_ELEMENTS: Final = (
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "caption",
    "p",
    "div",
    "span",
    "strong",
    "b",
    "td",
)
_NESTING: Final = frozenset(_TEXT_ELEMENTS) | {"table"}
_XML_DECLARATION: Final = re.compile(r"^\s*<\?xml[^>]*>")
#: rowspan/colspan beyond the grid's limits are clamped: the limits refuse what is left too large.
_MAX_SPAN: Final = MAX_GRID_COLUMNS


def element_text(element: etree._Element) -> str:
    """The text of an element with line breaks where ``<br>`` and block elements end."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if not isinstance(node.tag, str):  # comments, processing instructions
            if node.tail:
                parts.append(node.tail)
            return
        tag = node.tag.lower()
        if tag in {"script", "style", "template"}:
            parts.append(node.tail or "")
            return
        if tag == "br":
            parts.append("\n")
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
        if tag in _BLOCKS:
            parts.append("\n")
        if node.tail and node is not element:
            parts.append(node.tail)

    walk(element)
    text = "".join(parts).replace("\xa0", " ")
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _span(value: str | None, rest: int, *, zero_means_rest: bool) -> int:
    """A rowspan (``0`` and more than ``rest`` reach the end of its row group) or a colspan."""
    try:
        span = int(value or 1)
    except ValueError:
        return 1
    if span == 0 and zero_means_rest:
        return rest
    return min(max(span, 1), rest)


def table_rows(table: etree._Element) -> list[tuple[int, list[str]]]:
    """A table's rows on its full grid, spans laid out, each with its line in the source.

    A rowspan stops at the end of its row group (thead, tbody, tfoot), as browsers draw it.
    """
    cells: list[SpannedCell] = []
    occupied: set[tuple[int, int]] = set()
    rows = [row for row in table.iter("tr") if _owner(row) is table]
    group_end = list(range(len(rows)))  # the last row of each row's group
    for r in range(len(rows) - 2, -1, -1):
        if rows[r + 1].getparent() is rows[r].getparent():
            group_end[r] = group_end[r + 1]
    for r, row in enumerate(rows):
        column = 0
        for cell in row:
            if not isinstance(cell.tag, str) or cell.tag.lower() not in {"td", "th"}:
                continue
            while (r, column) in occupied:
                column += 1
            rowspan = _span(cell.get("rowspan"), group_end[r] - r + 1, zero_means_rest=True)
            colspan = _span(cell.get("colspan"), _MAX_SPAN, zero_means_rest=False)
            cells.append(SpannedCell(element_text(cell), r, column, rowspan, colspan))
            occupied.update((r + dr, column + dc) for dr in range(rowspan) for dc in range(colspan))
            column += colspan
    grid = expand_spans(cells)
    return [(_line(row), grid[r] if r < len(grid) else []) for r, row in enumerate(rows)]


def _line(node: etree._Element) -> int:
    line = node.sourceline
    return line if isinstance(line, int) else 0


def _owner(row: etree._Element) -> etree._Element | None:
    parent = row.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent


def _own_cells(table: etree._Element) -> Iterator[etree._Element]:
    """The cells of a table itself, not of tables nested in it."""
    for row in table.iter("tr"):
        if _owner(row) is table:
            yield from (
                cell for cell in row if isinstance(cell.tag, str) and cell.tag.lower() in {"td", "th"}
            )


def _is_form_table(table: etree._Element) -> bool:
    """A table whose own cells hold labels of the form (a layout table around one does not)."""
    own = (cell for cell in _own_cells(table) if not cell.findall(".//table"))
    return form_score(element_text(cell) for cell in own) > 0


def page_rows(root: etree._Element) -> Iterator[tuple[int, list[str]]]:
    """The rows the mapper reads, in document order: form text outside tables and the tables' rows."""
    tables = [table for table in root.iter("table") if _is_form_table(table)]
    # a table nested in a form table is part of a cell's text, not a table of its own
    tables = [
        table for table in tables if not any(other is not table and table in other.iter() for other in tables)
    ]
    inside = {node for table in tables for node in table.iter()}
    for node in root.iter():
        if node in inside and node.tag != "table":
            continue
        if node.tag == "table":
            if node in inside:
                yield from table_rows(node)
            continue
        if (
            isinstance(node.tag, str)
            and node.tag in _TEXT_ELEMENTS
            and not any(isinstance(child.tag, str) and child.tag in _NESTING for child in node)
        ):
            text = element_text(node)
            if text and is_form_text(text):
                yield _line(node), [text]


def read_html_grid(data: bytes, source: str) -> list[GridRow]:
    """The grid of an HTML page's bytes."""
    text = decode_text(data, source).replace("\x00", "")
    text = _XML_DECLARATION.sub("", text, count=1)
    from lxml import etree, html  # imported here: only this format needs it

    parser = html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True, huge_tree=False)
    try:
        root = html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError):
        raise unreadable(source, "damaged", format="HTML") from None
    return build_grid(page_rows(root))
