"""The PDF reader (pdfplumber): tables over several pages, text that wraps inside cells.

Each page's tables are read cell by cell.  Inside a cell, a line that runs to the cell's right edge
and is followed at the normal line pitch was wrapped, and is joined to the next; a short line, or a
larger gap below it (a new paragraph), is a real line break.  Merged cells come back empty, as the
grid step expects.  Headings outside the tables give the title, the 绩效指标 heading and the note.
A PDF without a text layer, or whose text has no character map (``(cid:…)``), needs OCR and is
refused with a clear message.
"""

from __future__ import annotations

import io
import re
import statistics
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Final

from jixiao.findings import Location, ReadError
from jixiao.read.grid import GridRow, build_grid, is_form_text

MAX_PAGES: Final = 200
#: A line gap this much larger than the usual one starts a new paragraph.
PARAGRAPH_GAP: Final = 1.1
#: A line whose right end is nearer the cell's edge than this many font sizes was wrapped.
WRAP_GAP: Final = 3.0
_CELL_PADDING: Final = 1.0
#: Gaps narrower than this (points) are not spaces: typesetters put such gaps between 汉字 and
#: Latin letters or digits, and justify lines with them; typed spaces are real glyphs in the PDF.
_SPACE_GAP: Final = 8.0
#: A filled rectangle no wider (or taller) than this, in points, is a ruling, not a shading.
_RULING_WIDTH: Final = 2.5


def _letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def join_lines(lines: Sequence[dict[str, Any]], right_edge: float, pitch: float | None) -> str:
    """The text of a cell from its visual lines: wrapped lines joined, real breaks kept.

    ``pitch`` is the page's usual distance between wrapped lines; a larger gap is a new paragraph.
    """
    text = ""
    for index, line in enumerate(lines):
        content = line["text"]
        if index == 0:
            text = content
            continue
        previous = lines[index - 1]
        size = statistics.median(char["size"] for char in previous["chars"]) if previous["chars"] else 10.0
        near_edge = right_edge - previous["x1"] < WRAP_GAP * size
        same_paragraph = pitch is None or line["top"] - previous["top"] < PARAGRAPH_GAP * pitch
        if not (near_edge and same_paragraph):
            text += "\n" + content
        elif text and content and _letter(text[-1]) and _letter(content[0]):
            text += " " + content  # a Latin line breaks at a space
        else:
            text += content
    return text


def _lines(page: Any, bbox: tuple[float, float, float, float]) -> list[dict[str, Any]]:
    x0, top, x1, bottom = bbox
    inner = (x0 + _CELL_PADDING, top + _CELL_PADDING, x1 - _CELL_PADDING, bottom - _CELL_PADDING)
    if inner[0] >= inner[2] or inner[1] >= inner[3]:
        return []
    cropped = page.crop(inner, strict=False)
    # Not stripped: a typed space where a line wraps must survive the join.
    lines: list[dict[str, Any]] = cropped.extract_text_lines(strip=False, return_chars=True, x_tolerance=_SPACE_GAP)
    return lines


def _usual_pitch(cells: Sequence[Sequence[dict[str, Any]]]) -> float | None:
    """The most common distance between consecutive lines in the page's cells (wrapped lines)."""
    pitches = [round(b["top"] - a["top"], 1) for lines in cells for a, b in pairwise(lines)]
    if not pitches:
        return None
    return min(Counter(pitches).most_common(), key=lambda item: (-item[1], item[0]))[0]


def _ruling_edges(page: Any) -> dict[str, Any]:
    """Table settings that use only the page's rulings: lines, and rectangles thin enough to be one.

    Cell backgrounds are filled rectangles too; taken as rulings (pdfplumber's default) a shading
    that covers part of a cell would split its row.
    """
    from pdfplumber.utils import line_to_edge, rect_to_edges

    edges = [line_to_edge(line) for line in page.lines]
    for rect in page.rects:
        if rect.get("stroke") or min(rect["width"], rect["height"]) <= _RULING_WIDTH:
            edges.extend(rect_to_edges(rect))
    return {
        "vertical_strategy": "explicit",
        "horizontal_strategy": "explicit",
        "explicit_vertical_lines": [edge for edge in edges if edge["orientation"] == "v"],
        "explicit_horizontal_lines": [edge for edge in edges if edge["orientation"] == "h"],
    }


@dataclass(slots=True)
class _Cell:
    right: float
    left: float
    lines: list[dict[str, Any]]
    pitch: float | None


@dataclass(slots=True)
class _Item:
    """A line of form text (``cells`` None) or a table row, as found on a page."""

    page: int
    top: float
    text: str = ""
    cells: list[_Cell | None] | None = None


def _page_items(page: Any, number: int) -> list[_Item]:
    """The form's text and every table row on a page, top to bottom."""
    tables = page.find_tables(_ruling_edges(page))
    boxes = [table.bbox for table in tables]

    def outside(obj: dict[str, Any]) -> bool:
        return not any(b[0] <= obj["x0"] <= b[2] and b[1] <= obj["top"] <= b[3] for b in boxes)

    items: list[_Item] = []
    for line in page.filter(outside).extract_text_lines(strip=True, x_tolerance=_SPACE_GAP):
        text = line["text"]
        if is_form_text(text):
            items.append(_Item(number, line["top"], text=text))
    rows = [row for table in tables for row in _table_rows(page, table)]
    pitch = _usual_pitch([cell[1] for _, cells in rows for cell in cells if cell is not None])
    for top, cells in rows:
        laid = [_Cell(c[0][2], c[0][0], c[1], pitch) if c is not None else None for c in cells]
        items.append(_Item(number, top, cells=laid))
    items.sort(key=lambda item: item.top)
    return items


Box = tuple[float, float, float, float]


def _table_rows(page: Any, table: Any) -> Iterator[tuple[float, list[tuple[Box, list[dict[str, Any]]] | None]]]:
    """A table's rows as (top, cells), each cell its box and lines, or None where merged away.

    pdfplumber gives a merged cell once, in its first row; a merged cell the page break cut has no
    ruling below it and is not found at all: its part of the column is read as a cell of its own.
    """
    boxes = [cell for row in table.rows for cell in row.cells if cell is not None]
    columns: dict[int, tuple[float, float]] = {}
    for row in table.rows:
        for index, cell in enumerate(row.cells):
            if cell is not None:
                columns.setdefault(index, (cell[0], cell[2]))
    for row in table.rows:
        cells: list[tuple[Box, list[dict[str, Any]]] | None] = []
        for index, cell in enumerate(row.cells):
            if cell is None and index in columns:
                left, right = columns[index]
                area = (left, row.bbox[1], right, row.bbox[3])
                middle = ((left + right) / 2, (row.bbox[1] + row.bbox[3]) / 2)
                covered = any(b[0] <= middle[0] <= b[2] and b[1] <= middle[1] <= b[3] for b in boxes)
                cell = None if covered else area
            cells.append((cell, _lines(page, cell)) if cell is not None else None)
        yield row.bbox[1], cells


def _continues(previous: _Item, row: _Item) -> bool:
    """True when ``row``, first on its page, is the rest of ``previous``, a row the page break split.

    The columns line up, and the row goes on only in cells that were already filled, while some
    cell that was filled (a 序号, an amount) has nothing more: a new row would have it.
    """
    before, after = previous.cells, row.cells
    if before is None or after is None or len(before) != len(after) or row.page != previous.page + 1:
        return False
    ended = False
    for old, new in zip(before, after, strict=True):
        if old is None or new is None:  # a merged cell on one page, a cell of its own on the other
            if (old is not None and old.lines) or (new is not None and new.lines):
                return False
            continue
        if abs(old.left - new.left) > 1.5 or abs(old.right - new.right) > 1.5:
            return False
        if new.lines and not old.lines:
            return False
        ended = ended or (bool(old.lines) and not new.lines)
    return ended and any(cell is not None and cell.lines for cell in after)


def _rows(items: list[_Item]) -> Iterator[tuple[int, list[str]]]:
    """Grid rows: rows split by a page break joined again, each cell's lines joined into text."""
    merged: list[_Item] = []
    for item in items:
        previous = next((m for m in reversed(merged) if m.cells is not None), None)
        first_on_page = not any(m.page == item.page and m.cells is not None for m in merged)
        if item.cells is not None and previous is not None and first_on_page and _continues(previous, item):
            assert previous.cells is not None
            for old, new in zip(previous.cells, item.cells, strict=True):
                if old is not None and new is not None:
                    old.lines = old.lines + new.lines
            continue
        merged.append(item)
    for item in merged:
        if item.cells is None:
            yield item.page, [item.text]
        else:
            yield item.page, [join_lines(c.lines, c.right, c.pitch) if c is not None else "" for c in item.cells]


def read_pdf_grid(data: bytes, source: str) -> list[GridRow]:
    """The grid of the tables in a PDF with a text layer."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except PDFPasswordIncorrect:
        raise ReadError("file-unreadable", Location("file"), source=source, reason="PDF 已加密，请先取消密码") from None
    except Exception as error:  # pdfminer raises many kinds for a damaged file
        raise ReadError(
            "file-unreadable", Location("file"), source=source, reason=f"不是有效的 PDF 文件（{type(error).__name__}）"
        ) from None
    with pdf:
        try:
            pages = pdf.pages
            if len(pages) > MAX_PAGES:
                raise ReadError(
                    "file-unreadable", Location("file"), source=source, reason=f"PDF 有 {len(pages)} 页，超过上限 {MAX_PAGES}"
                )
            if not any(page.chars for page in pages):
                raise ReadError("file-needs-ocr", Location("file"), source=source, problem="没有文字层（可能是扫描件）")
            if any("(cid:" in page.extract_text() for page in pages):
                raise ReadError("file-needs-ocr", Location("file"), source=source, problem="的文字缺少字符映射，无法取出")
            items = [item for number, page in enumerate(pages, start=1) for item in _page_items(page, number)]
            rows = list(_rows(items))
        except ReadError:
            raise
        except Exception as error:  # damaged content streams surface only while pages are read
            raise ReadError(
                "file-unreadable", Location("file"), source=source, reason=f"PDF 内容已损坏（{type(error).__name__}）"
            ) from None
    return build_grid(rows)
