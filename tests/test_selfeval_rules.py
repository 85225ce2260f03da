"""The self-evaluation rules (``selfeval-*`` of CYCLE.md): each fires on a case, at its place."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jixiao.check import check_selfeval, check_table
from jixiao.model import TargetTable
from jixiao.model.selfeval import SelfEvaluation
from jixiao.profile import DEFAULT, VARIANTS, Profile
from jixiao.rules import SELFEVAL_RULES, TABLE_RULES
from selfeval_cases import A_YEAR, DRILLS, OUT, PLANS, SATISFIED, Row, evaluation

D = Decimal
_DEVIATION = "受台风影响部分演练延期，已调整下年度计划。"
_GOAL = "全年组织综合应急演练9次，应急值守全年7×24小时不间断，未发生较大以上安全生产事故，预案体系基本健全。"


def _finished() -> SelfEvaluation:
    """Worked number 7's year, filled in completely: no finding at all."""
    made = evaluation(*A_YEAR)
    made.goal_actual = _GOAL
    for result in made.indicators:
        result.deviation = _DEVIATION
    return made


def _found(made: SelfEvaluation, profile: Profile = DEFAULT) -> list[tuple[Any, ...]]:
    return check_selfeval(made, profile).flatten()


def test_a_finished_year_has_no_findings() -> None:
    assert _found(_finished()) == []


def test_funds_mismatch_initial_budget_and_sources() -> None:
    table = TargetTable(year=2023)
    table.budget.fiscal_appropriation = D("500")
    table.budget.other_funds = D("65.58075")
    made = SelfEvaluation.from_table(table)
    made.funds.total.annual_budget = made.funds.total.executed = D("565.58075")
    made.funds.fiscal.initial_budget = D("501")
    made.funds.fiscal.executed, made.funds.other.executed = D("500"), D("60")
    found = [f for f in _found(made) if f[0] == "selfeval-funds-mismatch"]
    assert found == [  # in the order of the funds block
        ("selfeval-funds-mismatch", 1, "initial_budget"),  # 565.58075 ≠ 501 + 65.58075
        ("selfeval-funds-mismatch", 1, "executed"),  # 565.58075 ≠ 500 + 60
        ("selfeval-funds-mismatch", 2, "initial_budget"),  # the table says 500
    ]


def test_funds_missing_and_not_positive() -> None:
    assert [f for f in _found(evaluation(*A_YEAR, planned=None)) if f[0] == "selfeval-funds-missing"] == [
        ("selfeval-funds-missing", 1, "initial_budget"),
        ("selfeval-funds-missing", 1, "annual_budget"),
    ]
    assert ("selfeval-funds-missing", 1, "annual_budget") in _found(evaluation(*A_YEAR, planned="0"))
    assert ("selfeval-funds-missing", 1, "executed") in _found(evaluation(*A_YEAR, executed=None))


def test_execution_unexplained_below_the_threshold_or_adjusted() -> None:
    made = _finished()
    made.funds.total.executed = D("500")  # 88.40 %
    report = check_selfeval(made)
    assert report.flatten() == [("selfeval-execution-unexplained", None, "reason")]
    assert "88.40%" in report.findings[0].message
    made.funds.total.executed = D("520.33429")
    made.funds.total.annual_budget = D("570")
    assert _found(made) == [("selfeval-execution-unexplained", None, "reason")]
    made.funds.reason = "年中追加应急物资采购经费 4.41925 万元。"
    assert _found(made) == []
    stricter = DEFAULT.model_copy(update={"explain_execution_below": D(95)})
    made.funds.reason = ""
    made.funds.total.annual_budget = made.funds.total.initial_budget
    assert _found(made, stricter) == [("selfeval-execution-unexplained", None, "reason")]


def test_actual_missing_and_invalid() -> None:
    made = _finished()
    made.indicators[0].actual = None
    made.indicators[5].tier = None
    made.indicators[3].actual = "≥97"
    made.indicators[6].actual = "85%"
    made.indicators[2].actual = "约5万"
    made.indicators[1].actual = "168"
    assert _found(made) == [
        ("selfeval-actual-missing", 1, "actual"),
        ("selfeval-actual-invalid", 3, "actual"),
        ("selfeval-actual-invalid", 4, "actual"),
        ("selfeval-actual-missing", 6, "tier"),
        ("selfeval-actual-invalid", 7, "actual"),
    ]


def test_a_percentage_over_100_is_invalid_unless_a_growth_rate() -> None:
    made = evaluation(
        SATISFIED._replace(actual="101"), Row(OUT, "数量指标", "业务量增长率", "≥", "10", "%", None, "130")
    )
    assert [f for f in _found(made) if f[0] == "selfeval-actual-invalid"] == [
        ("selfeval-actual-invalid", 1, "actual")
    ]


def test_points_invalid_moved_and_redistributed() -> None:
    made = _finished()
    made.indicators[0].points = D("20")  # 产出 55, total 105
    found = _found(made)
    assert ("selfeval-points-moved", None, "points") in found
    assert ("selfeval-points-invalid", None, "points") in found
    made.indicators[1].points = D("10")  # 产出 50 again, but row 1 has 20 and row 2 has 10
    found = _found(made)
    assert ("selfeval-points-invalid", None, "points") not in found
    assert ("selfeval-points-moved", None, "points") not in found
    made.indicators[1].points = D("0")
    assert ("selfeval-points-invalid", 2, "points") in _found(made)
    seed_like = evaluation(DRILLS, PLANS._replace(points=None))
    seed_like.indicators[0].points = None
    assert ("selfeval-points-redistributed", None, "points") in _found(seed_like)


def test_score_out_of_range_and_override_unexplained() -> None:
    made = _finished()
    made.indicators[0].entered_score = D("16")
    made.indicators[0].score_reason = "合并演练"
    made.indicators[5].entered_score = D("12")  # 部分达成 of 15: [9, 12)
    made.indicators[6].entered_score = D("9.45")  # 9.44 computed: within 0.01, no reason needed
    made.indicators[2].entered_score = D("10")  # 9.09 computed, no reason
    assert _found(made) == [
        ("selfeval-score-out-of-range", 1, "entered_score"),
        ("selfeval-override-unexplained", 3, "score_reason"),
        ("selfeval-score-out-of-range", 6, "entered_score"),
    ]


def test_deviation_unexplained_below_full_points() -> None:
    made = _finished()
    made.indicators[0].deviation = "演练延期"  # 4 characters
    made.indicators[1].deviation = ""  # full points: nothing to explain
    assert _found(made) == [("selfeval-deviation-unexplained", 1, "deviation")]


def test_target_too_low_beyond_the_flag() -> None:
    made = _finished()
    made.indicators[0].actual = "18"  # exactly 50 % over: not beyond
    assert _found(made) == []
    made.indicators[0].actual = "18.01"
    assert _found(made) == [("selfeval-target-too-low", 1, "actual")]
    assert _found(made, DEFAULT.model_copy(update={"over_achievement_flag": D(60)})) == []


def test_total_mismatch_for_printed_scores_total_and_grade() -> None:
    made = _finished()
    made.indicators[0].printed_score = D("14.70")  # 15 × 98 % instead of B/A
    made.indicators[1].printed_score = D("15")
    made.funds.printed_score = D("9.2")
    made.printed_total = D("92.93")
    made.printed_grade = "优"
    report = check_selfeval(made)
    assert report.flatten() == [  # 9.2 printed for 9.20 and 15 for 15.00 agree
        ("selfeval-total-mismatch", 1, "printed_score"),
        ("selfeval-total-mismatch", None, "printed_total"),
        ("selfeval-total-mismatch", None, "printed_grade"),
    ]
    assert "应为 11.25" in report.findings[0].message


def test_goal_unreported_blank_short_or_copied() -> None:
    data = _finished().model_dump()
    data["approved"]["overall_goal"] = (
        "全年组织综合应急演练12次，应急值守7×24小时，确保不发生较大以上安全生产事故，健全应急预案体系。"
    )
    made = SelfEvaluation.model_validate(data)
    for text in ("", "基本完成。", made.approved.overall_goal + "\n"):
        made.goal_actual = text
        assert _found(made) == [("selfeval-goal-unreported", None, "goal_actual")], text
    made.goal_actual = _GOAL
    assert _found(made) == []


def test_monitor_contradicts_when_certain_but_below_full_points() -> None:
    made = _finished()
    made.indicators[0].monitoring_likelihood = "确定能"
    made.indicators[1].monitoring_likelihood = "确定能"  # full points: no contradiction
    made.indicators[6].monitoring_likelihood = "有可能"
    assert _found(made) == [("selfeval-monitor-contradicts", 1, "monitoring_likelihood")]


def test_each_kind_runs_only_its_own_rules(seed_table: TargetTable) -> None:
    table_codes = {code for f in check_table(seed_table).findings for code in [f.code]}
    assert not any(code.startswith("selfeval-") for code in table_codes)
    made = SelfEvaluation.from_table(seed_table)
    assert all(code.startswith("selfeval-") for code in check_selfeval(made).codes())
    assert {rule.kind for rule in SELFEVAL_RULES.rules} == {"selfeval"}
    assert {rule.kind for rule in TABLE_RULES.rules} == {"table"}


def test_messages_name_the_row_the_figures_and_what_to_do() -> None:
    made = _finished()
    made.indicators[0].deviation = ""
    message = check_selfeval(made, VARIANTS["linear"]).findings[0].message
    assert message == (
        "绩效指标第1行“开展应急演练次数”得分 11.25，低于分值 15，请在“偏差原因分析及改进措施”中写明原因和措施"
        "（不少于 10 字）。"
    )
