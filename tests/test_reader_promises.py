"""The reader's promises under inputs a hostile review built: nothing invented, nothing dropped,
rules silenced only for parts a layout really lacks, and amounts in 元 always found and exact."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from jixiao.check import check_bytes
from jixiao.findings import Report
from jixiao.read import ReadResult, read_bytes

FIXTURES = Path(__file__).parent / "fixtures"
SEED = (FIXTURES / "seed.txt").read_text(encoding="utf-8")
INDICATORS = (
    "绩效指标\n一级指标\t二级指标\t三级指标\t对比符号\t指标值\t计量单位\n"
    "产出指标\t数量指标\t水利工程建设数\t≥\t3\t项\n"
    "满意度指标\t服务对象满意度指标\t群众满意度\t≥\t90\t%\n"
)
YUAN_TABLE = (
    "揭阳市2023年市直部门整体预算绩效目标表\n{note}\n部门名称\t揭阳市应急管理局\t\t资金主管部门\t应急管理\n"
    "基本信息\t财政供养人员数\t43\t下属二级单位数\t0\n"
    "预算整体情况\t财政支出分类\t预算金额\t收入来源\t预算金额\n"
    "\t基本支出\t1000000\t财政拨款\t2000000\n\t项目支出\t1430000\t其他资金\t430000\n"
    "总体绩效目标\t完成水利工程建设3项，群众满意度达到90%以上。\n" + INDICATORS
)


def _read(text: str) -> ReadResult:
    return read_bytes(text.encode(), "t.txt")


def _check(text: str) -> Report:
    return check_bytes(text.encode(), "t.txt")


def _unplaced(result: ReadResult | Report) -> str:
    return "".join(f.message for f in result.findings if f.code in {"cells-unplaced", "row-unrecognized"})


# --- rules silenced only where the layout lacks the part ---------------------------------------


def test_footer_labels_do_not_make_a_table_hubei_nor_silence_a_blank_staff_count() -> None:
    text = (
        "某市2024年部门整体绩效目标表\n部门名称\t某市水利局\t填报人\t王五\t联系电话\t123\t填报日期\t2024-01-02\n"
        "财政供养人员数\t\t下属二级单位数\t\n总体绩效目标\t完成水利工程建设3项，群众满意度达到90%以上。\n"
        + INDICATORS
    )
    report = _check(text)
    assert report.layout != "hubei"
    assert "staff-count-invalid" in report.codes()
    assert "part-absent" not in report.codes()


def test_a_printed_staff_count_left_blank_in_a_hunan_table_is_the_departments_omission() -> None:
    hunan = (FIXTURES / "layouts" / "hunan.txt").read_text(encoding="utf-8")
    text = hunan.replace("職責", "財政供養人員數\t\t下屬二級單位數\t\n職責", 1)
    report = _check(text)
    assert report.layout == "hunan"
    assert "staff-count-invalid" in report.codes()
    assert not any(f.code == "part-absent" and "财政供养人员数" in f.message for f in report.findings)
    assert any(f.code == "part-absent" and "年度重点工作任务" in f.message for f in report.findings)


# --- nothing invented ---------------------------------------------------------------------------


def test_a_footer_after_the_indicators_is_read_as_the_footer_not_as_an_indicator() -> None:
    text = SEED.replace(
        "\n填报要求", "\n填报人\t张三\t联系电话\t0663-1234567\t填报日期\t2023-01-10\n填报要求", 1
    )
    result = _read(text)
    assert len(result.table.indicators) == 5
    assert (result.table.preparer, result.table.contact_phone, result.table.prepared_on) == (
        "张三",
        "0663-1234567",
        "2023-01-10",
    )


def test_a_total_of_the_weights_is_no_indicator_and_a_wrong_one_is_reported() -> None:
    chongqing = (FIXTURES / "layouts" / "chongqing.txt").read_text(encoding="utf-8").rstrip("\n")
    right, wrong = _read(chongqing + "\n合计\t80\n"), _read(chongqing + "\n合计\t100\n")
    assert len(right.table.indicators) == len(wrong.table.indicators) == 5
    assert _unplaced(right) == ""
    assert "「100」" in _unplaced(wrong)


# --- amounts in 元 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "note",
    [
        "单位：元",
        "單位：元",
        "金額單位：元",
        "金额单位：人民币元",
        "单位：元（保留两位小数）",
        "注：本表金额单位为元",
    ],
)
def test_every_spelling_of_a_note_in_yuan_converts_the_amounts(note: str) -> None:
    result = _read(YUAN_TABLE.format(note=note))
    budget = result.table.budget
    assert (budget.basic_expenditure, budget.project_expenditure) == (Decimal(100), Decimal(143))
    assert "amounts-in-yuan" in {f.code for f in result.findings}
    assert "row-unrecognized" not in {f.code for f in result.findings}


def test_a_note_in_yuan_beside_the_title_keeps_the_title_and_its_year() -> None:
    text = YUAN_TABLE.format(note="").replace("目标表\n", "目标表\t\t\t\t单位：元\n", 1)
    result = _read(text)
    assert result.table.year == 2023
    assert result.table.budget.basic_expenditure == Decimal(100)
    assert _unplaced(result) == ""


def test_a_conversion_is_exact_however_many_digits() -> None:
    text = YUAN_TABLE.format(note="单位：元").replace("1000000", "1234567890123456789012345.6789")
    amount = _read(text).table.budget.basic_expenditure
    assert amount == Decimal("123456789012345678901.23456789")


# --- nothing dropped ------------------------------------------------------------------------------


def test_the_rest_of_a_unit_note_row_is_reported() -> None:
    text = SEED.replace("部门名称", "单位：万元\t\t\t编制日期：2023年1月10日\t盖章\n部门名称", 1)
    unplaced = _unplaced(_read(text))
    assert "编制日期：2023年1月10日" in unplaced
    assert "盖章" in unplaced


def test_words_in_a_total_row_are_reported() -> None:
    rows = SEED.split("\n")
    last_task = max(i for i, row in enumerate(rows) if row.startswith("\t") and row.split("\t")[1].isdigit())
    rows.insert(last_task + 1, "合计\t\t含追加预算\t\t565.58075\t备注：经局党组审议")
    unplaced = _unplaced(_read("\n".join(rows)))
    assert "含追加预算" in unplaced
    assert "备注：经局党组审议" in unplaced


def test_something_written_where_a_task_sections_label_stands_is_reported() -> None:
    text = SEED.replace("\t3\t安全生产专项经费", "（续表）\t3\t安全生产专项经费", 1)
    assert "（续表）" in _unplaced(_read(text))


def test_cells_beside_values_under_a_row_of_labels_are_reported() -> None:
    text = (
        "某市2024年部门整体预算绩效目标表\n部门名称\t财政供养人员数\t下属二级单位数\n"
        "某市水利局\t43\t2\t备注：含退休人员\t审核人：李四\n"
        "总体绩效目标\t完成水利工程建设3项，群众满意度达到90%以上。\n" + INDICATORS
    )
    result = _read(text)
    assert (result.table.department.name, result.table.department.staff_count) == ("某市水利局", 43)
    unplaced = _unplaced(result)
    assert "备注：含退休人员" in unplaced
    assert "审核人：李四" in unplaced


def test_an_indicator_row_with_only_a_scoring_note_is_reported() -> None:
    hunan = (FIXTURES / "layouts" / "hunan.txt").read_text(encoding="utf-8").split("\n")
    at = next(i for i, row in enumerate(hunan) if "高標準農田建設面積" in row)
    hunan.insert(at + 1, "\t\t\t定量\t\t\t\t另：超額完成加1分")
    result = _read("\n".join(hunan))
    assert "另：超額完成加1分" in _unplaced(result)


def test_a_column_of_the_other_table_in_the_indicators_is_reported() -> None:
    text = (
        "某市2024年部门整体预算绩效目标表\n部门名称\t某市水利局\n绩效指标\n"
        "序号\t一级指标\t二级指标\t三级指标\t金额\t对比符号\t指标值\t计量单位\n"
        "1\t产出指标\t数量指标\t水利工程建设数\t30万元\t≥\t3\t项\n"
    )
    result = _read(text)
    assert result.table.indicators[0].name == "水利工程建设数"
    unplaced = _unplaced(result)
    assert "序号：1" in unplaced
    assert "金额：30万元" in unplaced
