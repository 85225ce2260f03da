"""The self-evaluation on the command line, as a department uses it: ``jixiao selfeval new`` on the
seed, the workbook filled with openpyxl, then ``jixiao check`` and ``jixiao score``; the scores are
compared with CYCLE.md's formulas worked out here by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from conftest import SEED_TXT
from selfeval_cases import qualitative_evaluation

D = Decimal
COMMAND = Path(sys.executable).with_name("jixiao")


def jixiao(*args: str | Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(COMMAND), *map(str, args)], capture_output=True, text=True, check=False, timeout=120
    )
    assert "Traceback" not in done.stdout + done.stderr
    return done


def cents(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def find(sheet: Worksheet, text: str) -> tuple[int, int]:
    """The first cell holding ``text`` (the 自评表 comes before the appended target table)."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value == text:
                return cell.row, cell.column
    raise AssertionError(f"{text} not on the sheet")


def column_in_row(sheet: Worksheet, row: int, text: str) -> int:
    return next(cell.column for cell in sheet[row] if cell.value == text)


#: What the department fills for the seed's five indicators (实际完成值) and its deviations.
ACTUALS = {
    "提供安全审查、检查项目": ("3", "全年只完成3项，一项检查因企业停产顺延至次年一季度。"),
    "编制应急预案率": ("100", ""),
    "应急处置到达时间": ("3.5", "偏远乡镇路途远，平均到达超出半小时；明年增设前置救援点。"),
    "抢险救灾率": ("98", "两次抢险因台风道路中断未能完成，已与交通部门建立联动。"),
    "监测预警时段": ("7*24", ""),
}


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed's self-evaluation workbook made by ``selfeval new`` and filled in."""
    folder = tmp_path_factory.mktemp("selfeval")
    form = folder / "应急管理局自评.xlsx"
    done = jixiao("selfeval", "new", SEED_TXT, "-o", form)
    assert done.returncode == 0, done.stderr
    assert "5 个指标" in done.stdout
    workbook = openpyxl.load_workbook(form)
    sheet = workbook["自评表"]
    funds_heading, _ = find(sheet, "全年预算数")
    total_row, _ = find(sheet, "年度资金总额")
    for heading, value in (("年初预算数", 565.58075), ("全年预算数", 565.58075), ("全年执行数", 520.33429)):
        sheet.cell(total_row, column_in_row(sheet, funds_heading, heading)).value = value
    indicators_heading, _ = find(sheet, "偏差原因分析及改进措施")
    actual_column = column_in_row(sheet, indicators_heading, "实际完成值")
    deviation_column = column_in_row(sheet, indicators_heading, "偏差原因分析及改进措施")
    for name, (actual, deviation) in ACTUALS.items():
        row, _ = find(sheet, name)
        sheet.cell(row, actual_column).value = actual
        sheet.cell(row, deviation_column).value = deviation or None
    goal_heading, goal_column = find(sheet, "实际完成情况")
    sheet.cell(
        goal_heading + 1, goal_column
    ).value = "全年开展安全审查检查3项，编制应急预案全覆盖，应急处置平均3.5小时到达，抢险救灾率98%，监测预警全年值守。"
    for label, text in (
        ("自评结论", "基本完成年度目标。"),
        ("存在问题", "检查项目偏少。"),
        ("改进措施", "提前排期。"),
    ):
        row, column = find(sheet, label)
        sheet.cell(row, column + 1).value = text
    workbook.save(form)
    return form


def test_the_blank_workbook_locks_the_copied_parts_and_marks_the_cells_to_fill(tmp_path: Path) -> None:
    form = tmp_path / "form.xlsx"
    assert jixiao("selfeval", "new", SEED_TXT, "-o", form).returncode == 0
    workbook = openpyxl.load_workbook(form)
    assert workbook.sheetnames == ["自评表", "填写说明"]
    sheet = workbook["自评表"]
    assert sheet.protection.sheet
    name_row, name_column = find(sheet, "提供安全审查、检查项目")
    heading, _ = find(sheet, "偏差原因分析及改进措施")
    copied = sheet.cell(name_row, name_column)
    to_fill = sheet.cell(name_row, column_in_row(sheet, heading, "实际完成值"))
    assert copied.protection.locked
    assert copied.fill.fgColor.rgb != "00FFF2CC"
    assert not to_fill.protection.locked
    assert to_fill.fill.fgColor.rgb == "00FFF2CC"
    # The points are the profile's even split (the satisfaction group's 10 handed on), to be moved.
    points = [
        sheet.cell(find(sheet, name)[0], column_in_row(sheet, heading, "分值")).value for name in ACTUALS
    ]
    assert [D(str(p)) for p in points] == [D("18.75"), D("18.75"), D("18.75"), D("16.88"), D("16.87")]
    # Nothing computed is printed: there are no formulas to keep it up to date.
    total_row, total_column = find(sheet, "自评总分")
    assert sheet.cell(total_row, total_column + 1).value is None
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    # The seed has no 定性 row: no 完成等级 to choose (see the next test).
    assert sheet.data_validations.dataValidation == []
    instructions = " ".join(str(row[0]) for row in workbook["填写说明"].iter_rows(values_only=True))
    assert "浅黄色" in instructions
    assert "实际完成值" in instructions
    # Read back untouched, it is the blank self-evaluation of the seed.
    parsed = jixiao("parse", form)
    assert parsed.returncode == 0
    blank = json.loads(parsed.stdout)
    assert blank["approved"] == json.loads(jixiao("parse", SEED_TXT).stdout)
    assert all(row["actual"] is None and row["points"] is None for row in blank["indicators"])


def test_the_tiers_of_a_qualitative_row_are_a_list_to_choose_from(tmp_path: Path) -> None:
    table = tmp_path / "目标表.json"
    table.write_text(qualitative_evaluation().approved.as_target_table().to_json(), encoding="utf-8")
    form = tmp_path / "form.xlsx"
    assert jixiao("selfeval", "new", table, "-o", form).returncode == 0
    sheet = openpyxl.load_workbook(form)["自评表"]
    (validation,) = sheet.data_validations.dataValidation
    assert validation.type == "list"
    assert validation.formula1 == '"达成,部分达成,未达成"'
    tier_heading, tier_column = find(sheet, "完成等级")
    plans_row = tier_heading + 6  # 应急预案体系, the 定性 row, is the sixth indicator
    assert sheet.cell(plans_row, 2).value == "应急预案体系"
    assert {str(cell_range) for cell_range in validation.sqref.ranges} == {
        sheet.cell(plans_row, tier_column).coordinate
    }
    assert not sheet.cell(plans_row, tier_column).protection.locked
    assert sheet.cell(plans_row - 1, tier_column).protection.locked  # a quantitative row's


def expected_scores() -> tuple[Decimal, list[Decimal], Decimal]:
    """CYCLE.md's formulas for the filled seed, by hand: the execution score, each row's, the total."""
    execution = cents(min(D(10), D(10) * D("520.33429") / D("565.58075")))
    w = [D("18.75"), D("18.75"), D("18.75"), D("16.88"), D("16.87")]
    rows = [
        cents(w[0] * D(3) / D(4)),  # ≥4个, B = 3: w × B/A
        w[1],  # =100%, B = 100: met
        cents(w[2] * D(3) / D("3.5")),  # ≤3小时, B = 3.5: w × A/B (ratio)
        cents(w[3] * D(98) / D(100)),  # =100%, B = 98 < A: w × B/A
        w[4],  # =7*24 = 168, B = 168: met
    ]
    return execution, rows, execution + sum(rows, D(0))


def test_check_recognises_the_filled_workbook_and_applies_the_self_evaluation_rules(filled: Path) -> None:
    done = jixiao("check", "--json", filled)
    assert done.returncode == 0, done.stdout
    (report,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert (report["kind"], report["valid"]) == ("selfeval", True)
    assert [issue["code"] for issue in report["issues"]] == ["selfeval-points-redistributed"]
    readable = jixiao("check", filled)
    assert "绩效自评表" in readable.stdout
    assert "通过" in readable.stdout
    # The target table's report stays exactly as it was: no kind.
    table = json.loads(jixiao("check", "--json", SEED_TXT).stdout)
    assert "kind" not in table
    assert table["layout"] == "jieyang"


def test_score_follows_cycle_md(filled: Path) -> None:
    done = jixiao("score", "--json", filled)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    execution, rows, total = expected_scores()
    assert D(result["execution"]["score"]) == execution == D("9.20")
    assert [D(row["score"]) for row in result["rows"]] == rows
    assert (D(result["total"]), result["grade"]) == (total, "优")
    assert total == D("91.49")
    assert result["rows"][0]["why"] == "实际 3 未达到目标 ≥4，得分 18.75×3÷4 = 14.06"
    assert (result["rows"][2]["target"], result["rows"][2]["actual"]) == ("≤3小时", "3.5")

    table = jixiao("score", filled)
    assert table.returncode == 0
    for shown in ("三级指标", "计分说明", "预算执行率", "91.49", "等级：优", "14.06"):
        assert shown in table.stdout, shown


def test_score_with_a_profile(filled: Path, tmp_path: Path) -> None:
    profile = tmp_path / "揭阳.json"
    profile.write_text('{"base": "80/70/60", "lower_is_better": "linear"}', encoding="utf-8")
    result = json.loads(jixiao("score", "--json", "--profile", profile, filled).stdout)
    execution, rows, _ = expected_scores()
    rows[2] = cents(D("18.75") * max(D(0), 1 - (D("3.5") - 3) / 3))  # linear: w × max(0, 1 − (B−A)/A)
    assert [D(row["score"]) for row in result["rows"]] == rows
    assert D(result["total"]) == execution + sum(rows, D(0)) == D("91.05")
    assert result["profile"] == str(profile)


def test_score_exit_codes_and_messages(filled: Path, tmp_path: Path) -> None:
    table = jixiao("score", SEED_TXT)
    assert table.returncode == 2
    assert "目标表，不是绩效自评表" in table.stderr
    assert "selfeval new" in table.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{lower_is_better: linear", encoding="utf-8")
    bad_profile = jixiao("score", "--profile", broken, filled)
    assert bad_profile.returncode == 2
    assert "设定文件不是有效的 JSON" in bad_profile.stderr
    unknown = tmp_path / "unknown.json"
    unknown.write_text('{"execution_points": 20}', encoding="utf-8")
    assert "之和应为 100" in jixiao("score", "--profile", unknown, filled).stderr
    assert jixiao("score", tmp_path / "nope.xlsx").returncode == 2
    not_a_table = tmp_path / "notes.txt"
    not_a_table.write_text("只是一段话", encoding="utf-8")
    assert jixiao("score", not_a_table).returncode == 2
    # An error (an actual with its unit in it) makes the exit code 1, as for check.
    workbook = openpyxl.load_workbook(filled)
    sheet = workbook["自评表"]
    heading, _ = find(sheet, "偏差原因分析及改进措施")
    row, _ = find(sheet, "编制应急预案率")
    sheet.cell(row, column_in_row(sheet, heading, "实际完成值")).value = "100%"
    wrong = tmp_path / "wrong.xlsx"
    workbook.save(wrong)
    done = jixiao("score", "--json", wrong)
    assert done.returncode == 1
    assert "selfeval-actual-invalid" in [issue["code"] for issue in json.loads(done.stdout)["issues"]]


def test_selfeval_new_refuses_what_it_cannot_make(filled: Path, tmp_path: Path) -> None:
    not_xlsx = jixiao("selfeval", "new", SEED_TXT, "-o", tmp_path / "form.pdf")
    assert not_xlsx.returncode == 2
    assert ".xlsx" in not_xlsx.stderr
    missing = jixiao("selfeval", "new", tmp_path / "nope.txt", "-o", tmp_path / "form.xlsx")
    assert missing.returncode == 2
    assert "无法读取" in missing.stderr
    again = jixiao("selfeval", "new", filled, "-o", tmp_path / "form.xlsx")
    assert again.returncode == 2
    assert "已经是绩效自评表" in again.stderr
    assert not (tmp_path / "form.xlsx").exists()


def test_convert_writes_a_self_evaluation_in_every_format(filled: Path, tmp_path: Path) -> None:
    original = jixiao("parse", filled).stdout
    for suffix in (".html", ".docx", ".txt", ".json", ".xlsx"):
        out = tmp_path / f"自评{suffix}"
        assert jixiao("convert", filled, "-o", out).returncode == 0
        assert jixiao("parse", out).stdout == original, suffix


@pytest.mark.parametrize("args", [(), ("selfeval",)])
def test_no_arguments_show_the_help_once(args: tuple[str, ...]) -> None:
    done = jixiao(*args)
    assert done.returncode == 0
    assert done.stdout.count("Usage") == 1
    assert "selfeval" in done.stdout
