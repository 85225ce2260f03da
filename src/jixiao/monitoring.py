"""In-year monitoring warnings (``shared/spec/CYCLE.md``, "Monitoring", "Warnings"): pure functions.

As of month m of the table's year (t = m / 12, 序时进度), the budget and each indicator get a colour:
red, yellow, green or blue (far ahead).  The department's warning is its worst colour.  Thresholds
come from the :class:`jixiao.profile.Profile`.  The monitoring form itself (its model, rules and
layouts) is not here yet; these functions are what it will compute.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from jixiao.model import Comparator
from jixiao.model.selfeval import Tier
from jixiao.profile import Profile, Warnings
from jixiao.scoring import rounded

_HUNDRED: Final = Decimal(100)
_MONTHS: Final = Decimal(12)


class Colour(StrEnum):
    """A warning's colour, worst first."""

    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"
    BLUE = "blue"

    @property
    def label(self) -> str:
        return {"red": "红色", "yellow": "黄色", "green": "绿色", "blue": "蓝色"}[self.value]


_WORST_FIRST: Final = tuple(Colour)


@dataclass(frozen=True, slots=True)
class Alert:
    """A colour and the figure v (in %, 2 places) it was judged on, where there is one."""

    colour: Colour
    v: Decimal | None = None

    @property
    def needs_reason(self) -> bool:
        """Red and yellow need 偏差原因 and 纠偏措施 (a reason, for the budget)."""
        return self.colour in {Colour.RED, Colour.YELLOW}


def time_progress(month: int) -> Decimal:
    """t = m / 12 (序时进度), exact."""
    return Decimal(month) / _MONTHS


def _coloured(v: Decimal, thresholds: Warnings) -> Alert:
    if v < thresholds.red:
        colour = Colour.RED
    elif v < thresholds.yellow:
        colour = Colour.YELLOW
    elif thresholds.blue is not None and v >= thresholds.blue:
        colour = Colour.BLUE
    else:
        colour = Colour.GREEN
    return Alert(colour, rounded(v))


def budget_warning(executed: Decimal, budget: Decimal, month: int, profile: Profile) -> Alert:
    """v = (执行数 ÷ 调整后预算数) ÷ t × 100: red below ``budget_warning.red``, yellow below its yellow."""
    v = executed / budget / time_progress(month) * _HUNDRED
    return _coloured(v, profile.budget_warning)


def indicator_warning(
    comparator: Comparator,
    target: Decimal | None,
    value: Decimal | Tier,
    month: int,
    profile: Profile,
    *,
    stock: bool = False,
) -> Alert:
    """A row's colour as of month m.

    ≥ and >: v = B ÷ (A × t) × 100, or B ÷ A × 100 for a stock indicator (unit %, or one that does not
    accrue over the year); ≤ and <: green when B already meets the comparator, else red; =: as ≥ when
    A > 0, and when A = 0 green only for B = 0; 定性: 达成 green, 部分达成 yellow, 未达成 red.
    """
    if isinstance(value, Tier):
        return Alert({Tier.ACHIEVED: Colour.GREEN, Tier.PARTLY: Colour.YELLOW}.get(value, Colour.RED))
    if target is None:
        raise ValueError("a quantitative row needs its target")
    if comparator in {Comparator.LE, Comparator.LT}:
        met = value <= target if comparator is Comparator.LE else value < target
        return Alert(Colour.GREEN if met else Colour.RED)
    if comparator is Comparator.EQ and target == 0:
        return Alert(Colour.GREEN if value == 0 else Colour.RED)
    if target <= 0:
        return Alert(Colour.GREEN if value >= target else Colour.RED)
    expected = target if stock else target * time_progress(month)
    return _coloured(value / expected * _HUNDRED, profile.indicator_warning)


def department_warning(warnings: list[Alert]) -> Colour:
    """The department's colour: its worst row or budget colour (red > yellow > green > blue)."""
    colours = {warning.colour for warning in warnings}
    return next((colour for colour in _WORST_FIRST if colour in colours), Colour.GREEN)
