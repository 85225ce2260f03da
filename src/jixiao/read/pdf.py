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
import statistics
from collections.abc import Iterator, Sequence
from typing import Any, Final

from jixiao.findings import Location, ReadError
from jixiao.read.grid import GridRow, build_grid, is_form_text

MAX_PAGES: Final = 200
#: A line gap above this many font sizes starts a new paragraph (jixiao's own PDFs leave 1.5 mm).
PARAGRAPH_PITCH: Final = 1.65
#: A line whose right end is nearer the cell's edge than this many font sizes was wrapped.
WRAP_GAP: Final = 3.0
_CELL_PADDING: Final = 1.0


def _letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def join_lines(lines: Sequence[dict[str, Any]], right_edge: float) -> str:
    """The text of a cell from its visual lines: wrapped lines joined, real breaks kept."""
    text = ""
    for index, line in enumerate(lines):
        content = line["text"]
        if index == 0:
            text = content
            continue
        previous = lines[index - 1]
        size = statistics.median(char["size"] for char in previous["chars"]) if previous["chars"] else 10.0
        pitch = line["top"] - previous["top"]
        wrapped = right_edge - previous["x1"] < WRAP_GAP * size and pitch < PARAGRAPH_PITCH * size
        if not wrapped:
            text += "\n" + content
        elif text and content and _letter(text[-1]) and _letter(content[0]):
            text += " " + content  # a Latin line breaks at a space
        else:
            text += content
    return text


def _cell_text(page: Any, bbox: tuple[float, float, float, float]) -> str:
    x0, top, x1, bottom = bbox
    inner = (x0 + _CELL_PADDING, top + _CELL_PADDING, x1 - _CELL_PADDING, bottom - _CELL_PADDING)
    if inner[0] >= inner[2] or inner[1] >= inner[3]:
        return ""
    lines = page.crop(inner, strict=False).extract_text_lines(strip=True, return_chars=True)
    return join_lines(lines, x1)


def _page_rows(page: Any) -> Iterator[tuple[float, list[str]]]:
    """(top, cells) for the form's text and every table row on a page, in reading order."""
    tables = page.find_tables()
    boxes = [table.bbox for table in tables]

    def outside(obj: dict[str, Any]) -> bool:
        return not any(b[0] <= obj["x0"] <= b[2] and b[1] <= obj["top"] <= b[3] for b in boxes)

    items: list[tuple[float, list[str]]] = []
    for line in page.filter(outside).extract_text_lines(strip=True):
        if is_form_text(line["text"]):
            items.append((line["top"], [line["text"]]))
    for table in tables:
        for row in table.rows:
            cells = [_cell_text(page, cell) if cell is not None else "" for cell in row.cells]
            items.append((row.bbox[1], cells))
    items.sort(key=lambda item: item[0])
    yield from items


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
            rows: list[tuple[int, list[str]]] = []
            for number, page in enumerate(pages, start=1):
                rows.extend((number, cells) for _, cells in _page_rows(page))
        except ReadError:
            raise
        except Exception as error:  # damaged content streams surface only while pages are read
            raise ReadError(
                "file-unreadable", Location("file"), source=source, reason=f"PDF 内容已损坏（{type(error).__name__}）"
            ) from None
    return build_grid(rows)
