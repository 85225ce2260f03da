"""Issue 9, items 3 and 5: the DTD pre-check sees through encodings and processing instructions;
PDFs are refused early by a character budget and by their real page count."""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from conftest import FIXTURES, SEED_TXT
from hostile_pdf import crafted_pdf
from jixiao.findings import ReadError
from jixiao.read import read_bytes, read_path
from jixiao.read.pdf import MAX_CHARACTERS, MAX_PAGE_CHARACTERS, MAX_PAGES
from jixiao.read.safety import declares_entities
from jixiao.write import write_bytes
from office_tools import replace_entry

DTD = '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
ROOT = '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body/></w:document>'


@pytest.fixture(scope="module")
def seed_docx() -> bytes:
    return write_bytes(read_path(SEED_TXT).table, ".docx")


def _refused(data: bytes, name: str) -> str:
    with pytest.raises(ReadError) as raised:
        read_bytes(data, name)
    return f"{raised.value.finding.code}|{raised.value.finding.message}"


@pytest.mark.parametrize(
    "part",
    [
        ("\ufeff" + '<?xml version="1.0" encoding="UTF-16"?>' + DTD + ROOT).encode("utf-16-le"),
        ('<?xml version="1.0" encoding="UTF-16"?>' + DTD + ROOT).encode("utf-16-be"),
        ('<?xml version="1.0" encoding="UTF-16"?>' + DTD + ROOT).encode("utf-16-le"),
        ('<?xml version="1.0"?><?pi <a?>' + DTD + ROOT).encode(),
        ('<?xml version="1.0"?><!-- <a --><?x y?>\n' + DTD + ROOT).encode(),
        ('<?xml version="1.0" encoding="UTF-7"?>' + DTD + ROOT).encode("utf-7"),
    ],
    ids=["utf16-bom", "utf16be-no-bom", "utf16le-no-bom", "pi-before-doctype", "comment-and-pi", "utf7"],
)
def test_a_dtd_is_found_however_the_part_is_written(seed_docx: bytes, part: bytes) -> None:
    assert declares_entities(part)
    result = _refused(replace_entry(seed_docx, "word/document.xml", part), "dtd.docx")
    assert result.startswith("file-unreadable|")
    assert "DTD" in result


@pytest.mark.parametrize(
    "part",
    [
        ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + ROOT).encode(),
        ("\ufeff" + '<?xml version="1.0" encoding="UTF-16"?>' + ROOT).encode("utf-16-le"),
        (
            '<?xml version="1.0"?><!-- a comment naming <!DOCTYPE --><?mso-application progid="Word"?>' + ROOT
        ).encode(),
    ],
)
def test_parts_without_a_dtd_pass(part: bytes) -> None:
    assert not declares_entities(part)


def test_real_office_files_pass(seed_docx: bytes) -> None:
    package = zipfile.ZipFile(io.BytesIO(seed_docx))
    assert not any(
        declares_entities(package.read(name)) for name in package.namelist() if name.endswith(".xml")
    )


# --- PDFs: a character budget and the real page count --------------------------------------------


def _timed_refusal(data: bytes) -> tuple[str, float]:
    started = time.process_time()
    result = _refused(data, "crafted.pdf")
    return result, time.process_time() - started


def test_the_crafted_pdf_of_the_issue_is_refused_within_a_second() -> None:
    data = crafted_pdf()  # 200 pages × 25,000 characters: under the old limits of pages and page text
    assert len(data) < 20 * 1024 * 1024
    result, seconds = _timed_refusal(data)
    assert result.startswith("file-unreadable|")
    assert "第 1 页" in result
    assert seconds < 1.5, seconds


def test_pages_each_under_the_page_limit_are_refused_by_the_documents_budget() -> None:
    per_page = MAX_PAGE_CHARACTERS - 500
    result, seconds = _timed_refusal(crafted_pdf(pages=MAX_PAGES, per_page=per_page))
    assert result.startswith("file-unreadable|")
    assert f"超过 {MAX_CHARACTERS} 个字符" in result
    assert f"第 {MAX_CHARACTERS // per_page + 1} 页" in result
    assert seconds < 3, seconds


def test_a_page_count_that_lies_is_not_trusted() -> None:
    result, _ = _timed_refusal(crafted_pdf(pages=MAX_PAGES + 50, per_page=250, declared=1))
    assert result.startswith("file-unreadable|")
    assert f"超过上限 {MAX_PAGES}" in result


def test_real_pdfs_are_far_inside_the_budget() -> None:
    for name in ("seed.published.pdf", "seed.jixiao.pdf"):
        assert read_path(FIXTURES / "office" / name).table.department.name == "揭阳市应急管理局"
