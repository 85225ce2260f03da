"""In-year monitoring warnings (``shared/spec/CYCLE.md``, "Monitoring", "Warnings"): pure functions.

As of month m of the table's year (t = m / 12, 序时进度), the budget and each indicator get a colour:
red, yellow, green or blue (far ahead); a row marked 年底测评 is grey (no warning).  The department's
warning is its worst colour.  Thresholds come from the :class:`jixiao.profile.Profile`.

:func:`warnings` computes every warning of a :class:`jixiao.model.monitoring.MonitoringReport` at
once, each with its colour's word (红/黄/绿/蓝/灰: a colour is never the only signal) and a Chinese
``why`` (the formula with its numbers).  Reading a row's figures (A, B, the forecast) happens here
once; the rules (:mod:`jixiao.rules.monitoring`) judge the same reading through :class:`RowWarning`.

v is compared with the thresholds exactly (by cross-multiplication, never through a rounded
quotient), so a v of exactly 60 is yellow however 7/12 would round; the v shown is rounded to 2
places.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal
from enum import StrEnum
from typing import Final, Literal

from jixiao.catalogue import BAND_PHRASES, COLOUR_WORDS, MONITOR_PHRASES, MONITOR_WHY
from jixiao.model import Comparator, Indicator, TargetTable
from jixiao.model.monitoring import IndicatorProgress, MonitoringReport
from jixiao.model.selfeval import Tier, parse_tier
from jixiao.model.table import format_amount
from jixiao.model.values import to_halfwidth
from jixiao.profile import Profile, WarningBands
from jixiao.scoring import Actual, Target, read_actual, read_target, rounded

_ZERO: Final = Decimal(0)
_HUNDRED: Final = Decimal(100)
_MONTHS: Final = Decimal(12)
#: Products of the figures are exact in this context (a finite decimal of any sensible size).
_EXACT: Final = Context(prec=400, Emax=MAX_EMAX, Emin=MIN_EMIN)


class Colour(StrEnum):
    """A warning's colour, worst first; grey (年底测评) is no warning at all."""

    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"
    BLUE = "blue"
    GREY = "grey"

    @property
    def word(self) -> str:
        """红、黄、绿、蓝 or 灰: the colour in words, shown beside it."""
        return COLOUR_WORDS[self.value]


#: Red > yellow > green > blue: the order in which a department takes its worst colour.
WORST_FIRST: Final = (Colour.RED, Colour.YELLOW, Colour.GREEN, Colour.BLUE)


@dataclass(frozen=True, slots=True)
class Alert:
    """A colour (None: it cannot be computed yet), the figure v (in %, 2 places) it was judged on
    where there is one, and why, in Chinese."""

    colour: Colour | None
    v: Decimal | None = None
    why: str = ""

    @property
    def needs_reason(self) -> bool:
        """Red and yellow need 偏差原因 and 纠偏措施 (a reason, for the budget)."""
        return self.colour in {Colour.RED, Colour.YELLOW}

    @property
    def word(self) -> str:
        """The colour's word, or 未定 when there is no colour yet."""
        return self.colour.word if self.colour is not None else COLOUR_WORDS["none"]


def month_valid(month: int) -> bool:
    """A monitoring month is 1–11 (December is the self-evaluation's)."""
    return 1 <= month <= 11


def time_progress(month: int) -> Decimal:
    """t = m / 12 (序时进度), exact."""
    return Decimal(month) / _MONTHS


def _shown(value: Decimal) -> str:
    """A figure as written: whole numbers without decimals, others as they are."""
    return format_amount(value.normalize()) if value == value.to_integral_value() else format_amount(value)


def _pct(value: Decimal) -> str:
    return format_amount(rounded(value))


def _why(key: str, **figures: Decimal | str | int) -> str:
    shown = {name: _shown(value) if isinstance(value, Decimal) else value for name, value in figures.items()}
    return MONITOR_WHY[key].format(**shown)


def _banded(numerator: Decimal, denominator: Decimal, bands: WarningBands) -> tuple[Colour, Decimal, str]:
    """The colour of v = numerator ÷ denominator × 100 (denominator > 0), judged exactly, v to 2
    places, and the band in words."""
    scaled = _EXACT.multiply(numerator, _HUNDRED)

    def below(threshold: Decimal) -> bool:
        return scaled < _EXACT.multiply(threshold, denominator)

    limits = {"red": _shown(bands.red), "yellow": _shown(bands.yellow)}
    if bands.blue is not None:
        limits["blue"] = _shown(bands.blue)
    if below(bands.red):
        colour, key = Colour.RED, "red"
    elif below(bands.yellow):
        colour, key = Colour.YELLOW, "yellow"
    elif bands.blue is not None and not below(bands.blue):
        colour, key = Colour.BLUE, "blue"
    else:
        colour, key = Colour.GREEN, "green" if bands.blue is None else "green-below-blue"
    v = rounded(_EXACT.divide(scaled, denominator))
    return colour, v, BAND_PHRASES[key].format(**limits)


def budget_warning(executed: Decimal, budget: Decimal, month: int, profile: Profile) -> Alert:
    """v = (执行数 ÷ 调整后预算数) ÷ t × 100: red below ``budget_warning.red``, yellow below its
    yellow, else green.  No colour where the budget is not positive or the month is no month."""
    if not month_valid(month):
        return Alert(None, why=_why("month-invalid", month=month))
    if budget <= 0:
        return Alert(None, why=_why("budget-unknown", month=month))
    colour, v, band = _banded(
        _EXACT.multiply(executed, _MONTHS), _EXACT.multiply(budget, Decimal(month)), profile.budget_warning
    )
    why = _why(
        "budget",
        executed=executed,
        budget=budget,
        rate=_pct(_EXACT.divide(_EXACT.multiply(executed, _HUNDRED), budget)),
        month=month,
        t=_pct(time_progress(month) * _HUNDRED),
        v=_pct(v),
        band=band,
    )
    return Alert(colour, v, why)


_TIER_COLOURS: Final = {
    Tier.ACHIEVED: Colour.GREEN,
    Tier.PARTLY: Colour.YELLOW,
    Tier.NOT_ACHIEVED: Colour.RED,
}


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
        colour = _TIER_COLOURS[value]
        alert = BAND_PHRASES["alert"] if colour is not Colour.GREEN else ""
        return Alert(colour, why=_why("tier", month=month, tier=value.value, word=colour.word, alert=alert))
    if target is None:
        raise ValueError("a quantitative row needs its target")
    figures: dict[str, Decimal | str | int] = {
        "a": target,
        "b": value,
        "sign": comparator.value,
        "month": month,
    }
    if comparator in {Comparator.LE, Comparator.LT}:
        met = value <= target if comparator is Comparator.LE else value < target
        return (
            Alert(Colour.GREEN, why=_why("lower-met", **figures))
            if met
            else Alert(Colour.RED, why=_why("lower-over", **figures))
        )
    if target <= 0:  # nothing to pro-rate: = 0 (and a ≥ target of 0 or less) is met or missed
        met = value == target if comparator is Comparator.EQ else value >= target
        return (
            Alert(Colour.GREEN, why=_why("zero-met", **figures))
            if met
            else Alert(Colour.RED, why=_why("zero-missed", **figures))
        )
    if stock:
        colour, v, band = _banded(value, target, profile.indicator_warning)
        return Alert(colour, v, _why("stock", **figures, v=_pct(v), band=band))
    if not month_valid(month):
        return Alert(None, why=_why("month-invalid", month=month))
    colour, v, band = _banded(
        _EXACT.multiply(value, _MONTHS), _EXACT.multiply(target, Decimal(month)), profile.indicator_warning
    )
    expected = rounded(_EXACT.divide(_EXACT.multiply(target, Decimal(month)), _MONTHS))
    return Alert(colour, v, _why("pro-rated", **figures, expected=expected, v=_pct(v), band=band))


def department_warning(warnings: list[Alert]) -> Colour | None:
    """The department's colour: its worst row or budget colour (red > yellow > green > blue); grey
    rows and rows without a colour do not count; None when nothing has a colour."""
    colours = {warning.colour for warning in warnings}
    return next((colour for colour in WORST_FIRST if colour in colours), None)


# ---------------------------------------------------------------------------------------------
# A whole report

#: Why a value cannot be judged: not filled, or written in a way that is no value.
ValueProblem = Literal["missing", "comparator", "unit", "not-a-number", "not-a-date", "not-a-tier"]
#: Why an adjusted target cannot be used.
AdjustmentProblem = Literal["not-a-target", "unexplained"]


def _value_problem(actual: Actual) -> ValueProblem | None:
    # A % over 100 is a self-evaluation matter (selfeval-actual-invalid); in-year it is a value.
    return None if actual.problem in {None, "percent-over-100"} else actual.problem  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class RowWarning:
    """One indicator row as the warnings read it, and its alert.

    ``target`` is the one judged against: the recorded adjustment's (调整后指标值 with its reason)
    where there is one, else the approved table's.  ``value``/``forecast`` are B to date and the
    year's forecast as read (a number, or a completion date); ``tier``/``forecast_tier`` a 定性
    row's.  ``problem``/``forecast_problem`` say why a value cannot be judged.
    """

    row: int
    name: str
    level1: str
    target: Target
    adjusted: bool
    adjustment_problem: AdjustmentProblem | None
    stock: bool
    year_end: bool
    value: Actual
    tier: Tier | None
    problem: ValueProblem | None
    forecast: Actual
    forecast_tier: Tier | None
    forecast_problem: ValueProblem | None
    alert: Alert

    @property
    def qualitative(self) -> bool:
        return self.target.kind == "qualitative"

    @property
    def forecast_misses(self) -> bool:
        """The year's forecast falls short of the target (False where it cannot be read)."""
        if self.forecast_problem is not None:
            return False
        if self.qualitative:
            return self.forecast_tier is not None and self.forecast_tier is not Tier.ACHIEVED
        if self.target.kind == "date":
            end, completed = self.target.end, self.forecast.completed
            return end is not None and completed is not None and completed > end
        return not meets(self.target.comparator, self.target.value, self.forecast.value)


def meets(comparator: Comparator | None, target: Decimal | None, value: Decimal | None) -> bool:
    """B meets A by the comparator, reading = as the warnings do (as ≥ when A > 0, exactly 0 when
    A = 0); True where either is missing: nothing to judge."""
    if comparator is None or target is None or value is None:
        return True
    return {
        Comparator.GE: value >= target,
        Comparator.GT: value > target,
        Comparator.LE: value <= target,
        Comparator.LT: value < target,
        Comparator.EQ: value >= target if target > 0 else value == target,
    }.get(comparator, True)


@dataclass(frozen=True, slots=True)
class BudgetWarning:
    """The budget's warning, of the 年度资金总额 row: 执行率 (in %, 2 places) and its alert."""

    adjusted_budget: Decimal | None
    executed: Decimal | None
    rate: Decimal | None
    alert: Alert


@dataclass(frozen=True, slots=True)
class Warnings:
    """Every warning of one monitoring report (CYCLE.md "Warnings").

    ``groups``: each 一级指标's worst colour (None where no row has one); ``department``: the worst
    of the budget and every row, with why.
    """

    month: int
    time_progress: Decimal | None
    budget: BudgetWarning
    rows: tuple[RowWarning, ...]
    groups: dict[str, Colour | None]
    department: Alert

    @property
    def time_progress_percent(self) -> Decimal | None:
        """t in %, 2 places (58.33)."""
        return None if self.time_progress is None else rounded(self.time_progress * _HUNDRED)


def warnings(report: MonitoringReport, profile: Profile) -> Warnings:
    """Every warning of ``report`` judged by ``profile``: the budget's, each row's, each 一级指标
    group's and the department's (CYCLE.md)."""
    month, year = report.month, report.approved.year or report.year
    rows = tuple(
        _row_warning(row, indicator, progress, month, year, profile)
        for row, indicator, progress in report.indicator_rows()
    )
    budget = _budget(report, profile)
    groups: dict[str, Colour | None] = {}
    for row_warning in rows:
        groups.setdefault(row_warning.level1, None)
    for level1 in groups:
        groups[level1] = department_warning([r.alert for r in rows if r.level1 == level1])
    return Warnings(
        month,
        time_progress(month) if month_valid(month) else None,
        budget,
        rows,
        groups,
        _department(budget, rows),
    )


def _budget(report: MonitoringReport, profile: Profile) -> BudgetWarning:
    total = report.funds.total
    planned, executed = total.adjusted_budget, total.executed
    if planned is None or executed is None:
        return BudgetWarning(
            planned, executed, None, Alert(None, why=_why("budget-unknown", month=report.month))
        )
    rate = rounded(_EXACT.divide(_EXACT.multiply(executed, _HUNDRED), planned)) if planned > 0 else None
    return BudgetWarning(planned, executed, rate, budget_warning(executed, planned, report.month, profile))


def _department(budget: BudgetWarning, rows: tuple[RowWarning, ...]) -> Alert:
    places = [(MONITOR_PHRASES["place.budget"], budget.alert)] + [
        (MONITOR_PHRASES["place.row"].format(row=row.row, name=row.name), row.alert) for row in rows
    ]
    worst = department_warning([alert for _, alert in places])
    if worst is None:
        return Alert(None, why=MONITOR_WHY["department-unknown"])
    where = "；".join(place for place, alert in places if alert.colour is worst)
    return Alert(worst, why=_why("department", word=worst.word, where=where))


def _adjusted_target(
    indicator: Indicator, progress: IndicatorProgress, approved: Target, year: int | None
) -> tuple[Target, bool, AdjustmentProblem | None]:
    """The target to judge against: the adjustment's where it is recorded with its reason."""
    written = progress.adjusted_target
    if written is None or not written.strip():
        return approved, False, None
    adjusted = read_target(indicator.model_copy(update={"value": written}), year)
    if adjusted.kind != approved.kind or adjusted.comparator != approved.comparator:
        return approved, False, "not-a-target"
    if not progress.adjustment_reason.strip():
        return approved, False, "unexplained"
    return adjusted, True, None


def _tier_of(written: str | None, chosen: Tier | None = None) -> tuple[Tier | None, ValueProblem | None]:
    tier = chosen or parse_tier(written)
    if tier is not None:
        return tier, None
    return None, "missing" if written is None or not written.strip() else "not-a-tier"


def _end_of_month(year: int | None, month: int) -> date | None:
    if year is None or not month_valid(month):
        return None
    return date(year, month, calendar.monthrange(year, month)[1])


def _row_warning(
    row: int,
    indicator: Indicator,
    progress: IndicatorProgress,
    month: int,
    year: int | None,
    profile: Profile,
) -> RowWarning:
    approved = read_target(indicator, year)
    target, adjusted, adjustment_problem = _adjusted_target(indicator, progress, approved, year)
    stock = progress.stock or to_halfwidth(indicator.unit).strip() == "%"
    value = forecast = Actual()
    tier = forecast_tier = None
    if target.kind == "qualitative":
        tier, problem = _tier_of(progress.to_date, progress.tier)
        forecast_tier, forecast_problem = _tier_of(progress.forecast)
    else:
        value = read_actual(indicator, progress.to_date, target, year)
        forecast = read_actual(indicator, progress.forecast, target, year)
        problem, forecast_problem = _value_problem(value), _value_problem(forecast)
        if target.kind == "date" and problem == "missing":
            problem = None  # not completed yet: judged against the deadline below
    if progress.year_end:
        reason = progress.year_end_reason.strip()
        why = _why("year-end", reason=reason) if reason else MONITOR_WHY["year-end-no-reason"]
        alert = Alert(Colour.GREY, why=why)
    elif problem is not None:
        alert = Alert(
            None, why=_why("value-missing" if problem == "missing" else "value-invalid", month=month)
        )
    elif tier is not None:
        alert = indicator_warning(Comparator.QUALITATIVE, None, tier, month, profile)
    elif target.kind == "date":
        alert = _date_alert(target, value, _end_of_month(year, month), month)
    else:
        # read_target gives a number target its comparator, read_actual a readable value its number
        assert target.comparator is not None
        assert value.value is not None
        alert = indicator_warning(target.comparator, target.value, value.value, month, profile, stock=stock)
    return RowWarning(
        row, indicator.name, indicator.level1, target, adjusted, adjustment_problem, stock, progress.year_end,
        value, tier, problem, forecast, forecast_tier, forecast_problem, alert,
    )  # fmt: skip


def _date_alert(target: Target, value: Actual, as_of: date | None, month: int) -> Alert:
    """A date target: met by a completion date on or before its end; not completed yet, green until
    the deadline has passed by the end of month m, red after."""
    end = target.end
    assert end is not None  # a date target has its end
    if value.completed is not None:
        key = "date-met" if value.completed <= end else "date-late"
        colour = Colour.GREEN if value.completed <= end else Colour.RED
        return Alert(colour, why=_why(key, completed=value.completed.isoformat(), end=end.isoformat()))
    if as_of is None:
        return Alert(None, why=_why("month-invalid", month=month))
    if as_of <= end:
        return Alert(Colour.GREEN, why=_why("date-open", asof=as_of.isoformat(), end=end.isoformat()))
    return Alert(Colour.RED, why=_why("date-overdue", end=end.isoformat()))


@dataclass(frozen=True, slots=True)
class MonitoredReport:
    """A monitoring report with the profile it is judged by and its warnings, computed once: what
    its rules read.  ``approved``: the approved version the report should copy, where known (the
    web system's); the rules then compare the copied rows with it."""

    report: MonitoringReport
    profile: Profile
    warnings: Warnings
    approved: TargetTable | None = None

    @classmethod
    def of(
        cls, report: MonitoringReport, profile: Profile, approved: TargetTable | None = None
    ) -> MonitoredReport:
        return cls(report, profile, warnings(report, profile), approved)
