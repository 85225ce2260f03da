"""Other places' layouts of the same table (``shared/spec/LAYOUTS.md``): every label spelling read into
the right field, nothing the source does not show made up, nothing dropped without a finding.

The fixtures under ``tests/fixtures/layouts/`` are tables written for these tests in each layout.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from jixiao.check import check_bytes, check_path
from jixiao.layouts import LAYOUTS as KNOWN_LAYOUTS
from jixiao.layouts import PARTS
from jixiao.read import read_bytes, read_path
from jixiao.read.labels import ALL_LABELS as _LABELS

LAYOUTS = Path(__file__).parent / "fixtures" / "layouts"


def _codes(name: str) -> set[str]:
    return {f.code for f in read_path(LAYOUTS / name).findings}


def test_zhanjiang_reads_task_amounts_outcomes_and_other_tasks() -> None:
    table = read_path(LAYOUTS / "zhanjiang.txt").table
    assert (table.department.staff_count, table.department.subordinate_unit_count) == (126, 5)
    assert table.budget.project_expenditure == Decimal("1745.00")
    assert table.budget.fiscal_appropriation == Decimal("4860.60")
    assert [(t.kind, t.amount, t.expected_outcome) for t in table.tasks] == [
        ("key", Decimal("985.00"), "群众文化活动不少于120场"),
        ("key", Decimal("560.00"), "赛事20项以上"),
        ("other", Decimal("200.00"), "文物安全零事故"),
    ]
    assert table.task_total == table.budget.project_expenditure
    # No comparator column: one written in the value is taken, none is made up.
    assert [(i.comparator, i.value, i.unit) for i in table.indicators] == [
        ("≥", "120", "场"),
        ("≥", "20", "项"),
        (None, "100", "%"),
        (None, "全年", ""),
        ("≥", "30", "万人次"),
        ("≥", "90", "%"),
    ]
    assert "comparator-absent" in _codes("zhanjiang.txt")
    assert {"task-amount-missing", "project-expenditure-mismatch", "comparator-unknown"}.isdisjoint(
        _codes("zhanjiang.txt")
    )


def test_chongqing_reads_the_total_the_goal_and_the_comparator_column() -> None:
    table = read_path(LAYOUTS / "chongqing.txt").table
    assert table.department.name == "重庆市渝中区教育委员会"
    assert table.budget.total_expenditure == Decimal("86420.35")
    assert table.overall_goal.startswith("保障全区42所公办中小学")
    assert [(i.name, i.weight, i.unit, i.comparator, i.value) for i in table.indicators][:2] == [
        ("资助家庭经济困难学生人次", Decimal(20), "人次", "≥", "3500"),
        ("新增学位数", Decimal(20), "个", "≥", "900"),
    ]
    assert {"row-unrecognized", "cells-unplaced", "goal-too-short"}.isdisjoint(_codes("chongqing.txt"))


def test_hunan_in_traditional_script_keeps_the_text_as_published() -> None:
    result = read_path(LAYOUTS / "hunan.txt")
    table = result.table
    assert table.title == "長沙縣2024年度整體績效目標表"
    assert table.year == 2024
    assert table.department.name == "長沙縣農業農村局"
    assert table.duties is not None
    assert table.duties.startswith("負責全縣")
    assert table.overall_goal.startswith("完成高標準農田建設")
    first, *_, qualitative, satisfaction = table.indicators
    # Level names are canonical (the framework's), everything else as printed.
    assert (first.level1, first.level2, first.name) == ("产出指标", "数量指标", "高標準農田建設面積")
    assert (first.value_type, first.comparator, first.value, first.unit) == ("定量", "≥", "2", "萬畝")
    assert first.scoring_standard == "完成得滿分，未完成按比例扣分"
    assert (qualitative.value_type, qualitative.comparator, qualitative.value) == ("定性", "定性", "顯著提升")
    assert satisfaction.level1 == "满意度指标"
    # The 备注 column is no field of the table: its cell is reported, not dropped.
    unplaced = [f for f in result.findings if f.code == "cells-unplaced"]
    assert len(unplaced) == 1
    assert "含家庭農場" in unplaced[0].message


def test_hubei_reads_budget_parts_duties_and_long_term_goal() -> None:
    result = read_path(LAYOUTS / "hubei.txt")
    table = result.table
    assert (table.budget.fiscal_appropriation, table.budget.other_funds) == (
        Decimal("52300.00"),
        Decimal("4490.00"),
    )
    assert (table.budget.basic_expenditure, table.budget.project_expenditure) == (
        Decimal("12790.00"),
        Decimal("44000.00"),
    )
    assert table.duties == "负责全市水资源管理、防汛抗旱、城市排水和供水保障工作。"
    assert table.long_term_goal == "到2025年基本建成与超大城市相适应的排水防涝体系。"
    assert [(t.name, t.amount) for t in table.tasks] == [
        ("城市排水设施维护", Decimal("28000.00")),
        ("防汛抗旱能力建设", Decimal("16000.00")),
    ]
    # The contact cells on the name's row are kept as printed.
    assert (table.preparer, table.contact_phone, table.prepared_on) == (
        "李明",
        "027-82700000",
        "2024年1月15日",
    )
    codes = [f.code for f in result.findings]
    # The totals and shares printed agree with the amounts.
    assert {"budget-total-mismatch", "row-unrecognized", "cells-unplaced"}.isdisjoint(codes)


def test_a_printed_total_or_share_that_disagrees_is_reported() -> None:
    text = (LAYOUTS / "hubei.txt").read_text(encoding="utf-8")
    wrong = text.replace(
        "合计\t金额\t56,790.00\t占比\t100%\n支出构成", "合计\t金额\t56,700.00\t占比\t100%\n支出构成"
    )
    wrong = wrong.replace("22.52%", "25.00%")
    found = [f for f in read_bytes(wrong.encode(), "hubei.txt").findings if f.code == "budget-total-mismatch"]
    assert [(f.location.line, "56790" in f.message or "22.52" in f.message) for f in found] == [
        (5, True),
        (6, True),
    ]


def test_a_share_after_a_tag_on_a_total_row_is_read_not_reported_unplaced() -> None:
    text = (LAYOUTS / "hubei.txt").read_text(encoding="utf-8")
    tagged = text.replace("合计\t金额\t56,790.00\t占比\t100%", "合计\t金额\t56,790.00\t占比\t金额\t100%", 1)
    assert tagged != text
    findings = read_bytes(tagged.encode(), "hubei.txt").findings
    assert [f.location.line for f in findings if f.code == "cells-unplaced"] == []
    assert "budget-total-mismatch" not in [f.code for f in findings]
    wrong = tagged.replace("占比\t金额\t100%", "占比\t金额\t90%", 1)
    found = [f for f in read_bytes(wrong.encode(), "hubei.txt").findings if f.code == "budget-total-mismatch"]
    assert [f.location.line for f in found] == [5]


def test_labels_with_a_required_mark_and_traditional_script() -> None:
    text = (
        "某縣2024年度整體績效目標表\n部門(單位)名稱\t某局\n*年度總體績效目標\t"
        + "完成道路養護120公里，群眾滿意度不低於90%，確保全年無重大安全事故發生，各項工作按期完成並通過驗收。"
        * 1
        + "\n一級指標\t二級指標\t三級指標\t*指標值\n產出指標\t數量指標\t道路養護里程\t≥120公里\n"
    )
    table = read_bytes(text.encode(), "t.txt").table
    assert table.department.name == "某局"
    assert table.overall_goal.startswith("完成道路養護")
    assert [(i.level1, i.level2, i.comparator, i.value, i.unit) for i in table.indicators] == [
        ("产出指标", "数量指标", "≥", "120", "公里")
    ]


def test_a_label_and_value_in_one_cell_are_read_and_other_such_cells_reported() -> None:
    """``部门名称：某局`` is read; a ``备注：…`` cell on the same row is no field, so it is reported."""
    text = "某市2024年部门整体预算绩效目标表\n部门名称：某局\t备注：含二级单位\n绩效指标\n"
    text += (
        "一级指标\t二级指标\t三级指标\t对比符号\t指标值\t计量单位\n产出指标\t数量指标\t培训人数\t≥\t100\t人\n"
    )
    result = read_bytes(text.encode(), "t.txt")
    assert result.table.department.name == "某局"
    unplaced = [f for f in result.findings if f.code == "cells-unplaced"]
    assert [f.location.line for f in unplaced] == [2]
    assert "含二级单位" in unplaced[0].message


# --- which layout, and rules that fit it -----------------------------------------------------------


def test_each_fixture_is_read_as_its_layout_and_the_seed_as_jieyang() -> None:
    fixtures = Path(__file__).parent / "fixtures"
    assert check_path(fixtures / "seed.txt").layout == "jieyang"
    for name in ("zhanjiang", "chongqing", "hunan", "hubei"):
        report = check_path(LAYOUTS / f"{name}.txt")
        assert report.layout == name
        assert report.to_dict()["layout"] == name


def test_a_table_with_too_few_marks_is_of_an_unknown_layout_and_judged_by_every_rule() -> None:
    text = "部门名称\t某局\n绩效指标\n三级指标\t指标值\n培训人数\t100\n"
    report = check_bytes(text.encode(), "t.txt")
    assert report.layout == "unknown"
    assert "part-absent" not in report.codes()
    assert "staff-count-invalid" in report.codes()
    assert check_bytes(b"\x00\x01", "x.bin").to_dict()["layout"] == "unknown"


def test_every_mark_of_a_layout_is_a_label_the_reader_knows() -> None:
    for layout in KNOWN_LAYOUTS.values():
        assert layout.marks <= _LABELS, (layout.name, layout.marks - _LABELS)
        assert layout.lacks <= PARTS.keys()


def test_chongqing_without_levels_gets_one_finding_for_them_not_one_per_row() -> None:
    report = check_path(LAYOUTS / "chongqing.txt")
    codes = report.codes()
    for part in ("levels", "tasks", "budget", "staff_count", "subordinate_unit_count"):
        assert set(PARTS[part].codes).isdisjoint(codes), part
    absent = [f for f in report.findings if f.code == "part-absent"]
    assert len(absent) == 5
    levels = next(f for f in absent if f.location.section == "indicators")
    assert "一级指标" in levels.message
    assert "重庆区县" in levels.message
    assert report.valid


def test_a_layout_without_staff_count_gets_no_staff_count_error_but_one_that_has_it_does() -> None:
    for name in ("hubei", "hunan"):
        report = check_path(LAYOUTS / f"{name}.txt")
        assert "staff-count-invalid" not in report.codes()
        assert any(f.code == "part-absent" and "财政供养人员数" in f.message for f in report.findings)
    # 湛江 prints the label: leaving it blank is the department's error, as for the seed.
    text = (
        (LAYOUTS / "zhanjiang.txt")
        .read_text(encoding="utf-8")
        .replace("财政供养人员数\t126", "财政供养人员数\t")
    )
    report = check_bytes(text.encode(), "zhanjiang.txt")
    assert report.layout == "zhanjiang"
    assert "staff-count-invalid" in report.codes()
    assert "part-absent" not in report.codes()


def test_a_part_the_layout_lacks_but_the_table_has_is_still_judged() -> None:
    """Rules are left out only where the table is empty too: a 湖北 table with a staff count gets it checked."""
    text = (LAYOUTS / "hubei.txt").read_text(encoding="utf-8")
    text = text.replace("收入构成", "财政供养人员数\t-3\n收入构成", 1)
    report = check_bytes(text.encode(), "hubei.txt")
    assert report.layout == "hubei"
    assert "staff-count-invalid" in report.codes()
    assert not any(f.code == "part-absent" and "财政供养人员数" in f.message for f in report.findings)


def test_the_seed_report_is_unchanged_but_for_its_layout() -> None:
    fixtures = Path(__file__).parent / "fixtures"
    report = check_path(fixtures / "seed.txt")
    from jixiao.read import read_path as read

    result = read(fixtures / "seed.txt")
    from jixiao.check import check_table

    assert report.findings == check_table(result.table, report.source, result.findings).findings


# --- budgets printed in 元 --------------------------------------------------------------------------


def test_amounts_in_yuan_are_converted_exactly_and_said() -> None:
    text = (LAYOUTS / "zhanjiang.txt").read_text(encoding="utf-8")
    in_yuan = text.replace("预算金额（万元）", "预算金额（元）").replace(
        "拟投入的资金（万元）", "拟投入的资金（元）"
    )
    for old, new in (
        ("3,215.60", "32,156,000"),
        ("1,745.00", "17,450,000.55"),
        ("4,860.60", "48606000"),
        ("100.00", "1000000"),
        ("985.00", "9850000"),
        ("560.00", "5600000"),
        ("200.00", "2000000"),
    ):
        in_yuan = in_yuan.replace(f"\t{old}", f"\t{new}")
    result = read_bytes(in_yuan.encode(), "zhanjiang.txt")
    budget = result.table.budget
    assert budget.basic_expenditure == Decimal("3215.6")
    assert budget.project_expenditure == Decimal("1745.000055")
    assert budget.fiscal_appropriation == Decimal("4860.6")
    assert [t.amount for t in result.table.tasks] == [Decimal(985), Decimal(560), Decimal(200)]
    said = [f for f in result.findings if f.code == "amounts-in-yuan"]
    assert len(said) == 1
    assert "元" in said[0].message
    assert "7 个金额" in said[0].message
    assert said[0].location.line == 5


def test_a_unit_note_in_yuan_converts_and_one_in_wan_yuan_does_not() -> None:
    body = "部门名称\t某局\n预算整体情况\t基本支出\t{amount}\n绩效指标\n三级指标\t指标值\n培训人数\t100\n"
    yuan = read_bytes(("单位：元\n" + body.format(amount="1234567.8")).encode(), "t.txt")
    assert yuan.table.budget.basic_expenditure == Decimal("123.45678")
    assert "amounts-in-yuan" in {f.code for f in yuan.findings}
    wan = read_bytes(("单位：万元\n" + body.format(amount="123.45678")).encode(), "t.txt")
    assert wan.table.budget.basic_expenditure == Decimal("123.45678")
    assert "amounts-in-yuan" not in {f.code for f in wan.findings}
