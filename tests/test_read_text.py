"""The text reader: the seed and the variations real published text shows."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, SEED_TXT, seed_expected
from jixiao.check import check_bytes
from jixiao.findings import ReadError
from jixiao.read import read_bytes, read_path

SHARED_SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec"
Patch = Callable[[dict[str, Any]], None]


def test_seed_reads_to_expected_json() -> None:
    result = read_path(SEED_TXT)
    assert json.loads(result.table.to_json()) == seed_expected()
    assert [(f.code, f.location.row) for f in result.findings] == [("level1-inferred", r) for r in (1, 2, 3)]


@pytest.mark.skipif(not SHARED_SPEC.exists(), reason="shared/spec is not beside this checkout")
def test_fixture_copies_match_shared_spec() -> None:
    assert SEED_TXT.read_bytes() == (SHARED_SPEC / "seed.txt").read_bytes()
    assert json.loads((SHARED_SPEC / "seed.expected.json").read_text(encoding="utf-8")) == seed_expected()


def _same(_: dict[str, Any]) -> None:
    pass


def _basic_expenditure(expected: dict[str, Any]) -> None:
    expected["budget"]["basic_expenditure"] = "1234.5"


def _ampersand(expected: dict[str, Any]) -> None:
    expected["tasks"][2]["content"] = expected["tasks"][2]["content"].replace("服务和执法", "服务&执法")


def _no_explanations(expected: dict[str, Any]) -> None:
    """Only 指标值, holding comparator and unit; the file leaves out "=" except before a %, and a
    comparator the file does not show is null (comparator-absent), never made up."""
    for indicator in expected["indicators"]:
        indicator["explanation"] = ""
        if indicator["comparator"] == "=" and indicator["unit"] != "%":
            indicator["comparator"] = None


def _outcomes(expected: dict[str, Any]) -> None:
    outcomes = ["完成4个项目安全审查", "系统全年正常运行", "", "完成评估报告和应急预案编制"]
    for task, outcome in zip(expected["tasks"], outcomes + [""] * 6, strict=True):
        task["expected_outcome"] = outcome


VARIANTS: dict[str, Patch] = {
    "utf8-bom.txt": _same,
    "gb18030.txt": _same,
    "crlf.txt": _same,
    "no-headings.txt": _same,
    "html-cells.txt": _ampersand,
    "stray-spaces.txt": _same,
    "repeated-headers.txt": _same,
    "extra-columns.txt": _same,
    "full-width-digits.txt": _same,
    "amount-units.txt": _basic_expenditure,
    "comparator-words.txt": _same,
    "comparator-in-value.txt": _same,
    "no-seq-column.txt": _same,  # numbered 1..10 in table order
    "zhanjiang-outcome.txt": _outcomes,
    "indicators-value-only.txt": _no_explanations,
    "markdown-pipes.txt": _same,
}


@pytest.mark.parametrize(("name", "patch"), VARIANTS.items(), ids=list(VARIANTS))
def test_variant_reads_to_the_seed(name: str, patch: Patch) -> None:
    expected = seed_expected()
    patch(expected)
    result = read_path(FIXTURES / "text" / name)
    assert json.loads(result.table.to_json()) == expected
    absent = any(indicator["comparator"] is None for indicator in expected["indicators"])
    assert {f.code for f in result.findings} == {"level1-inferred"} | (
        {"comparator-absent"} if absent else set()
    )


def test_every_variant_fixture_is_tested() -> None:
    assert sorted(p.name for p in (FIXTURES / "text").glob("*.txt")) == sorted(VARIANTS)


def _read(text: str) -> Any:
    return read_bytes(text.encode(), "t.txt")


TITLE = "某市2024年部门整体预算绩效目标表\n"
HEADER = TITLE + "部门名称\t某局\t\t资金主管部门\t某局\n基本信息\t财政供养人员数\t10\t下属二级单位数\t0\n"
INDICATORS = "一级指标\t二级指标\t三级指标\t三级指标解释\t对比符号\t指标值\t计量单位\n"


def test_row_that_fits_nowhere_is_reported_with_its_cells() -> None:
    result = _read(TITLE + "联系人：张三\t电话 12345\n" + HEADER)
    assert [(f.code, f.location.line) for f in result.findings] == [("row-unrecognized", 2)]
    assert "「联系人：张三」" in result.findings[0].message
    assert "「电话 12345」" in result.findings[0].message


def test_cells_beyond_the_headings_are_reported() -> None:
    text = (
        HEADER + "年度重点工作任务\t序号\t名称\t主要实施内容\t拟投入金额(万元)\n\t1\t甲\t乙\t5\t多出的备注\n"
    )
    result = _read(text)
    assert result.table.tasks[0].amount == 5
    assert [(f.code, f.location.line) for f in result.findings] == [("cells-unplaced", 5)]
    assert "多出的备注" in result.findings[0].message


def test_merged_level2_cells_fill_down_and_level1_is_inferred_once_per_row() -> None:
    text = (
        HEADER
        + INDICATORS
        + "\t数量指标\t甲\t\t≥\t1\t个\n\t\t乙\t\t≥\t2\t个\n效益指标\t社会效益指标\t丙\t\t定性\t提升\t\n"
    )
    result = _read(text)
    got = [(i.level1, i.level2, i.name) for i in result.table.indicators]
    assert got == [
        ("产出指标", "数量指标", "甲"),
        ("产出指标", "数量指标", "乙"),
        ("效益指标", "社会效益指标", "丙"),
    ]
    assert [(f.code, f.location.row) for f in result.findings] == [
        ("level1-inferred", 1),
        ("level1-inferred", 2),
    ]


def test_level1_from_the_wrong_group_is_corrected_from_level2() -> None:
    text = (
        HEADER + INDICATORS + "效益指标\t社会效益指标\t甲\t\t=\t1\t个\n\t服务对象满意度指标\t乙\t\t≥\t90\t%\n"
    )
    result = _read(text)
    assert [i.level1 for i in result.table.indicators] == ["效益指标", "满意度指标"]
    assert [(f.code, f.location.row) for f in result.findings] == [("level1-inferred", 2)]


def test_level_names_without_the_suffix_are_canonical() -> None:
    result = _read(HEADER + INDICATORS + "产出\t数量\t甲\t\t≥\t1\t个\n")
    assert (result.table.indicators[0].level1, result.table.indicators[0].level2) == ("产出指标", "数量指标")


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (("≥", "4", "个"), ("≥", "4", "个")),
        (("", "≥4个", ""), ("≥", "4", "个")),
        (("", "不低于95%", ""), ("≥", "95", "%")),
        (("≥", "95%", "%"), ("≥", "95", "%")),
        (("＜＝", "３", "小时"), ("≤", "3", "小时")),
        (("不超过", "65", "万元"), ("≤", "65", "万元")),
        (("定性", "显著提升", ""), ("定性", "显著提升", "")),
        (("=", "2023.07-2024.01", ""), ("=", "2023.07-2024.01", "")),
        (("≤", "12月底前", ""), ("≤", "12月底前", "")),
        (("约", "5", "个"), ("约", "5", "个")),  # kept as written for comparator-unknown
    ],
)
def test_comparator_value_and_unit(cells: tuple[str, str, str], expected: tuple[str, str, str]) -> None:
    comparator, value, unit = cells
    result = _read(HEADER + INDICATORS + f"产出指标\t数量指标\t甲\t\t{comparator}\t{value}\t{unit}\n")
    indicator = result.table.indicators[0]
    assert (indicator.comparator, indicator.value, indicator.unit) == expected


def test_values_below_a_row_of_labels() -> None:
    text = TITLE + "部门名称\t资金主管部门\t财政供养人员数\n某局\t某委\t12\n" + INDICATORS
    result = _read(text)
    department = result.table.department
    assert (department.name, department.competent_department, department.staff_count) == ("某局", "某委", 12)


def test_label_and_value_in_one_cell() -> None:
    result = _read(TITLE + "部门名称：某局\n" + INDICATORS)
    assert result.table.department.name == "某局"


@pytest.mark.parametrize(
    ("row", "code", "field"),
    [
        ("财政供养人员数\t四十三", "staff-count-invalid", "staff_count"),
        ("财政供养人员数\t4.5", "staff-count-invalid", "staff_count"),
        ("财政供养人员数\t10\t下属二级单位数\t若干", "subordinate-units-invalid", "subordinate_unit_count"),
    ],
)
def test_unreadable_counts_are_reported_where_they_are(row: str, code: str, field: str) -> None:
    result = _read(TITLE + f"部门名称\t某局\n基本信息\t{row}\n" + INDICATORS)
    assert [(f.code, f.location.section, f.location.field, f.location.line) for f in result.findings] == [
        (code, "department", field, 3)
    ]
    assert getattr(result.table.department, field) is None


def test_unreadable_amounts_are_reported_where_they_are() -> None:
    text = (
        HEADER
        + "\t基本支出\t一百\t财政拨款\t5\n年度重点工作任务\t序号\t名称\t主要实施内容\t拟投入金额\n\t1\t甲\t乙\t约10\n"
    )
    result = _read(text)
    assert [(f.code, f.location.section, f.location.row, f.location.field) for f in result.findings] == [
        ("amount-invalid", "budget", None, "basic_expenditure"),
        ("amount-invalid", "tasks", 1, "amount"),
    ]
    assert result.table.budget.fiscal_appropriation == 5


def test_subordinate_units_written_as_none_is_zero() -> None:
    result = _read(TITLE + "部门名称\t某局\n基本信息\t财政供养人员数\t10\t下属二级单位数\t无\n")
    assert result.table.department.subordinate_unit_count == 0


def test_task_total_rows_are_not_tasks() -> None:
    text = HEADER + "年度重点工作任务\t序号\t名称\t主要实施内容\t拟投入金额\n\t1\t甲\t乙\t5\n\t合计\t\t\t5\n"
    assert [t.name for t in _read(text).table.tasks] == ["甲"]


def test_goal_continues_over_following_rows() -> None:
    text = (
        HEADER
        + "总体绩效目标\t1、第一点\n\t2、第二点\n年度重点工作任务\t序号\t名称\t主要实施内容\t拟投入金额\n"
    )
    assert _read(text).table.overall_goal == "1、第一点\n2、第二点"


def test_script_in_a_cell_is_dropped() -> None:
    text = HEADER + "总体绩效目标\t<p>目标<script>alert(1)</script></p><p>第二点</p>\n"
    assert _read(text).table.overall_goal == "目标\n第二点"


def test_a_lone_less_than_sign_is_not_html() -> None:
    result = _read(HEADER + INDICATORS + "产出指标\t时效指标\t甲\t时间<b\t<\t3\t天\n")
    assert result.table.indicators[0].explanation == "时间<b"


def test_year_missing_from_the_title_is_reported() -> None:
    result = _read("部门整体预算绩效目标表\n" + HEADER.removeprefix(TITLE))
    assert result.table.year is None
    assert [f.code for f in result.findings] == ["year-missing"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "not-a-target-table"),
        ("随便一段文字\n没有表格".encode(), "not-a-target-table"),
        (b"\xff\xfe\x00\xd8", "file-unreadable"),  # UTF-16 BOM and a lone surrogate
        (b"\x81\x30\xff\xff\x00\x00", "file-unreadable"),
        (b"{not json", "file-unreadable"),
        (b'{"department": {"name": 5}, "indicators": "x"}', "file-unreadable"),
        (b'{"foo": 1}', "not-a-target-table"),
        (b"%PDF-1.7\n", "file-unreadable"),
        (b"PK\x03\x04garbage", "file-unreadable"),
        (b"\xd0\xcf\x11\xe0garbage", "file-unreadable"),
    ],
)
def test_unreadable_input_raises_read_error_with_code(data: bytes, code: str) -> None:
    with pytest.raises(ReadError) as raised:
        read_bytes(data, "输入.txt")
    assert raised.value.finding.code == code
    assert "输入.txt" in raised.value.finding.message


def test_too_large_input_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(21 * 1024 * 1024)
    with pytest.raises(ReadError) as raised:
        read_path(big)
    assert raised.value.finding.code == "file-too-large"


def test_missing_file_is_a_read_error(tmp_path: Path) -> None:
    with pytest.raises(ReadError) as raised:
        read_path(tmp_path / "无此文件.txt")
    assert raised.value.finding.code == "file-unreadable"


def test_json_reads_to_the_same_table() -> None:
    table = read_path(FIXTURES / "seed.expected.json").table
    assert table == read_path(SEED_TXT).table


def test_a_column_under_an_unknown_heading_is_reported_not_shifted() -> None:
    text = HEADER + INDICATORS.rstrip("\n") + "\t备注\n产出指标\t数量指标\t覆盖人数\t\t≥\t500\t人\t按年统计\n"
    result = _read(text)
    indicator = result.table.indicators[0]
    assert (indicator.explanation, indicator.comparator, indicator.value, indicator.unit) == (
        "",
        "≥",
        "500",
        "人",
    )
    assert [f.code for f in result.findings] == ["cells-unplaced"]
    assert "备注：按年统计" in result.findings[0].message


def test_label_words_inside_data_rows_are_data() -> None:
    text = (
        HEADER
        + "\t项目支出\t30\t其他资金\t\n"
        + "年度重点工作任务\t序号\t名称\t主要实施内容\t拟投入金额\n\t1\t项目支出\t部门名称\t30\n"
        + INDICATORS
        + "产出指标\t成本指标\t项目支出\t控制在预算内\t≤\t50\t万元\n"
    )
    result = _read(text)
    assert result.table.budget.project_expenditure == 30
    assert [(t.name, t.content) for t in result.table.tasks] == [("项目支出", "部门名称")]
    assert [i.name for i in result.table.indicators] == ["项目支出"]
    assert result.findings == []


@pytest.mark.parametrize(("printed", "codes"), [("30", []), ("50", ["task-total-mismatch"])])
def test_a_total_row_is_checked_not_read_as_a_task(printed: str, codes: list[str]) -> None:
    text = (
        HEADER
        + "年度重点工作任务\t序号\t名称\t主要实施内容\t拟投入金额\n\t1\t甲\t乙\t10\n\t2\t丙\t丁\t20\n"
        + f"合计\t\t\t\t{printed}\n"
    )
    result = _read(text)
    assert [t.name for t in result.table.tasks] == ["甲", "丙"]
    assert [f.code for f in result.findings] == codes


def test_a_section_label_alone_on_its_row_with_the_data_below_from_the_first_column() -> None:
    result = _read(HEADER + "年度重点工作任务\n1\t甲项目\t建设甲\t30\n")
    task = result.table.tasks[0]
    assert (task.seq, task.name, task.content, task.amount) == (1, "甲项目", "建设甲", 30)


def test_zero_width_characters_do_not_hide_labels() -> None:
    result = _read(TITLE + "部门\u200b名称\t某局\n" + INDICATORS.replace("三级指标\t", "三级指标\u200b\t"))
    assert result.table.department.name == "某局"
    assert result.table.indicators == []


def test_a_soft_line_break_stays_inside_its_cell() -> None:
    text = HEADER + "年度重点工作任务\t序号\t名称\t主要实施内容\t拟投入金额\n\t1\t甲\t第一行\x0b第二行\t30\n"
    tasks = _read(text).table.tasks
    assert [(t.content, t.amount) for t in tasks] == [("第一行\n第二行", 30)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7✕24小时", ("7✕24", "小时")), ("1,200家", ("1,200", "家")), ("3天以内", ("3天以内", ""))],
)
def test_value_and_unit_split_with_the_rules_number_recogniser(value: str, expected: tuple[str, str]) -> None:
    result = _read(HEADER + INDICATORS + f"产出指标\t数量指标\t甲\t\t=\t{value}\t\n")
    indicator = result.table.indicators[0]
    assert (indicator.value, indicator.unit) == expected


def test_json_with_fields_of_a_later_version_reads() -> None:
    document = seed_expected() | {"provenance": {"source": "x"}}
    document["tasks"][0]["id"] = 7
    table = read_bytes(json.dumps(document).encode(), "t.json").table
    assert json.loads(table.to_json()) == seed_expected()


def test_json_with_a_huge_number_is_a_clean_error() -> None:
    with pytest.raises(ReadError) as raised:
        read_bytes(b'{"department": {}, "indicators": [], "year": ' + b"9" * 5000 + b"}", "t.json")
    assert raised.value.finding.code == "file-unreadable"


def test_json_field_errors_are_in_chinese() -> None:
    with pytest.raises(ReadError) as raised:
        read_bytes(b'{"department": {"staff_count": "many"}, "indicators": []}', "t.json")
    assert "department.staff_count：应为整数" in raised.value.finding.message


def test_labels_cut_off_after_their_first_line_are_still_labels() -> None:
    text = (
        HEADER
        + "年度重点工作任务\t序号\t名称\t主要实施内容\t拟投入金额\n\t1\t甲\t乙\t5\n其他需完成\t2\t丙\t丁\t6\n"
        + INDICATORS
        + "效益指标\t社会效益指\t受益人数\t\t≥\t100\t人\n"
    )
    table = _read(text).table
    assert [t.kind for t in table.tasks] == ["key", "other"]
    assert table.indicators[0].level2 == "社会效益指标"


def test_html_rowspan_zero_reaches_the_end_of_its_row_group() -> None:
    page = (
        "<html><body><h1>某市2024年部门整体预算绩效目标表</h1><table>"
        "<tr><td>部门名称</td><td>某局</td></tr></table><table>"
        "<thead><tr><th>一级指标</th><th>二级指标</th><th>三级指标</th><th>对比符号</th><th>指标值</th><th>计量单位</th></tr></thead>"
        '<tbody><tr><td rowspan="0">产出指标</td><td>数量指标</td><td>甲</td><td>≥</td><td>1</td><td>个</td></tr>'
        "<tr><td>质量指标</td><td>乙</td><td>=</td><td>100</td><td>%</td></tr></tbody></table></body></html>"
    )
    result = read_bytes(page.encode(), "t.html")
    assert [(i.level1, i.level2, i.name) for i in result.table.indicators] == [
        ("产出指标", "数量指标", "甲"),
        ("产出指标", "质量指标", "乙"),
    ]
    assert result.findings == []


def test_a_second_table_in_the_same_file_is_reported_not_merged() -> None:
    seed = SEED_TXT.read_text(encoding="utf-8")
    second = seed.replace("揭阳市应急管理局", "揭阳市另一局")
    result = _read(seed + "\n" + second)
    assert json.loads(result.table.to_json()) == seed_expected()
    assert [f.code for f in result.findings if f.code != "level1-inferred"] == ["more-tables"]


def test_an_absurd_staff_count_is_reported_not_read() -> None:
    text = SEED_TXT.read_text(encoding="utf-8").replace("43", "4" * 5000, 1)
    report = check_bytes(text.encode(), "huge.txt")
    assert ("staff-count-invalid", None, "staff_count") in report.flatten()
    assert all(len(f.message) < 300 for f in report.findings)
