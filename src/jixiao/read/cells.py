"""Cell text: HTML in cells, labels, and the typed values readers take out of cells.

Every reader hands plain strings to the grid step; these helpers turn a cell into clean text, a
comparable label key, an amount or a count.  They never raise on odd input.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Final

import nh3
import opencc

from jixiao.model.values import compact, completed, parse_number, to_halfwidth
from jixiao.read.labels import (
    AMOUNT_SUFFIXES,
    COUNT_SUFFIXES,
    CUT_OFF_LABELS,
    NONE_WORD,
    PLACEHOLDERS,
)

# Only real markup is treated as HTML, so that a value such as ``<3`` or ``a<b`` stays text.
_HTML_HINT: Final = re.compile(
    r"</?(?:p|br|div|span|font|b|i|u|strong|em|li|ul|ol|table|tr|td|th|sup|sub|a|h[1-6])\b[^>]*>"
    r"|&(?:[a-zA-Z]{2,8}|#\d{1,7}|#x[0-9a-fA-F]{1,6});",
    re.IGNORECASE,
)
_BLOCK_END: Final = re.compile(r"<br\s*/?>|</(?:p|div|li|tr|h[1-6])\s*>", re.IGNORECASE)


#: Characters that take no room: pasted from web pages and Word, they break label matching.
_INVISIBLE: Final = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def plain_text(cell: str) -> str:
    """A cell's text without invisible characters, stripped."""
    return (cell if cell.isascii() else _INVISIBLE.sub("", cell)).strip()


def cleaner_for(text: str, markup: bool) -> Callable[[str], str]:
    """The cheapest cell cleaning that is right for every cell of ``text`` (a whole text export):
    no search for invisible characters when the text holds none, no HTML decoding when it holds no
    markup (``markup``: its cells may hold HTML)."""
    invisible = not text.isascii() and _INVISIBLE.search(text) is not None
    if markup and _HTML_HINT.search(text) is not None:
        return html_to_text if invisible else _stripped_markup_text
    return plain_text if invisible else str.strip


def html_to_text(cell: str) -> str:
    """Plain text of a cell that may hold HTML (a text export's cells do): block ends become line
    breaks, tags and scripts go.  Lines are stripped and blank lines dropped.
    """
    return _markup_text(plain_text(cell))


def _stripped_markup_text(cell: str) -> str:
    return _markup_text(cell.strip())


def _markup_text(cell: str) -> str:
    if ("<" not in cell and "&" not in cell) or _HTML_HINT.search(cell) is None:
        return cell
    marked = _BLOCK_END.sub("\n", cell)
    # nh3 (ammonia) drops every tag, and the contents of script/style, safely; what it returns is
    # HTML-escaped text.
    text = html.unescape(nh3.clean(marked, tags=set()))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


_LABEL_STRIP: Final = re.compile(r"[\s:*]+|[(](?:万元|元|个|人)[)]$")


_TO_SIMPLIFIED: Final = opencc.OpenCC("t2s")


@lru_cache(maxsize=8192)
def simplified(text: str) -> str:
    """``text`` in simplified script (部門(單位)名稱 → 部门(单位)名称), for matching labels and level
    names only: the cell's own text is kept as published."""
    return str(_TO_SIMPLIFIED.convert(text))


#: Labels are short; longer cells are content, never a label.
LABEL_MAX: Final = 40


def label_key(text: str) -> str:
    """A cell as a label to compare: width-folded, in simplified script, no white space, no colon,
    no leading ``*`` (a required field's mark), no ``(万元)``."""
    if len(text) > LABEL_MAX:
        return ""
    return _label_key(text)


def label_keys(cells: list[str]) -> list[str]:
    """:func:`label_key` of each cell (an empty cell's is empty): one call for a row."""
    key = _label_key
    return [key(cell) if cell and len(cell) <= LABEL_MAX else "" for cell in cells]


@lru_cache(maxsize=8192)
def _label_key(text: str) -> str:
    key = _LABEL_STRIP.sub("", simplified(to_halfwidth(text)))
    if key in CUT_OFF_LABELS:
        return key
    return completed(key, CUT_OFF_LABELS) or key


class Unreadable(str):
    """A cell value that should have been a number but is not; keeps the text for the message
    (shortened: a huge cell must not make a huge message)."""

    __slots__ = ()

    @classmethod
    def of(cls, text: str, limit: int = 40) -> Unreadable:
        text = text.strip()
        return cls(text if len(text) <= limit else text[: limit - 1] + "…")


def parse_amount(text: str) -> Decimal | Unreadable | None:
    """An amount in 万元 from a cell: full-width digits, thousands separators, ``万元`` accepted.

    Blank cells and placeholders (``-``, ``—``, ``/``, ``无``) are None; anything else that is no
    decimal comes back as :class:`Unreadable`.
    """
    folded = compact(to_halfwidth(text))
    for suffix in AMOUNT_SUFFIXES:
        folded = folded.removesuffix(suffix)
    folded = folded.lstrip("¥￥")
    if folded in PLACEHOLDERS:
        return None
    amount = parse_number(folded)
    return Unreadable.of(text) if amount is None else amount


def parse_count(text: str) -> int | Unreadable | None:
    """A whole number of people or units: ``43``, ``４３``, ``43人``, ``43.0`` (a spreadsheet's).

    ``无`` is 0; a blank cell or a dash is None.
    """
    folded = compact(to_halfwidth(text))
    for suffix in COUNT_SUFFIXES:
        folded = folded.removesuffix(suffix)
    if folded == NONE_WORD:
        return 0
    if folded in PLACEHOLDERS:
        return None
    number = parse_number(folded)
    if number is None or number != number.to_integral_value() or abs(number) > MAX_COUNT:
        return Unreadable.of(text)
    return int(number)


#: Larger than any count of people or units; beyond it a cell is a mistake (or an attack on the
#: integer conversion), not a count.
MAX_COUNT: Final = 10**8
