"""The filing season (issue 8): uploads that match the filing, the bureau's progress page, the
queue's tabs and filters, the XLSX of a year, and print-to-sign PDFs."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from jixiao.model import TargetTable
from jixiao.write.xlsx import write_xlsx
from jixiao_web import services
from jixiao_web.audit import Actor
from jixiao_web.models import AuditEntry, Department, Filing, FilingYear, Received, Role, User
from jixiao_web.services import ReviewComment

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
    assert response.context["fitted"].year_from == YEAR - 1  # the preview again says what moves
    assert "任务第2行：揭阳市应急管理局2023年度综合运维服务项目" in response.content.decode()
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


# ---------------------------------------------------------------------------------------------
# The bureau's season: the queue, the progress page, the XLSX of a year


@pytest.fixture
def season(
    people: dict[str, User],
    department: Department,
    other_department: Department,
    seed_table: TargetTable,
    actor: Callable[[str], Actor],
) -> dict[str, Filing]:
    """2024: 应急管理局 submitted, 教育局 returned and being edited again, 卫生健康局 a draft,
    自然资源局 nothing; 2023 (closed): 应急管理局 approved."""
    third = Department.objects.create(code="weijian", name="揭阳市卫生健康局")
    fourth = Department.objects.create(code="ziran", name="揭阳市自然资源局")
    people["third"] = User.objects.create_user("third", role=Role.FILER, department=third)
    User.objects.create_user("fourth", role=Role.FILER, department=fourth)

    def table(name: str, year: int) -> TargetTable:
        made = seed_table.model_copy(deep=True)
        made.department.name = name
        return services.moved_to_year(made, year)

    submitted = services.start_filing(actor("filer"), department, YEAR, table(department.name, YEAR))
    services.submit(actor("filer"), submitted)
    returned = services.start_filing(
        actor("other_filer"), other_department, YEAR, table(other_department.name, YEAR)
    )
    services.submit(actor("other_filer"), returned)
    services.return_filing(actor("reviewer"), returned, [ReviewComment("tasks", 1, "请细化")], "中")
    returned.refresh_from_db()
    working = table(other_department.name, YEAR)
    working.title = "工作稿中改过的表名"
    services.save_draft(actor("other_filer"), returned, working, returned.revision)
    draft = services.start_filing(Actor(people["third"]), third, YEAR, table(third.name, YEAR))
    FilingYear.objects.filter(year=YEAR - 1).update(is_open=True)
    last = services.start_filing(actor("filer"), department, YEAR - 1, table(department.name, YEAR - 1))
    services.submit(actor("filer"), last)
    services.approve(actor("reviewer"), last, "优")
    FilingYear.objects.filter(year=YEAR - 1).update(is_open=False)
    return {"submitted": submitted, "returned": returned, "draft": draft, "last": last}


def _departments(response: Any) -> list[str]:
    return [row.department.code for row in response.context["rows"]]


def test_queue_opens_on_the_year_with_work_waiting_with_tabs_and_filters(
    season: dict[str, Filing],
    people: dict[str, User],
    actor: Callable[[str], Actor],
    login: Callable[[User], Client],
    tampering: None,
) -> None:
    reviewer = login(people["reviewer"])
    response = reviewer.get(reverse("queue"))
    assert response.context["year"] == YEAR
    assert response.context["choice"].tab == "all"
    assert _departments(response)[0] == "yingji"  # what waits comes first
    tabs = {key: count for key, _, count, _ in response.context["tabs"]}
    assert tabs == {"waiting": 1, "done": 1, "all": 4}
    page = response.content.decode()
    assert 'aria-current="page" class="current">全部（4）' in page
    waiting = reviewer.get(reverse("queue"), {"year": YEAR, "tab": "waiting"})
    assert _departments(waiting) == ["yingji"]
    assert not re.search(r"\son\w+=", page)  # no inline handlers (the year select had one)

    assert _departments(reviewer.get(reverse("queue"), {"year": YEAR, "tab": "done"})) == ["jiaoyu"]
    every = reviewer.get(reverse("queue"), {"year": YEAR, "tab": "all"})
    assert sorted(_departments(every)) == ["jiaoyu", "weijian", "yingji", "ziran"]
    assert _departments(reviewer.get(reverse("queue"), {"year": YEAR, "tab": "all", "q": "卫生"})) == [
        "weijian"
    ]
    assert _departments(reviewer.get(reverse("queue"), {"year": YEAR - 1, "tab": "done"})) == ["yingji"]

    now = timezone.now()
    FilingYear.objects.filter(year=YEAR).update(deadline=now - timedelta(days=1))
    Received.objects.filter(version__filing=season["submitted"]).update(at=now - timedelta(days=2))
    late = reviewer.get(reverse("queue"), {"year": YEAR, "tab": "all", "late": "1"})
    assert sorted(_departments(late)) == ["jiaoyu", "weijian", "ziran"]  # not in by the deadline

    # Nothing waiting anywhere: the latest open year, every department.
    services.approve(actor("reviewer"), season["submitted"], "良")
    response = reviewer.get(reverse("queue"))
    assert (response.context["year"], response.context["choice"].tab) == (YEAR, "all")
    FilingYear.objects.filter(year=YEAR).update(is_open=False)
    assert reviewer.get(reverse("queue")).context["year"] == YEAR  # the latest year there is
    assert reviewer.get(reverse("queue"), {"year": "abc"}).status_code == 404


def test_progress_page_counts_states_late_departments_and_findings(
    season: dict[str, Filing], people: dict[str, User], login: Callable[[User], Client], tampering: None
) -> None:
    now = timezone.now()
    FilingYear.objects.filter(year=YEAR).update(deadline=now - timedelta(hours=1))
    Received.objects.filter(version__filing=season["submitted"]).update(at=now - timedelta(days=1))
    response = login(people["admin"]).get(reverse("progress"), {"year": YEAR})
    assert response.status_code == 200
    progress = response.context["season"]
    counts = {s.state: (s.count, s.percent) for s in progress.states}
    assert counts == {
        "none": (1, Decimal("25.0")),  # 自然资源局
        "draft": (1, Decimal("25.0")),  # 卫生健康局: the bureau sees only that it is being filled in
        "head_review": (0, Decimal("0.0")),
        "submitted": (1, Decimal("25.0")),
        "returned": (1, Decimal("25.0")),
        "approved": (0, Decimal("0.0")),
        "published": (0, Decimal("0.0")),
    }
    assert sorted(row.department.code for row in progress.late) == ["jiaoyu", "weijian", "ziran"]
    received = [season["submitted"].versions.get(), season["returned"].versions.get()]
    assert progress.received == 2
    assert progress.average_warnings == (Decimal(sum(v.warnings for v in received)) / 2).quantize(
        Decimal("0.1")
    )
    assert progress.average_errors == Decimal("0.0")

    page = response.content.decode()
    # The chart: one bar per state, as long as its share; the same figures in the table.
    chart = page[page.index("<svg") : page.index("</svg>")]
    bars = re.findall(r'<rect x="130" y="[\d.]+" width="([\d.]+)" height="18" class="bar state-(\w+)"', chart)
    assert bars == [
        ("50.0", "none"),
        ("50.0", "draft"),
        ("0.0", "head_review"),
        ("50.0", "submitted"),
        ("50.0", "returned"),
        ("0.0", "approved"),
        ("0.0", "published"),
    ]
    assert "<script>" not in page  # no inline script; the chart is SVG drawn by the server
    assert re.findall(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td><td>([\d.]+)%</td></tr>', page) == [
        ("未开始", "1", "25.0"),
        ("草稿", "1", "25.0"),
        ("待部门负责人审核", "0", "0.0"),
        ("已提交", "1", "25.0"),
        ("退回修改", "1", "25.0"),
        ("已审核", "0", "0.0"),
        ("已发布", "0", "0.0"),
        ("合计", "4", "100"),
    ]
    assert f"{reverse('queue-export')}?year={YEAR}&amp;tab=all" in page
    for who in ("filer", "head", "other_filer"):
        assert login(people[who]).get(reverse("progress")).status_code == 404


def test_export_of_a_year_is_one_workbook_of_what_the_bureau_received(
    season: dict[str, Filing], people: dict[str, User], login: Callable[[User], Client]
) -> None:
    reviewer = login(people["reviewer"])
    response = reviewer.get(reverse("queue-export"), {"year": YEAR, "tab": "all"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    book = load_workbook(io.BytesIO(response.content))
    # One sheet per department whose table reached the bureau; the draft and the unstarted have none.
    assert book.sheetnames == ["汇总", "揭阳市应急管理局", "揭阳市教育局"]
    summary = list(book["汇总"].iter_rows(min_row=3, values_only=True))
    assert summary[0][:3] == ("部门", "状态", "逾期")
    by_name = {row[0]: row for row in summary[1:]}
    assert set(by_name) == {"揭阳市应急管理局", "揭阳市教育局", "揭阳市卫生健康局", "揭阳市自然资源局"}
    assert by_name["揭阳市应急管理局"][1:2] == ("已提交",)
    assert by_name["揭阳市卫生健康局"][1] == "草稿"  # words: one name per state for every role
    assert by_name["揭阳市卫生健康局"][4:] == (None,) * 7  # nothing of a table not received
    assert by_name["揭阳市教育局"][4] == "第1版"
    assert Decimal(str(by_name["揭阳市应急管理局"][10])) == Decimal("565.58075")
    assert book["汇总"]["A4"].hyperlink.location == "'揭阳市应急管理局'!A1"

    # Each sheet is the library's own form of the received version, cell for cell: the 教育局's
    # working copy (its title changed after the return) is not what the bureau gets.
    received = TargetTable.model_validate(season["returned"].versions.get().data)
    single = load_workbook(io.BytesIO(write_xlsx(received)))["目标表"]
    sheet = book["揭阳市教育局"]
    assert sheet["A1"].value == received.title != "工作稿中改过的表名"
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        [c.value for c in row] for row in single.iter_rows()
    ]
    assert sorted(map(str, sheet.merged_cells.ranges)) == sorted(map(str, single.merged_cells.ranges))
    assert sheet.print_title_rows == single.print_title_rows

    # The queue as filtered: only what waits.
    waiting = load_workbook(
        io.BytesIO(reviewer.get(reverse("queue-export"), {"year": YEAR, "tab": "waiting"}).content)
    )
    assert waiting.sheetnames == ["汇总", "揭阳市应急管理局"]
    assert login(people["filer"]).get(reverse("queue-export"), {"year": YEAR}).status_code == 404


def test_the_queue_lists_a_page_of_departments_at_a_time(
    season: dict[str, Filing], people: dict[str, User], login: Callable[[User], Client]
) -> None:
    from jixiao_web.views.review import QUEUE_PAGE_SIZE

    Department.objects.bulk_create(
        Department(code=f"bm{i:03d}", name=f"测试第{i:03d}局") for i in range(QUEUE_PAGE_SIZE + 3)
    )
    total = Department.objects.filter(is_finance_bureau=False).count()
    reviewer = login(people["reviewer"])
    first = reviewer.get(reverse("queue"), {"year": YEAR, "tab": "all"})
    assert len(_departments(first)) == QUEUE_PAGE_SIZE
    assert _departments(first)[0] == "yingji"  # what waits still comes first
    page = first.content.decode()
    assert f"第 1 / 2 页，共 {total} 个部门" in page
    assert 'rel="next"' in page
    assert 'rel="prev"' not in page
    second = reviewer.get(reverse("queue"), {"year": YEAR, "tab": "all", "page": "2"})
    assert len(_departments(second)) == total - QUEUE_PAGE_SIZE
    shown = set(_departments(first)) | set(_departments(second))
    assert len(shown) == total  # every department on one page or the other
    assert 'rel="prev"' in second.content.decode()
    # A page beyond the last (or no number) shows the last (the first), never an error.
    assert _departments(reviewer.get(reverse("queue"), {"year": YEAR, "page": "99"})) == _departments(second)
    assert len(_departments(reviewer.get(reverse("queue"), {"year": YEAR, "page": "x"}))) == QUEUE_PAGE_SIZE
