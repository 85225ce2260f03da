"""Scoring a self-evaluation: CYCLE.md's worked numbers (one test each) and properties of score()."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.check import check_selfeval
from jixiao.model.selfeval import SelfEvaluation, Tier
from jixiao.profile import DEFAULT, VARIANTS, Profile
from jixiao.scoring import in_band, score, split_points, tier_band
from selfeval_cases import (
    A_YEAR,
    ACCIDENTS,
    BEN,
    DRILL_COST,
    DRILLS,
    OUT,
    PLANS,
    ROUND_THE_CLOCK,
    SAT,
    Row,
    evaluation,
)

D = Decimal


def _row(row: Row, actual: str | None, profile: Profile = DEFAULT) -> tuple[Decimal, str]:
    made = evaluation(row._replace(actual=actual))
    scored = score(made, profile).rows[0]
    return scored.score, scored.why


def _codes(made: SelfEvaluation) -> list[tuple[Any, ...]]:
    return check_selfeval(made).flatten()


# ---------------------------------------------------------------------------------------------
# CYCLE.md's worked numbers


def test_worked_1_execution_565_58075_planned_520_33429_spent_is_92_percent_and_9_20() -> None:
    made = evaluation(DRILLS._replace(actual="12"))
    execution = score(made, DEFAULT).execution
    assert execution.rate == D("0.92")
    assert execution.rate_percent == D("92.00")
    assert execution.score == D("9.20")
    assert "selfeval-execution-unexplained" not in check_selfeval(made).codes()  # ≥ 90 %: no reason needed


def test_worked_2_drills_at_least_12_points_15_nine_scores_11_25_thirty_scores_15_too_low() -> None:
    made = evaluation(DRILLS)
    assert score(made, DEFAULT).rows[0].score == D("11.25")
    assert ("selfeval-deviation-unexplained", 1, "deviation") in _codes(made)
    made.indicators[0].deviation = "三次演练因台风延期，已调整明年计划。"
    assert ("selfeval-deviation-unexplained", 1, "deviation") not in _codes(made)

    beaten = evaluation(DRILLS._replace(actual="30"))
    assert score(beaten, DEFAULT).rows[0].score == D("15.00")
    report = check_selfeval(beaten)
    assert ("selfeval-target-too-low", 1, "actual") in report.flatten()
    assert "150" in next(f.message for f in report.findings if f.code == "selfeval-target-too-low")


@pytest.mark.parametrize(
    ("actual", "ratio", "linear"),
    [("5.5", D("9.09"), D("9.00")), ("11", D("4.55"), D("0.00"))],
)
def test_worked_3_cost_per_drill_at_most_5_points_10_ratio_and_linear(
    actual: str, ratio: Decimal, linear: Decimal
) -> None:
    assert _row(DRILL_COST, actual)[0] == ratio
    assert _row(DRILL_COST, actual, VARIANTS["linear"])[0] == linear


def test_worked_4_round_the_clock_equals_7x24_points_15() -> None:
    assert _row(ROUND_THE_CLOCK, "168")[0] == D("15.00")
    assert _row(ROUND_THE_CLOCK, "160")[0] == D("14.29")
    assert _row(ROUND_THE_CLOCK, "170")[0] == D("15.00")
    assert _row(ROUND_THE_CLOCK, "170", VARIANTS["symmetric"])[0] == D("14.82")
    made = evaluation(ROUND_THE_CLOCK._replace(actual="160"))
    assert score(made, DEFAULT).rows[0].target == D(168)


def test_worked_5_accidents_equal_zero_points_15() -> None:
    assert _row(ACCIDENTS, "0")[0] == D("15.00")
    assert _row(ACCIDENTS, "1")[0] == D("0.00")


def test_worked_6_plans_qualitative_partly_achieved_points_15_and_bands_of_6() -> None:
    made = evaluation(PLANS)
    row = score(made, DEFAULT).rows[0]
    assert (row.score, row.band) == (D("10.50"), (D("9.00"), D("12.00")))
    for entered, taken in ((D("9.00"), True), (D("11.99"), True), (D("12.00"), False), (D("8.99"), False)):
        made.indicators[0].entered_score = entered
        row = score(made, DEFAULT).rows[0]
        assert (row.score == entered) is taken
        assert (("selfeval-score-out-of-range", 1, "entered_score") in _codes(made)) is not taken
    w = D(6)
    assert tier_band(Tier.ACHIEVED, w) == (D("4.80"), D("6.00"))
    assert tier_band(Tier.PARTLY, w) == (D("3.60"), D("4.80"))
    assert tier_band(Tier.NOT_ACHIEVED, w) == (D("0.00"), D("3.60"))
    assert in_band(D(6), Tier.ACHIEVED, w)
    assert not in_band(D("4.80"), Tier.PARTLY, w)
    assert in_band(D("3.59"), Tier.NOT_ACHIEVED, w)


def test_worked_7_a_year_totals_89_48_good_excellent_under_80_70_60_and_89_39_linear() -> None:
    made = evaluation(*A_YEAR)
    scores = score(made, DEFAULT)
    assert [row.score for row in scores.rows] == [
        D("11.25"), D("15.00"), D("9.09"), D("10.00"), D("15.00"), D("10.50"), D("9.44"),
    ]  # fmt: skip
    assert sum(row.score for row in scores.rows) == D("80.28")
    assert (scores.execution.score, scores.total, scores.grade) == (D("9.20"), D("89.48"), "良")
    assert scores.why == "总分 = 预算执行率得分 9.20 + 各指标得分之和 80.28 = 89.48，等级“良”"
    assert score(made, VARIANTS["80/70/60"]).grade == "优"
    assert score(made, VARIANTS["linear"]).total == D("89.39")


# ---------------------------------------------------------------------------------------------
# Points, dates, manual scores


def test_points_split_evenly_with_the_remainder_on_the_last_row_and_empty_groups_handed_on() -> None:
    rows = [Row(OUT, "数量指标", f"产出{n}", "≥", "1", "个") for n in range(3)] + [
        Row(BEN, "社会效益指标", "效益", "≥", "1", "个")
    ]
    points = split_points(evaluation(*rows), DEFAULT)
    # 满意度 (10) goes to 产出 50 and 效益 30 in proportion: 56.25 and 33.75.
    assert points.groups == {OUT: D("56.25"), BEN: D("33.75")}
    assert points.redistributed == (SAT,)
    assert points.defaults == (D("18.75"), D("18.75"), D("18.75"), D("33.75"))
    thirds = split_points(
        evaluation(*rows, Row(SAT, "服务对象满意度指标", "满意度", "≥", "90", "%")), DEFAULT
    )
    assert thirds.defaults[:3] == (D("16.67"), D("16.67"), D("16.66"))


def test_cost_rows_take_the_101_profiles_cost_points() -> None:
    rows = (DRILLS, DRILL_COST, ACCIDENTS, Row(SAT, "服务对象满意度指标", "满意度", "≥", "90", "%"))
    plain = [r._replace(points=None) for r in rows]
    defaults = split_points(evaluation(*plain), VARIANTS["101号"]).defaults
    assert defaults == (D(40), D(10), D(30), D(10))
    assert split_points(evaluation(*plain), DEFAULT).defaults == (D(25), D(25), D(30), D(10))


@pytest.mark.parametrize(
    ("target", "done", "expected"),
    [
        ("2023.07-2024.01", "2024年1月31日", D("10.00")),
        ("2023年12月底前", "2023-12-20", D("10.00")),
        ("2023年12月底前", "2024-01-30", D("9.18")),  # 30 days late: 10 × (1 − 30/365)
        ("12月底前", "2025-01-01", D("0.00")),  # 367 days late, the year taken from the table
    ],
)
def test_a_date_target_is_met_by_its_end_and_late_days_cost_points(
    target: str, done: str, expected: Decimal
) -> None:
    row = Row(OUT, "时效指标", "完成时间", "≤", target, "", "10")
    assert _row(row, done)[0] == expected


def test_a_manual_score_counts_only_with_a_reason_and_both_are_kept() -> None:
    made = evaluation(DRILLS)
    made.indicators[0].entered_score = D("14")
    row = score(made, DEFAULT).rows[0]
    assert (row.computed, row.score, row.manual) == (D("11.25"), D("11.25"), False)
    assert ("selfeval-override-unexplained", 1, "score_reason") in _codes(made)
    made.indicators[0].score_reason = "三次演练与省级联合演练合并举行，实际覆盖超过计划。"
    row = score(made, DEFAULT).rows[0]
    assert (row.computed, row.entered, row.score, row.manual) == (D("11.25"), D("14"), D("14"), True)
    assert "11.25" in row.why
    assert "14" in row.why


def test_a_missing_or_unreadable_actual_scores_zero_never_full_points() -> None:
    for actual in (None, "", "≥9", "9次", "完成"):
        assert _row(DRILLS, actual)[0] == D("0.00"), actual
    assert _row(ACCIDENTS, None)[0] == D("0.00")


def test_each_score_says_why_with_its_numbers() -> None:
    assert _row(DRILLS, "9")[1] == "实际 9 未达到目标 ≥12，得分 15×9÷12 = 11.25"
    made = evaluation(DRILLS)
    assert (
        score(made, DEFAULT).execution.why
        == "执行率 520.33429÷565.58075=92.00%，得分 min(10, 10×92.00%) = 9.20"
    )


# ---------------------------------------------------------------------------------------------
# Properties

_DECIMALS = st.decimals(min_value=-1000, max_value=100000, places=2, allow_nan=False, allow_infinity=False)
_TARGETS = st.decimals(min_value=0, max_value=10000, places=2, allow_nan=False, allow_infinity=False)
_POINTS = st.decimals(min_value="0.01", max_value=100, places=2, allow_nan=False, allow_infinity=False)
_PROFILES = st.sampled_from(list(VARIANTS.values()))


@settings(max_examples=300, deadline=None)
@given(
    comparator=st.sampled_from(["≥", ">", "≤", "<", "=", "定性"]),
    target=_TARGETS,
    actual=_DECIMALS,
    points=_POINTS,
    profile=_PROFILES,
    entered=st.one_of(st.none(), st.decimals(min_value=-10, max_value=200, places=2)),
    reason=st.sampled_from(["", "经复核，按实际工作量调整得分"]),
)
def test_a_rows_score_never_leaves_0_to_w(
    comparator: str,
    target: Decimal,
    actual: Decimal,
    points: Decimal,
    profile: Profile,
    entered: Decimal | None,
    reason: str,
) -> None:
    row = Row(OUT, "数量指标", "指标", comparator, str(target), "个", str(points), str(actual))
    made = evaluation(row)
    made.indicators[0].entered_score = entered
    made.indicators[0].score_reason = reason
    if comparator == "定性":
        made.indicators[0].tier = Tier.PARTLY
    value = score(made, profile).rows[0].score
    assert D(0) <= value <= points


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(
                [(OUT, "数量指标"), (OUT, "成本指标"), (BEN, "社会效益指标"), (SAT, "服务对象满意度指标")]
            ),
            st.sampled_from(["≥", "≤", "=", "定性"]),
            _TARGETS,
            st.one_of(st.none(), _DECIMALS.map(str), st.sampled_from(list(Tier)).map(str)),
        ),
        min_size=1,
        max_size=12,
    ),
    planned=st.decimals(min_value="0.01", max_value=100000, places=5),
    executed=st.decimals(min_value=0, max_value=200000, places=5),
    profile=_PROFILES,
)
def test_the_total_never_exceeds_100(
    rows: list[tuple[tuple[str, str], str, Decimal, str | None]],
    planned: Decimal,
    executed: Decimal,
    profile: Profile,
) -> None:
    made = evaluation(
        *(Row(l1, l2, f"指标{n}", c, str(t), "个", None, a) for n, ((l1, l2), c, t, a) in enumerate(rows)),
        planned=str(planned),
        executed=str(executed),
    )
    scores = score(made, profile)
    assert scores.total <= 100
    assert scores.total == scores.execution.score + sum(row.score for row in scores.rows)


@settings(max_examples=300, deadline=None)
@given(
    target=_TARGETS, low=_DECIMALS, rise=st.decimals(min_value=0, max_value=1000, places=2), points=_POINTS
)
def test_an_at_least_rows_score_never_falls_when_b_rises(
    target: Decimal, low: Decimal, rise: Decimal, points: Decimal
) -> None:
    row = Row(OUT, "数量指标", "指标", "≥", str(target), "个", str(points))
    before = score(evaluation(row._replace(actual=str(low))), DEFAULT).rows[0].score
    after = score(evaluation(row._replace(actual=str(low + rise))), DEFAULT).rows[0].score
    assert after >= before


_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["7*24", "2023.07-2024.01", "12月底前", "2023年13月", "9999999999999999999999999999999", "≥", "%"]
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    comparator=st.one_of(st.none(), st.text(max_size=3), st.sampled_from(["≥", "≤", "=", ">", "<", "定性"])),
    target=_TEXT,
    unit=st.sampled_from(["", "%", "个", "小时"]),
    actual=st.one_of(st.none(), _TEXT),
    points=st.one_of(st.none(), st.decimals(min_value=-100, max_value=10**30, places=2)),
    entered=st.one_of(st.none(), st.decimals(min_value=-(10**30), max_value=10**30, places=2)),
    planned=st.one_of(st.none(), st.decimals(min_value=-1, max_value=10**25, places=5)),
    executed=st.one_of(st.none(), st.decimals(min_value=-1, max_value=10**25, places=5)),
)
def test_no_self_evaluation_crashes_scoring_or_checking(
    comparator: str | None,
    target: str,
    unit: str,
    actual: str | None,
    points: Decimal | None,
    entered: Decimal | None,
    planned: Decimal | None,
    executed: Decimal | None,
) -> None:
    row = Row(OUT, "数量指标", "指标", "≥", target, unit)
    made = evaluation(row, planned=None if planned is None else str(planned), executed=None)
    data = made.model_dump()
    data["approved"]["indicators"][0]["comparator"] = comparator
    made = type(made).model_validate(data)
    made.funds.total.executed = executed
    result = made.indicators[0]
    result.actual, result.points, result.entered_score = actual, points, entered
    scores = score(made, DEFAULT)
    assert all(f.message for f in check_selfeval(made).findings)
    assert scores.rows[0].score >= 0
