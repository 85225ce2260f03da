"""The monitoring report's formats (``shared/spec/CYCLE.md``, "Monitoring"): our own files read
back exactly, every warning shown as a colour AND its word, worked number 8 on the printed form."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from jixiao.check import check_monitoring, check_path
from jixiao.findings import ReadError
from jixiao.model.monitoring import MonitoringReport
from jixiao.monitoring import warnings
from jixiao.profile import DEFAULT
from jixiao.read.document import read_document
from jixiao.read.grid import GridRow
from jixiao.read.monitoring import MonitoringReadResult, monitoring_from_grid
from jixiao.write.layout import WARNING_FILLS
from jixiao.write.monitoring import blank_workbook, write_monitoring_bytes
from jixiao.write.selfeval_layout import APPENDIX_HEADING
from monitoring_cases import SATISFIED, WORKED_8, explained, report
from office_tools import soffice_convert
from strategies import monitoring_reports

D = Decimal
SUFFIXES = (".json", ".txt", ".html", ".xlsx", ".docx", ".pdf")


def worked_8() -> MonitoringReport:
    """Worked number 8 explained, with a 年底测评 row, two causes, an adjusted target and a task."""
    made = explained(report(*WORKED_8, SATISFIED))
    made.indicators[0].causes = ["经费保障", "其他"]
    made.indicators[1].adjusted_target = "4.9"
    made.indicators[1].adjustment_reason = "集中采购后演练物资单价下降。"
    made.indicators[3].year_end = True
    made.indicators[3].year_end_reason = "满意度调查在年底进行"
    made.tasks[0].executed = D("120.5")
    made.tasks[0].progress = "已完成两次综合演练\n第三次在筹备中"
    made.problems = "演练进度滞后；<b>物资</b>采购延迟。"
    made.next_steps = "第三季度加密演练。"
    return made


def read(data: bytes, source: str) -> MonitoringReadResult:
    result = read_document(data, source)
    assert isinstance(result, MonitoringReadResult)
    return result


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("case", ["worked-8", "blank"])
def test_our_own_files_read_back_to_the_same_canonical_json(suffix: str, case: str) -> None:
    made = (
        worked_8()
        if case == "worked-8"
        else MonitoringReport.from_table(report(*WORKED_8).approved.as_target_table(), 9)
    )
    result = read(write_monitoring_bytes(made, suffix), f"监控表{suffix}")
    assert result.report.to_json() == made.to_json()
    assert result.findings == []


def test_the_blank_workbook_reads_back_as_the_blank_report() -> None:
    made = MonitoringReport.from_table(report(*WORKED_8).approved.as_target_table(), 7)
    assert read(blank_workbook(made), "form.xlsx").report.to_json() == made.to_json()


def test_our_xlsx_saved_again_by_libreoffice_reads_the_same(tmp_path: Path) -> None:
    made = worked_8()
    original = tmp_path / "监控表.xlsx"
    original.write_bytes(write_monitoring_bytes(made, ".xlsx"))
    (tmp_path / "saved").mkdir()
    saved = soffice_convert(original, "xlsx", tmp_path / "saved")
    assert read(saved.read_bytes(), str(saved)).report.to_json() == made.to_json()


#: Worked number 8 as printed: the budget yellow, 演练 red, 成本 green, 预案 yellow, 满意度 grey
#: (年底测评), the department red.
WORDS = {
    "budget": "黄",
    "开展应急演练次数": "红",
    "单次演练成本": "绿",
    "应急预案体系": "黄",
    "群众满意度": "灰",
    "department": "红",
}
COLOURS = {"红": "red", "黄": "yellow", "绿": "green", "蓝": "blue", "灰": "grey"}


def test_the_xlsx_shows_each_warning_as_a_fill_and_its_word() -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(write_monitoring_bytes(worked_8(), ".xlsx")))
    assert workbook.sheetnames == ["监控表", "校验结果"]
    sheet = workbook["监控表"]
    rows = {row[0].row: row for row in sheet.iter_rows()}

    def warning_of(label: str, column: int) -> openpyxl.cell.cell.Cell:
        row = next(cell.row for line in rows.values() for cell in line if cell.value == label)
        return sheet.cell(row, column)

    heading = next(cell for line in rows.values() for cell in line if cell.value == "完成可能性")
    warning_column = next(cell.column for cell in rows[heading.row] if cell.value == "预警")
    seen = {name: warning_of(name, warning_column) for name in WORDS if name not in {"budget", "department"}}
    funds_heading = next(cell for line in rows.values() for cell in line if cell.value == "调整后预算数")
    seen["budget"] = warning_of(
        "年度资金总额", next(c.column for c in rows[funds_heading.row] if c.value == "预警")
    )
    department = next(cell for line in rows.values() for cell in line if cell.value == "部门预警")
    seen["department"] = sheet.cell(department.row, department.column + 1)
    for name, cell in seen.items():
        assert cell.value == WORDS[name], name
        assert cell.fill.fgColor.rgb == "00" + WARNING_FILLS[COLOURS[WORDS[name]]], name
    assert all(cell.data_type != "f" for line in sheet.iter_rows() for cell in line)
    codes = [row[1] for row in workbook["校验结果"].iter_rows(min_row=2, values_only=True)]
    assert codes == check_monitoring(worked_8(), DEFAULT).codes()


def test_the_html_shows_each_warning_as_a_class_and_its_word() -> None:
    page = write_monitoring_bytes(worked_8(), ".html").decode()
    assert "<b>" not in page
    assert "&lt;b&gt;" in page
    tree = lxml_html.fromstring(page)
    marked = [
        (cell.get("class"), cell.text_content()) for cell in tree.xpath("//td[contains(@class, 'warn-')]")
    ]
    assert marked
    for classes, word in marked:
        assert f"warn-{COLOURS[word]}" in classes.split()
    assert sorted(word for _, word in marked) == sorted(WORDS.values())
    assert "A4 landscape" in page


def test_the_docx_shades_each_warning_and_prints_its_word() -> None:
    document = docx.Document(io.BytesIO(write_monitoring_bytes(worked_8(), ".docx")))
    shaded = []
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                fills = cell._tc.xpath("./w:tcPr/w:shd/@w:fill")
                if fills and fills[0] in {WARNING_FILLS[c] for c in COLOURS.values()}:
                    shaded.append((fills[0], cell.text))
    assert {(WARNING_FILLS[COLOURS[word]], word) for word in WORDS.values()} == set(shaded)


def test_the_pdf_prints_the_words(tmp_path: Path) -> None:
    pdf = tmp_path / "监控表.pdf"
    pdf.write_bytes(write_monitoring_bytes(worked_8(), ".pdf"))
    report_of_pdf = check_path(pdf)
    assert report_of_pdf.kind == "monitoring"
    import pdfplumber

    with pdfplumber.open(pdf) as document:
        text = "".join(page.extract_text() or "" for page in document.pages)
        width, height = document.pages[0].width, document.pages[0].height
    assert width > height  # A4 landscape
    assert "部门预警" in text
    assert "红" in text
    assert "灰" in text


def test_check_by_kind_and_a_damaged_file() -> None:
    data = write_monitoring_bytes(worked_8(), ".txt")
    assert check_path  # the file route is covered by the command line's tests
    result = read(data, "a.txt")
    assert (
        check_monitoring(result.report, DEFAULT, "a.txt", result.findings).to_dict()["kind"] == "monitoring"
    )
    cut = data.decode().split("#### 附：")[0].encode()  # the approved table torn off
    with pytest.raises(ReadError) as raised:
        read_document(cut, "cut.txt")
    assert raised.value.finding.code == "not-a-monitoring"


def test_a_changed_copied_row_is_reported_not_read() -> None:
    text = write_monitoring_bytes(worked_8(), ".txt").decode()
    changed = text.replace("\t开展应急演练次数\t≥12次", "\t开展消防演练次数\t≥12次", 1)
    result = read(changed.encode(), "a.txt")
    assert [f.code for f in result.findings] == ["rows-unmatched"]
    assert result.report.indicators[0].to_date is None


# ---------------------------------------------------------------------------------------------
# Properties


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(monitoring_reports())
def test_any_monitoring_report_reads_back_from_text_json_and_html(made: MonitoringReport) -> None:
    for suffix in (".txt", ".json", ".html"):
        result = read(write_monitoring_bytes(made, suffix), f"a{suffix}")
        assert result.report.to_json() == made.to_json(), suffix
        # what reading the appended table may say (year-missing …) is the table's; none is the form's
        assert not {f.code for f in result.findings} & FORM_CODES, suffix


#: What the monitoring reader itself reports about a form's rows and cells.
FORM_CODES = frozenset({"rows-unmatched", "row-unrecognized", "cells-unplaced", "amount-invalid"})


_GRID_CELLS = st.sampled_from(
    [
        "部门名称", "资金主管部门", "监控年度", "截至月份", "序时进度", "部门预警", "年初预算数", "调整后预算数",
        "1-7月执行数", "执行率", "全年预计执行数", "预警", "年度资金总额", "项目支出", "预算执行偏差原因及纠偏措施",
        "年度主要任务", "序号", "任务名称", "进展情况", "绩效指标", "三级指标", "年度指标值", "1-7月完成值",
        "全年预计完成值", "完成可能性", "偏差原因", "行", "年底测评", "存量指标", "是", "存在的问题",
        APPENDIX_HEADING, "产出指标", "数量指标", "≥12次", "7", "13", "-3", "12.5", "", "", "abc",
    ]
)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_GRID_CELLS, max_size=12), max_size=30))
def test_no_grid_crashes_the_monitoring_reader(cells: list[list[str]]) -> None:
    rows = [GridRow(row, line) for line, row in enumerate(cells, start=1)]
    try:
        result = monitoring_from_grid(rows, "x.txt")
    except ReadError as error:  # no month, no appended table, or that is none: said in Chinese
        code = error.finding.code
        assert code in {"not-a-monitoring", "not-a-target-table"}
        return
    assert all(f.message for f in result.findings)
    warnings(result.report, DEFAULT)
