"""The validation rules (``shared/spec/RULES.md``): each code fires on a case built from the seed and
stays quiet on a close one; the seed's own findings are fixed exactly."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.catalogue import CATALOGUE
from jixiao.findings import Report
from jixiao.model import Indicator, TargetTable
from jixiao.model.values import (
    chinese_quantities,
    is_date_or_range,
    is_number,
    is_product,
    parse_number,
)
from jixiao.read.cells import parse_amount, parse_count
from jixiao.rules import RULES, validate

FIXTURES = Path(__file__).parent / "fixtures"
SEED = TargetTable.model_validate(json.loads((FIXTURES / "seed.expected.json").read_text(encoding="utf-8")))


# --- building tables from the seed ------------------------------------------------------------


def department(**update: Any) -> TargetTable:
    return SEED.model_copy(update={"department": SEED.department.model_copy(update=update)})


def budget(base: TargetTable = SEED, **update: Any) -> TargetTable:
    return base.model_copy(update={"budget": base.budget.model_copy(update=update)})


def goal(text: str) -> TargetTable:
    return SEED.model_copy(update={"overall_goal": text})


def task(row: int, **update: Any) -> TargetTable:
    tasks = list(SEED.tasks)
    tasks[row - 1] = tasks[row - 1].model_copy(update=update)
    return SEED.model_copy(update={"tasks": tasks})


def indicator(row: int, **update: Any) -> TargetTable:
    indicators = list(SEED.indicators)
    indicators[row - 1] = indicators[row - 1].model_copy(update=update)
    return SEED.model_copy(update={"indicators": indicators})


def indicators(*rows: Indicator, keep: slice = slice(None)) -> TargetTable:
    """The seed with its indicators ``keep`` followed by ``rows``."""
    return SEED.model_copy(update={"indicators": [*SEED.indicators[keep], *rows]})


def new_indicator(level1: str, level2: str, name: str, unit: str = "%") -> Indicator:
    return Indicator(level1=level1, level2=level2, name=name, comparator="≥", value="90", unit=unit)


def report(table: TargetTable) -> Report:
    return Report(source="t", findings=list(validate(table)))


def places(table: TargetTable) -> list[tuple[Any, ...]]:
    return report(table).flatten(("code", "section", "row", "field"))


#: 基本支出 + 项目支出 = 财政拨款 + 其他资金, every field filled.
COMPLETE = budget(
    basic_expenditure=Decimal("1000"), fiscal_appropriation=Decimal("1500.58075"), other_funds=Decimal("65")
)
SATISFACTION_ROW = new_indicator("满意度指标", "服务对象满意度指标", "群众满意度")
GOAL_WITHOUT_FIGURES = (
    "1、提升我市应急救援能力水平。\n（2）做好安全审查和安全检查。3、编制危险化学品事故应急预案。"
)

# --- each code fires ... ------------------------------------------------------------------------

FIRES = [
    # header
    (department(name=""), ("department-name-missing", "department", None, "name")),
    (department(staff_count=None), ("staff-count-invalid", "department", None, "staff_count")),
    (department(staff_count=-3), ("staff-count-invalid", "department", None, "staff_count")),
    (SEED, ("subordinate-units-blank", "department", None, "subordinate_unit_count")),
    (
        department(subordinate_unit_count=-1),
        ("subordinate-units-invalid", "department", None, "subordinate_unit_count"),
    ),
    # budget
    (budget(other_funds=Decimal("-1")), ("amount-invalid", "budget", None, "other_funds")),
    (task(2, amount=Decimal("-0.5")), ("amount-invalid", "tasks", 2, "amount")),
    (
        budget(project_expenditure=Decimal("565.58")),
        ("project-expenditure-mismatch", "budget", None, "project_expenditure"),
    ),
    (
        budget(project_expenditure=None),
        ("project-expenditure-mismatch", "budget", None, "project_expenditure"),
    ),
    (SEED, ("budget-overview-incomplete", "budget", None, "other_funds")),
    (budget(COMPLETE, other_funds=Decimal("66")), ("income-expenditure-mismatch", "budget", None, None)),
    # goal
    (goal("提升应急救援能力 " * 6), ("goal-too-short", "overall_goal", None, "overall_goal")),
    (goal(GOAL_WITHOUT_FIGURES), ("goal-not-quantified", "overall_goal", None, "overall_goal")),
    (
        goal(GOAL_WITHOUT_FIGURES + "一是进一步推进一体化建设，统一标准，落实十四五规划。"),
        ("goal-not-quantified", "overall_goal", None, "overall_goal"),
    ),
    (SEED, ("goal-tasks-unlinked", "overall_goal", None, "overall_goal")),
    # tasks
    (task(3, name=""), ("task-name-missing", "tasks", 3, "name")),
    (task(3, amount=None), ("task-amount-missing", "tasks", 3, "amount")),
    (task(5, content=""), ("task-content-missing", "tasks", 5, "content")),
    (task(6, name="专业应急 救援力量建设"), ("task-duplicate", "tasks", 6, "name")),
    (task(5, seq=6), ("task-numbering", "tasks", None, "seq")),
    # indicators, row by row
    (indicator(1, name=""), ("indicator-name-missing", "indicators", 1, "name")),
    (indicator(4, level2="成本指标"), ("indicator-category-unknown", "indicators", 4, "level2")),
    (indicator(1, level1="产出"), ("indicator-category-unknown", "indicators", 1, "level1")),
    (indicator(1, comparator=""), ("comparator-unknown", "indicators", 1, "comparator")),
    (indicator(1, comparator=">="), ("comparator-unknown", "indicators", 1, "comparator")),
    (indicator(1, value=""), ("target-value-missing", "indicators", 1, "value")),
    (indicator(1, value="显著提升"), ("target-value-invalid", "indicators", 1, "value")),
    (indicator(1, unit=""), ("unit-missing", "indicators", 1, "unit")),
    (indicator(5, unit=""), ("unit-missing", "indicators", 5, "unit")),
    (indicator(2, value="120"), ("percent-out-of-range", "indicators", 2, "value")),
    (indicator(2, value="-5", unit="％"), ("percent-out-of-range", "indicators", 2, "value")),
    (indicator(2, comparator="≥"), ("percent-ge-100", "indicators", 2, "comparator")),
    (indicator(4, name="群众满意度"), ("indicator-misclassified", "indicators", 4, "level1")),
    (indicator(1, unit="万元"), ("indicator-misclassified", "indicators", 1, "level2")),
    (indicator(4, name="运行成本节约率"), ("indicator-misclassified", "indicators", 4, "level1")),
    (indicator(2, name="提供安全审查、 检查项目"), ("indicator-duplicate", "indicators", 2, "name")),
    (SEED, ("explanation-repeats-name", "indicators", 3, "explanation")),
    (
        indicator(5, explanation="监测预警时段。"),
        ("explanation-repeats-name", "indicators", 5, "explanation"),
    ),
    (indicator(3, unit="个"), ("timeliness-unit", "indicators", 3, "unit")),
    # indicators, the table as a whole
    (indicators(keep=slice(3, None)), ("output-indicator-missing", "indicators", None, None)),
    (indicators(keep=slice(0, 3)), ("benefit-indicator-missing", "indicators", None, None)),
    (SEED, ("satisfaction-indicator-missing", "indicators", None, None)),
    (indicators(SATISFACTION_ROW), ("cost-indicator-missing", "indicators", None, None)),
]


@pytest.mark.parametrize(("table", "expected"), FIRES, ids=[f"{e[0]}-{i}" for i, (_, e) in enumerate(FIRES)])
def test_rule_fires(table: TargetTable, expected: tuple[Any, ...]) -> None:
    assert expected in places(table)


# --- ... and stays quiet on a close case ------------------------------------------------------------

QUIET = [
    (SEED, "department-name-missing", None),
    (department(staff_count=0), "staff-count-invalid", None),
    (department(subordinate_unit_count=0), "subordinate-units-blank", None),
    (department(subordinate_unit_count=0), "subordinate-units-invalid", None),
    (budget(other_funds=Decimal("0")), "amount-invalid", None),
    (task(2, amount=Decimal("0"), name="x"), "amount-invalid", None),
    (SEED, "project-expenditure-mismatch", None),
    (budget(project_expenditure=Decimal("565.580750")), "project-expenditure-mismatch", None),
    (COMPLETE, "budget-overview-incomplete", None),
    (COMPLETE, "income-expenditure-mismatch", None),
    (goal("提升应急救援能力水平 " * 5), "goal-too-short", None),
    (goal(GOAL_WITHOUT_FIGURES + "培训3次。"), "goal-not-quantified", None),
    (goal(GOAL_WITHOUT_FIGURES + "完成三项重点任务。"), "goal-not-quantified", None),
    (goal(GOAL_WITHOUT_FIGURES + "开展十余次培训。"), "goal-not-quantified", None),
    (goal(GOAL_WITHOUT_FIGURES + "确保百分之百覆盖。"), "goal-not-quantified", None),
    (goal(GOAL_WITHOUT_FIGURES + "满意度达到百分之九十。"), "goal-not-quantified", None),
    (goal(SEED.overall_goal + "\n4、做好综合运维，保障安全生产。"), "goal-tasks-unlinked", None),
    (SEED, "task-name-missing", None),
    (task(3, amount=Decimal("0")), "task-amount-missing", None),
    (task(5, content="2022年度项目尾款"), "task-content-missing", None),
    (task(6, name="专业应急救援力量建设（二期）"), "task-duplicate", None),
    (SEED, "task-numbering", None),
    (SEED, "indicator-name-missing", None),
    (indicator(1, level2="成本指标"), "indicator-category-unknown", None),
    (indicator(1, comparator="定性", value="显著提升"), "comparator-unknown", None),
    (indicator(1, value="0"), "target-value-missing", None),
    (indicator(1, comparator="定性", value="显著提升"), "target-value-invalid", None),
    (indicator(1, comparator="定性", value="显著提升", unit=""), "unit-missing", None),
    (indicator(3, value="2023年12月", unit=""), "unit-missing", None),
    (indicator(2, value="0"), "percent-out-of-range", None),
    (indicator(1, value="120"), "percent-out-of-range", None),
    (indicator(2, comparator="≥", value="95"), "percent-ge-100", None),
    (SEED, "output-indicator-missing", None),
    (SEED, "benefit-indicator-missing", None),
    (indicators(SATISFACTION_ROW), "satisfaction-indicator-missing", None),
    (
        indicators(new_indicator("产出指标", "成本指标", "单位成本", unit="万元")),
        "cost-indicator-missing",
        None,
    ),
    (indicators(new_indicator("成本指标", "经济成本指标", "运行成本")), "cost-indicator-missing", None),
    (indicators(SATISFACTION_ROW), "indicator-misclassified", None),
    (indicator(1, unit="家"), "indicator-misclassified", None),
    (indicator(2, name="提供安全审查、检查项目数"), "indicator-duplicate", None),
    (SEED, "explanation-repeats-name", 2),
    (SEED, "explanation-repeats-name", 5),
    (indicator(3, unit="个工作日"), "timeliness-unit", None),
    (indicator(3, unit="%", value="95"), "timeliness-unit", None),
    (indicator(3, unit="", value="2023.07-2024.01"), "timeliness-unit", None),
    (indicator(3, unit="个", comparator="定性", value="及时"), "timeliness-unit", None),
]


@pytest.mark.parametrize(
    ("table", "code", "row"), QUIET, ids=[f"{c}-{i}" for i, (_, c, _) in enumerate(QUIET)]
)
def test_rule_quiet(table: TargetTable, code: str, row: int | None) -> None:
    found = report(table).flatten(("code", "row"))
    assert not any(c == code and (row is None or r == row) for c, r in found)


# --- value recognisers ---------------------------------------------------------------------------


def test_a_negative_weight_is_invalid_and_weights_of_zero_or_more_are_not() -> None:
    weighted = [
        indicator.model_copy(update={"weight": Decimal(weight)})
        for indicator, weight in zip(SEED.indicators, ("10", "0", "-5", "12.5"), strict=False)
    ]
    table = indicators(*weighted, *SEED.indicators[len(weighted) :], keep=slice(0, 0))
    assert [p for p in places(table) if p[0] == "weight-invalid"] == [
        ("weight-invalid", "indicators", 3, "weight")
    ]


@pytest.mark.parametrize(
    "value",
    ["4", "98.5", "-1", "7*24", "7×24", "5x8", "７＊２４", "2023.07-2024.01", "2023年12月", "2023-12-31",
     "2023.07—2024.01", "2023年7月至2024年1月", "12月底前", "≥4", "4个"],
)  # fmt: skip
def test_numeric_comparator_accepts(value: str) -> None:
    assert "target-value-invalid" not in report(indicator(1, value=value)).codes()


@pytest.mark.parametrize("value", ["显著提升", "4个左右", "约4", "2023年底完成", "≤4", "4家"])
def test_numeric_comparator_rejects(value: str) -> None:
    assert "target-value-invalid" in report(indicator(1, value=value)).codes()


@pytest.mark.parametrize(
    ("text", "number", "product", "date"),
    [("４．５", True, False, False), ("1,200", True, False, False), ("2023.07", True, False, True),
     ("7×24", False, True, False), ("2023年度", False, False, True), ("12,34", False, False, False)],
)  # fmt: skip
def test_value_recognisers(text: str, number: bool, product: bool, date: bool) -> None:
    assert (is_number(text), is_product(text), is_date_or_range(text)) == (number, product, date)


def test_parsers_are_exact() -> None:
    assert parse_number("０．８６０７５") == Decimal("0.86075")
    assert parse_amount("1,565.58075万元") == Decimal("1565.58075")
    assert parse_amount("５６５．５８０７５ 万元") == Decimal("565.58075")
    assert (parse_amount("—"), parse_amount("一百")) == (None, "一百")
    assert (parse_count("43人"), parse_count("43.0"), parse_count("无"), parse_count("")) == (43, 43, 0, None)


@pytest.mark.parametrize(
    "name",
    ["资金支付率100%", "培训人数≥500", "覆盖率不低于90", "培训人数500人", "满意度达到95", "培训人数五百人"],
)
def test_value_in_name_fires(name: str) -> None:
    assert ("value-in-name", 1, "name") in report(indicator(1, name=name)).flatten()


@pytest.mark.parametrize(
    "name",
    [
        "12345热线接通率",
        "2023年度项目完成率",
        "7*24小时值守",
        "召开第3次",
        "PM2.5浓度",
        "前10%企业占比",
        "排名后20%企业整改率",
        "十四五规划项目完成率",
        "一体化平台使用率",
    ],
)
def test_value_in_name_quiet(name: str) -> None:
    assert "value-in-name" not in report(indicator(1, name=name)).codes()


# --- figures and severities ----------------------------------------------------------------------


def test_project_expenditure_is_exact() -> None:
    assert SEED.task_total == Decimal("565.58075") == SEED.budget.project_expenditure


def test_mismatch_message_gives_both_figures_and_the_difference() -> None:
    (message,) = [f.message for f in validate(task(1, amount=Decimal("144"))) if f.code.startswith("project")]
    assert all(figure in message for figure in ("565.58075", "566.58075", "相差 1.00000 万元"))


def test_blank_project_expenditure_is_shown_as_blank() -> None:
    (message,) = [
        f.message for f in validate(budget(project_expenditure=None)) if f.code.startswith("project")
    ]
    assert "未填" in message
    assert "相差 565.58075 万元" in message


def test_goal_names_the_unlinked_tasks() -> None:
    (message,) = [f.message for f in validate(SEED) if f.code == "goal-tasks-unlinked"]
    assert "综合运维" in message
    assert "安全生产专项经费" in message
    assert "重点化工" not in message
    assert "危险化学品" not in message


@pytest.mark.parametrize(
    ("table", "name", "reflected"),
    [
        (SEED, "安全生产专项经费", False),  # core 安全生产: of 安全 全生 生产 the goal has only 安全
        (goal(SEED.overall_goal + "\n4、加强生产监管。"), "安全生产专项经费", True),
        (goal(SEED.overall_goal + "\n4、全面加强监管。"), "安全生产专项经费", False),
        (task(3, name="安全、生产"), "安全、生产", True),  # exactly half: 安全 of 安全 生产
        (task(3, name="2023年度专项经费"), "2023年度专项经费", True),  # no core left
    ],
)
def test_a_task_is_reflected_when_half_its_bigrams_occur(
    table: TargetTable, name: str, reflected: bool
) -> None:
    messages = [f.message for f in validate(table) if f.code == "goal-tasks-unlinked"]
    assert (name not in "".join(messages)) is reflected


@pytest.mark.parametrize(("name", "severity"), [("抢险救灾率", "error"), ("收入同比增长率", "warning")])
def test_percent_over_100_is_a_warning_where_growth_is_meant(name: str, severity: str) -> None:
    table = indicator(4, name=name, value="150")
    assert ("percent-out-of-range", 4, severity) in report(table).flatten(("code", "row", "severity"))


# --- the seed ------------------------------------------------------------------------------------

SEED_FINDINGS = [
    ("subordinate-units-blank", None, "subordinate_unit_count"),
    ("budget-overview-incomplete", None, "basic_expenditure"),
    ("budget-overview-incomplete", None, "fiscal_appropriation"),
    ("budget-overview-incomplete", None, "other_funds"),
    ("goal-tasks-unlinked", None, "overall_goal"),
    ("explanation-repeats-name", 3, "explanation"),
    ("explanation-repeats-name", 4, "explanation"),
    ("satisfaction-indicator-missing", None, None),
    ("cost-indicator-missing", None, None),
]


def test_seed_findings() -> None:
    seed_report = report(SEED)
    assert seed_report.valid
    assert sorted(seed_report.flatten(), key=repr) == sorted(SEED_FINDINGS, key=repr)


# --- the registry ----------------------------------------------------------------------------------

IMPLEMENTED = {
    "department-name-missing", "staff-count-invalid", "subordinate-units-blank", "subordinate-units-invalid",
    "amount-invalid", "project-expenditure-mismatch", "budget-overview-incomplete",
    "income-expenditure-mismatch", "goal-too-short", "goal-tasks-unlinked", "goal-not-quantified",
    "task-name-missing", "task-amount-missing", "task-content-missing", "task-duplicate", "task-numbering",
    "indicator-name-missing", "indicator-category-unknown", "comparator-unknown", "target-value-missing",
    "target-value-invalid", "unit-missing", "percent-out-of-range", "percent-ge-100",
    "output-indicator-missing", "benefit-indicator-missing", "satisfaction-indicator-missing",
    "cost-indicator-missing", "indicator-misclassified", "indicator-duplicate", "explanation-repeats-name",
    "value-in-name", "timeliness-unit",
}  # fmt: skip


def test_every_code_has_a_documented_rule() -> None:
    assert IMPLEMENTED.issubset(code for entry in RULES for code in entry.codes)
    assert all(entry.doc for entry in RULES)
    assert all(code in CATALOGUE for code in IMPLEMENTED)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(max_size=12), min_size=7, max_size=7),
    st.sampled_from(["≥", "≤", "=", ">", "<", "定性", ""]),
)
def test_rules_never_crash(texts: list[str], comparator: str) -> None:
    level1, level2, name, explanation, value, unit, task_name = texts
    row = Indicator(
        level1=level1,
        level2=level2,
        name=name,
        explanation=explanation,
        comparator=comparator,
        value=value,
        unit=unit,
    )
    table = indicators(row).model_copy(
        update={"overall_goal": value, "tasks": [SEED.tasks[0].model_copy(update={"name": task_name})]}
    )
    assert all(f.code in CATALOGUE for f in validate(table))


def test_chinese_quantities_are_read_and_cn2an_is_loaded_only_for_them() -> None:
    assert chinese_quantities("完成三项任务") == [Decimal(3)]
    assert chinese_quantities("培训人数五百人", at_end=True) == [Decimal(500)]
    assert chinese_quantities("百分之百") == [Decimal(100)]
    assert chinese_quantities("推进一体化，落实十四五规划") == []
    # Importing the library (the CLI, every web worker) does not pay for cn2an's import.
    code = "import sys, jixiao.read, jixiao.rules; print('cn2an' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
