"""The text reader: the published text form (``spec/seed.txt``) and text pulled out of other files.

Cells are separated by tabs; Markdown-style ``| a | b |`` rows are accepted too, and ``#``
headings become one-cell rows.  The bytes may be UTF-8 (with or without BOM), UTF-16 with a BOM,
or GB18030.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import Final

from jixiao.findings import unreadable
from jixiao.read.cells import cleaner_for
from jixiao.read.grid import GridRow, build_grid

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_text(data: bytes, source: str) -> str:
    """The text of ``data``: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise unreadable(source, "encoding", encoding=encoding) from None
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise unreadable(source, "not-text")


def _split(line: str) -> list[str]:
    stripped = line.strip(" ")
    if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
        cells = [cell.strip() for cell in stripped[1:-1].split("|")]
        if all(set(cell) <= set("-: ") for cell in cells):
            return []  # the |---|---| separator of a Markdown table
        return cells
    cells = line.split("\t")
    if "#" in line:
        filled = [cell.strip() for cell in cells if cell.strip()]
        if len(filled) == 1 and filled[0].startswith("#"):
            return [filled[0].lstrip("#").strip()]  # a Markdown heading
    return cells


_LINE_END: Final = re.compile(r"\r\n|\r|\n")


def text_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """``(line number, cells)`` for every line of ``text``.

    Only CR and LF end a line: Word's and Excel's soft breaks (U+000B, U+2028) stay inside their
    cell, where the model reads them as line breaks.
    """
    for number, line in enumerate(_LINE_END.split(text), start=1):
        yield number, _split(line)


def read_text_grid(data: bytes, source: str) -> list[GridRow]:
    """The grid of a text file's bytes."""
    text = decode_text(data, source)
    return build_grid(text_rows(text), clean=cleaner_for(text, markup=True))
