"""The self-evaluation model, the profile and the self-evaluation's JSON Schema."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from jixiao.cli import app
from jixiao.model import TargetTable
from jixiao.model.selfeval import (
    Funds,
    FundsRow,
    IndicatorResult,
    SelfEvaluation,
    TaskResult,
    Tier,
    parse_tier,
)
from jixiao.profile import DEFAULT, VARIANTS, Profile, ProfileError, load_profile, profile_from_json

D = Decimal


def test_made_from_the_approved_table_with_nothing_filled(seed_table: TargetTable) -> None:
    made = SelfEvaluation.from_table(seed_table)
    assert made.approved.as_target_table() == seed_table
    assert len(made.tasks) == 10
    assert len(made.indicators) == 5
    assert all(task.executed is None and task.progress == "" for task in made.tasks)
    assert all(
        (row.actual, row.tier, row.points, row.entered_score) == (None, None, None, None)
        for row in made.indicators
    )
    # The seed shows 项目支出 only (基本支出 blank): its 年度资金总额 is unknown, not 565.58075 + 0.
    assert made.funds.total.initial_budget is None
    assert (made.funds.total.annual_budget, made.funds.total.executed) == (None, None)


def test_the_initial_budget_is_copied_where_the_table_shows_it(seed_table: TargetTable) -> None:
    budget = seed_table.budget.model_copy(
        update={
            "basic_expenditure": D("800.5"),
            "fiscal_appropriation": D("1300"),
            "other_funds": D("66.08075"),
        }
    )
    made = SelfEvaluation.from_table(seed_table.model_copy(update={"budget": budget}))
    assert made.funds.total.initial_budget == D("1366.08075")
    assert (made.funds.fiscal.initial_budget, made.funds.other.initial_budget) == (D("1300"), D("66.08075"))


def test_the_copied_parts_are_read_only(seed_table: TargetTable) -> None:
    made = SelfEvaluation.from_table(seed_table)
    with pytest.raises(ValidationError):
        made.approved.indicators[0].value = "3"
    with pytest.raises(ValidationError):
        made.approved.department.name = "别的部门"
    with pytest.raises(ValidationError):
        made.approved = made.approved  # type: ignore[misc]  # mypy knows it is frozen too
    with pytest.raises(AttributeError):
        made.approved.tasks.append(made.approved.tasks[0])  # type: ignore[attr-defined]
    made.indicators[0].actual = "5"  # what the department adds is editable
    assert seed_table.indicators[0].value == "4"


def test_an_ordinary_table_given_as_the_approved_one_is_kept_as_a_frozen_copy(
    seed_table: TargetTable,
) -> None:
    made = SelfEvaluation(
        approved=seed_table,
        tasks=[TaskResult() for _ in seed_table.tasks],
        indicators=[IndicatorResult() for _ in seed_table.indicators],
    )
    seed_table.indicators[0].value = "5"
    assert made.approved.indicators[0].value == "4"
    with pytest.raises(ValidationError):
        made.approved.indicators[0].value = "5"


def test_the_canonical_json_round_trips_with_exact_amounts(seed_table: TargetTable) -> None:
    made = SelfEvaluation.from_table(seed_table)
    made.funds.total.annual_budget = D("565.58075")
    made.funds.total.executed = D("520.33429")
    made.indicators[0].actual = "5"
    made.indicators[1].entered_score = D("18.75")
    data = json.loads(made.to_json())
    assert data["funds"]["total"] == {
        "initial_budget": None,
        "annual_budget": "565.58075",
        "executed": "520.33429",
    }
    assert data["approved"]["budget"]["project_expenditure"] == "565.58075"
    assert "printed_total" not in data  # only a read table has printed figures
    assert SelfEvaluation.model_validate_json(made.to_json()) == made


def test_result_rows_must_match_the_tables_rows(seed_table: TargetTable) -> None:
    data = json.loads(SelfEvaluation.from_table(seed_table).to_json())
    data["indicators"].pop()
    with pytest.raises(ValidationError, match="指标完成情况有 4 行，目标表有 5 个指标"):
        SelfEvaluation.model_validate(data)


@pytest.mark.parametrize(
    ("text", "tier"),
    [
        ("达成", Tier.ACHIEVED),
        ("达成年度指标", Tier.ACHIEVED),
        (" 部分达成年度指标并具有一定效果 ", Tier.PARTLY),
        ("未达成年度指标且效果较差", Tier.NOT_ACHIEVED),
        ("基本达成", None),
        ("", None),
    ],
)
def test_tiers_are_read_short_or_long(text: str, tier: Tier | None) -> None:
    assert parse_tier(text) == tier


# ---------------------------------------------------------------------------------------------
# The profile


def test_the_default_profile_is_cycle_mds() -> None:
    assert DEFAULT.execution_points == 10
    assert DEFAULT.level1_points == {"产出指标": 50, "效益指标": 30, "满意度指标": 10}
    assert [(band.grade, band.floor) for band in DEFAULT.grade_bands] == [
        ("优", D(90)),
        ("良", D(80)),
        ("中", D(60)),
        ("差", D(0)),
    ]
    assert (DEFAULT.lower_is_better, DEFAULT.equal_over) == ("ratio", "full")
    assert (DEFAULT.explain_execution_below, DEFAULT.over_achievement_flag, DEFAULT.monitoring_month) == (
        D(90),
        D(50),
        7,
    )
    assert (DEFAULT.budget_warning.red, DEFAULT.budget_warning.yellow) == (D(60), D(80))
    assert DEFAULT.indicator_warning.blue == 120
    assert DEFAULT.deviation_causes == ("经费保障", "制度保障", "人员保障", "硬件条件保障", "其他")
    assert DEFAULT.likelihood == ("确定能", "有可能", "完全不可能")
    assert [DEFAULT.grade(D(total)) for total in ("90", "89.99", "80", "60", "59.99", "0")] == [
        "优", "良", "良", "中", "差", "差",
    ]  # fmt: skip


def test_the_named_variants_are_valid_and_differ_in_one_setting() -> None:
    for name, variant in VARIANTS.items():
        assert Profile.model_validate(variant.model_dump()) == variant, name
    assert VARIANTS["101号"].level1_points == {
        "成本指标": 10,
        "产出指标": 40,
        "效益指标": 30,
        "满意度指标": 10,
    }
    assert VARIANTS["80/70/60"].grade(D("89.48")) == "优"
    assert VARIANTS["80/70/60"].grade(D("79.99")) == "良"
    assert VARIANTS["linear"].lower_is_better == "linear"
    assert VARIANTS["symmetric"].equal_over == "symmetric"


def test_a_profile_file_names_a_base_and_what_differs(tmp_path: Path) -> None:
    path = tmp_path / "揭阳.json"
    path.write_text(
        json.dumps(
            {
                "base": "101号",
                "name": "揭阳市2024",
                "lower_is_better": "linear",
                "explain_execution_below": 85.5,
            }
        ),
        encoding="utf-8",
    )
    profile = load_profile(path)
    assert profile.name == "揭阳市2024"
    assert profile.level1_points["成本指标"] == 10
    assert (profile.lower_is_better, profile.explain_execution_below) == ("linear", D("85.5"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "不是有效的 JSON（第 1 行第 2 列）"),
        ("[1]", "应为一个 JSON 对象"),
        ('{"base": "上海"}', "没有名为“上海”的设定"),
        ('{"execution_points": 20}', "之和应为 100，现为 110"),
        ('{"lower_is_beter": "linear"}', "lower_is_beter：没有这项设定"),
        ('{"equal_over": "half"}', "equal_over：取值不在允许范围内"),
        ('{"monitoring_month": 12}', "monitoring_month：超出允许范围"),
        ('{"grade_bands": [{"grade": "优", "floor": 60}, {"grade": "良", "floor": 80}]}', "从高到低"),
        ('{"budget_warning": {"red": 80, "yellow": 60}}', "红 < 黄"),
        (
            '{"level1_points": {"产出": 50, "效益指标": 30, "满意度指标": 10}}',
            "“产出”不是指标体系中的一级指标",
        ),
    ],
)
def test_a_bad_profile_file_is_told_in_chinese(text: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        profile_from_json(text)


def test_a_missing_profile_file_is_told_in_chinese(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="无法读取设定文件"):
        load_profile(tmp_path / "没有.json")


# ---------------------------------------------------------------------------------------------
# jixiao schema --kind selfeval


def test_schema_of_a_self_evaluation_is_a_second_schema() -> None:
    runner = CliRunner()
    table = runner.invoke(app, ["schema"])
    assert json.loads(table.stdout) == TargetTable.model_json_schema(mode="serialization")
    result = runner.invoke(app, ["schema", "--kind", "selfeval"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert set(schema["properties"]) >= {
        "approved",
        "funds",
        "goal_actual",
        "tasks",
        "indicators",
        "conclusion",
    }
    row = schema["$defs"]["IndicatorResult"]["properties"]
    assert row["actual"]["title"] == "实际完成值"
    assert row["tier"]["anyOf"][0] == {"$ref": "#/$defs/Tier"}
    assert schema["$defs"]["FundsRow"]["properties"]["executed"]["anyOf"][0]["type"] == "string"


def test_every_field_of_the_canonical_json_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## 绩效自评（库）") : readme.index("## 网页系统")]
    for model in (SelfEvaluation, Funds, FundsRow, TaskResult, IndicatorResult):
        for name in model.model_fields:
            assert f"`{name}`" in section or f"`{name}[]`" in section, (model.__name__, name)
