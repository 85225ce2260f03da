"""Office formats: files other programs made, our own files, round trips and the rendered pages."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, SEED_TXT, seed_expected
from jixiao.findings import ReadError
from jixiao.model import TargetTable
from jixiao.read import read_bytes, read_path
from jixiao.write import write_bytes
from office_tools import embedded_fonts, ink_at_edges, pdf_pages_as_png, replace_entry, soffice_convert
from strategies import PDF_ALPHABET, tables

OFFICE = FIXTURES / "office"
Patch = Callable[[dict[str, Any]], None]


def _same(_: dict[str, Any]) -> None:
    pass


def _space_lost_at_a_line_end(expected: dict[str, Any]) -> None:
    # LibreOffice wrapped the line at the space in "能力。 2、" and wrote no glyph for it: the PDF
    # itself no longer has the space.  A numbered point that starts a line after a sentence's end
    # starts a new line of the text (the reader cannot tell it from a paragraph of its own).
    task = expected["tasks"][4]
    task["content"] = task["content"].replace("能力。 2、", "能力。\n2、")


#: Every file LibreOffice made from the two pages, and what reading it must give beyond the seed.
MADE_BY_LIBREOFFICE: dict[str, tuple[Patch, set[str]]] = {
    "seed.published.xlsx": (_same, {"level1-inferred", "row-unrecognized"}),
    "seed.published.xls": (_same, {"level1-inferred", "row-unrecognized"}),
    "seed.published.docx": (_same, {"level1-inferred"}),
    "seed.published.doc": (_same, {"level1-inferred"}),  # through LibreOffice
    "seed.published.pdf": (_same, {"level1-inferred"}),
    "seed.published.html": (_same, {"level1-inferred"}),
    "seed.jixiao.xlsx": (_same, set()),
    "seed.jixiao.xls": (_same, set()),
    "seed.jixiao.docx": (_same, set()),
    "seed.jixiao.doc": (_same, set()),
    "seed.jixiao.pdf": (_space_lost_at_a_line_end, set()),
    "seed.jixiao.html": (_same, set()),
}


@pytest.mark.parametrize(("name", "case"), MADE_BY_LIBREOFFICE.items(), ids=list(MADE_BY_LIBREOFFICE))
def test_files_made_by_libreoffice_read_to_the_seed(name: str, case: tuple[Patch, set[str]]) -> None:
    patch, codes = case
    expected = seed_expected()
    patch(expected)
    result = read_path(OFFICE / name)
    assert json.loads(result.table.to_json()) == expected
    assert {f.code for f in result.findings} == codes


def test_page_chrome_is_reported_not_read() -> None:
    result = read_path(OFFICE / "seed.published.xlsx")
    unrecognized = [f.message for f in result.findings if f.code == "row-unrecognized"]
    assert any("首页" in message for message in unrecognized)
    assert any("主办单位" in message for message in unrecognized)


def test_every_office_fixture_is_tested() -> None:
    made = sorted(p.name for p in OFFICE.iterdir() if p.suffix != ".py")
    assert made == sorted(MADE_BY_LIBREOFFICE)


@pytest.fixture(scope="module")
def seed_table() -> TargetTable:
    return read_path(SEED_TXT).table


@pytest.mark.parametrize("suffix", [".txt", ".json", ".html", ".xlsx", ".docx", ".pdf"])
def test_seed_round_trips(seed_table: TargetTable, suffix: str) -> None:
    result = read_bytes(write_bytes(seed_table, suffix), f"seed{suffix}")
    assert result.table == seed_table
    assert result.findings == []


OFFICE_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@OFFICE_SETTINGS
@given(tables(), st.sampled_from([".html", ".xlsx", ".docx"]))
def test_generated_tables_round_trip(table: TargetTable, suffix: str) -> None:
    assert read_bytes(write_bytes(table, suffix), f"t{suffix}").table == table


# A PDF takes 0.3 s each way: a few examples per run, and no shrinking (which would take minutes);
# a failure is reported as generated.
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(tables(alphabet=PDF_ALPHABET))
def test_generated_tables_round_trip_through_pdf(table: TargetTable) -> None:
    assert read_bytes(write_bytes(table, ".pdf"), "t.pdf").table == table


def test_xlsx_amounts_are_numbers_with_their_decimals(seed_table: TargetTable) -> None:
    import io

    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(write_bytes(seed_table, ".xlsx")))["目标表"]
    amounts = {
        cell.value: cell.number_format for row in sheet.iter_rows() for cell in row if cell.data_type == "n"
    }
    assert amounts[565.58075] == "#,##0.00000"
    assert amounts[143] == "#,##0"
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert len(sheet.merged_cells.ranges) > 20


def test_xlsx_second_sheet_lists_the_findings(seed_table: TargetTable) -> None:
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(write_bytes(seed_table, ".xlsx")))
    rows = list(book["校验结果"].iter_rows(values_only=True))
    assert rows[0][:2] == ("级别", "代码")
    assert ("警告", "satisfaction-indicator-missing") in {row[:2] for row in rows}
    # Fields named as the form names them, never in English.
    assert ("explanation-repeats-name", "三级指标解释") in {(row[1], row[4]) for row in rows}


def test_docx_has_real_merged_cells(seed_table: TargetTable) -> None:
    import io

    with zipfile.ZipFile(io.BytesIO(write_bytes(seed_table, ".docx"))) as package:
        document = package.read("word/document.xml").decode()
    assert "w:gridSpan" in document
    assert 'w:vMerge w:val="restart"' in document
    assert "w:tblHeader" in document


def test_html_is_standalone_accessible_and_escapes_everything(seed_table: TargetTable) -> None:
    hostile = seed_table.model_copy(
        update={
            "department": seed_table.department.model_copy(update={"name": '<script>alert("x")</script>'})
        }
    )
    page = write_bytes(hostile, ".html").decode()
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in page
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert 'scope="col"' in page
    assert 'rowspan="' in page
    assert 'colspan="' in page
    assert "@page" in page
    assert read_bytes(page.encode(), "x.html").table.department.name == '<script>alert("x")</script>'


def test_pdf_embeds_its_fonts(tmp_path: Path, seed_table: TargetTable) -> None:
    pdf = tmp_path / "seed.pdf"
    pdf.write_bytes(write_bytes(seed_table, ".pdf"))
    fonts = embedded_fonts(pdf)
    assert fonts
    assert all(embedded for _, embedded in fonts)
    assert any("CJK" in name for name, _ in fonts)


def test_pdf_pages_are_a4_and_nothing_is_cut(tmp_path: Path, seed_table: TargetTable) -> None:
    pdf = tmp_path / "seed.pdf"
    pdf.write_bytes(write_bytes(seed_table, ".pdf"))
    pages = pdf_pages_as_png(pdf, tmp_path)
    assert len(pages) == 3
    for page in pages:
        assert not ink_at_edges(page)


def test_libreoffice_opens_our_xlsx_and_prints_it_uncut(tmp_path: Path, seed_table: TargetTable) -> None:
    ours = tmp_path / "seed.xlsx"
    ours.write_bytes(write_bytes(seed_table, ".xlsx"))
    csv = soffice_convert(ours, "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path)
    text = csv.read_text(encoding="utf-8")
    assert "揭阳市应急管理局" in text
    assert "565.58075" in text
    pdf = soffice_convert(ours, "pdf", tmp_path)
    pages = pdf_pages_as_png(pdf, tmp_path)
    assert 2 <= len(pages) <= 4  # the form on A4 pages fit to width, then the findings
    for page in pages:
        assert not ink_at_edges(page)


def test_libreoffice_opens_our_docx(tmp_path: Path, seed_table: TargetTable) -> None:
    ours = tmp_path / "seed.docx"
    ours.write_bytes(write_bytes(seed_table, ".docx"))
    converted = soffice_convert(ours, "txt:Text (encoded):UTF8", tmp_path)
    text = converted.read_text(encoding="utf-8-sig")
    assert "揭阳市应急管理局" in text
    assert "0.86075" in text


def test_doc_without_libreoffice_says_what_is_needed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without LibreOffice on its path
    with pytest.raises(ReadError) as raised:
        read_path(OFFICE / "seed.jixiao.doc")
    assert raised.value.finding.code == "format-unsupported"
    assert "LibreOffice" in raised.value.finding.message


def test_harfbuzz_subsets_the_fonts() -> None:
    from weasyprint.text.ffi import harfbuzz_subset

    # Without HarfBuzz-Subset WeasyPrint falls back to fontTools: 10 s a PDF instead of 0.3 s.
    assert harfbuzz_subset is not None


def test_text_that_looks_like_a_formula_stays_text(seed_table: TargetTable) -> None:
    task = seed_table.tasks[0].model_copy(update={"name": "=1+1", "content": '=HYPERLINK("http://x")'})
    table = seed_table.model_copy(update={"tasks": [task, *seed_table.tasks[1:]]})
    assert read_bytes(write_bytes(table, ".xlsx"), "t.xlsx").table == table


def _workbook_bytes(build: Callable[[Any], None]) -> bytes:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    build(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _seed_sheet(sheet: Any, seed_table: TargetTable) -> None:
    import io

    import openpyxl

    source = openpyxl.load_workbook(io.BytesIO(write_bytes(seed_table, ".xlsx")))["目标表"]
    for row in source.iter_rows():
        for cell in row:
            if cell.value is not None:
                sheet.cell(row=cell.row, column=cell.column, value=cell.value)
    for merged in source.merged_cells.ranges:
        sheet.merge_cells(str(merged))


def test_the_sheet_with_the_form_is_read_not_a_hidden_or_another_one(seed_table: TargetTable) -> None:
    def build(book: Any) -> None:
        hidden = book.active
        hidden.title = "旧版"
        _seed_sheet(
            hidden,
            seed_table.model_copy(
                update={"department": seed_table.department.model_copy(update={"name": "旧部门"})}
            ),
        )
        hidden.sheet_state = "hidden"
        income = book.create_sheet("部门收入总表")
        income.append(["项目", "财政拨款", "其他资金"])
        income.append(["合计", 100, 0])
        _seed_sheet(book.create_sheet("目标表"), seed_table)

    assert read_bytes(_workbook_bytes(build), "t.xlsx").table == seed_table


def test_percent_formatted_numbers_read_as_percent(seed_table: TargetTable) -> None:
    def build(book: Any) -> None:
        sheet = book.active
        _seed_sheet(sheet, seed_table)
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value == "%" and sheet.cell(row=cell.row, column=cell.column - 1).value == 100:
                    value = sheet.cell(row=cell.row, column=cell.column - 1)
                    value.value, value.number_format, cell.value = 1, "0%", None

    indicators = read_bytes(_workbook_bytes(build), "t.xlsx").table.indicators
    assert [(i.value, i.unit) for i in indicators if i.name in {"编制应急预案率", "抢险救灾率"}] == [
        ("100", "%")
    ] * 2


def test_docx_content_controls_and_nested_tables_are_read(seed_table: TargetTable) -> None:
    import io

    source = write_bytes(seed_table, ".docx")
    document = zipfile.ZipFile(io.BytesIO(source)).read("word/document.xml").decode()
    body_start = document.index("<w:tbl>")
    body_end = document.index("</w:tbl>") + len("</w:tbl>")
    wrapped = (
        document[:body_start]
        + "<w:sdt><w:sdtContent>"
        + document[body_start:body_end]
        + "</w:sdtContent></w:sdt>"
        + document[body_end:]
    )
    package = replace_entry(source, "word/document.xml", wrapped.encode())
    assert read_bytes(package, "t.docx").table == seed_table


def test_a_formula_never_calculated_is_shown_not_dropped(seed_table: TargetTable) -> None:
    def build(book: Any) -> None:
        sheet = book.active
        _seed_sheet(sheet, seed_table)
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value == 565.58075 or str(cell.value) == "565.58075":
                    cell.value = "=SUM(F10:F19)"  # openpyxl stores no result: Excel never ran it

    result = read_bytes(_workbook_bytes(build), "t.xlsx")
    invalid = [f for f in result.findings if f.code == "amount-invalid"]
    assert [f.location.field for f in invalid] == ["project_expenditure"]
    assert "=SUM(F10:F19)" in invalid[0].message


@pytest.mark.parametrize("suffix", [".html", ".xlsx", ".docx"])
def test_text_that_looks_like_markup_is_read_as_written(seed_table: TargetTable, suffix: str) -> None:
    """Only a text export's cells hold HTML; in the other formats ``<b>`` and ``&amp;`` are text."""
    table = seed_table.model_copy(deep=True)
    table.tasks[0].name = "<b>粗</b> A&amp;B &lt;3"
    assert read_bytes(write_bytes(table, suffix), f"t{suffix}").table.tasks[0].name == table.tasks[0].name


def test_a_huge_unreadable_amount_makes_a_short_message() -> None:
    from jixiao.read.cells import parse_amount

    assert parse_amount("x" * 5000) == "x" * 39 + "…"


def test_hidden_rows_of_a_sheet_are_not_read(seed_table: TargetTable) -> None:
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(write_bytes(seed_table, ".xlsx")))
    sheet = book["目标表"]
    name = seed_table.tasks[-1].name
    row = next(cell.row for line in sheet.iter_rows() for cell in line if cell.value == name)
    sheet.row_dimensions[row].hidden = True
    out = io.BytesIO()
    book.save(out)
    names = [task.name for task in read_bytes(out.getvalue(), "t.xlsx").table.tasks]
    assert name not in names
    assert names == [task.name for task in seed_table.tasks[:-1]]
