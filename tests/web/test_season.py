"""The filing season (issue 8): uploads that match the filing, the bureau's progress page, the
queue's tabs and filters, the XLSX of a year, and print-to-sign PDFs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from jixiao.model import TargetTable
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
