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
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Final

from jixiao.catalogue import OCR_PROBLEMS
from jixiao.findings import Location, ReadError, unreadable
from jixiao.read.grid import GridRow, build_grid, is_form_text

MAX_PAGES: Final = 200
#: Characters on one page beyond any real form (a crafted content stream drawn again and again);
#: the densest page of a real table holds about 700.
MAX_PAGE_CHARACTERS: Final = 10_000
#: Characters in the whole document beyond any real table (the seed has about 2,000): the budget a
#: cheap counting pass spends before anything is laid out, so that a crafted file costs its reader
#: under a second instead of minutes.
MAX_CHARACTERS: Final = 40_000
#: White space between two lines this much (in font sizes) beyond the usual one starts a new
#: paragraph.  Measured between the lines' glyph boxes, not from top to top: a line of Latin
#: digits set in another font than the 汉字 around it has a smaller box and a smaller pitch, and
#: taken as the usual pitch it made every wrapped line of 汉字 look like a new paragraph.
PARAGRAPH_GAP: Final = 0.35
#: A line that starts with the number of an item (1、 2. （1） 一、 ①) after a line that ends a
#: sentence (。！？：) starts a new line: a cell's numbered points are paragraphs even where the PDF
#: sets them no further apart than a wrap.  After ；or ， it may be a wrap inside one paragraph of
#: points (1、…；2、…), as published text has them, so there the usual tests decide.
_NUMBERED: Final = re.compile(
    r"^\s*(?:\d{1,2}[、．.](?!\d)|[（(](?:\d{1,2}|[一二三四五六七八九十]{1,3})[)）]"
    r"|[一二三四五六七八九十]{1,3}、|[\u2460-\u2473\u2776-\u277f])"
)
#: A line whose right end is nearer the cell's edge than this many font sizes was wrapped.
WRAP_GAP: Final = 3.0
_CELL_PADDING: Final = 1.0
#: Gaps narrower than this (points) are not spaces: typesetters put such gaps between 汉字 and
#: Latin letters or digits, and justify lines with them; typed spaces are real glyphs in the PDF.
_SPACE_GAP: Final = 8.0
#: A filled rectangle no wider (or taller) than this, in points, is a ruling, not a shading.
_RULING_WIDTH: Final = 2.5
#: Text that ends nearer the cell's bottom than this many font sizes runs to the bottom.
_CUT_GAP: Final = 1.2
#: Column edges this close (points) are the same edge.
_SAME_EDGE: Final = 2.0
#: Text that starts this near (points) left of a table may be a cell of it whose rulings are gone.
_BESIDE: Final = 200.0


def _letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


_PADDING_SIZES: Final = 0.6
_SENTENCE_END: Final = ("。", "！", "？", "：", "!", "?", ":")
#: Characters a line may not start with (they stay with the character before: 行首禁则), and ones it
#: may not end with (they go with the character after).
_NO_LINE_START: Final = frozenset("，。、；：！？）》”’」』】〕…%,.;:!?)]}")
_NO_LINE_END: Final = frozenset("（《“‘「『【〔([{")


def _word_did_not_fit(previous: dict[str, Any], line: dict[str, Any], right_edge: float) -> bool:
    """True when the first unbreakable piece of ``line`` is wider than the room ``previous`` left:
    the line was wrapped there, though it ends short of the cell's edge.

    The piece is a run of Latin letters and digits (``7×24``, ``2020``) with the 汉字 after it, as
    LibreOffice keeps ``2020年`` together, or one 汉字; with the punctuation bound to either.
    """
    chars = [char["text"] for char in line["chars"]]
    if not chars:
        return False
    end = 0
    while end + 1 < len(chars) and chars[end] in _NO_LINE_END:
        end += 1
    if _latin(chars[end]):
        while end + 1 < len(chars) and _latin(chars[end + 1]):
            end += 1
        if end + 1 < len(chars) and not chars[end + 1].isspace():
            end += 1
    while end + 1 < len(chars) and chars[end + 1] in _NO_LINE_START:
        end += 1
    width = float(line["chars"][end]["x1"]) - float(line["chars"][0]["x0"])
    # the cell's inner padding is unknown: programs use about half a font size
    return float(previous["x1"]) + width > right_edge - _PADDING_SIZES * _size(previous)


def _latin(char: str) -> bool:
    return bool(char) and ord(char[0]) < 0x2E80 and not char.isspace() and char not in _NO_LINE_START


def _gap(upper: dict[str, Any], lower: dict[str, Any]) -> float:
    """The white space between two lines, in font sizes of the upper one."""
    return (float(lower["top"]) - float(upper["bottom"])) / _size(upper)


def join_lines(lines: Sequence[dict[str, Any]], right_edge: float, pitch: float | None, spaced: bool) -> str:
    """The text of a cell from its visual lines: wrapped lines joined, real breaks kept.

    ``pitch`` is the document's usual white space between wrapped lines, in font sizes.  Where the
    document sets paragraphs apart (``spaced``, as jixiao's own PDFs do), a larger gap is a break
    and anything else a wrap.  Elsewhere a line that ends short of the cell's right edge is a break
    too.  A line that starts with an item's number (2、 （1）) is a break wherever it stands.
    """
    text = ""
    for index, line in enumerate(lines):
        content = line["text"]
        if index == 0:
            text = content
            continue
        previous = lines[index - 1]
        size = statistics.median(char["size"] for char in previous["chars"]) if previous["chars"] else 10.0
        same_paragraph = pitch is None or _gap(previous, line) < pitch + PARAGRAPH_GAP
        near_edge = right_edge - previous["x1"] < WRAP_GAP * size
        numbered = text.endswith(_SENTENCE_END) and _NUMBERED.match(content) is not None
        if (
            not (same_paragraph and (spaced or near_edge or _word_did_not_fit(previous, line, right_edge)))
            or numbered
        ):
            text += "\n" + content
        elif text and content and _letter(text[-1]) and _letter(content[0]):
            text += " " + content  # a Latin line breaks at a space
        else:
            text += content
    return text


def _spaced(cells: Sequence[Sequence[dict[str, Any]]], pitch: float | None) -> bool:
    """True when some cell sets its lines apart by more than the usual gap: paragraphs are spaced."""
    return pitch is not None and any(
        _gap(a, b) >= pitch + PARAGRAPH_GAP for lines in cells for a, b in pairwise(lines)
    )


def _find_tables(page: Any) -> list[Any]:
    """The page's tables, found from its rulings alone."""
    settings = _ruling_edges(page)
    if len(settings["explicit_vertical_lines"]) < 2 or len(settings["explicit_horizontal_lines"]) < 2:
        return []  # no rulings, no table on this page
    return list(page.find_tables(settings))


def _ruling_edges(page: Any) -> dict[str, Any]:
    """Table settings that use only the page's rulings: lines, and rectangles thin enough to be one.

    Cell backgrounds are filled rectangles too; taken as rulings (pdfplumber's default) a shading
    that covers part of a cell would split its row.
    """
    from pdfplumber.utils.geometry import line_to_edge, rect_to_edges

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


def _lines(page: Any, bbox: tuple[float, float, float, float]) -> list[dict[str, Any]]:
    x0, top, x1, bottom = bbox
    inner = (x0 + _CELL_PADDING, top + _CELL_PADDING, x1 - _CELL_PADDING, bottom - _CELL_PADDING)
    if inner[0] >= inner[2] or inner[1] >= inner[3]:
        return []
    cropped = page.crop(inner, strict=False)
    # Not stripped: a typed space where a line wraps must survive the join.
    lines: list[dict[str, Any]] = cropped.extract_text_lines(
        strip=False, return_chars=True, x_tolerance=_SPACE_GAP
    )
    return lines


def _size(line: dict[str, Any]) -> float:
    return float(line["chars"][0]["size"]) if line["chars"] else 10.0


def _usual_pitch(cells: Sequence[Sequence[dict[str, Any]]]) -> float | None:
    """The white space between wrapped lines, in font sizes: the smallest between consecutive lines.

    Paragraph breaks only ever add to it; lines closer than half a font size are not consecutive.
    Measured in font sizes, so a smaller note elsewhere does not set it.
    """
    pitches = [
        _gap(a, b) for lines in cells for a, b in pairwise(lines) if b["top"] - a["top"] > _size(a) / 2
    ]
    return min(pitches) if pitches else None


@dataclass(slots=True)
class _Cell:
    right: float
    left: float
    bottom: float
    lines: list[dict[str, Any]]
    #: Text beside a table with no rulings around it (:func:`_beside`): placed by where it stands.
    loose: bool = False

    @property
    def runs_on(self) -> bool:
        """True when the text may go on below: its last line fills the cell's width and its bottom.

        A short last line, or one that ends above the cell's bottom, is where the text ended.
        """
        if not self.lines:
            return False
        last = self.lines[-1]
        size = float(last["chars"][0]["size"]) if last["chars"] else 10.0
        bottom_gap, right_gap = self.bottom - float(last["bottom"]), self.right - float(last["x1"])
        return bottom_gap < _CUT_GAP * size and right_gap < WRAP_GAP * size


@dataclass(slots=True)
class _Item:
    """A line of form text (``cells`` None) or a table row, as found on a page.

    A row's cells are keyed by the left edge of their column while pages are read, then laid on
    one set of columns for the whole document (:func:`_align`).
    """

    page: int
    top: float
    text: str = ""
    columns: dict[float, _Cell | None] | None = None
    cells: list[_Cell | None] | None = None


def _page_items(page: Any, number: int) -> list[_Item]:
    """The form's text and every table row on a page, top to bottom."""
    tables = _find_tables(page)
    boxes = [table.bbox for table in tables]

    def outside(obj: dict[str, Any]) -> bool:
        return not any(b[0] <= obj["x0"] <= b[2] and b[1] <= obj["top"] <= b[3] for b in boxes)

    items: list[_Item] = []
    beside: dict[int, list[dict[str, Any]]] = {}
    for line in page.filter(outside).extract_text_lines(
        strip=True, x_tolerance=_SPACE_GAP, return_chars=True
    ):
        text = line["text"]
        table_index = None if is_form_text(text) else _beside(line, boxes)
        if table_index is not None:
            beside.setdefault(table_index, []).append(line)
        elif is_form_text(text):
            items.append(_Item(number, line["top"], text=text))
    for index, table in enumerate(tables):
        rows = _table_rows(page, table)
        for position, (top, cells) in enumerate(rows):
            laid = {
                left: _Cell(c[0][2], c[0][0], c[0][3], c[1]) if c is not None else None
                for left, c in cells.items()
            }
            if position == 0 and index in beside:
                lines = beside[index]
                left = min(float(line["x0"]) for line in lines)
                laid[left] = _Cell(boxes[index][0], left, float(lines[-1]["bottom"]), lines, loose=True)
            items.append(_Item(number, top, columns=laid))
    items.sort(key=lambda item: item.top)
    return items


def _beside(line: dict[str, Any], boxes: Sequence[Box]) -> int | None:
    """The table whose left edge ``line`` stands just before, within its height: a merged label cell
    that a page break cut (Calc draws it on the next page without rulings around it).  It belongs
    to the part of its column the page shows, whose first row holds it."""
    middle = (float(line["top"]) + float(line["bottom"])) / 2
    for index, (x0, top, _, bottom) in enumerate(boxes):
        if (
            top <= middle <= bottom
            and float(line["x1"]) <= x0 + _SAME_EDGE
            and x0 - float(line["x0"]) < _BESIDE
        ):
            return index
    return None


Box = tuple[float, float, float, float]
_Found = tuple[Box, list[dict[str, Any]]]


def _table_rows(page: Any, table: Any) -> list[tuple[float, dict[float, _Found | None]]]:
    """A table's rows as (top, cells by column's left edge), each cell its box and lines.

    pdfplumber gives a merged cell once, in its first row, and None below it.  A merged cell the
    page break cut has no ruling below it and is not found at all: the part of its column it
    covers (a run of positions no found cell covers) is read as one cell, in the run's first row.
    """
    rows = table.rows
    found = [cell for row in rows for cell in row.cells if cell is not None]
    columns: dict[int, tuple[float, float]] = {}
    for row in rows:
        for index, cell in enumerate(row.cells):
            if cell is not None:
                columns.setdefault(index, (cell[0], cell[2]))

    def orphan(r: int, index: int) -> bool:
        if rows[r].cells[index] is not None:
            return False
        x = sum(columns[index]) / 2
        y = (rows[r].bbox[1] + rows[r].bbox[3]) / 2
        return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in found)

    runs: dict[tuple[int, int], Box] = {}
    for index, (left, right) in columns.items():
        r = 0
        while r < len(rows):
            if orphan(r, index):
                start = r
                while r + 1 < len(rows) and orphan(r + 1, index):
                    r += 1
                runs[(start, index)] = (left, rows[start].bbox[1], right, rows[r].bbox[3])
            r += 1
    out: list[tuple[float, dict[float, _Found | None]]] = []
    for r, row in enumerate(rows):
        cells: dict[float, _Found | None] = {}
        for index, (left, _) in columns.items():
            box = row.cells[index] or runs.get((r, index))
            cells[left] = (box, _lines(page, box)) if box is not None else None
        out.append((row.bbox[1], cells))
    return out


def _align(items: list[_Item]) -> None:
    """Lay every row on one set of columns: pages and tables find different columns in their rows.

    A merged cell cut by a page break leaves a page without the column's rulings; aligning by the
    columns' left edges keeps every cell under its heading.
    """
    lefts = sorted(
        {
            left
            for item in items
            if item.columns
            for left, cell in item.columns.items()
            if not (cell and cell.loose)
        }
    )
    edges: list[float] = []
    for left in lefts:
        if not edges or left - edges[-1] > _SAME_EDGE:
            edges.append(left)
    for item in items:
        if item.columns is None:
            continue
        cells: list[_Cell | None] = [None] * len(edges)
        for left, cell in item.columns.items():
            column = bisect_right(edges, left + _SAME_EDGE) - 1
            if cell is not None and cell.loose and (column < 0 or cells[column] is not None):
                continue  # no column there after all: text beside the form, not in it
            cells[column] = cell
        item.cells = cells


def _continues(previous: _Item, row: _Item, above: Sequence[_Cell | None]) -> bool:
    """True when ``row``, first on its page, is the rest of ``previous``, a row the page break split.

    The columns line up; the row goes on only in cells whose text ran to the bottom right of the
    cell before (:attr:`_Cell.runs_on`), while some cell that was filled (a 序号, an amount) has
    nothing more: a new row would have it.  Where ``previous`` has no cell of its own (a label
    merged down from a row above, such as 年度主要任务), the rest may go on in that merged cell,
    ``above``, the last cell found in the column.
    """
    before, after = previous.cells, row.cells
    if before is None or after is None or len(before) != len(after) or row.page != previous.page + 1:
        return False
    ended = False
    for old, new, merged in zip(before, after, above, strict=True):
        if old is None and new is not None and new.lines:  # the rest of a merged label
            if merged is None or not merged.runs_on or abs(merged.left - new.left) > 1.5:
                return False
            continue
        if old is None or new is None:  # a merged cell on one page, a cell of its own on the other
            if old is not None and old.lines:
                return False
            continue
        if abs(old.left - new.left) > 1.5 or abs(old.right - new.right) > 1.5:
            return False
        if new.lines and not old.runs_on:
            return False
        ended = ended or (bool(old.lines) and not new.lines)
    return ended and any(cell is not None and cell.lines for cell in after)


def _rows(items: list[_Item]) -> Iterator[tuple[int, list[str]]]:
    """Grid rows: rows split by a page break joined again, each cell's lines joined into text."""
    merged: list[_Item] = []
    previous: _Item | None = None  # the last table row kept
    above: list[_Cell | None] = []  # per column, the last cell found (a merged cell covers below)
    seen: set[tuple[str, ...]] = set()
    for item in items:
        if item.cells is None:
            merged.append(item)
            continue
        if len(above) != len(item.cells):
            above = [None] * len(item.cells)
        signature = tuple("".join(line["text"] for line in c.lines) if c else "" for c in item.cells)
        repeated = signature in seen  # a heading row repeated on the new page
        seen.add(signature)
        if (
            previous is not None
            and previous.page != item.page
            and not repeated
            and _continues(previous, item, above)
        ):
            assert previous.cells is not None
            for index, (old, new) in enumerate(zip(previous.cells, item.cells, strict=True)):
                target = old if old is not None else above[index]
                if target is not None and new is not None:
                    target.lines = target.lines + new.lines
                    target.bottom = new.bottom  # it ends where its rest ends, which may go on again
            previous.page = item.page  # the row now ends on this page: the next may continue it
            continue
        merged.append(item)
        if not repeated:
            previous = item
            above = [cell if cell is not None else kept for cell, kept in zip(item.cells, above, strict=True)]
    texts = [cell.lines for item in merged for cell in item.cells or () if cell is not None]
    pitch = _usual_pitch(texts)
    spaced = _spaced(texts, pitch)
    for number, item in enumerate(merged, start=1):  # rows are numbered through the document
        if item.cells is None:
            yield number, [item.text]
        else:
            yield (
                number,
                [join_lines(c.lines, c.right, pitch, spaced) if c is not None else "" for c in item.cells],
            )


def _page_count(pdf: Any) -> int:
    """The page count the document declares, read before pdfplumber builds every page."""
    from pdfminer.pdftypes import resolve1

    pages = resolve1(pdf.doc.catalog.get("Pages"))
    count = resolve1(pages.get("Count")) if isinstance(pages, dict) else None
    return count if isinstance(count, int) and count >= 0 else MAX_PAGES + 1


class _OverBudget(Exception):
    """The counting pass went beyond its budget."""


def _count_characters(pdf: Any, pages: Sequence[Any], source: str) -> None:
    """Count every page's characters with a device that only counts (a tenth of the cost of laying
    them out), stopping as soon as a page or the document goes over its budget."""
    from pdfminer.pdfdevice import PDFTextDevice
    from pdfminer.pdfinterp import PDFPageInterpreter

    class Counter(PDFTextDevice):
        budget = 0
        count = 0

        def render_char(
            self,
            matrix: Any,
            font: Any,
            fontsize: float,
            scaling: float,
            rise: float,
            cid: int,
            ncs: Any,
            graphicstate: Any,
        ) -> float:
            self.count += 1
            if self.count > self.budget:
                raise _OverBudget
            return float(font.char_width(cid) * fontsize * scaling)

    device = Counter(pdf.rsrcmgr)
    interpreter = PDFPageInterpreter(pdf.rsrcmgr, device)
    total = 0
    for number, page in enumerate(pages, start=1):
        device.count = 0
        device.budget = min(MAX_PAGE_CHARACTERS, MAX_CHARACTERS - total)
        try:
            interpreter.process_page(page)
        except _OverBudget:
            if device.budget == MAX_PAGE_CHARACTERS:
                raise unreadable(source, "pdf-page-text", page=number, limit=MAX_PAGE_CHARACTERS) from None
            raise unreadable(source, "pdf-text", page=number, limit=MAX_CHARACTERS) from None
        total += device.count


def _real_pages(pdf: Any, source: str) -> list[Any]:
    """The document's pages as its page tree holds them (not as its /Count claims), refused beyond
    MAX_PAGES before any is read."""
    from itertools import islice

    from pdfminer.pdfpage import PDFPage

    pages = list(islice(PDFPage.create_pages(pdf.doc), MAX_PAGES + 1))
    if len(pages) > MAX_PAGES:
        raise unreadable(source, "pdf-pages", pages=f"{MAX_PAGES} 以上", limit=MAX_PAGES)
    return pages


def read_pdf_grid(data: bytes, source: str) -> list[GridRow]:
    """The grid of the tables in a PDF with a text layer."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as error:  # pdfminer raises many kinds for a damaged file, wrapped by pdfplumber
        if any(isinstance(cause, PDFPasswordIncorrect) for cause in (error, *error.args)):
            raise unreadable(source, "encrypted") from None
        raise unreadable(source, "damaged", format="PDF") from None
    try:
        with pdf:  # closing a damaged document can raise too
            count = _page_count(pdf)
            if count > MAX_PAGES:
                raise unreadable(source, "pdf-pages", pages=count, limit=MAX_PAGES)
            _count_characters(pdf, _real_pages(pdf, source), source)
            items: list[_Item] = []
            characters = 0
            for number, page in enumerate(pdf.pages, start=1):
                chars = page.chars
                characters += len(chars)
                if len(chars) > MAX_PAGE_CHARACTERS:
                    raise unreadable(source, "pdf-page-text", page=number, limit=MAX_PAGE_CHARACTERS)
                if any(char["text"].startswith("(cid:") for char in chars):
                    raise ReadError(
                        "file-needs-ocr", Location("file"), source=source, problem=OCR_PROBLEMS["no-unicode"]
                    )
                items.extend(_page_items(page, number))
                page.close()
            if not characters:
                raise ReadError(
                    "file-needs-ocr", Location("file"), source=source, problem=OCR_PROBLEMS["no-text"]
                )
            _align(items)
            rows = list(_rows(items))
    except ReadError:
        raise
    except Exception:  # damaged content streams surface only while pages are read
        raise unreadable(source, "pdf-content") from None
    return build_grid(rows)
