"""The self-evaluation's formats: our own files read back exactly, a published 10号-style table
read as printed with its scores recomputed (``shared/spec/CYCLE.md``)."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.styles import Alignment, Border, Side
from openpyxl.worksheet.worksheet import Worksheet

from jixiao.check import check_path, check_selfeval
from jixiao.findings import ReadError
from jixiao.model import TargetTable
from jixiao.model.selfeval import SelfEvaluation, Tier
from jixiao.profile import DEFAULT
from jixiao.read.grid import GridRow
from jixiao.read.selfeval import read_selfeval_bytes, read_selfeval_path, selfeval_from_grid
from jixiao.scoring import score
from jixiao.write.selfeval import blank_workbook, write_selfeval_bytes
from jixiao.write.selfeval_layout import APPENDIX_HEADING
from office_tools import soffice_convert
from selfeval_cases import qualitative_evaluation, seed_evaluation
from strategies import selfevals

D = Decimal


def _case(name: str, seed_table: TargetTable) -> SelfEvaluation:
    return seed_evaluation(seed_table) if name == "seed" else qualitative_evaluation()


@pytest.mark.parametrize("case", ["seed", "qualitative"])
@pytest.mark.parametrize("suffix", [".json", ".txt", ".html", ".xlsx", ".docx"])
def test_our_own_files_read_back_to_the_same_canonical_json(
    case: str, suffix: str, seed_table: TargetTable
) -> None:
    made = _case(case, seed_table)
    data = write_selfeval_bytes(made, suffix)
    result = read_selfeval_bytes(data, f"自评表{suffix}")
    assert result.evaluation.to_json() == made.to_json()
    assert result.findings == []


@pytest.mark.parametrize("case", ["seed", "qualitative"])
def test_our_own_pdf_reads_back_to_the_same_canonical_json(case: str, seed_table: TargetTable) -> None:
    made = _case(case, seed_table)
    result = read_selfeval_bytes(write_selfeval_bytes(made, ".pdf"), "自评表.pdf")
    assert result.evaluation.to_json() == made.to_json()
    assert result.findings == []


@pytest.mark.parametrize(("case", "blank"), [("seed", True), ("qualitative", False)])
def test_our_xlsx_saved_again_by_libreoffice_reads_the_same(
    case: str, blank: bool, seed_table: TargetTable, tmp_path: Path
) -> None:
    """A department opens the workbook in an office program and saves it: nothing is lost."""
    made = _case(case, seed_table)
    original = tmp_path / "自评表.xlsx"
    original.write_bytes(blank_workbook(made) if blank else write_selfeval_bytes(made, ".xlsx"))
    (tmp_path / "saved").mkdir()
    saved = soffice_convert(original, "xlsx", tmp_path / "saved")
    result = read_selfeval_path(saved)
    assert result.evaluation.to_json() == made.to_json()
    assert result.findings == []


def test_a_tier_alone_stands_in_the_actual_column_and_reads_back_as_the_tier() -> None:
    made = qualitative_evaluation()
    assert (made.indicators[5].actual, made.indicators[5].tier) == (None, Tier.PARTLY)
    text = write_selfeval_bytes(made, ".txt").decode()
    assert "\t健全\t部分达成\t" in text  # 年度指标值, 实际完成值
    assert read_selfeval_bytes(text.encode(), "a.txt").evaluation.indicators[5].actual is None


def test_the_xlsx_holds_computed_values_no_formulas_and_the_findings(seed_table: TargetTable) -> None:
    made = seed_evaluation(seed_table)
    scores = score(made, DEFAULT)
    workbook = openpyxl.load_workbook(io.BytesIO(write_selfeval_bytes(made, ".xlsx")))
    assert workbook.sheetnames == ["自评表", "校验结果"]
    form = workbook["自评表"]
    assert all(cell.data_type != "f" for row in form.iter_rows() for cell in row)
    total_cell = _right_of(form, "自评总分")
    assert Decimal(str(total_cell.value)) == scores.total
    assert _right_of(form, "等级").value == scores.grade
    findings = workbook["校验结果"]
    codes = [row[1] for row in findings.iter_rows(min_row=2, values_only=True)]
    assert codes == check_selfeval(made, DEFAULT).codes()
    assert "selfeval-execution-unexplained" not in codes  # a reason was given
    fields = {row[4] for row in findings.iter_rows(min_row=2, values_only=True)}
    assert all(field is None or not str(field).isascii() for field in fields)  # named in Chinese


def test_the_html_escapes_every_text(seed_table: TargetTable) -> None:
    made = seed_evaluation(seed_table)
    made.problems = "<script>alert(1)</script>"
    page = write_selfeval_bytes(made, ".html").decode()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert read_selfeval_bytes(page.encode(), "a.html").evaluation.problems == made.problems


def _cell_with(sheet: Worksheet, text: str) -> tuple[int, int]:
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value == text:
                return cell.row, cell.column
    raise AssertionError(text)


def _right_of(sheet: Worksheet, label: str, skip: int = 0) -> openpyxl.cell.cell.Cell:
    """The first filled (or merged-anchor) cell right of ``label``."""
    row, column = _cell_with(sheet, label)
    anchors = {(r.min_row, r.min_col) for r in sheet.merged_cells.ranges}
    candidates = [
        c for c in range(column + 1, sheet.max_column + 1) if (row, c) in anchors or sheet.cell(row, c).value
    ]
    return sheet.cell(row, candidates[skip])


def test_an_edited_printed_score_in_our_own_file_is_reported_never_taken(seed_table: TargetTable) -> None:
    made = seed_evaluation(seed_table)
    workbook = openpyxl.load_workbook(io.BytesIO(write_selfeval_bytes(made, ".xlsx")))
    form = workbook["自评表"]
    heading_row, _ = _cell_with(form, "偏差原因分析及改进措施")
    score_column = next(cell.column for cell in form[heading_row] if cell.value == "得分")
    name_row, _ = _cell_with(form, "提供安全审查、检查项目")
    form.cell(name_row, score_column).value = 18
    _right_of(form, "自评总分").value = 99
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = read_selfeval_bytes(buffer.getvalue(), "改过的.xlsx")
    read = result.evaluation
    assert (read.indicators[0].printed_score, read.printed_total) == (D(18), D(99))
    report = check_selfeval(read, DEFAULT, "改过的.xlsx", result.findings)
    mismatches = [(row, field) for code, row, field in report.flatten() if code == "selfeval-total-mismatch"]
    assert mismatches == [(1, "printed_score"), (None, "printed_total")]
    assert score(read, DEFAULT).rows[0].score == D("20.00")  # computed: 5 ≥ 4, full points
    assert heading_row < name_row


# ---------------------------------------------------------------------------------------------
# A filled table of the national 10号 style, as departments publish it


def published_workbook() -> bytes:
    """A one-table 自评表 as a department publishes it (merged labels, units in the values, one
    score computed as 20 × 98 % instead of B/A, a total that trusts it, a note under the table)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    rows: list[list[object]] = [
        ["揭阳市应急管理局2023年度部门整体支出绩效自评表"],
        ["单位：万元"],
        ["部门名称", "揭阳市应急管理局", None, None, "主管部门", "揭阳市应急管理局"],
        ["年度资金", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        [None, "年度资金总额", 565.58075, 565.58075, 520.33429, 10, "92.00%", 9.2],
        [None, "其中：财政拨款", 565.58075, 565.58075, 520.33429, None, "92.00%", None],
        [None, "其他资金", 0, 0, 0, None, None, None],
        ["年度总体目标", "预期目标", None, None, "实际完成情况"],
        [None, "开展应急演练12次，应急值守7*24小时，处置及时率95%以上。", None, None,
         "全年开展应急演练9次，全年7*24小时值守，处置及时率97%，应急预案体系部分健全。"],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
         "偏差原因分析及改进措施"],
        [None, "产出指标", "数量指标", "开展应急演练次数", "≥12次", "9次", 20, 19.6,
         "场地改造推迟，下半年补足"],
        [None, None, "时效指标", "应急值守", "=7*24小时", "7*24", 15, 15, None],
        [None, None, None, "处置及时率", "≥95%", "97%", 15, 15, None],
        [None, "效益指标", "可持续影响指标", "应急预案体系", "健全", "部分达成", 20, 12, "部分预案未修订"],
        [None, None, "社会效益指标", "安全生产事故起数", "0起", "0", 20, 20, None],
        ["总分", None, None, None, None, None, 100, 90.8, None],
        ["填表人：张三"],
    ]  # fmt: skip
    for row in rows:
        sheet.append(row)
    for first, last in (("A1", "I1"), ("A2", "I2"), ("B3", "D3"), ("F3", "I3"), ("A4", "B4"), ("A5", "A7")):
        sheet.merge_cells(f"{first}:{last}")
    for span in ("A8:A9", "B8:D8", "E8:I8", "B9:D9", "E9:I9", "A10:A15", "B11:B13", "C12:C13", "B14:B15"):
        sheet.merge_cells(span)
    sheet.merge_cells("A16:F16")
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet["E12"].data_type = "s"  # typed as text ('=7*24小时), not a formula
    thin = Side(style="thin")
    for row in sheet["A3:I16"]:
        for cell in row:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
    for letter, width in zip("ABCDEFGHI", (10, 10, 14, 18, 12, 12, 8, 8, 24), strict=True):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_published_table_is_read_as_printed_and_every_score_recomputed() -> None:
    result = read_selfeval_bytes(published_workbook(), "自评表.xlsx")
    read = result.evaluation
    approved = read.approved
    assert (approved.year, approved.department.name, approved.department.competent_department) == (
        2023,
        "揭阳市应急管理局",
        "揭阳市应急管理局",
    )
    assert approved.overall_goal.startswith("开展应急演练12次")
    assert [(i.level1, i.level2, i.name, i.comparator, i.value, i.unit) for i in approved.indicators] == [
        ("产出指标", "数量指标", "开展应急演练次数", "≥", "12", "次"),
        ("产出指标", "时效指标", "应急值守", "=", "7*24", "小时"),
        ("产出指标", "时效指标", "处置及时率", "≥", "95", "%"),
        ("效益指标", "可持续影响指标", "应急预案体系", None, "健全", ""),
        ("效益指标", "社会效益指标", "安全生产事故起数", None, "0", "起"),
    ]
    funds = read.funds
    assert (funds.total.initial_budget, funds.total.annual_budget, funds.total.executed) == (
        D("565.58075"),
        D("565.58075"),
        D("520.33429"),
    )
    assert funds.printed_score is None  # 9.2 is right
    assert [r.actual for r in read.indicators] == ["9", "7*24", "97", "部分达成", "0"]
    assert [r.points for r in read.indicators] == [D(20), D(15), D(15), D(20), D(20)]
    # The 定性 row's printed 12 is the department's score, inside 部分达成's band [12, 16)…
    assert read.indicators[3].entered_score == D(12)
    # …the 20 × 98 % of row 1 is not B/A (20 × 9 ÷ 12 = 15): kept only to be reported.
    assert [r.printed_score for r in read.indicators] == [D("19.6"), None, None, None, None]
    assert read.printed_total == D("90.8")
    codes = [(f.code, f.location.line) for f in result.findings]
    # Nothing dropped: the note under the table is quoted; no comparator is made up for 健全 and 0起.
    assert codes == [("row-unrecognized", 17), ("comparator-absent", None)]

    scores = score(read, DEFAULT)
    assert [row.score for row in scores.rows] == [D("15.00"), D("15.00"), D("15.00"), D(12), D(0)]
    report = check_selfeval(read, DEFAULT, "自评表.xlsx", result.findings)
    mismatches = [(row, field) for code, row, field in report.flatten() if code == "selfeval-total-mismatch"]
    assert mismatches == [(1, "printed_score"), (None, "printed_total")]
    assert scores.total == D("9.20") + D("15.00") * 3 + D(12) + D(0)
    assert scores.grade == "中"


def test_a_published_table_as_text_reads_the_same(tmp_path: Path) -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(published_workbook())).active
    assert sheet is not None
    lines = ["\t".join("" if v is None else str(v) for v in row) for row in sheet.iter_rows(values_only=True)]
    path = tmp_path / "自评表.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    from_text = read_selfeval_path(path).evaluation
    from_xlsx = read_selfeval_bytes(published_workbook(), "自评表.xlsx").evaluation
    assert from_text.model_dump() == from_xlsx.model_dump()


def test_cells_under_unknown_headings_are_reported_not_read_into_a_neighbour(tmp_path: Path) -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(published_workbook())).active
    assert sheet is not None
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    rows[2] += ["", "", "", "联系电话", "0663-1234567"]  # beyond 主管部门 (its cell spans to column I)
    rows[9].append("备注")  # a column the 10号 form has not
    rows[10].append("已报财政局")
    path = tmp_path / "自评表.txt"
    path.write_text("\n".join("\t".join(row) for row in rows), encoding="utf-8")
    result = read_selfeval_path(path)
    assert result.evaluation.indicators[0].deviation == "场地改造推迟，下半年补足"
    unplaced = [(f.location.line, f.message) for f in result.findings if f.code == "cells-unplaced"]
    assert [line for line, _ in unplaced] == [3, 11]
    assert "联系电话" in unplaced[0][1]
    assert "0663-1234567" in unplaced[0][1]
    assert "备注：已报财政局" in unplaced[1][1]


def test_a_published_web_page_gives_its_title_and_year_outside_the_table() -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(published_workbook())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(min_row=3, max_row=16, values_only=True))
    cells = "".join(
        "<tr>" + "".join(f"<td>{'' if value is None else value}</td>" for value in row) + "</tr>"
        for row in rows
    )
    page = (
        "<html><body><nav>首页 &gt; 部门预算</nav><h1>揭阳市应急管理局2023年度部门整体支出绩效自评表</h1>"
        f"<p>单位：万元</p><table border='1'>{cells}</table><p>填表人：张三</p></body></html>"
    )
    read = read_selfeval_bytes(page.encode(), "自评表.html").evaluation
    assert (read.approved.title, read.approved.year) == (
        "揭阳市应急管理局2023年度部门整体支出绩效自评表",
        2023,
    )
    assert [r.actual for r in read.indicators] == ["9", "7*24", "97", "部分达成", "0"]


@pytest.mark.parametrize("target", ["html", "xls"])
def test_a_published_table_saved_by_libreoffice_reads_the_same(target: str, tmp_path: Path) -> None:
    workbook = tmp_path / "自评表.xlsx"
    workbook.write_bytes(published_workbook())
    saved = soffice_convert(workbook, target, tmp_path)
    from_libreoffice = read_selfeval_path(saved)
    assert from_libreoffice.evaluation.model_dump() == read_selfeval_path(workbook).evaluation.model_dump()
    assert [f.code for f in from_libreoffice.findings] == ["row-unrecognized", "comparator-absent"]


def test_check_recognises_a_self_evaluation_in_any_format(tmp_path: Path, seed_table: TargetTable) -> None:
    made = seed_evaluation(seed_table)
    for suffix in (".json", ".xlsx", ".html", ".docx", ".txt"):
        path = tmp_path / f"自评{suffix}"
        path.write_bytes(write_selfeval_bytes(made, suffix))
        report = check_path(path)
        assert report.kind == "selfeval", suffix
        assert report.to_dict()["kind"] == "selfeval"
        assert report.codes() == check_selfeval(made, DEFAULT).codes(), suffix
    published = tmp_path / "published.xlsx"
    published.write_bytes(published_workbook())
    assert "selfeval-total-mismatch" in check_path(published).codes()


# ---------------------------------------------------------------------------------------------
# Properties

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(selfevals())
def test_any_self_evaluation_reads_back_from_text_and_json(made: SelfEvaluation) -> None:
    for suffix in (".txt", ".json"):
        result = read_selfeval_bytes(write_selfeval_bytes(made, suffix), f"a{suffix}")
        assert result.evaluation.to_json() == made.to_json(), suffix


_GRID_CELLS = st.sampled_from(
    [
        "部门名称", "自评总分", "等级", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分",
        "年度资金总额", "其中：财政拨款", "其他资金", "预期目标", "实际完成情况", "一级指标", "二级指标",
        "三级指标", "年度指标值", "实际完成值", "偏差原因分析及改进措施", "总分", "行", "完成等级", "自评得分",
        "任务名称", "完成情况", "序号", "自评结论", APPENDIX_HEADING, "产出指标", "数量指标", "≥12次", "9次",
        "部分达成", "1", "99999999999999999999", "-3", "12.5", "", "", "", "abc", "2023年度部门整体支出绩效自评表",
    ]
)  # fmt: skip


@SETTINGS
@given(st.lists(st.lists(_GRID_CELLS, max_size=10), max_size=30))
def test_no_grid_crashes_the_self_evaluation_reader(cells: list[list[str]]) -> None:
    rows = [GridRow(row, line) for line, row in enumerate(cells, start=1)]
    try:
        result = selfeval_from_grid(rows, "x.txt")
    except ReadError as error:  # nothing like a 自评表, or its appended table is none: said in Chinese
        code = error.finding.code
        assert code in {"not-a-selfeval", "not-a-target-table"}
        return
    assert all(f.message for f in result.findings)
    score(result.evaluation, DEFAULT)
