"""The indicator library (指标库): what a city's approved tables say about each 三级指标, and
suggestions ranked for what a filer is typing.

Pure functions and one in-memory index, no database: the web system stores the entries and hands
them to :class:`LibraryIndex`; tests and benchmarks use it directly.

- :func:`indicator_key` makes the names that mean the same indicator compare equal (white space,
  full-width forms, a target written into the name: ``服务对象满意度 ≥90%`` → ``服务对象满意度``).
- :func:`summarise` turns the uses of one indicator (unit, comparator, value of each row) into the
  counts and value ranges the library shows, and the typical unit, comparator and value it offers.
- :class:`LibraryIndex` ranks entries by how well they fit the 二级指标, the text typed (character
  bigrams and prefix, which suit Chinese) and how often the city uses them; a bureau's mark puts
  recommended entries first and keeps discouraged ones, with their warning, at the back.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final, Literal

from jixiao.model.framework import LEVEL1_OF, normalise_comparator
from jixiao.model.table import format_amount
from jixiao.model.values import compact, parse_number, to_halfwidth

Mark = Literal["", "recommended", "discouraged"]

#: A target written into the name: a comparator followed by a figure, to the end.
_TARGET_IN_NAME: Final = re.compile(
    r"\s*(?:[≥≤=<>≧≦]|大于等于|小于等于|不低于|不少于|不高于|不超过)\s*[\d.]+.*$"
)
_SPACE_BESIDE_WIDE: Final = re.compile(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])")
_EDGE_PUNCTUATION: Final = " \t\r\n。.;；,，:：、\"'“”‘’"
#: How many suggestions a query returns unless told.
DEFAULT_LIMIT: Final = 8
#: Below this text similarity an entry is not offered for what was typed.
MIN_SIMILARITY: Final = 0.25


def indicator_key(name: str) -> str:
    """The name an indicator is grouped under: no white space, half-width, no target in it."""
    text = to_halfwidth(name)
    text = _TARGET_IN_NAME.sub("", text)
    text = compact(text).strip(_EDGE_PUNCTUATION)
    return text.lower()


def display_name(name: str) -> str:
    """The name as shown: no white space beside Chinese, a target written into it left out."""
    text = _SPACE_BESIDE_WIDE.sub("", " ".join(name.split()))
    text = _TARGET_IN_NAME.sub("", text)
    return text.strip(_EDGE_PUNCTUATION)


def bigrams(key: str) -> frozenset[str]:
    """The character bigrams of ``key`` (a single character stands for itself)."""
    if len(key) < 2:
        return frozenset({key}) if key else frozenset()
    return frozenset(key[i : i + 2] for i in range(len(key) - 1))


def similarity(typed: str, key: str) -> float:
    """How well the typed text (a key) matches an entry's key, 0 … 1.

    A prefix is the best match, then the typed text anywhere in the name, then the share of the
    typed text's bigrams the name has (so ``群众满意`` still finds ``服务对象满意度``, weakly).
    """
    if not typed or not key:
        return 0.0
    if key.startswith(typed):
        return 1.0
    if typed in key:
        return 0.85
    if len(typed) < 2:
        return 0.0
    mine, theirs = bigrams(typed), bigrams(key)
    shared = len(mine & theirs)
    if not shared:
        return 0.0
    containment = shared / len(mine)
    dice = 2 * shared / (len(mine) + len(theirs))
    return 0.8 * max(containment, dice)


# ---------------------------------------------------------------------------------------------
# What the uses of one indicator say


@dataclass(frozen=True, slots=True)
class ValueRange:
    """The numeric values written with one unit: how many, lowest, median, highest."""

    count: int
    low: Decimal
    median: Decimal
    high: Decimal


@dataclass(frozen=True, slots=True)
class Summary:
    """What a city's tables say about one indicator."""

    usage: int
    units: dict[str, int]
    comparators: dict[str, int]
    ranges: dict[str, ValueRange]
    #: The most common unit and comparator, and the median (or most common words) written with them.
    unit: str
    comparator: str
    value: str


def number_in(value: str) -> Decimal | None:
    """The number a 指标值 is, if it is one (``95``, ``95%``, ``１００``)."""
    text = to_halfwidth(value).strip().removesuffix("%").strip()
    return parse_number(text)


def _median(values: Sequence[Decimal]) -> Decimal:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def plain(number: Decimal) -> str:
    """A number without needless zeros or exponent: ``90.0`` → ``90``, ``1E+2`` → ``100``."""
    return format_amount(number.normalize())


def summarise(uses: Iterable[tuple[str, str, str]]) -> Summary:
    """Counts, value ranges and the typical entry from (unit, comparator, value) of each use."""
    units: Counter[str] = Counter()
    comparators: Counter[str] = Counter()
    numbers: dict[tuple[str, str], list[Decimal]] = {}
    by_unit: dict[str, list[Decimal]] = {}
    words: dict[tuple[str, str], Counter[str]] = {}
    usage = 0
    # Ten years of a common indicator repeat a few spellings and values: read each once.
    unit_of: dict[str, str] = {}
    comparator_of: dict[str, str] = {}
    number_of: dict[str, Decimal | None] = {}
    for unit_text, comparator_text, value in uses:
        usage += 1
        unit = unit_of.get(unit_text)
        if unit is None:
            unit = unit_of[unit_text] = " ".join(to_halfwidth(unit_text).split())
        comparator_name = comparator_of.get(comparator_text)
        if comparator_name is None:
            canonical = normalise_comparator(comparator_text) if comparator_text else None
            comparator_name = canonical.value if canonical is not None else comparator_text.strip()
            comparator_of[comparator_text] = comparator_name
        units[unit] += 1
        comparators[comparator_name] += 1
        if value in number_of:
            number = number_of[value]
        else:
            number = number_of[value] = number_in(value)
        if number is not None:
            numbers.setdefault((unit, comparator_name), []).append(number)
            by_unit.setdefault(unit, []).append(number)
        elif value.strip():
            words.setdefault((unit, comparator_name), Counter())[value.strip()] += 1
    ranges = {
        unit: ValueRange(len(values), min(values), _median(values), max(values))
        for unit, values in by_unit.items()
    }
    unit = _most_common(units)
    comparator = _most_common(comparators)
    typical = ""
    if (unit, comparator) in numbers:
        typical = plain(_median(numbers[unit, comparator]))
    elif (unit, comparator) in words:
        typical = _most_common(words[unit, comparator])
    return Summary(usage, dict(units), dict(comparators), ranges, unit, comparator, typical)


def _most_common(counts: Counter[str]) -> str:
    """The most common key, ties to the first met; a blank key only when there is nothing else."""
    ranked = sorted(counts.items(), key=lambda item: (not item[0], -item[1]))
    return ranked[0][0] if ranked else ""


# ---------------------------------------------------------------------------------------------
# Suggestions


@dataclass(frozen=True, slots=True)
class LibraryItem:
    """One entry of the library, as suggestions need it."""

    id: int
    level1: str
    level2: str
    name: str
    unit: str
    comparator: str
    value: str
    #: True when the value is the framework's suggestion (建议值), not the city's typical figure.
    value_is_suggestion: bool
    usage: int
    department_count: int
    mark: Mark = ""
    note: str = ""
    common: bool = False
    key: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Suggestion:
    item: LibraryItem
    score: float
    #: 二级 fit (1 same 二级, 0.6 same 一级, 0 other; 0.5 when no level was given).
    fit: float
    similarity: float


class LibraryIndex:
    """The entries of a library, indexed by bigram, first character and level, for fast ranking.

    Ranking touches only the entries that share a bigram with the typed text (or, for one typed
    character, start with it or contain it within the row's 二级), and counts shared bigrams while
    collecting them, so a query over ten years of a city's indicators takes about a millisecond.
    """

    def __init__(self, items: Iterable[LibraryItem]) -> None:
        self.items: list[LibraryItem] = []
        self._keys: list[str] = []
        self._gram_counts: list[int] = []
        self._use: list[float] = []
        self._by_bigram: dict[str, list[int]] = {}
        self._by_first: dict[str, list[int]] = {}
        self._by_level2: dict[str, list[int]] = {}
        self._by_level1: dict[str, list[int]] = {}
        for item in items:
            position = len(self.items)
            key = item.key or indicator_key(item.name)
            grams = bigrams(key)
            self.items.append(item)
            self._keys.append(key)
            self._gram_counts.append(len(grams))
            for gram in grams:
                self._by_bigram.setdefault(gram, []).append(position)
            if key:
                self._by_first.setdefault(key[0], []).append(position)
            self._by_level2.setdefault(item.level2, []).append(position)
            self._by_level1.setdefault(item.level1, []).append(position)
        scale = math.log1p(max((item.usage for item in self.items), default=0)) or 1.0
        for item in self.items:
            use = math.log1p(item.usage) / scale
            self._use.append(max(use, 0.3) if item.common else use)

    def __len__(self) -> int:
        return len(self.items)

    def _text_fits(self, typed: str, level1: str, level2: str) -> dict[int, float]:
        """Position → text similarity (:func:`similarity`) of every entry worth ranking."""
        keys = self._keys
        fits: dict[int, float] = {}
        if len(typed) == 1:
            for position in self._by_first.get(typed, ()):
                fits[position] = 1.0
            # Containing it (not at the start): only within the row's 二级 (or 一级, or all when
            # no level is chosen yet), since one character is in too many names.
            near: Iterable[int]
            if level2:
                near = self._by_level2.get(level2, ())
            elif level1:
                near = self._by_level1.get(level1, ())
            else:
                near = range(len(keys))
            for position in near:
                if position not in fits and typed in keys[position]:
                    fits[position] = 0.85
            return fits
        grams = bigrams(typed)
        shared: dict[int, int] = {}
        for gram in grams:
            for position in self._by_bigram.get(gram, ()):
                shared[position] = shared.get(position, 0) + 1
        mine = len(grams)
        for position, count in shared.items():
            key = keys[position]
            if count == mine and key.startswith(typed):
                fit = 1.0
            elif count == mine and typed in key:
                fit = 0.85
            else:
                fit = 0.8 * max(count / mine, 2 * count / (mine + self._gram_counts[position]))
            if fit >= MIN_SIMILARITY:
                fits[position] = fit
        return fits

    def suggest(
        self, text: str, level1: str = "", level2: str = "", limit: int = DEFAULT_LIMIT
    ) -> list[Suggestion]:
        """The best entries for ``text`` typed in a row of ``level1``/``level2``.

        Score: text similarity (0.55), 二级 fit (0.25), usage in the city (0.20; a framework's
        common indicator counts as moderately used).  Recommended entries that fit come first;
        discouraged ones lose half their score and keep their warning.
        """
        typed = indicator_key(text)
        level2 = level2.strip()
        level1 = level1.strip() or (LEVEL1_OF.get(level2) or "" if level2 else "")
        if typed:
            fits = self._text_fits(typed, level1, level2)
        elif level2:
            fits = dict.fromkeys(self._by_level2.get(level2, ()), 0.0)
        elif level1:
            fits = dict.fromkeys(self._by_level1.get(level1, ()), 0.0)
        else:
            fits = dict.fromkeys(range(len(self.items)), 0.0)
        items, use = self.items, self._use
        ranked: list[tuple[bool, float, str, int, float, float]] = []
        for position, text_fit in fits.items():
            item = items[position]
            if not level1 and not level2:
                fit = 0.5
            elif level2 and item.level2 == level2 and (not level1 or item.level1 == level1):
                fit = 1.0
            elif level1 and item.level1 == level1:
                fit = 0.6
            else:
                fit = 0.0
            score = 0.55 * text_fit + 0.25 * fit + 0.20 * use[position]
            if item.mark:
                if item.mark == "discouraged":
                    score /= 2
                recommended_here = item.mark == "recommended" and (fit >= 0.6 or text_fit >= 0.85)
            else:
                recommended_here = False
            ranked.append((not recommended_here, -score, item.name, position, fit, text_fit))
        best = heapq.nsmallest(limit, ranked, key=lambda entry: entry[:3])
        return [Suggestion(items[p], -score, fit, text_fit) for _, score, _, p, fit, text_fit in best]
