"""Scoring a self-evaluation (``shared/spec/CYCLE.md``, "Self-evaluation"): one pure function.

:func:`score` gives every indicator row's points (分值 w) and score, the execution score, the total
and the grade.  Notation as in CYCLE.md: A the target (年度指标值), B the value achieved (实际完成值),
w the row's points.  All arithmetic is exact ``Decimal``; each row's score is clamped to [0, w] and
rounded to 2 places (ROUND_HALF_UP); totals are sums of rounded rows.  Each score carries a short
Chinese ``why`` (the formula with its numbers), from :data:`jixiao.catalogue.WHY`.

Reading a row's figures (what A and B are, whether B can be read at all) happens here once; the rules
(:mod:`jixiao.rules.selfeval`) judge the same reading through :class:`RowScore`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Final, Literal

from jixiao.catalogue import WHY
from jixiao.model import Comparator, Indicator
from jixiao.model.framework import COST, OUTPUT, is_cost_pair, normalise_comparator, split_leading_comparator
from jixiao.model.selfeval import IndicatorResult, SelfEvaluation, Tier, parse_tier
from jixiao.model.table import format_amount
from jixiao.model.values import is_date_or_range, is_number, is_product, parse_number, to_halfwidth
from jixiao.profile import Profile

CENT: Final = Decimal("0.01")
_ZERO: Final = Decimal(0)
_ONE: Final = Decimal(1)
_HUNDRED: Final = Decimal(100)
_DAYS_IN_YEAR: Final = Decimal(365)
_GROWTH_RE: Final = re.compile("增长|提高|提升|同比|环比|增幅|增速")

#: 定性 tiers: the share of w each band spans [low, high) (达成 includes w) and the default score.
TIER_BANDS: Final[dict[Tier, tuple[Decimal, Decimal, Decimal]]] = {
    Tier.ACHIEVED: (Decimal("0.8"), _ONE, _ONE),
    Tier.PARTLY: (Decimal("0.6"), Decimal("0.8"), Decimal("0.7")),
    Tier.NOT_ACHIEVED: (_ZERO, Decimal("0.6"), Decimal("0.3")),
}


def rounded(value: Decimal) -> Decimal:
    """``value`` to 2 places, ROUND_HALF_UP (CYCLE.md), however many digits it has (an execution
    rate of an absurd 全年执行数 must still be shown, not raise)."""
    context = Context(prec=max(28, value.adjusted() + 4))
    return value.quantize(CENT, rounding=ROUND_HALF_UP, context=context)


def _shown(value: Decimal) -> str:
    return format_amount(value.normalize()) if value == value.to_integral_value() else format_amount(value)


# ---------------------------------------------------------------------------------------------
# Reading A and B


TargetKind = Literal["number", "date", "qualitative"]
#: Why B cannot be scored: not filled, or written in a way that is no value (CYCLE.md's
#: ``selfeval-actual-missing`` / ``selfeval-actual-invalid``).
ActualProblem = Literal["missing", "comparator", "unit", "not-a-number", "percent-over-100", "not-a-date"]


@dataclass(frozen=True, slots=True)
class Target:
    """A row's target as scoring reads it: its comparator and A (a number or the end of a date)."""

    kind: TargetKind
    comparator: Comparator | None
    value: Decimal | None = None
    end: date | None = None


_DATE_TOKEN_RE: Final = re.compile(
    r"(?P<y1>\d{4})[./-](?P<m1>\d{1,2})(?:[./-](?P<d1>\d{1,2})(?!\d))?(?!\d)"
    r"|(?:(?P<y2>\d{4})年)?(?P<m2>\d{1,2})月(?:(?P<d2>\d{1,2})[日号])?"
    r"|(?P<y3>\d{4})年度?",
    re.ASCII,
)


def last_date(text: str, year: int | None) -> date | None:
    """The last date written in ``text``: the end of a range (``2023.07-2024.01`` → 2024-01-31), a
    month's last day when no day is given, 31 December for a bare year; ``year`` where none is
    written (``12月底前``).  None when there is no valid date."""
    matches = list(_DATE_TOKEN_RE.finditer(to_halfwidth(text)))
    if not matches:
        return None
    groups = matches[-1].groupdict()
    found_year = groups["y1"] or groups["y2"] or groups["y3"]
    month_text = groups["m1"] or groups["m2"]
    day_text = groups["d1"] or groups["d2"]
    the_year = int(found_year) if found_year else year
    if the_year is None:
        return None
    month = int(month_text) if month_text else 12
    if not 1 <= month <= 12:
        return None
    last_day = calendar.monthrange(the_year, month)[1]
    day = int(day_text) if day_text else last_day
    if not 1 <= day <= last_day:
        return None
    return date(the_year, month, day)


def _product(text: str) -> Decimal:
    result = _ONE
    for factor in re.split(r"\s*[*×xX✕]\s*", text):
        result *= Decimal(factor)
    return result


def _strip_unit(text: str, unit: str) -> str:
    unit = to_halfwidth(unit).strip()
    if unit and text.endswith(unit) and len(text) > len(unit):
        return text[: -len(unit)].rstrip()
    return text


def read_target(indicator: Indicator, year: int | None) -> Target:
    """A row's target: a comparator printed inside 年度指标值 (``≥4个``) is read as with target
    tables; a product (``7*24``) is evaluated; a date or date range is its end.  A target that is
    none of these, or a row without a known comparator, is scored as 定性."""
    value = to_halfwidth(indicator.value).strip()
    comparator = normalise_comparator(indicator.comparator or "")
    inside, rest = split_leading_comparator(value)
    if inside is not None and comparator in {None, inside}:
        comparator, value = inside, rest
    if comparator is None or comparator is Comparator.QUALITATIVE:
        return Target("qualitative", comparator)
    bare = _strip_unit(value, indicator.unit)
    if is_number(bare):
        return Target("number", comparator, value=parse_number(bare))
    if is_product(bare):
        return Target("number", comparator, value=_product(bare))
    if is_date_or_range(bare):
        end = last_date(bare, year)
        if end is not None:
            return Target("date", comparator, end=end)
    return Target("qualitative", comparator)


@dataclass(frozen=True, slots=True)
class Actual:
    """B as scoring reads it, or why it cannot be read."""

    value: Decimal | None = None
    completed: date | None = None
    problem: ActualProblem | None = None


def read_actual(indicator: Indicator, written: str | None, target: Target, year: int | None) -> Actual:
    """B for a quantitative row as ``written``: a number (or a product such as ``7*24``); for a date
    target a completion date.  A comparator or unit glyph in it, or anything else, is not a value."""
    if written is None or not written.strip():
        return Actual(problem="missing")
    text = to_halfwidth(written).strip()
    if split_leading_comparator(text)[0] is not None:
        return Actual(problem="comparator")
    if target.kind == "date":
        completed = last_date(text, year)
        return Actual(completed=completed) if completed is not None else Actual(problem="not-a-date")
    if is_number(text):
        value = parse_number(text)
    elif is_product(text):
        value = _product(text)
    else:
        bare = _strip_unit(text, indicator.unit).rstrip("%").rstrip()
        looks_like_unit = bare != text and (is_number(bare) or is_product(bare))
        return Actual(problem="unit" if looks_like_unit else "not-a-number")
    assert value is not None  # is_number above
    percent = to_halfwidth(indicator.unit).strip() == "%"
    if percent and value > _HUNDRED and not _GROWTH_RE.search(indicator.name):
        return Actual(value=value, problem="percent-over-100")
    return Actual(value=value)


# ---------------------------------------------------------------------------------------------
# Points


def group_of(indicator: Indicator, profile: Profile) -> str | None:
    """The profile's group (一级指标) a row's points come from: a cost row goes to 成本指标 where the
    profile has it (101号), else to 产出指标 (88号 puts 成本指标 under 产出); None when no group fits."""
    groups = profile.level1_points
    if is_cost_pair(indicator.level1, indicator.level2):
        for group in (COST, OUTPUT):
            if group in groups:
                return group
    return indicator.level1 if indicator.level1 in groups else None


def _spread(total: Decimal, shares: list[Decimal]) -> list[Decimal]:
    """``total`` split in proportion to ``shares``, 2 places, the remainder on the last part."""
    whole = sum(shares, _ZERO)
    if not shares or whole == 0:
        return [_ZERO for _ in shares]
    parts = [rounded(total * share / whole) for share in shares[:-1]]
    return [*parts, total - sum(parts, _ZERO)]


@dataclass(frozen=True, slots=True)
class Points:
    """Each group's points after redistribution, and each row's default and effective points."""

    groups: dict[str, Decimal]
    redistributed: tuple[str, ...]
    defaults: tuple[Decimal, ...]
    effective: tuple[Decimal, ...]


def split_points(evaluation: SelfEvaluation, profile: Profile) -> Points:
    """CYCLE.md's points: a group's points split evenly over its rows (2 places, the remainder on the
    last row); a group without rows hands its points to the others in proportion; a row's own 分值,
    where the department set one, replaces its share."""
    rows_by_group: dict[str, list[int]] = {group: [] for group in profile.level1_points}
    groups_of = [group_of(indicator, profile) for indicator in evaluation.approved.indicators]
    for index, group in enumerate(groups_of):
        if group is not None:
            rows_by_group[group].append(index)
    filled = [group for group, rows in rows_by_group.items() if rows]
    empty = tuple(
        group for group, rows in rows_by_group.items() if not rows and profile.level1_points[group] > 0
    )
    groups = {group: profile.level1_points[group] for group in filled}
    if empty and filled:
        handed = sum((profile.level1_points[group] for group in empty), _ZERO)
        extra = _spread(handed, [groups[group] for group in filled])
        groups = {group: groups[group] + more for group, more in zip(filled, extra, strict=True)}
    defaults = [_ZERO] * len(groups_of)
    for group in filled:
        rows = rows_by_group[group]
        for index, share in zip(rows, _spread(groups[group], [_ONE] * len(rows)), strict=True):
            defaults[index] = share
    effective = tuple(
        result.points if result.points is not None else default
        for result, default in zip(evaluation.indicators, defaults, strict=True)
    )
    return Points(groups, empty if filled else (), tuple(defaults), effective)


# ---------------------------------------------------------------------------------------------
# Scores


def _why(key: str, **figures: Decimal | str | int) -> str:
    """The formula behind a score, in Chinese (templates in :data:`jixiao.catalogue.WHY`)."""
    shown = {name: _shown(value) if isinstance(value, Decimal) else value for name, value in figures.items()}
    return WHY[key].format(**shown)


@dataclass(frozen=True, slots=True)
class RowScore:
    """One indicator row's points and score.

    ``computed`` is the formula's (or, for 定性, the tier's default) score; ``entered`` the
    department's; ``score`` the one that counts: an entered score replaces the computed one only
    when it is allowed (a 定性 score within its tier's band; another row's with a reason, within
    [0, w]).  ``target``/``actual`` are A and B as read (None where there is none).
    """

    row: int
    name: str
    group: str | None
    points: Decimal
    computed: Decimal
    entered: Decimal | None
    score: Decimal
    manual: bool
    qualitative: bool
    tier: Tier | None
    band: tuple[Decimal, Decimal] | None
    comparator: Comparator | None
    target: Decimal | None
    actual: Decimal | None
    problem: ActualProblem | None
    why: str


@dataclass(frozen=True, slots=True)
class ExecutionScore:
    """预算执行率: r = X ÷ P, score = min(points, points × r), of the 年度资金总额 row."""

    points: Decimal
    annual_budget: Decimal | None
    executed: Decimal | None
    rate: Decimal | None
    score: Decimal
    why: str

    @property
    def rate_percent(self) -> Decimal | None:
        """r in %, 2 places (92.00)."""
        return None if self.rate is None else rounded(self.rate * _HUNDRED)


@dataclass(frozen=True, slots=True)
class Scores:
    """Everything :func:`score` computes for one self-evaluation."""

    execution: ExecutionScore
    rows: tuple[RowScore, ...]
    group_points: dict[str, Decimal]
    redistributed: tuple[str, ...]
    total: Decimal
    grade: str
    why: str

    @property
    def points_total(self) -> Decimal:
        """Execution points plus every row's points (100 when the points are valid)."""
        return self.execution.points + sum((row.points for row in self.rows), _ZERO)


def score(evaluation: SelfEvaluation, profile: Profile) -> Scores:
    """Every row's points and score, the execution score, the total and the grade (CYCLE.md)."""
    points = split_points(evaluation, profile)
    year = evaluation.approved.year
    rows = tuple(
        _row_score(
            row, indicator, result, points.effective[row - 1], group_of(indicator, profile), profile, year
        )
        for row, indicator, result in evaluation.indicator_rows()
    )
    execution = _execution_score(evaluation, profile)
    rows_total = sum((row.score for row in rows), _ZERO)
    total = execution.score + rows_total
    grade = profile.grade(total)
    why = _why("total", execution=execution.score, rows=rows_total, total=total, grade=grade)
    return Scores(execution, rows, points.groups, points.redistributed, total, grade, why)


def _execution_score(evaluation: SelfEvaluation, profile: Profile) -> ExecutionScore:
    funds = evaluation.funds.total
    w, planned, executed = profile.execution_points, funds.annual_budget, funds.executed
    if planned is None or executed is None or planned <= 0:
        return ExecutionScore(w, planned, executed, None, _ZERO, _why("execution-unknown", w=w))
    rate = executed / planned
    value = rounded(min(w, max(_ZERO, w * rate)))
    percent = format_amount(rounded(rate * _HUNDRED))
    why = _why("execution", x=executed, p=planned, rate=percent, w=w, score=value)
    return ExecutionScore(w, planned, executed, rate, value, why)


def _clamped(value: Decimal, w: Decimal) -> Decimal:
    return rounded(min(w, max(_ZERO, value)))


def tier_band(tier: Tier, w: Decimal) -> tuple[Decimal, Decimal]:
    """A tier's band [low, high) of w (达成's includes w), edges rounded to 2 places."""
    low, high, _ = TIER_BANDS[tier]
    return rounded(w * low), rounded(w * high)


def in_band(value: Decimal, tier: Tier, w: Decimal) -> bool:
    low, high = tier_band(tier, w)
    return low <= value <= high if tier is Tier.ACHIEVED else low <= value < high


def _row_score(
    row: int,
    indicator: Indicator,
    result: IndicatorResult,
    w: Decimal,
    group: str | None,
    profile: Profile,
    year: int | None,
) -> RowScore:
    target = read_target(indicator, year)
    entered = result.entered_score
    if target.kind == "qualitative":
        computed, final, why, tier, band = _tier_score(result, w)
        return RowScore(
            row, indicator.name, group, w, computed, entered, final, manual=False, qualitative=True,
            tier=tier, band=band, comparator=target.comparator, target=None, actual=None,
            problem="missing" if tier is None else None, why=why,
        )  # fmt: skip
    actual = read_actual(indicator, result.actual, target, year)
    w_pos = max(w, _ZERO)
    if actual.problem is not None:  # an unreadable value never earns points
        key = "actual-missing" if actual.problem == "missing" else "actual-invalid"
        computed, why = _ZERO, _why(key, w=w)
    elif target.end is not None and actual.completed is not None:
        computed, why = _date_score(target.end, actual.completed, w_pos)
    else:
        computed, why = _formula(target, actual, w_pos, profile)
    final, manual = computed, False
    # A manual score replaces the computed one only with a reason, and only within [0, w].
    reasoned = entered is not None and abs(entered - computed) > CENT and bool(result.score_reason.strip())
    if reasoned and entered is not None and _ZERO <= entered <= w_pos:
        final, manual = entered, True
        why = _why("manual", computed=computed, score=entered, reason=result.score_reason)
    return RowScore(
        row, indicator.name, group, w, computed, entered, final, manual=manual, qualitative=False,
        tier=None, band=None, comparator=target.comparator, target=target.value, actual=actual.value,
        problem=actual.problem, why=why,
    )  # fmt: skip


def _tier_score(
    result: IndicatorResult, w: Decimal
) -> tuple[Decimal, Decimal, str, Tier | None, tuple[Decimal, Decimal] | None]:
    """A 定性 row: (default score, score, why, tier, band); an entered score counts within its band."""
    tier = result.tier or parse_tier(result.actual)
    if tier is None:
        return _ZERO, _ZERO, _why("tier-missing", w=w), None, None
    w_pos = max(w, _ZERO)
    band = tier_band(tier, w_pos)
    default = rounded(w_pos * TIER_BANDS[tier][2])
    entered = result.entered_score
    taken = entered is not None and in_band(entered, tier, w_pos)
    final = entered if taken and entered is not None else default
    shown_band = f"[{_shown(band[0])}, {_shown(band[1])}{']' if tier is Tier.ACHIEVED else ')'}"
    why = _why("tier-entered" if taken else "tier-default", tier=tier.value, band=shown_band, score=final)
    return default, final, why, tier, band


def _date_score(end: date, completed: date, w: Decimal) -> tuple[Decimal, str]:
    if completed <= end:
        return _clamped(w, w), _why("date-met", completed=completed.isoformat(), end=end.isoformat(), w=w)
    late = (completed - end).days
    value = _clamped(w * max(_ZERO, _ONE - Decimal(late) / _DAYS_IN_YEAR), w)
    return value, _why(
        "date-late", completed=completed.isoformat(), end=end.isoformat(), days=late, w=w, score=value
    )


def _formula(target: Target, actual: Actual, w: Decimal, profile: Profile) -> tuple[Decimal, str]:
    """The score of a quantitative row by its comparator (CYCLE.md), clamped and rounded."""
    comparator, a, b = target.comparator, target.value, actual.value
    if comparator is None or a is None or b is None:  # pragma: no cover - read_target/read_actual exclude it
        raise ValueError("a quantitative row without its comparator, target or value")
    figures = {"a": a, "b": b, "w": w, "sign": comparator.value}
    met = {
        Comparator.GE: b >= a,
        Comparator.GT: b > a,
        Comparator.LE: b <= a,
        Comparator.LT: b < a,
        Comparator.EQ: b == a,
    }[comparator]
    if met:
        return _clamped(w, w), _why("met", **figures)
    if comparator in {Comparator.GE, Comparator.GT}:
        raw = w * b / a if a > 0 else _ZERO
        return _done(raw, w, "higher", figures)
    if comparator in {Comparator.LE, Comparator.LT}:
        if a <= 0:  # A = 0 < B: nothing of the target is left
            return _done(_ZERO, w, "lower-zero", figures)
        if profile.lower_is_better == "linear":
            return _done(w * max(_ZERO, _ONE - (b - a) / a), w, "lower-linear", figures)
        return _done(w * a / b, w, "lower-ratio", figures)
    # "=": not met
    if a == 0:
        return _done(_ZERO, w, "equal-zero", figures)
    if b < a:
        return _done(w * b / a, w, "higher", figures)
    if profile.equal_over == "symmetric":
        return _done(w * max(_ZERO, _ONE - abs(b - a) / a), w, "equal-symmetric", figures)
    return _clamped(w, w), _why("equal-over-full", **figures)


def _done(raw: Decimal, w: Decimal, key: str, figures: dict[str, Decimal | str]) -> tuple[Decimal, str]:
    value = _clamped(raw, w)
    return value, _why(key, **figures, score=value)


@dataclass(frozen=True, slots=True)
class ScoredEvaluation:
    """A self-evaluation with the profile it is judged by and its scores: what its rules read."""

    evaluation: SelfEvaluation
    profile: Profile
    scores: Scores

    @classmethod
    def of(cls, evaluation: SelfEvaluation, profile: Profile) -> ScoredEvaluation:
        return cls(evaluation, profile, score(evaluation, profile))
