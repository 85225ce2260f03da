"""Print to sign: the library's HTML and PDF writers with the lines to sign on and a watermark."""

from __future__ import annotations

import subprocess

from conftest import SEED_TXT as SEED
from jixiao.read import read_path
from jixiao.write.html import write_html
from jixiao.write.layout import Signature
from jixiao.write.pdf import write_pdf


def _text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_pdf_has_the_lines_to_sign_and_a_draft_mark_on_every_page() -> None:
    table = read_path(SEED).table
    signature = Signature(
        unit="揭阳市应急管理局", head="王明", filer="李华", phone="0663-8231234", date="2024年1月5日"
    )
    text = _text(write_pdf(table, signature=signature, watermark="草稿"))
    labels = [label for label, _ in signature.lines()]
    assert labels == ["填报单位（盖章）", "单位负责人", "填报人", "联系电话", "填报日期"]
    assert all(text.index("填报要求") < text.index(label) for label in labels)  # after the form
    for value in ("王明", "李华", "0663-8231234", "2024年1月5日"):
        assert value in text
    assert text.count("草稿") == text.count("\f") > 0

    plain = _text(write_pdf(table))
    assert "填报单位（盖章）" not in plain
    assert "草稿" not in plain


def test_signature_and_watermark_are_text_never_markup() -> None:
    table = read_path(SEED).table
    page = write_html(table, signature=Signature(head="<b>王明</b>"), watermark='草稿"}</style><script>')
    assert "&lt;b&gt;王明&lt;/b&gt;" in page
    assert "<script>" not in page
    assert page.count("</style>") == 2  # the page's and the watermark's own, none injected
    # Empty lines print as blanks to fill in by hand.
    assert page.count('<span class="value"></span>') == 4


def test_workbook_of_many_tables_names_sheets_as_excel_allows() -> None:
    import io
    from decimal import Decimal

    from openpyxl import load_workbook

    from jixiao.write.xlsx import sheet_name, write_workbook

    taken: set[str] = set()
    assert sheet_name("揭阳市应急管理局", taken) == "揭阳市应急管理局"
    assert sheet_name("揭阳市应急管理局", taken) == "揭阳市应急管理局（2）"
    assert sheet_name("a/b:c*?[d]" * 5, taken) == ("a_b_c___d_" * 5)[:31]
    assert sheet_name("", taken) == "表"

    table = read_path(SEED).table
    content = write_workbook(
        [("应急'局", table)],
        ("部门", "金额"),
        [["=HYPERLINK(1)", Decimal("565.58075")], ["没有表的部门", None]],
        "汇总标题",
        links=[0, None],
    )
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["汇总", "应急'局"]
    summary = book["汇总"]
    assert summary["A1"].value == "汇总标题"
    assert summary["A4"].value == "=HYPERLINK(1)"
    assert summary["A4"].data_type == "s"  # text, never a formula
    assert summary["B4"].value == 565.58075  # a number with its decimals shown
    assert summary["B4"].number_format == "#,##0.00000"
    assert summary["A4"].hyperlink.location == "'应急''局'!A1"
    assert summary["A5"].hyperlink is None
    assert book["应急'局"]["A1"].value == table.title
