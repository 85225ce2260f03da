"""The monitoring report on the command line, as a department uses it: ``jixiao monitor new`` on
the seed, the workbook filled with openpyxl, then ``jixiao check`` and ``jixiao warnings``; the
warnings are compared with CYCLE.md's worked number 8 (the seed has no 定性 row: its 预案 case is
in ``test_monitoring_formats.py``)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from conftest import SEED_TXT
from monitoring_cases import CAUSE_NOTE, MEASURES
from test_selfeval_cli import column_in_row, find, jixiao

D = Decimal

#: The seed's five indicators as of July: 1–7月完成值, 全年预计, 完成可能性, 存量指标.
PROGRESS = {
    "提供安全审查、检查项目": ("1", "4", "有可能", ""),  # ≥4个: 1 of 4×7/12 → v = 42.86, red
    "编制应急预案率": ("100", "100", "确定能", ""),  # % is a stock: v = 100, green
    "应急处置到达时间": ("2.5", "2.8", "确定能", ""),  # ≤3小时, 2.5: green (worked 8's 成本)
    "抢险救灾率": ("100", "100", "确定能", ""),
    "监测预警时段": ("7*24", "7*24", "确定能", "是"),  # hours on duty do not accrue: a stock
}


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed's monitoring workbook for July made by ``monitor new`` and filled in: worked
    number 8's money (254.51134 of 565.58075 spent)."""
    folder = tmp_path_factory.mktemp("monitoring")
    form = folder / "应急管理局监控.xlsx"
    done = jixiao("monitor", "new", SEED_TXT, "--month", "7", "-o", form)
    assert done.returncode == 0, done.stderr
    assert "5 个指标" in done.stdout
    workbook = openpyxl.load_workbook(form)
    sheet = workbook["监控表"]
    funds_heading, _ = find(sheet, "调整后预算数")
    total_row, _ = find(sheet, "年度资金总额")
    for heading, value in (
        ("年初预算数", 565.58075),
        ("调整后预算数", 565.58075),
        ("1-7月执行数", 254.51134),
        ("全年预计执行数", 565.58075),
    ):
        sheet.cell(total_row, column_in_row(sheet, funds_heading, heading)).value = value
    reason_row, reason_column = find(sheet, "预算执行偏差原因及纠偏措施")
    sheet.cell(reason_row, reason_column + 4).value = "上半年采购合同尚未到付款节点，预计第四季度集中支付。"
    heading, _ = find(sheet, "完成可能性")
    detail_heading, _ = find(sheet, "年底测评")
    columns = {
        name: column_in_row(sheet, heading, name)
        for name in ("1-7月完成值", "全年预计完成值", "完成可能性", "偏差原因", "原因说明", "纠偏措施")
    }
    stock_column = column_in_row(sheet, detail_heading, "存量指标")
    for number, (name, (to_date, forecast, likelihood, stock)) in enumerate(PROGRESS.items(), start=1):
        row, _ = find(sheet, name)
        sheet.cell(row, columns["1-7月完成值"]).value = to_date
        sheet.cell(row, columns["全年预计完成值"]).value = forecast
        sheet.cell(row, columns["完成可能性"]).value = likelihood
        if likelihood != "确定能":
            sheet.cell(row, columns["偏差原因"]).value = "经费保障、其他"
            sheet.cell(row, columns["原因说明"]).value = CAUSE_NOTE
            sheet.cell(row, columns["纠偏措施"]).value = MEASURES
        sheet.cell(detail_heading + number, stock_column).value = stock or None
    for label, text in (("存在的问题", "检查项目进度偏慢。"), ("下一步措施", "第三季度集中开展检查。")):
        row, column = find(sheet, label)
        sheet.cell(row, column + 1).value = text
    workbook.save(form)
    return form


def test_the_blank_workbook_locks_the_copied_parts_and_lists_the_choices(tmp_path: Path) -> None:
    form = tmp_path / "form.xlsx"
    assert jixiao("monitor", "new", SEED_TXT, "--month", "7", "-o", form).returncode == 0
    workbook = openpyxl.load_workbook(form)
    assert workbook.sheetnames == ["监控表", "填写说明"]
    sheet = workbook["监控表"]
    assert sheet.protection.sheet
    name_row, name_column = find(sheet, "提供安全审查、检查项目")
    heading, _ = find(sheet, "完成可能性")
    copied = sheet.cell(name_row, name_column)
    to_fill = sheet.cell(name_row, column_in_row(sheet, heading, "1-7月完成值"))
    assert copied.protection.locked
    assert not to_fill.protection.locked
    assert to_fill.fill.fgColor.rgb == "00FFF2CC"
    warning = sheet.cell(name_row, column_in_row(sheet, heading, "预警"))
    assert warning.protection.locked
    assert warning.value is None
    lists = {validation.formula1: validation for validation in sheet.data_validations.dataValidation}
    assert set(lists) == {
        '"确定能,有可能,完全不可能"',
        '"经费保障,制度保障,人员保障,硬件条件保障,其他"',
        '"是,否"',
    }
    likelihood = lists['"确定能,有可能,完全不可能"']
    assert sheet.cell(name_row, column_in_row(sheet, heading, "完成可能性")).coordinate in likelihood.sqref
    assert likelihood.showErrorMessage  # one of the list, nothing else
    assert not lists['"经费保障,制度保障,人员保障,硬件条件保障,其他"'].showErrorMessage  # several allowed
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    instructions = " ".join(str(row[0]) for row in workbook["填写说明"].iter_rows(values_only=True))
    assert "浅黄色" in instructions
    assert "年底测评" in instructions
    parsed = jixiao("parse", form)
    assert parsed.returncode == 0, parsed.stderr
    blank = json.loads(parsed.stdout)
    assert blank["approved"] == json.loads(jixiao("parse", SEED_TXT).stdout)
    assert (blank["month"], blank["year"]) == (7, 2023)
    assert all(row["to_date"] is None and row["likelihood"] is None for row in blank["indicators"])


def test_the_profile_gives_the_causes_and_the_month(tmp_path: Path) -> None:
    profile = tmp_path / "设定.json"
    profile.write_text(
        '{"deviation_causes": ["人员", "制度", "经费", "其他"], "monitoring_month": 6}', encoding="utf-8"
    )
    form = tmp_path / "form.xlsx"
    assert jixiao("monitor", "new", SEED_TXT, "--profile", profile, "-o", form).returncode == 0
    sheet = openpyxl.load_workbook(form)["监控表"]
    assert '"人员,制度,经费,其他"' in {v.formula1 for v in sheet.data_validations.dataValidation}
    assert find(sheet, "1-6月完成值")


def test_check_recognises_the_filled_workbook_and_applies_the_monitoring_rules(filled: Path) -> None:
    done = jixiao("check", "--json", filled)
    (report,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert report["kind"] == "monitoring"
    codes = [issue["code"] for issue in report["issues"]]
    assert all(code.startswith("monitor-") for code in codes), codes
    assert done.returncode == (0 if report["valid"] else 1)
    readable = jixiao("check", filled)
    assert "绩效运行监控表" in readable.stdout


def test_warnings_follow_worked_number_8(filled: Path) -> None:
    done = jixiao("warnings", "--json", filled)
    result = json.loads(done.stdout)
    assert done.returncode == (0 if result["valid"] else 1), done.stderr
    assert result["time_progress_percent"] == "58.33"
    budget = result["budget"]
    # 254.51134 of 565.58075 = 45.00 % → v = 77.14 → yellow (the reason was given)
    assert (budget["rate_percent"], budget["v"], budget["colour"], budget["word"]) == (
        "45.00",
        "77.14",
        "yellow",
        "黄",
    )
    rows = {row["name"]: (row["colour"], row["word"], row["v"]) for row in result["rows"]}
    assert rows == {
        "提供安全审查、检查项目": ("red", "红", "42.86"),  # 1 ÷ (4 × 7/12) × 100
        "编制应急预案率": ("green", "绿", "100.00"),
        "应急处置到达时间": ("green", "绿", None),  # ≤: met
        "抢险救灾率": ("green", "绿", "100.00"),
        "监测预警时段": ("green", "绿", "100.00"),  # marked a stock
    }
    assert (result["department"]["colour"], result["department"]["word"]) == ("red", "红")
    assert result["groups"] == {
        "产出指标": {"colour": "red", "word": "红"},
        "效益指标": {"colour": "green", "word": "绿"},
    }
    table = jixiao("warnings", filled)
    for shown in ("部门预警", "预算执行", "红", "黄", "绿", "42.86", "序时进度 58.33%"):
        assert shown in table.stdout, shown


def test_the_filled_workbook_converts_to_every_format_and_reads_back(filled: Path, tmp_path: Path) -> None:
    original = json.loads(jixiao("parse", filled).stdout)
    for suffix in (".json", ".txt", ".html", ".docx"):
        out = tmp_path / f"监控表{suffix}"
        assert jixiao("convert", filled, "-o", out).returncode == 0
        assert json.loads(jixiao("parse", out).stdout) == original, suffix


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("monitor", "new", SEED_TXT, "--month", "12", "-o", "x.xlsx"), "1–11"),
        (("monitor", "new", SEED_TXT, "--month", "7", "-o", "x.pdf"), ".xlsx"),
        (("warnings", SEED_TXT), "jixiao monitor new"),
    ],
)
def test_bad_input_is_told_in_chinese_exit_2(args: tuple[str | Path, ...], said: str, tmp_path: Path) -> None:
    done = jixiao(*(tmp_path / a if a == "x.xlsx" or a == "x.pdf" else a for a in args))
    assert done.returncode == 2
    assert said in done.stderr


def test_a_monitoring_report_is_not_a_table_to_make_forms_from(filled: Path, tmp_path: Path) -> None:
    for args in (
        ("monitor", "new", filled, "-o", tmp_path / "a.xlsx"),
        ("selfeval", "new", filled, "-o", tmp_path / "b.xlsx"),
    ):
        done = jixiao(*args)
        assert done.returncode == 2
        assert "绩效运行监控表" in done.stderr
    done = jixiao("score", filled)
    assert done.returncode == 2
    assert "jixiao warnings" in done.stderr


def test_a_red_row_without_causes_and_measures_fails_the_check(filled: Path, tmp_path: Path) -> None:
    form = tmp_path / "未写原因.xlsx"
    workbook = openpyxl.load_workbook(filled)
    sheet = workbook["监控表"]
    heading, _ = find(sheet, "完成可能性")
    row, _ = find(sheet, "提供安全审查、检查项目")
    for name in ("偏差原因", "纠偏措施"):
        sheet.cell(row, column_in_row(sheet, heading, name)).value = None
    workbook.save(form)
    done = jixiao("check", "--json", form)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert ("monitor-cause-missing", 1) in [(i["code"], i["location"].get("row")) for i in report["issues"]]
