"""Hostile and broken files: each is refused with a Chinese message naming the problem, never a traceback."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from conftest import FIXTURES, SEED_TXT
from jixiao.findings import ReadError
from jixiao.read import read_bytes, read_path
from jixiao.read.safety import MAX_ZIP_ENTRIES, MAX_ZIP_ENTRY_BYTES
from jixiao.write import write_bytes
from office_tools import replace_entry, zip_bomb

HOSTILE = FIXTURES / "hostile"


def _refused(data: bytes, name: str) -> str:
    with pytest.raises(ReadError) as raised:
        read_bytes(data, name)
    return f"{raised.value.finding.code}|{raised.value.finding.message}"


@pytest.fixture(scope="module")
def seed_xlsx() -> bytes:
    return write_bytes(read_path(SEED_TXT).table, ".xlsx")


@pytest.fixture(scope="module")
def seed_docx() -> bytes:
    return write_bytes(read_path(SEED_TXT).table, ".docx")


def test_zip_bomb_is_refused_by_its_declared_size() -> None:
    bomb = zip_bomb(MAX_ZIP_ENTRY_BYTES)
    assert len(bomb) < 1024 * 1024  # a small file that would expand past the limit
    result = _refused(bomb, "bomb.xlsx")
    assert result.startswith("file-unreadable|")
    assert "压缩炸弹" in result


def test_too_many_zip_entries_are_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for number in range(MAX_ZIP_ENTRIES + 1):
            package.writestr(f"word/{number}.xml", "")
    assert "压缩炸弹" in _refused(out.getvalue(), "many.docx")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol4;</t></si></sst>"""


def test_xml_entities_in_a_workbook_are_refused(seed_xlsx: bytes) -> None:
    hostile = replace_entry(seed_xlsx, "xl/worksheets/sheet1.xml", BILLION_LAUGHS)
    result = _refused(hostile, "laughs.xlsx")
    assert result.startswith("file-unreadable|")
    assert "实体" in result


def test_external_entities_in_a_document_are_not_resolved(seed_docx: bytes, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    document = zipfile.ZipFile(io.BytesIO(seed_docx)).read("word/document.xml").decode()
    head, _, rest = document.partition("?>")
    attack = f'{head}?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{secret}">]>' + rest.replace(
        "揭阳市应急管理局", "&xxe;", 1
    )
    hostile = replace_entry(seed_docx, "word/document.xml", attack.encode())
    result = _refused(hostile, "xxe.docx")
    assert "TOP-SECRET-CONTENT" not in result
    assert "DTD" in result


def test_entities_in_an_html_page_are_not_expanded() -> None:
    page = (
        '<!DOCTYPE html [<!ENTITY a "AAAAAAAAAA">]><html><body><table>'
        "<tr><td>部门名称</td><td>&a;</td></tr><tr><td>一级指标</td><td>二级指标</td><td>三级指标</td></tr>"
        "</table></body></html>"
    )
    name = read_bytes(page.encode(), "page.html").table.department.name
    assert "AAAAAAAAAA" not in name


@pytest.mark.parametrize("name", ["encrypted.xlsx", "encrypted.pdf"])
def test_password_protected_files_say_so(name: str) -> None:
    result = _refused((HOSTILE / name).read_bytes(), name)
    assert result.startswith("file-unreadable|")
    assert "加密" in result


def test_a_scanned_pdf_needs_ocr() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 800), "white").save(buffer, "PDF")
    result = _refused(buffer.getvalue(), "scan.pdf")
    assert result.startswith("file-needs-ocr|")
    assert "OCR" in result


def _pdf_without_unicode_map() -> bytes:
    """A PDF whose CID font has no ToUnicode map: its text can only come out as ``(cid:…)``."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        None,  # the content stream, below
        b"<< /Type /Font /Subtype /Type0 /BaseFont /NoMap /Encoding /Identity-H /DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /NoMap"
        b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
    ]
    stream = b"BT /F1 24 Tf 72 700 Td <0012003400560078> Tj ET"
    objects[3] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + (body or b"") + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def test_a_pdf_without_a_character_map_needs_ocr() -> None:
    result = _refused(_pdf_without_unicode_map(), "nomap.pdf")
    assert result.startswith("file-needs-ocr|")


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF", "broken.pdf"),
        (b"PK\x03\x04" + b"\0" * 100, "broken.xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "broken.xls"),
    ],
)
def test_broken_files_are_refused_cleanly(data: bytes, name: str) -> None:
    assert _refused(data, name).split("|")[0] in {"file-unreadable", "not-a-target-table"}


def test_a_truncated_workbook_is_refused_cleanly(seed_xlsx: bytes) -> None:
    assert _refused(seed_xlsx[: len(seed_xlsx) // 2], "cut.xlsx").startswith("file-unreadable|")


def test_the_command_line_shows_no_traceback_for_hostile_files(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (100, 100), "white").save(buffer, "PDF")
    (tmp_path / "scan.pdf").write_bytes(buffer.getvalue())
    for name in ("encrypted.xlsx", "encrypted.pdf"):
        (tmp_path / name).write_bytes((HOSTILE / name).read_bytes())
    command = Path(sys.executable).with_name("jixiao")
    done = subprocess.run([str(command), "check", str(tmp_path)], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout.count("无法读取") >= 3


def test_an_html_span_bomb_is_refused_quickly() -> None:
    cells = '<td rowspan="1000" colspan="1000">部门名称</td>' * 400
    page = f"<html><body><table><tr>{cells}</tr><tr><td>一级指标</td><td>二级指标</td><td>三级指标</td></tr></table></body></html>"
    assert _refused(page.encode(), "bomb.html").startswith("file-unreadable|")


def test_a_docx_span_bomb_is_refused(seed_docx: bytes) -> None:
    document = zipfile.ZipFile(io.BytesIO(seed_docx)).read("word/document.xml").decode()
    wide = document.replace("<w:tcPr>", '<w:tcPr><w:gridSpan w:val="1000"/>')
    assert "表格展开后过大" in _refused(
        replace_entry(seed_docx, "word/document.xml", wide.encode()), "bomb.docx"
    )


@pytest.mark.parametrize("ref", ["H1:XFD1048576", "A1:B30000"])
def test_a_huge_merged_range_is_refused_before_loading(seed_xlsx: bytes, ref: str) -> None:
    sheet = zipfile.ZipFile(io.BytesIO(seed_xlsx)).read("xl/worksheets/sheet1.xml").decode()
    crafted = sheet.replace("</mergeCells>", f'<mergeCell ref="{ref}"/></mergeCells>')
    assert "表格展开后过大" in _refused(
        replace_entry(seed_xlsx, "xl/worksheets/sheet1.xml", crafted.encode()), "bomb.xlsx"
    )


def test_a_pdf_declaring_too_many_pages_is_refused_before_reading_them() -> None:
    crafted = _pdf_without_unicode_map().replace(b"/Count 1", b"/Count 100000")
    assert "超过上限" in _refused(crafted, "pages.pdf")
