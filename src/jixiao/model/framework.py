"""The indicator framework and comparator spellings, as data.

财预〔2015〕88号 and 财预〔2021〕101号 define which 二级指标 belong to which 一级指标
(see ``shared/DOMAIN.md``).  Everything that needs the framework — the reader that infers a
lost 一级指标, the rules, the writers that print every 二级 row — reads it from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from functools import lru_cache
from typing import Final

from jixiao.model.values import completed, to_halfwidth


class Framework(StrEnum):
    """The two national indicator frameworks."""

    CAIYU_2015_88 = "88号"
    CAIYU_2021_101 = "101号"


OUTPUT: Final = "产出指标"
COST: Final = "成本指标"
BENEFIT: Final = "效益指标"
SATISFACTION: Final = "满意度指标"
QUANTITY: Final = "数量指标"
QUALITY: Final = "质量指标"
TIMELINESS: Final = "时效指标"

#: 一级 → 二级, in the order the printed form shows them.
FRAMEWORKS: Final[Mapping[Framework, Mapping[str, tuple[str, ...]]]] = {
    Framework.CAIYU_2015_88: {
        OUTPUT: (QUANTITY, QUALITY, TIMELINESS, COST),
        BENEFIT: ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
        SATISFACTION: ("服务对象满意度指标",),
    },
    Framework.CAIYU_2021_101: {
        OUTPUT: (QUANTITY, QUALITY, TIMELINESS),
        COST: ("经济成本指标", "社会成本指标", "生态环境成本指标"),
        BENEFIT: ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
        SATISFACTION: ("服务对象满意度指标",),
    },
}

#: Every valid (一级, 二级) pair of either framework; 满意度指标 also takes the longer 二级 name
#: some provinces print.
VALID_PAIRS: Final[frozenset[tuple[str, str]]] = frozenset(
    {(l1, l2) for fw in FRAMEWORKS.values() for l1, l2s in fw.items() for l2 in l2s}
    | {(SATISFACTION, "社会公众或服务对象满意度指标")}
)

LEVEL1_NAMES: Final[frozenset[str]] = frozenset(l1 for l1, _ in VALID_PAIRS)
LEVEL2_NAMES: Final[frozenset[str]] = frozenset(l2 for _, l2 in VALID_PAIRS)


def _level1_by_level2() -> dict[str, str | None]:
    owners: dict[str, set[str]] = {}
    for l1, l2 in VALID_PAIRS:
        owners.setdefault(l2, set()).add(l1)
    return {l2: (next(iter(l1s)) if len(l1s) == 1 else None) for l2, l1s in owners.items()}


#: 二级 → the one 一级 it belongs to (None where both frameworks disagree; there is no such case today).
LEVEL1_OF: Final[Mapping[str, str | None]] = _level1_by_level2()


@lru_cache(maxsize=1024)
def canonical_level_name(text: str, known: frozenset[str]) -> str:
    """An indicator level name as the framework spells it: no spaces, ``数量`` → ``数量指标``.

    A unique beginning of four characters or more (``社会效益指``, a narrow cell's first line) is
    the whole name.  Names that are not in ``known`` come back without white space but otherwise as
    written, so a rule can report them.
    """
    name = "".join(to_halfwidth(text).split())
    if name in known:
        return name
    if f"{name}指标" in known:
        return f"{name}指标"
    return completed(name, known) or name  # cut off after its first line in a narrow merged cell


def framework_of(pairs: set[tuple[str, str]]) -> Framework:
    """The framework a set of (一级, 二级) pairs is written in: 101号 when any pair is 101-only."""
    only_101 = {(l1, l2) for l1, l2s in FRAMEWORKS[Framework.CAIYU_2021_101].items() for l2 in l2s} - {
        (l1, l2) for l1, l2s in FRAMEWORKS[Framework.CAIYU_2015_88].items() for l2 in l2s
    }
    return Framework.CAIYU_2021_101 if pairs & only_101 else Framework.CAIYU_2015_88


def is_cost_pair(level1: str, level2: str) -> bool:
    """True for a cost indicator in either framework (产出/成本指标, or 一级 成本指标)."""
    return level1 == COST or (level1 == OUTPUT and level2 == COST)


# ---------------------------------------------------------------------------------------------
# Comparators


class Comparator(StrEnum):
    """对比符号, canonical form."""

    GE = "≥"
    LE = "≤"
    EQ = "="
    GT = ">"
    LT = "<"
    QUALITATIVE = "定性"

    @property
    def is_numeric(self) -> bool:
        return self is not Comparator.QUALITATIVE


#: Spellings seen in real tables, longest first so that ``>=`` wins over ``>``.
COMPARATOR_SPELLINGS: Final[Mapping[str, Comparator]] = {
    spelling: comparator
    for comparator, spellings in (
        (
            Comparator.GE,
            ("≥", ">=", "≧", "＞＝", "⩾", "大于等于", "大于或等于", "不低于", "不少于", "不小于"),
        ),
        (
            Comparator.LE,
            ("≤", "<=", "≦", "＜＝", "⩽", "小于等于", "小于或等于", "不高于", "不超过", "不大于", "不多于"),
        ),
        (Comparator.EQ, ("=", "＝", "﹦", "==", "等于")),
        (Comparator.GT, (">", "＞", "大于", "高于", "超过", "多于")),
        (Comparator.LT, ("<", "＜", "小于", "低于", "少于")),
        (Comparator.QUALITATIVE, ("定性",)),
    )
    for spelling in spellings
}

_SPELLINGS_LONGEST_FIRST: Final = sorted(COMPARATOR_SPELLINGS, key=len, reverse=True)
_LEADING_COMPARATOR: Final = re.compile(
    "^(" + "|".join(re.escape(s) for s in _SPELLINGS_LONGEST_FIRST if s != "定性") + r")\s*"
)


def normalise_comparator(text: str) -> Comparator | None:
    """The canonical comparator for a spelling, or None when the text is none of them."""
    key = "".join(text.split())
    return COMPARATOR_SPELLINGS.get(key) or COMPARATOR_SPELLINGS.get(to_halfwidth(key))


def split_leading_comparator(value: str) -> tuple[Comparator | None, str]:
    """Split a comparator written inside a value: ``≥4个`` → (≥, ``4个``)."""
    match = _LEADING_COMPARATOR.match(value.strip())
    if match is None:
        return None, value.strip()
    return COMPARATOR_SPELLINGS[match.group(1)], value.strip()[match.end() :]
