"""The filing season (issue 8): uploads that match the filing, the bureau's progress page, the
queue's tabs and filters, the XLSX of a year, and print-to-sign PDFs."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jixiao.model import TargetTable
from jixiao_web import services
from jixiao_web.audit import Actor
from jixiao_web.models import AuditEntry, Department, Filing, FilingYear, User

from .conftest import YEAR

FIXTURES = Path(__file__).parent.parent / "fixtures"
SEED = FIXTURES / "seed.txt"  # 揭阳市应急管理局, 2023
SEED_XLSX = FIXTURES / "office" / "seed.jixiao.xlsx"


def _file(path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes())


def _stored() -> tuple[int, int]:
    return Filing.objects.count(), AuditEntry.objects.count()


# ---------------------------------------------------------------------------------------------
# Uploads that match the filing


def test_upload_of_last_years_file_is_moved_only_when_asked(
    people: dict[str, User], department: Department, login: Callable[[User], Client]
) -> None:
    client = login(people["filer"])
    url = reverse("filing-upload")
    before = _stored()
    response = client.post(url, {"year": str(YEAR), "file": _file(SEED_XLSX)})
    assert response.status_code == 200
    fitted = response.context["fitted"]
    assert fitted.year_from == YEAR - 1
    assert fitted.department_from is None  # the filer's own department's file
    # The year-specific texts it carries over, named: a task named "…2023年度…", the balances of
    # 2022 contracts.
    carried = {(t.section, t.row, t.field): t.text for t in fitted.carried}
    assert carried[("tasks", 2, "name")] == "揭阳市应急管理局2023年度综合运维服务项目"
    assert carried[("tasks", 8, "content")] == "2022年度项目尾款"
    page = response.content.decode()
    assert 'name="move_year"' in page
    assert 'name="keep_department"' not in page
    assert "任务第2行：揭阳市应急管理局2023年度综合运维服务项目" in page
    assert f"文件中的目标表是{YEAR - 1}年度的" in page
    assert _stored() == before

    # Confirmed without agreeing to the move: refused, the preview shown again, nothing stored.
    confirm = response.context["confirm"]
    response = client.post(url, {"confirm": confirm})
    assert response.status_code == 400
    assert f"移到{YEAR}年度" in response.context["error"]
    assert response.context["confirm"]
    assert response.context["year"] == YEAR
    assert _stored() == before

    response = client.post(url, {"confirm": confirm, "move_year": "1"})
    assert response.status_code == 302
    filing = Filing.objects.get(department=department, year=YEAR)
    table = TargetTable.model_validate(filing.data)
    assert table.year == YEAR
    assert table.title == f"揭阳市{YEAR}年市直部门整体预算绩效目标表"
    assert table.tasks[1].name == "揭阳市应急管理局2023年度综合运维服务项目"  # carried as it was


def test_upload_of_another_departments_file_keeps_the_filings_department(
    people: dict[str, User], other_department: Department, login: Callable[[User], Client]
) -> None:
    client = login(people["other_filer"])  # 揭阳市教育局, uploading 应急管理局's table
    url = reverse("filing-upload")
    before = _stored()
    response = client.post(url, {"year": str(YEAR), "file": _file(SEED)})
    fitted = response.context["fitted"]
    assert fitted.department_from == "揭阳市应急管理局"
    assert fitted.year_from == YEAR - 1
    page = response.content.decode()
    assert "文件中的部门名称是“揭阳市应急管理局”" in page
    assert 'name="keep_department"' in page
    assert 'name="move_year"' in page
    # The preview shows the table as it would be stored: the filing's department.
    assert "揭阳市教育局" in response.context["official"]

    confirm = response.context["confirm"]
    response = client.post(url, {"confirm": confirm, "move_year": "1"})
    assert response.status_code == 400
    assert "按本部门“揭阳市教育局”导入" in response.context["error"]
    assert _stored() == before

    response = client.post(url, {"confirm": confirm, "move_year": "1", "keep_department": "1"})
    assert response.status_code == 302
    table = TargetTable.model_validate(Filing.objects.get(department=other_department, year=YEAR).data)
    assert table.department.name == "揭阳市教育局"
    assert table.department.competent_department == "教育"  # the department's, not the file's
    assert table.year == YEAR


def test_upload_of_a_matching_file_asks_nothing(
    people: dict[str, User], department: Department, login: Callable[[User], Client]
) -> None:
    client = login(people["filer"])
    text = SEED.read_bytes().decode().replace("2023年", f"{YEAR}年").encode()
    upload = SimpleUploadedFile("seed-2024.txt", text)
    response = client.post(reverse("filing-upload"), {"year": str(YEAR), "file": upload})
    fitted = response.context["fitted"]
    assert (fitted.department_from, fitted.year_from, fitted.carried) == (None, None, ())
    assert "文件与要创建的目标表不符" not in response.content.decode()
    response = client.post(reverse("filing-upload"), {"confirm": response.context["confirm"]})
    assert response.status_code == 302
    assert Filing.objects.filter(department=department, year=YEAR).exists()


def _selected_year(response: Any) -> list[str]:
    import re

    return re.findall(r'<option value="(\d+)" selected>', response.content.decode())


def test_upload_offers_only_years_not_started_and_keeps_the_chosen_year(
    people: dict[str, User], draft: Filing, login: Callable[[User], Client]
) -> None:
    """The filer's department has a 2024 draft: 2024 is not offered; a refused upload keeps the
    year the user chose."""
    FilingYear.objects.filter(year=YEAR - 1).update(is_open=True)
    FilingYear.objects.create(year=YEAR + 1, deadline=FilingYear.objects.get(year=YEAR).deadline)
    client = login(people["filer"])
    url = reverse("filing-upload")
    response = client.get(url)
    assert response.context["years"] == [YEAR + 1, YEAR - 1]
    before = _stored()

    # No file: refused, the chosen year still selected.
    response = client.post(url, {"year": str(YEAR - 1)})
    assert response.context["error"] == "请选择要上传的文件。"
    assert _selected_year(response) == [str(YEAR - 1)]
    # A year already started (a forged post): refused before the file is read.
    response = client.post(url, {"year": str(YEAR), "file": _file(SEED)})
    assert "已有目标表" in response.context["error"]
    assert "report" not in response.context
    assert _stored() == before

    # Every open year started: nothing to choose.
    for year in (YEAR - 1, YEAR + 1):
        Filing.objects.create(department=draft.department, year=year, updated_by=people["filer"])
    response = client.get(url)
    assert response.context["years"] == []
    assert "开放填报的年度都已创建" in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Print to sign


def pdf_text(content: bytes) -> str:
    """The text of a PDF as poppler's pdftotext reads it."""
    done = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True)
    return done.stdout.decode()


CONTACT = {
    "contact-contact_head": "王明",
    "contact-contact_filer": "李华",
    "contact-contact_phone": "0663-8231234",
    "contact-filled_on": "2024-01-05",
}


def test_department_prints_its_draft_and_versions_to_sign(
    draft: Filing, people: dict[str, User], actor: Callable[[str], Actor], login: Callable[[User], Client]
) -> None:
    filer = login(people["filer"])
    page = filer.get(reverse("filing-detail", args=[draft.pk])).content.decode()
    assert reverse("filing-contact", args=[draft.pk]) in page
    assert reverse("filing-print", args=[draft.pk]) in page

    response = filer.post(reverse("filing-contact", args=[draft.pk]), CONTACT)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.contact_head, draft.contact_phone, draft.filled_on) == (
        "王明",
        "0663-8231234",
        date(2024, 1, 5),
    )
    entry = draft.audit.latest("seq")
    assert entry.action == "contact"
    assert entry.after == {
        "单位负责人": "王明",
        "填报人": "李华",
        "联系电话": "0663-8231234",
        "填报日期": "2024-01-05",
    }
    # The same again changes nothing and records nothing.
    filer.post(reverse("filing-contact", args=[draft.pk]), CONTACT)
    assert draft.audit.latest("seq").pk == entry.pk

    response = filer.get(reverse("filing-print", args=[draft.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "inline" in response["Content-Disposition"]
    text = pdf_text(response.content)
    for line in ("填报单位（盖章）", "揭阳市应急管理局", "单位负责人", "王明", "填报人", "李华", "联系电话"):
        assert line in text
    assert "0663-8231234" in text
    assert "填报日期" in text
    assert "2024年1月5日" in text
    pages = text.count("\f")
    assert text.count("草稿") == pages  # marked on every page

    services.submit(actor("filer"), draft)
    undated = {**CONTACT, "contact-filled_on": ""}  # no date: the version's submission date
    filer.post(reverse("filing-contact", args=[draft.pk]), undated)
    response = filer.get(reverse("version-print", args=[draft.pk, 1]))
    assert response.status_code == 200
    text = pdf_text(response.content)
    submitted = timezone.localdate(draft.versions.get().created_at)
    assert f"{submitted.year}年{submitted.month}月{submitted.day}日" in text
    assert "王明" in text
    assert "草稿" not in text

    # The finance bureau prints the version it received, never the working copy.
    reviewer = login(people["reviewer"])
    assert reviewer.get(reverse("version-print", args=[draft.pk, 1])).status_code == 200
    assert reviewer.get(reverse("filing-print", args=[draft.pk])).status_code == 404
    assert reviewer.get(reverse("version-print", args=[draft.pk, 2])).status_code == 404
    other = login(people["other_filer"])
    assert other.get(reverse("version-print", args=[draft.pk, 1])).status_code == 404


def test_refused_contact_form_keeps_what_was_typed(
    draft: Filing, people: dict[str, User], login: Callable[[User], Client]
) -> None:
    filer = login(people["filer"])
    before = (draft.audit.count(), Filing.objects.values().get(pk=draft.pk))
    typed = {**CONTACT, "contact-contact_phone": "8" * 31, "contact-filled_on": "2024-13-40"}
    response = filer.post(reverse("filing-contact", args=[draft.pk]), typed)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="王明"' in page
    assert 'value="李华"' in page
    assert f'value="{"8" * 31}"' in page
    assert 'value="2024-13-40"' in page
    assert "联系信息未保存" in page
    assert set(response.context["contact"].errors) == {"contact_phone", "filled_on"}
    assert (draft.audit.count(), Filing.objects.values().get(pk=draft.pk)) == before
    # Nobody else may set them.
    for who in ("reviewer", "other_filer"):
        response = login(people[who]).post(reverse("filing-contact", args=[draft.pk]), CONTACT)
        assert response.status_code == 404
    assert (draft.audit.count(), Filing.objects.values().get(pk=draft.pk)) == before
