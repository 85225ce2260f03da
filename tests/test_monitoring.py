"""Monitoring warnings (CYCLE.md "Warnings") and its worked number 8."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

from jixiao.cli import app
from jixiao.model import Comparator, TargetTable
from jixiao.model.monitoring import (
    IndicatorProgress,
    MonitoringFunds,
    MonitoringFundsRow,
    MonitoringReport,
    TaskProgress,
)
from jixiao.model.selfeval import Tier
from jixiao.monitoring import (
    WORST_FIRST,
    Alert,
    Colour,
    budget_warning,
    department_warning,
    indicator_warning,
    time_progress,
    warnings,
)
from jixiao.profile import DEFAULT, WarningBands
from jixiao.scoring import rounded
from monitoring_cases import (
    DRILL_COST,
    DRILLS,
    PLANS,
    SATISFIED,
    WORKED_8,
    Row,
    explained,
    report,
    table,
)
from selfeval_cases import BEN, OUT

D = Decimal


def test_worked_8_monitoring_july_budget_yellow_drills_red_cost_green_plans_yellow_department_red() -> None:
    month = DEFAULT.monitoring_month
    assert rounded(time_progress(month) * 100) == D("58.33")
    budget = budget_warning(D("254.51134"), D("565.58075"), month, DEFAULT)
    assert rounded(D("254.51134") / D("565.58075") * 100) == D("45.00")
    assert (budget.colour, budget.v, budget.needs_reason) == (Colour.YELLOW, D("77.14"), True)
    drills = indicator_warning(Comparator.GE, D(12), D(4), month, DEFAULT)
    assert (drills.colour, drills.v, drills.needs_reason) == (Colour.RED, D("57.14"), True)
    cost = indicator_warning(Comparator.LE, D(5), D("4.8"), month, DEFAULT)
    assert (cost.colour, cost.needs_reason) == (Colour.GREEN, False)
    plans = indicator_warning(Comparator.QUALITATIVE, None, Tier.PARTLY, month, DEFAULT)
    assert plans.colour is Colour.YELLOW
    assert department_warning([budget, drills, cost, plans]) is Colour.RED


@pytest.mark.parametrize(
    ("comparator", "target", "value", "stock", "colour"),
    [
        (Comparator.GE, D(12), D(12), False, Colour.BLUE),  # 171 % of the time's share: far ahead
        (Comparator.GE, D(95), D(96), True, Colour.GREEN),  # a rate is not pro-rated
        (Comparator.GE, D(95), D(60), True, Colour.YELLOW),  # 63.16 %
        (Comparator.LE, D(5), D(6), False, Colour.RED),
        (Comparator.EQ, D(0), D(0), False, Colour.GREEN),
        (Comparator.EQ, D(0), D(1), False, Colour.RED),
        (Comparator.EQ, D(168), D(168), True, Colour.GREEN),
    ],
)
def test_indicator_colours(
    comparator: Comparator, target: Decimal, value: Decimal, stock: bool, colour: Colour
) -> None:
    assert indicator_warning(comparator, target, value, 7, DEFAULT, stock=stock).colour is colour


def test_the_department_takes_its_worst_colour() -> None:
    blue = indicator_warning(Comparator.GE, D(1), D(5), 7, DEFAULT)
    green = indicator_warning(Comparator.LE, D(1), D(1), 7, DEFAULT)
    assert department_warning([blue, green]) is Colour.GREEN
    assert department_warning([blue]) is Colour.BLUE


# ---------------------------------------------------------------------------------------------
# The report and warnings(report, profile)


def test_worked_8_as_a_report_every_warning_with_its_word_and_why() -> None:
    found = warnings(report(*WORKED_8), DEFAULT)
    assert (found.month, found.time_progress_percent) == (7, D("58.33"))
    budget = found.budget
    assert (budget.rate, budget.alert.colour, budget.alert.v, budget.alert.word) == (
        D("45.00"), Colour.YELLOW, D("77.14"), "黄",
    )  # fmt: skip
    assert "254.51134÷565.58075 = 45.00%" in budget.alert.why
    assert "进度比 = 45.00÷58.33×100 = 77.14" in budget.alert.why
    assert [(r.row, r.alert.colour, r.alert.v, r.alert.word) for r in found.rows] == [
        (1, Colour.RED, D("57.14"), "红"),
        (2, Colour.GREEN, None, "绿"),
        (3, Colour.YELLOW, None, "黄"),
    ]
    assert "按序时进度应完成 12×7÷12 = 7，" in found.rows[0].alert.why
    assert "低于 60，红色预警" in found.rows[0].alert.why
    assert (found.department.colour, found.department.word) == (Colour.RED, "红")
    assert "第1行“开展应急演练次数”" in found.department.why
    assert found.groups == {"产出指标": Colour.RED, "效益指标": Colour.YELLOW}


def test_the_words_of_the_colours() -> None:
    assert [colour.word for colour in Colour] == ["红", "黄", "绿", "蓝", "灰"]
    assert Alert(None).word == "未定"


def test_from_table_copies_the_approved_table_frozen_and_leaves_the_rest_null() -> None:
    made = MonitoringReport.from_table(table(*WORKED_8), 7)
    assert (made.year, made.month) == (2023, 7)
    assert made.funds.total.initial_budget == D("565.58075")
    assert made.funds.project.initial_budget == D("565.58075")
    assert made.funds.fiscal.initial_budget is None  # the table does not show it: never a guess
    assert made.funds.total.adjusted_budget is None
    assert made.funds.total.executed is None
    assert [(t.executed, t.progress) for t in made.tasks] == [(None, ""), (None, "")]
    row = made.indicators[0]
    assert (row.to_date, row.forecast, row.likelihood, row.causes, row.year_end) == (
        None,
        None,
        None,
        [],
        False,
    )
    with pytest.raises(ValidationError):
        made.approved.indicators[0].value = "1"
    with pytest.raises(ValidationError, match="指标完成情况有 2 行"):
        MonitoringReport(approved=made.approved, month=7, tasks=made.tasks, indicators=made.indicators[:2])


def test_canonical_json_round_trip_with_exact_decimals() -> None:
    made = explained(report(*WORKED_8))
    made.tasks[0].executed = D("120.00500")
    text = made.to_json()
    data = json.loads(text)
    assert data["funds"]["total"]["executed"] == "254.51134"
    assert data["tasks"][0]["executed"] == "120.00500"
    assert data["indicators"][0]["causes"] == ["其他"]
    assert MonitoringReport.model_validate_json(text) == made
    assert "\\u" not in text  # Chinese unescaped


def test_a_cause_written_as_one_text_is_a_list_of_one() -> None:
    row = IndicatorProgress.model_validate({"causes": "经费保障"})
    assert row.causes == ["经费保障"]
    assert IndicatorProgress.model_validate({"causes": ["", "人员保障"]}).causes == ["人员保障"]


def test_v_of_exactly_the_threshold_is_judged_exactly() -> None:
    # 4.2 of 12 by July: v = 4.2 ÷ (12 × 7/12) × 100 = 60 exactly: yellow, never red by rounding 7/12
    assert indicator_warning(Comparator.GE, D(12), D("4.2"), 7, DEFAULT).colour is Colour.YELLOW
    assert indicator_warning(Comparator.GE, D(12), D("4.19999"), 7, DEFAULT).colour is Colour.RED
    # 35 % spent by July: v = 60 exactly
    assert budget_warning(D(35), D(100), 7, DEFAULT).colour is Colour.YELLOW
    assert budget_warning(D("34.99999"), D(100), 7, DEFAULT).colour is Colour.RED


def test_a_year_end_row_is_grey_and_does_not_count_for_the_department() -> None:
    made = report(DRILL_COST, SATISFIED)
    made.indicators[1].year_end = True
    made.indicators[1].year_end_reason = "满意度调查在12月开展"
    found = warnings(made, DEFAULT)
    assert [r.alert.colour for r in found.rows] == [Colour.GREEN, Colour.GREY]
    assert found.rows[1].alert.word == "灰"
    assert "满意度调查在12月开展" in found.rows[1].alert.why
    assert found.groups["满意度指标"] is None
    assert found.department.colour is Colour.YELLOW  # the budget's (v = 77.14)


def test_a_recorded_adjustment_is_the_target_judged_against() -> None:
    made = report(DRILLS)
    made.indicators[0].adjusted_target = "6"
    assert warnings(made, DEFAULT).rows[0].alert.colour is Colour.RED  # no reason: the approved 12
    made.indicators[0].adjustment_reason = "上级调减演练任务"
    row = warnings(made, DEFAULT).rows[0]
    assert (row.adjusted, row.target.value, row.alert.colour, row.alert.v) == (
        True,
        D(6),
        Colour.GREEN,
        D("114.29"),
    )


def test_stock_indicators_are_not_pro_rated() -> None:
    rate = Row(OUT, "质量指标", "处置及时率", "≥", "95", "%", "96")
    kept = Row(BEN, "社会效益指标", "在册应急队伍", "≥", "10", "支", "9")
    made = report(rate, kept)
    assert [r.alert.colour for r in warnings(made, DEFAULT).rows] == [Colour.GREEN, Colour.BLUE]
    made.indicators[1].stock = True  # a count that does not accrue over the year
    found = warnings(made, DEFAULT).rows[1]
    assert (found.stock, found.alert.colour, found.alert.v) == (True, Colour.GREEN, D("90.00"))
    assert "存量指标不按序时进度折算" in found.alert.why


def test_date_targets_by_their_deadline() -> None:
    done = Row(OUT, "时效指标", "预案修订完成时间", "≤", "2023年6月底前", "", "2023年6月20日")
    late = Row(OUT, "时效指标", "演练评估完成时间", "≤", "2023年5月底前", "", "2023年6月2日")
    open_ = Row(OUT, "时效指标", "物资入库时间", "≤", "2023年10月底前", "", None)
    overdue = Row(OUT, "时效指标", "队伍培训完成时间", "≤", "2023年6月底前", "", None)
    rows = warnings(report(done, late, open_, overdue), DEFAULT).rows
    assert [r.alert.colour for r in rows] == [Colour.GREEN, Colour.RED, Colour.GREEN, Colour.RED]
    assert [r.problem for r in rows] == [None, None, None, None]  # not completed yet is no blank


def test_an_invalid_month_leaves_pro_rated_warnings_undecided() -> None:
    rate = Row(OUT, "质量指标", "处置及时率", "≥", "95", "%", "96")
    found = warnings(report(DRILLS, rate, DRILL_COST, month=12), DEFAULT)
    assert found.time_progress is None
    assert found.budget.alert.colour is None
    assert "截至月份 12 不在 1–11 月之间" in found.budget.alert.why
    assert [r.alert.colour for r in found.rows] == [None, Colour.GREEN, Colour.GREEN]
    assert found.department.colour is Colour.GREEN


def test_a_row_without_its_value_has_no_colour_yet() -> None:
    made = report(DRILLS, PLANS)
    made.indicators[0].to_date = "≥4"
    made.indicators[1].tier = None
    found = warnings(made, DEFAULT)
    assert [(r.problem, r.alert.colour, r.alert.word) for r in found.rows] == [
        ("comparator", None, "未定"),
        ("missing", None, "未定"),
    ]
    assert warnings(report(DRILLS, budget=None), DEFAULT).budget.alert.colour is None


# ---------------------------------------------------------------------------------------------
# Properties of the bands

_B = st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False)
_A = st.decimals(min_value="0.001", max_value=10**6, places=3, allow_nan=False, allow_infinity=False)
_PROGRESS: dict[Colour | None, int] = {Colour.RED: 0, Colour.YELLOW: 1, Colour.GREEN: 2, Colour.BLUE: 3}


@given(a=_A, b1=_B, b2=_B, month=st.integers(1, 11), stock=st.booleans(), gt=st.booleans())
def test_a_colour_moves_monotonically_with_b_for_higher_is_better_rows(
    a: Decimal, b1: Decimal, b2: Decimal, month: int, stock: bool, gt: bool
) -> None:
    low, high = sorted((b1, b2))
    comparator = Comparator.GT if gt else Comparator.GE
    first = indicator_warning(comparator, a, low, month, DEFAULT, stock=stock).colour
    second = indicator_warning(comparator, a, high, month, DEFAULT, stock=stock).colour
    assert _PROGRESS[first] <= _PROGRESS[second]


@st.composite
def _bands(draw: st.DrawFn) -> WarningBands:
    red = draw(st.integers(1, 90))
    yellow = draw(st.integers(red + 1, 100))
    blue = draw(st.none() | st.integers(yellow + 1, 300))
    return WarningBands(red=D(red), yellow=D(yellow), blue=None if blue is None else D(blue))


@given(bands=_bands(), a=_A, b=_B, month=st.integers(1, 11), budget=st.booleans())
def test_bands_follow_the_profiles_thresholds(
    bands: WarningBands, a: Decimal, b: Decimal, month: int, budget: bool
) -> None:
    profile = DEFAULT.model_copy(update={"budget_warning" if budget else "indicator_warning": bands})
    alert = (
        budget_warning(b, a, month, profile)
        if budget
        else indicator_warning(Comparator.GE, a, b, month, profile)
    )
    v = Fraction(b) / (Fraction(a) * Fraction(month, 12)) * 100  # the exact v
    if v < bands.red:
        expected = Colour.RED
    elif v < bands.yellow:
        expected = Colour.YELLOW
    elif bands.blue is not None and v >= bands.blue:
        expected = Colour.BLUE
    else:
        expected = Colour.GREEN
    assert alert.colour is expected
    assert alert.v is not None
    assert abs(Fraction(alert.v) - v) <= Fraction(1, 200)  # v shown to 2 places


_ROW_KINDS = st.sampled_from(
    [
        ("≥", "12", "次", ["0", "3", "4", "5.6", "7", "9", "30"]),
        ("≤", "5", "万元", ["4.8", "5", "5.5"]),
        ("=", "0", "起", ["0", "1"]),
        ("定性", "健全", "", ["达成", "部分达成", "未达成"]),
        ("≥", "95", "%", ["50", "70", "96", "100"]),
    ]
)


@st.composite
def _reports(draw: st.DrawFn) -> MonitoringReport:
    kinds = draw(st.lists(_ROW_KINDS, min_size=0, max_size=6))
    rows = []
    for number, (comparator, value, unit, values) in enumerate(kinds, 1):
        written = draw(st.sampled_from([*values, None]))
        qualitative = comparator == "定性"
        rows.append(
            Row(OUT, "数量指标", f"指标{number}", comparator, value, unit,
                None if qualitative else written, None if not qualitative or written is None else Tier(written))
        )  # fmt: skip
    spent = draw(st.none() | st.decimals(min_value=0, max_value=600, places=2))
    made = report(*rows, month=draw(st.integers(1, 11)), spent=spent)
    for progress in made.indicators:
        progress.year_end = draw(st.booleans()) and draw(st.booleans())
    return made


@given(made=_reports())
def test_the_department_colour_is_the_worst_row_or_budget_colour(made: MonitoringReport) -> None:
    found = warnings(made, DEFAULT)
    colours = {found.budget.alert.colour, *(r.alert.colour for r in found.rows)}
    worst = next((colour for colour in WORST_FIRST if colour in colours), None)
    assert found.department.colour is worst
    assert found.department.word == (worst.word if worst else "未定")
    for row in found.rows:
        assert (row.alert.colour is Colour.GREY) == row.year_end
        assert row.alert.why  # every colour says why


# ---------------------------------------------------------------------------------------------
# jixiao schema --kind monitoring, and the README


def test_schema_of_a_monitoring_report_is_a_third_schema() -> None:
    runner = CliRunner()
    assert json.loads(runner.invoke(app, ["schema"]).stdout) == TargetTable.model_json_schema(
        mode="serialization"
    )
    result = runner.invoke(app, ["schema", "--kind", "monitoring"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert set(schema["properties"]) >= {
        "approved",
        "year",
        "month",
        "funds",
        "tasks",
        "indicators",
        "problems",
    }
    row = schema["$defs"]["IndicatorProgress"]["properties"]
    assert row["to_date"]["title"] == "1–m月完成值"
    assert row["causes"]["items"]["type"] == "string"
    assert schema["$defs"]["MonitoringFundsRow"]["properties"]["executed"]["anyOf"][0]["type"] == "string"


def test_every_field_of_the_canonical_json_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## 绩效运行监控（库）") : readme.index("## 网页系统")]
    for model in (MonitoringReport, MonitoringFunds, MonitoringFundsRow, TaskProgress, IndicatorProgress):
        for name in model.model_fields:
            assert f"`{name}`" in section or f"`{name}[]`" in section, (model.__name__, name)
