"""Self-evaluation rules: the ``selfeval-*`` codes of ``shared/spec/CYCLE.md``.

They judge a :class:`jixiao.scoring.ScoredEvaluation` (the self-evaluation, its profile and its
scores, computed once), never a target table.  An indicator's row is its 1-based position in the
approved table's indicators, the same row as the table's own findings; a funds finding's row is the
funds block's (1 年度资金总额, 2 其中：财政拨款, 3 其他资金) and its field the column.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Final

from jixiao.catalogue import PHRASES
from jixiao.findings import Finding, Location, finding
from jixiao.model import Comparator
from jixiao.model.selfeval import Funds, FundsRow, Tier, initial_total
from jixiao.model.table import format_amount
from jixiao.model.values import compact
from jixiao.rules.registry import selfeval_rule
from jixiao.scoring import CENT, ScoredEvaluation, in_band, rounded

_HUNDRED: Final = Decimal(100)
#: 偏差原因分析及改进措施 needs at least this many characters (white space not counted).
DEVIATION_MINIMUM: Final = 10
#: 实际完成情况 of the goal needs at least this many characters.
GOAL_MINIMUM: Final = 30
_FUNDS_ROWS: Final = ("total", "fiscal", "other")
_FUNDS_COLUMNS: Final = ("initial_budget", "annual_budget", "executed")
_ROW_TITLES: Final = {name: Funds.model_fields[name].title or name for name in _FUNDS_ROWS}
_COLUMN_TITLES: Final = {name: FundsRow.model_fields[name].title or name for name in _FUNDS_COLUMNS}


def _amount(value: Decimal | None) -> str:
    return PHRASES["blank"] if value is None else PHRASES["amount"].format(amount=format_amount(value))


def _score(value: Decimal) -> str:
    return format_amount(rounded(value))


def _at(row: int, field: str) -> Location:
    return Location("indicators", row=row, field=field)


def _funds_at(name: str, column: str) -> Location:
    """A cell of the funds block: row 1 年度资金总额, 2 其中：财政拨款, 3 其他资金; the column's field."""
    return Location("funds", row=_FUNDS_ROWS.index(name) + 1, field=column)


# ---------------------------------------------------------------------------------------------
# Funds


@selfeval_rule("selfeval-funds-mismatch")
def funds_mismatch(scored: ScoredEvaluation) -> Iterator[Finding]:
    """年初预算数 is the approved table's (where it shows one); 财政拨款 + 其他资金 = 年度资金总额 in
    every column where all three are filled."""
    funds, budget = scored.evaluation.funds, scored.evaluation.approved.budget
    approved = {
        "total": initial_total(budget),
        "fiscal": budget.fiscal_appropriation,
        "other": budget.other_funds,
    }
    for name in _FUNDS_ROWS:
        value: Decimal | None = getattr(funds, name).initial_budget
        if approved[name] is not None and value != approved[name]:
            detail = PHRASES["funds-initial"].format(
                row=_ROW_TITLES[name], value=_amount(value), approved=_amount(approved[name])
            )
            yield finding("selfeval-funds-mismatch", _funds_at(name, "initial_budget"), detail=detail)
    for column in _FUNDS_COLUMNS:
        total, fiscal, other = (getattr(getattr(funds, name), column) for name in _FUNDS_ROWS)
        if total is None or fiscal is None or other is None or total == fiscal + other:
            continue
        detail = PHRASES["funds-sum"].format(
            column=_COLUMN_TITLES[column],
            total=format_amount(total),
            fiscal=format_amount(fiscal),
            other=format_amount(other),
            difference=format_amount(abs(total - fiscal - other)),
        )
        yield finding("selfeval-funds-mismatch", _funds_at("total", column), detail=detail)


@selfeval_rule("selfeval-funds-missing")
def funds_missing(scored: ScoredEvaluation) -> Iterator[Finding]:
    """年度资金总额 has 年初预算数, 全年预算数 P > 0 and 全年执行数 X ≥ 0: without them the execution
    rate cannot be computed (and scores 0)."""
    total = scored.evaluation.funds.total
    for column in _FUNDS_COLUMNS:
        value: Decimal | None = getattr(total, column)
        if value is None:
            problem = PHRASES["funds-not-filled"]
        elif column == "annual_budget" and value <= 0:
            problem = PHRASES["funds-not-positive"].format(value=format_amount(value))
        elif value < 0:
            problem = PHRASES["funds-negative"].format(value=format_amount(value))
        else:
            continue
        yield finding(
            "selfeval-funds-missing",
            _funds_at("total", column),
            label=_COLUMN_TITLES[column],
            problem=problem,
        )


@selfeval_rule("selfeval-execution-unexplained")
def execution_unexplained(scored: ScoredEvaluation) -> Iterator[Finding]:
    """An execution rate below ``explain_execution_below``, or 全年预算数 ≠ 年初预算数, needs a reason."""
    funds = scored.evaluation.funds
    if funds.reason.strip():
        return
    execution, threshold = scored.scores.execution, scored.profile.explain_execution_below
    where = Location("funds", field="reason")
    rate, executed, planned = execution.rate, execution.executed, execution.annual_budget
    if rate is not None and executed is not None and planned is not None and rate * _HUNDRED < threshold:
        detail = PHRASES["execution-low"].format(
            rate=format_amount(rounded(rate * _HUNDRED)),
            executed=format_amount(executed),
            planned=format_amount(planned),
            threshold=format_amount(threshold),
        )
        yield finding("selfeval-execution-unexplained", where, detail=detail)
    initial = funds.total.initial_budget
    if planned is not None and initial is not None and planned != initial:
        detail = PHRASES["execution-adjusted"].format(
            planned=format_amount(planned), initial=format_amount(initial)
        )
        yield finding("selfeval-execution-unexplained", where, detail=detail)


# ---------------------------------------------------------------------------------------------
# Indicators: values


@selfeval_rule("selfeval-actual-missing")
def actual_missing(scored: ScoredEvaluation) -> Iterator[Finding]:
    """Every row has its 实际完成值 (a 定性 row its tier); a missing one scores 0, never full points."""
    for row in scored.scores.rows:
        if row.problem == "missing":
            what = PHRASES["actual-what.tier" if row.qualitative else "actual-what.value"]
            field = "tier" if row.qualitative else "actual"
            yield finding(
                "selfeval-actual-missing", _at(row.row, field), row=row.row, name=row.name, what=what
            )


@selfeval_rule("selfeval-actual-invalid")
def actual_invalid(scored: ScoredEvaluation) -> Iterator[Finding]:
    """实际完成值 is a bare number (or product, or a completion date for a date target): no
    comparator or unit glyph in it; a % over 100 only where the name is a growth rate."""
    for row in scored.scores.rows:
        if row.problem is not None and row.problem != "missing":
            value = scored.evaluation.indicators[row.row - 1].actual or ""
            yield finding(
                "selfeval-actual-invalid",
                _at(row.row, "actual"),
                row=row.row,
                name=row.name,
                value=value,
                problem=PHRASES[f"actual.{row.problem}"],
            )


# ---------------------------------------------------------------------------------------------
# Indicators: points


@selfeval_rule("selfeval-points-invalid")
def points_invalid(scored: ScoredEvaluation) -> Iterator[Finding]:
    """Every row's points are > 0, and the execution points and all rows' points make 100."""
    for row in scored.scores.rows:
        if row.points <= 0:
            indicator = scored.evaluation.approved.indicators[row.row - 1]
            key = "points-row" if row.group is not None else "points-row-ungrouped"
            detail = PHRASES[key].format(
                row=row.row, name=row.name, level1=indicator.level1, points=format_amount(row.points)
            )
            yield finding("selfeval-points-invalid", _at(row.row, "points"), detail=detail)
    total = scored.scores.points_total
    if total != _HUNDRED:
        execution = scored.scores.execution.points
        detail = PHRASES["points-total"].format(
            execution=format_amount(execution),
            indicators=format_amount(total - execution),
            total=format_amount(total),
        )
        yield finding("selfeval-points-invalid", Location("total", field="points"), detail=detail)


@selfeval_rule("selfeval-points-moved")
def points_moved(scored: ScoredEvaluation) -> Iterator[Finding]:
    """Group sums differ from the profile's (after redistribution): allowed, shown to the reviewer."""
    sums: dict[str, Decimal] = {}
    for row in scored.scores.rows:
        if row.group is not None:
            sums[row.group] = sums.get(row.group, Decimal(0)) + row.points
    for group, expected in scored.scores.group_points.items():
        actual = sums.get(group, Decimal(0))
        if actual != expected:
            yield finding(
                "selfeval-points-moved",
                Location("indicators", field="points"),
                group=group,
                actual=format_amount(actual),
                expected=format_amount(expected),
            )


@selfeval_rule("selfeval-points-redistributed")
def points_redistributed(scored: ScoredEvaluation) -> Iterator[Finding]:
    """A group of the profile had no rows: its points went to the other groups in proportion."""
    others = PHRASES["list-separator"].join(scored.scores.group_points)
    for group in scored.scores.redistributed:
        yield finding(
            "selfeval-points-redistributed",
            Location("indicators", field="points"),
            group=group,
            points=format_amount(scored.profile.level1_points[group]),
            others=others,
        )


# ---------------------------------------------------------------------------------------------
# Indicators: scores


@selfeval_rule("selfeval-score-out-of-range")
def score_out_of_range(scored: ScoredEvaluation) -> Iterator[Finding]:
    """An entered score lies in [0, w], a 定性 one in its tier's band (edges rounded to 2 places)."""
    for row in scored.scores.rows:
        entered = row.entered
        if entered is None:
            continue
        if row.qualitative and row.tier is not None and row.band is not None:
            if in_band(entered, row.tier, row.points):
                continue
            low, high = (format_amount(edge) for edge in row.band)
            closing = "]" if row.tier is Tier.ACHIEVED else ")"
            band = PHRASES["band-tier"].format(tier=row.tier.value, band=f"[{low}, {high}{closing}")
        elif not row.qualitative and not Decimal(0) <= entered <= row.points:
            band = PHRASES["band-points"].format(w=format_amount(row.points))
        else:
            continue
        yield finding(
            "selfeval-score-out-of-range",
            _at(row.row, "entered_score"),
            row=row.row,
            name=row.name,
            score=format_amount(entered),
            band=band,
            used=_score(row.score),
        )


@selfeval_rule("selfeval-override-unexplained")
def override_unexplained(scored: ScoredEvaluation) -> Iterator[Finding]:
    """A manual score differing from the computed one by more than 0.01 needs a reason."""
    for row in scored.scores.rows:
        result = scored.evaluation.indicators[row.row - 1]
        if row.qualitative or row.entered is None or result.score_reason.strip():
            continue
        if abs(row.entered - row.computed) > CENT:
            yield finding(
                "selfeval-override-unexplained",
                _at(row.row, "score_reason"),
                row=row.row,
                name=row.name,
                entered=format_amount(row.entered),
                computed=_score(row.computed),
            )


@selfeval_rule("selfeval-deviation-unexplained")
def deviation_unexplained(scored: ScoredEvaluation) -> Iterator[Finding]:
    """A row scoring below its points explains 偏差原因分析及改进措施 in at least 10 characters.

    A row whose value is missing or unreadable is judged once it has one: its 0 is already an error
    (``selfeval-actual-missing``/``-invalid``), a second one for the same blank would say nothing new.
    """
    for row in scored.scores.rows:
        text = scored.evaluation.indicators[row.row - 1].deviation
        if row.problem is None and row.score < row.points and len(compact(text)) < DEVIATION_MINIMUM:
            yield finding(
                "selfeval-deviation-unexplained",
                _at(row.row, "deviation"),
                row=row.row,
                name=row.name,
                score=_score(row.score),
                points=format_amount(row.points),
                minimum=DEVIATION_MINIMUM,
            )


@selfeval_rule("selfeval-target-too-low")
def target_too_low(scored: ScoredEvaluation) -> Iterator[Finding]:
    """A ≥ (or >) row beaten by more than ``over_achievement_flag`` %: the target may be set too low."""
    flag = scored.profile.over_achievement_flag
    for row in scored.scores.rows:
        if row.comparator not in {Comparator.GE, Comparator.GT} or row.problem is not None:
            continue
        if row.target is None or row.actual is None or row.target <= 0:
            continue
        over = (row.actual - row.target) / row.target * _HUNDRED
        if over > flag:
            yield finding(
                "selfeval-target-too-low",
                _at(row.row, "actual"),
                row=row.row,
                name=row.name,
                actual=format_amount(row.actual),
                target=f"{row.comparator.value}{format_amount(row.target)}",
                over=format_amount(rounded(over)),
                flag=format_amount(flag),
            )


@selfeval_rule("selfeval-monitor-contradicts")
def monitor_contradicts(scored: ScoredEvaluation) -> Iterator[Finding]:
    """The monitoring said 确定能 (the profile's first likelihood) for a row that now scores below w."""
    certain = scored.profile.likelihood[0]
    for row in scored.scores.rows:
        said = scored.evaluation.indicators[row.row - 1].monitoring_likelihood
        if said is not None and compact(said) == compact(certain) and row.score < row.points:
            yield finding(
                "selfeval-monitor-contradicts",
                _at(row.row, "monitoring_likelihood"),
                row=row.row,
                name=row.name,
                likelihood=said,
                score=_score(row.score),
                points=format_amount(row.points),
            )


# ---------------------------------------------------------------------------------------------
# The whole


@selfeval_rule("selfeval-total-mismatch")
def total_mismatch(scored: ScoredEvaluation) -> Iterator[Finding]:
    """A read table's printed 得分, 总分 or 等级 equals the recomputed one (never taken over)."""
    evaluation, scores = scored.evaluation, scored.scores
    for row in scores.rows:
        printed = evaluation.indicators[row.row - 1].printed_score
        if printed is not None and printed != row.score:
            place = PHRASES["printed-row"].format(row=row.row, name=row.name)
            yield finding(
                "selfeval-total-mismatch",
                _at(row.row, "printed_score"),
                place=place,
                printed=format_amount(printed),
                computed=_score(row.score),
            )
    checks = (
        (
            Location("funds", field="printed_score"),
            "printed-execution",
            evaluation.funds.printed_score,
            scores.execution.score,
        ),
        (Location("total", field="printed_total"), "printed-total", evaluation.printed_total, scores.total),
    )
    for where, place, printed_value, computed in checks:
        if printed_value is not None and printed_value != computed:
            yield finding(
                "selfeval-total-mismatch",
                where,
                place=PHRASES[place],
                printed=format_amount(printed_value),
                computed=_score(computed),
            )
    grade = evaluation.printed_grade
    if grade is not None and compact(grade) != scores.grade:
        yield finding(
            "selfeval-total-mismatch",
            Location("total", field="printed_grade"),
            place=PHRASES["printed-grade"],
            printed=grade,
            computed=scores.grade,
        )


@selfeval_rule("selfeval-goal-unreported")
def goal_unreported(scored: ScoredEvaluation) -> Iterator[Finding]:
    """实际完成情况 of the goal is written: not empty, at least 30 characters, not 预期目标 copied."""
    actual = compact(scored.evaluation.goal_actual)
    if not actual:
        problem = PHRASES["goal.blank"]
    elif actual == compact(scored.evaluation.approved.overall_goal):
        problem = PHRASES["goal.copy"]
    elif len(actual) < GOAL_MINIMUM:
        problem = PHRASES["goal.short"].format(length=len(actual), minimum=GOAL_MINIMUM)
    else:
        return
    yield finding("selfeval-goal-unreported", Location("overall_goal", field="goal_actual"), problem=problem)
