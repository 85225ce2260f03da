"""Recognisers for the values written in a table: numbers, products, dates and date ranges.

Shared by the readers (which turn cells into model values) and the rules (which judge 指标值).
Everything here is exact (``Decimal``, never float), works on full-width text (``４．５``, ``１００％``)
and is cheap: the patterns are compiled once and the functions allocate little.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Final

#: Full-width ASCII (！ … ～) to ASCII, the ideographic space to a space, and the other minus and
#: percent signs seen in tables to ``-`` and ``%``.
_HALFWIDTH: Final = {chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)} | {
    "\u3000": " ",
    "\u2212": "-",
    "\ufe63": "-",
    "\ufe6a": "%",
}
_FOLDABLE_RE: Final = re.compile("[\uff01-\uff5e\u3000\u2212\ufe63\ufe6a]")

_NUMBER: Final = r"\d+(?:\.\d+)?"
_NUMBER_RE: Final = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?", re.ASCII)
_PRODUCT_RE: Final = re.compile(rf"{_NUMBER}(?:\s*[*×xX✕]\s*{_NUMBER})+", re.ASCII)

# A date: 2023.07, 2023-12-31, 2023/12/31, 2023年, 2023年度, 2023年12月, 12月31日, optionally
# followed by 初/底/末/上旬/中旬/下旬 and 前/内/以前/之前.  A range joins two dates with - — – ~ 至 到.
_NUMERIC_DATE: Final = r"\d{4}[./-]\d{1,2}(?:[./-]\d{1,2})?"
_CHINESE_DATE: Final = r"(?:\d{4}年)?\d{1,2}月(?:\d{1,2}[日号])?|\d{4}年度?"
_DATE: Final = rf"(?:{_NUMERIC_DATE}|{_CHINESE_DATE})(?:初|底|末|上旬|中旬|下旬)?(?:以前|之前|前|内)?"
_DATE_OR_RANGE_RE: Final = re.compile(rf"{_DATE}(?:\s*(?:—{{1,2}}|–|-{{1,2}}|~|至|到)\s*{_DATE})?", re.ASCII)


def to_halfwidth(text: str) -> str:
    """``text`` with full-width forms written as ASCII (``４．５％`` → ``4.5%``, ``（`` → ``(``)."""
    if text.isascii():
        return text
    # A regular expression finds the few full-width characters much faster than str.translate or
    # NFKC walk the whole text.
    return _FOLDABLE_RE.sub(_fold, text)


def _fold(match: re.Match[str]) -> str:
    return _HALFWIDTH[match.group()]


#: A narrow merged cell may show a label or level name cut off after its first line: a unique
#: beginning of this many characters or more is taken for the whole.
SHORTEST_CUT_OFF: Final = 4


def completed(beginning: str, whole: Iterable[str]) -> str | None:
    """The one name of ``whole`` that ``beginning`` (long enough) is the start of, else None."""
    if len(beginning) < SHORTEST_CUT_OFF:
        return None
    matches = [name for name in whole if name.startswith(beginning)]
    return matches[0] if len(matches) == 1 else None


def compact(text: str) -> str:
    """``text`` without any white space (also the ideographic space)."""
    return "".join(text.split())


def _clean(text: str) -> str:
    return to_halfwidth(text).strip()


def is_number(text: str) -> bool:
    """A decimal number: ``4``, ``98.5``, ``-1``, ``1,000``, ``４．５`` (no unit, no %)."""
    return _NUMBER_RE.fullmatch(_clean(text)) is not None


def parse_number(text: str) -> Decimal | None:
    """The exact value of a decimal number as :func:`is_number` accepts it, else None."""
    cleaned = _clean(text)
    if _NUMBER_RE.fullmatch(cleaned) is None:
        return None
    try:
        return Decimal(cleaned.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None


_LEADING_QUANTITY_RE: Final = re.compile(f"{_PRODUCT_RE.pattern}|{_NUMBER_RE.pattern}", re.ASCII)


def leading_quantity(text: str) -> int:
    """How many characters at the start of half-width ``text`` are a number or a product (0: none).

    ``≥`` already split off, ``4个`` → 1, ``7✕24小时`` → 4, ``1,200家`` → 5.
    """
    match = _LEADING_QUANTITY_RE.match(text)
    return match.end() if match else 0


def is_product(text: str) -> bool:
    """A product of numbers: ``7*24``, ``7×24``, ``5x8`` (round the clock, working days...)."""
    return _PRODUCT_RE.fullmatch(_clean(text)) is not None


def is_date_or_range(text: str) -> bool:
    """A date or a date range: ``2023年12月``, ``2023-12-31``, ``2023.07-2024.01``,
    ``2023年7月至2024年1月``, ``12月底前``."""
    return _DATE_OR_RANGE_RE.fullmatch(_clean(text)) is not None


def is_quantity(text: str) -> bool:
    """A value a numeric comparator can apply to: a number, a product, or a date or date range."""
    cleaned = _clean(text)
    return (
        _NUMBER_RE.fullmatch(cleaned) is not None
        or _PRODUCT_RE.fullmatch(cleaned) is not None
        or _DATE_OR_RANGE_RE.fullmatch(cleaned) is not None
    )


#: Units a count or measure is written with (培训500人, 三项, 7个工作日), longest first.
COUNT_UNITS: Final = tuple(
    sorted(
        (
            "人", "人次", "万人", "名", "户", "家", "个", "项", "次", "场", "期", "件", "台", "套", "篇",
            "份", "条", "批", "辆", "艘", "册", "本", "张", "处", "座", "间", "宗", "起", "所", "轮", "届",
            "天", "日", "工作日", "个工作日", "小时", "分钟", "秒", "周", "个月", "年",
            "元", "千元", "万元", "亿元", "分", "公里", "千米", "米", "平方米", "亩", "公顷", "吨", "万吨",
        ),
        key=len,
        reverse=True,
    )
)  # fmt: skip
_CHINESE_DIGITS: Final = "零〇一二两三四五六七八九十百千万亿"
# A Chinese numeral counting something (三项, 十余次, 两个, 一百二十人), or a percentage in words
# (百分之九十, 百分之百).  A numeral before anything but a unit (一体化, 进一步, 十四五规划) counts nothing.
_CHINESE_COUNT_RE: Final = re.compile(
    f"百分之([{_CHINESE_DIGITS}]+)|([{_CHINESE_DIGITS}]+)[余多]?(?:{'|'.join(COUNT_UNITS)})"
)
# 一 before these is an article more often than a count (一批, 一步, 一些).
_VAGUE_AFTER_ONE: Final = frozenset("批步些体是条")


def chinese_quantities(text: str, *, at_end: bool = False) -> list[Decimal]:
    """The counts written in Chinese numerals in ``text`` (``完成三项任务`` → [3]), checked by cn2an;
    ``at_end``: only one that ends the text (``培训人数五百人``)."""
    found = []
    for match in _CHINESE_COUNT_RE.finditer(text):
        if at_end and match.end() != len(text):
            continue
        percent, count = match.groups()
        numeral = percent or count
        if count == "一" and text[match.end(2) : match.end(2) + 1] in _VAGUE_AFTER_ONE:
            continue
        if percent == "百":  # 百分之百
            found.append(Decimal(100))
            continue
        # cn2an takes a quarter of a second to import: loaded only when a numeral is met, not by
        # every import of jixiao.
        import cn2an

        try:
            value = cn2an.cn2an(numeral, "normal")
        except (ValueError, KeyError):  # not a well-formed numeral (十四五)
            continue
        found.append(Decimal(str(value)))
    return found
