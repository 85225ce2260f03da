"""The monitoring rules (``monitor-*`` of CYCLE.md): each fires on a case, at its place."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.check import check_monitoring, check_table
from jixiao.model.monitoring import MonitoringReport
from jixiao.model.selfeval import Tier
from jixiao.monitoring import warnings
from jixiao.profile import DEFAULT, Profile
from jixiao.rules import MONITORING_RULES, TABLE_RULES
from monitoring_cases import (
    CAUSE_NOTE,
    DRILL_COST,
    PLANS,
    SATISFIED,
    WORKED_8,
    Row,
    explained,
    report,
    table,
)
from selfeval_cases import OUT

D = Decimal
ON_TRACK = Row(OUT, "数量指标", "开展应急演练次数", "≥", "12", "次", "8", None, "12")


def _found(made: MonitoringReport, profile: Profile = DEFAULT, **kwargs: Any) -> list[tuple[Any, ...]]:
    return check_monitoring(made, profile, **kwargs).flatten()


def _on_track() -> MonitoringReport:
    """Everything filled and on track (v ≥ 80 everywhere): no finding at all."""
    made = report(ON_TRACK, DRILL_COST, SATISFIED, spent=D("400"))
    made.indicators[2].to_date = "91"
    return made


def test_a_report_on_track_has_no_findings() -> None:
    assert _found(_on_track()) == []


def test_worked_8_needs_the_budgets_reason_and_causes_and_measures_where_red_or_yellow() -> None:
    assert _found(report(*WORKED_8)) == [
        ("monitor-budget-unexplained", None, "reason"),  # yellow, v = 77.14
        ("monitor-cause-missing", 1, "causes"),  # red, v = 57.14
        ("monitor-cause-missing", 3, "causes"),  # 部分达成: yellow
    ]  # 成本 4.8 ≤ 5: green, nothing asked
    assert _found(explained(report(*WORKED_8))) == []


def test_messages_name_the_row_the_figures_and_what_to_do() -> None:
    messages = check_monitoring(report(*WORKED_8), DEFAULT).flatten(("code", "message"))
    budget = dict(messages)["monitor-budget-unexplained"]
    assert "黄色预警" in budget
    assert "254.51134÷565.58075 = 45.00%" in budget
    assert "预算执行偏差原因及纠偏措施" in budget
    drills = next(m for c, m in messages if c == "monitor-cause-missing")
    assert "第1行“开展应急演练次数”" in drills
    assert "红色预警" in drills
    assert "进度比 = 4÷7×100 = 57.14" in drills
    assert "偏差原因和纠偏措施" in drills


def test_month_invalid_and_a_year_other_than_the_tables() -> None:
    made = _on_track()
    made.month = 12
    assert ("monitor-month-invalid", None, "month") in _found(made)
    made = _on_track()
    made.year = 2024
    assert _found(made) == [("monitor-month-invalid", None, "year")]
    made.month = 0
    assert [f for f in _found(made) if f[0] == "monitor-month-invalid"] == [
        ("monitor-month-invalid", None, "month"),
        ("monitor-month-invalid", None, "year"),
    ]


def test_indicators_changed_against_the_approved_version() -> None:
    approved = table(ON_TRACK, DRILL_COST, SATISFIED)
    assert _found(_on_track(), approved=approved) == []
    changed = approved.model_copy(deep=True)
    changed.indicators[0].name = "开展演练次数"
    changed.indicators[1].comparator = "<"
    changed.indicators[2].value = "95"
    assert _found(_on_track(), approved=changed) == [
        ("monitor-indicators-changed", 1, "name"),
        ("monitor-indicators-changed", 2, "comparator"),
        ("monitor-indicators-changed", 3, "value"),
    ]
    fewer = table(ON_TRACK, DRILL_COST)
    assert _found(_on_track(), approved=fewer) == [("monitor-indicators-changed", None, None)]
    spelled = approved.model_copy(deep=True)
    spelled.indicators[0].comparator = "大于等于"  # the same comparator, spelled otherwise
    assert _found(_on_track(), approved=spelled) == []


def test_an_adjusted_target_needs_its_reason() -> None:
    made = _on_track()
    made.indicators[0].adjusted_target = "13"
    made.indicators[0].forecast = "13"
    assert _found(made) == [("monitor-indicators-changed", 1, "adjustment_reason")]
    made.indicators[0].adjustment_reason = "上级下达的演练任务调减"
    assert _found(made) == []
    made.indicators[0].adjusted_target = "显著提升"
    assert _found(made) == [("monitor-value-invalid", 1, "adjusted_target")]


def test_value_missing_value_tier_forecast_likelihood_and_year_end_reason() -> None:
    made = report(ON_TRACK, PLANS, SATISFIED, spent=D("400"))
    made.indicators[0].to_date = None
    made.indicators[1].tier = None
    made.indicators[1].forecast = None
    made.indicators[2].year_end = True
    made.indicators[2].likelihood = None
    assert _found(made) == [
        ("monitor-value-missing", 1, "to_date"),
        ("monitor-value-missing", 2, "tier"),
        ("monitor-value-missing", 2, "forecast"),
        ("monitor-value-missing", 3, "year_end_reason"),
        ("monitor-value-missing", 3, "likelihood"),
    ]
    made.indicators[2].year_end_reason = "满意度调查在12月开展"
    made.indicators[2].likelihood = "确定能"
    made.indicators[2].forecast = None
    assert ("monitor-value-missing", 3, "forecast") in _found(made)  # a 年底测评 row still needs it


def test_value_invalid_comparator_unit_text_and_tier() -> None:
    made = report(ON_TRACK, DRILL_COST, PLANS, spent=D("400"))
    made.indicators[0].to_date = "≥5"
    made.indicators[0].forecast = "12次"
    made.indicators[1].to_date = "约五万"
    made.indicators[2].tier = None
    made.indicators[2].to_date = "较好"
    made.indicators[2].forecast = "很好"
    invalid = [f for f in _found(made) if f[0] == "monitor-value-invalid"]
    assert invalid == [
        ("monitor-value-invalid", 1, "to_date"),
        ("monitor-value-invalid", 1, "forecast"),
        ("monitor-value-invalid", 2, "to_date"),
        ("monitor-value-invalid", 3, "to_date"),
        ("monitor-value-invalid", 3, "forecast"),
    ]
    messages = [
        m for c, m in check_monitoring(made).flatten(("code", "message")) if c == "monitor-value-invalid"
    ]
    assert "含有对比符号" in messages[0]
    assert "带有计量单位" in messages[1]
    assert "不是完成等级" in messages[3]


def test_choices_come_from_the_profile() -> None:
    made = _on_track()
    made.indicators[0].likelihood = "大概能"
    made.indicators[1].causes = ["天气原因"]
    made.indicators[1].cause_note = "汛期道路中断，物资运输延误。"
    assert _found(made) == [  # an unknown likelihood asks for no causes
        ("monitor-choice-invalid", 1, "likelihood"),
        ("monitor-choice-invalid", 2, "causes"),
    ]
    other = DEFAULT.model_copy(
        update={"deviation_causes": ("人员", "制度", "经费", "其他"), "likelihood": ("能", "不能")}
    )
    made.indicators[1].causes = ["经费"]
    for progress in made.indicators:
        progress.likelihood = "能"
    assert _found(made, other) == []


def test_causes_and_measures_where_unlikely_red_yellow_or_over_a_ceiling() -> None:
    made = _on_track()
    made.indicators[0].likelihood = "有可能"  # on track, but unsure
    made.indicators[1].to_date = "5.5"  # ≤ 5 already over
    made.indicators[1].causes = ["经费保障"]
    made.indicators[1].cause_note = "物资价格上涨，单次演练成本超支。"
    assert [f for f in _found(made) if f[0] == "monitor-cause-missing"] == [
        ("monitor-cause-missing", 1, "causes"),
        ("monitor-cause-missing", 2, "measures"),
    ]
    made.indicators[1].year_end = True  # grey, but still over its ceiling
    made.indicators[1].year_end_reason = "成本在年底结算"
    assert ("monitor-cause-missing", 2, "measures") in _found(made)


def test_a_cause_needs_its_note_of_ten_characters() -> None:
    made = _on_track()
    made.indicators[0].causes = ["其他"]
    made.indicators[0].cause_note = "见附件"
    assert _found(made) == [("monitor-cause-note-missing", 1, "cause_note")]
    made.indicators[0].cause_note = CAUSE_NOTE
    assert _found(made) == []


def test_funds_missing_and_budget_unexplained() -> None:
    assert _found(report(ON_TRACK, budget=None, spent=None)) == [
        ("monitor-funds-missing", 1, "adjusted_budget"),
        ("monitor-funds-missing", 1, "executed"),
        ("monitor-funds-missing", 1, "forecast"),
    ]
    made = report(ON_TRACK, budget=D(0), spent=D(-1))
    assert _found(made) == [
        ("monitor-funds-missing", 1, "adjusted_budget"),
        ("monitor-funds-missing", 1, "executed"),
    ]
    red = report(ON_TRACK, spent=D("100"))  # 17.68 % by July: v = 30.31
    assert _found(red) == [("monitor-budget-unexplained", None, "reason")]


def test_likelihood_contradicts_a_forecast_that_misses() -> None:
    made = _on_track()
    made.indicators[0].forecast = "11"  # 确定能, yet 11 < 12
    made.indicators[1].forecast = "5.2"  # 确定能, yet 5.2 > 5
    assert _found(made) == [
        ("monitor-likelihood-contradicts", 1, "likelihood"),
        ("monitor-likelihood-contradicts", 2, "likelihood"),
    ]
    plans = report(Row(*PLANS[:6], None, Tier.ACHIEVED, "部分达成"), spent=D("400"))
    assert _found(plans) == [("monitor-likelihood-contradicts", 1, "likelihood")]
    message = check_monitoring(made).findings[0].message
    assert "全年预计完成值 11 却达不到目标 ≥12次" in message


def test_overspent_rows_and_tasks() -> None:
    made = _on_track()
    made.funds.project.adjusted_budget = D("500")
    made.funds.project.executed = D("500.01")
    made.tasks[0].executed = D("300")
    made.tasks[1].executed = D("200.02")
    assert _found(made) == [
        ("monitor-overspent", 3, "executed"),
        ("monitor-overspent", None, "executed"),
    ]
    made.funds.total.executed = D("565.58076")
    assert ("monitor-overspent", 1, "executed") in _found(made)


def test_far_ahead_a_blue_row() -> None:
    made = _on_track()
    made.indicators[0].to_date = "12"  # all of the year by July: v = 171.43
    found = check_monitoring(made)
    assert found.flatten() == [("monitor-far-ahead", 1, "to_date")]
    assert "进度比 = 12÷7×100 = 171.43" in found.findings[0].message


def test_findings_come_in_the_order_of_the_form() -> None:
    made = report(*WORKED_8, month=12, budget=None)
    order = {"period": 0, "funds": 1, "tasks": 2, "indicators": 3, "summary": 4}
    places = [order[f.location.section or ""] for f in check_monitoring(made).findings]
    assert places == sorted(places)
    assert set(places) == {0, 1, 3}


def test_the_monitoring_rules_never_run_on_a_table_nor_the_tables_on_a_report() -> None:
    assert all(code.startswith("monitor-") for code in MONITORING_RULES.codes)
    assert not TABLE_RULES.codes & MONITORING_RULES.codes
    codes = set(check_table(table(*WORKED_8)).codes())
    assert not any(code.startswith("monitor-") for code in codes)
    assert not any(
        code.startswith(("selfeval-", "goal-")) for code in check_monitoring(report(*WORKED_8)).codes()
    )


def test_an_equal_target_is_met_by_a_forecast_at_or_above_it() -> None:
    duty = Row(OUT, "时效指标", "应急值守", "=", "7*24", "小时", "168", None, "170")
    made = report(duty, spent=D("400"))
    made.indicators[0].stock = True  # round the clock does not accrue over the year
    assert _found(made) == []
    zero = Row(OUT, "质量指标", "安全生产事故起数", "=", "0", "起", "0", None, "1")
    assert _found(report(zero, spent=D("400"))) == [("monitor-likelihood-contradicts", 1, "likelihood")]


_TEXT = st.none() | st.text(alphabet="0123456789.%≥≤*万元次达成部分未年月日-", max_size=12)
_MONEY = st.none() | st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**30), max_value=10**30)


@settings(max_examples=150, deadline=None)
@given(
    month=st.integers(-3, 15),
    year=st.none() | st.integers(1990, 2100),
    funds=st.lists(_MONEY, min_size=4, max_size=4),
    values=st.lists(st.tuples(_TEXT, _TEXT, _TEXT, st.booleans(), st.booleans()), min_size=5, max_size=5),
    likelihood=st.sampled_from(["确定能", "有可能", "完全不可能", "", "也许"]),
)
def test_no_report_crashes_the_warnings_or_the_rules(
    month: int,
    year: int | None,
    funds: list[Decimal | None],
    values: list[tuple[str | None, str | None, str | None, bool, bool]],
    likelihood: str,
) -> None:
    rate = Row(OUT, "质量指标", "处置及时率", "≥", "95", "%")
    deadline = Row(OUT, "时效指标", "预案修订完成时间", "≤", "2023年6月底前", "")
    made = report(ON_TRACK, DRILL_COST, PLANS, rate, deadline, month=month, likelihood=likelihood)
    made.year = year
    total = made.funds.total
    total.initial_budget, total.adjusted_budget, total.executed, total.forecast = funds
    for progress, (to_date, forecast, adjusted, year_end, stock) in zip(made.indicators, values, strict=True):
        progress.to_date, progress.forecast, progress.adjusted_target = to_date, forecast, adjusted
        progress.adjustment_reason = "调整" if stock else ""
        progress.year_end, progress.stock = year_end, stock
    found = warnings(made, DEFAULT)
    assert all(alert.why for alert in (found.budget.alert, found.department, *(r.alert for r in found.rows)))
    for issue in check_monitoring(made, DEFAULT).findings:
        assert issue.code.startswith("monitor-")
        assert "{" not in issue.message


def test_funds_mismatch_initial_budget_and_the_two_sides() -> None:
    made = _on_track()
    made.funds.project.initial_budget = D("565")  # the table says 565.58075
    made.funds.basic.adjusted_budget, made.funds.project.adjusted_budget = D(0), D("565.58075")
    made.funds.fiscal.executed, made.funds.other.executed = D("300"), D("99")  # 399 ≠ 400
    assert _found(made) == [
        ("monitor-funds-mismatch", 1, "initial_budget"),  # 565.58075 ≠ 0 + 565
        ("monitor-funds-mismatch", 1, "executed"),
        ("monitor-funds-mismatch", 3, "initial_budget"),
    ]
    message = check_monitoring(made).findings[1].message
    assert "1–7月执行数：年度资金总额 400 万元 ≠ 财政拨款 300 万元 + 其他资金 99 万元，相差 1 万元" in message
