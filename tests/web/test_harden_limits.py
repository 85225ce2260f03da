"""Issue 9, item 5: every text field has a length limit, stated in Chinese, with what was typed
kept on the refused form; a 部门名称 that names another department is a finding the reviewer sees."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from jixiao.model import TargetTable
from jixiao.rules.limits import TEXT_LIMITS
from jixiao.write import write_bytes
from jixiao_web import services
from jixiao_web.audit import Actor
from jixiao_web.models import AuditEntry, Department, Filing, User
from jixiao_web.services import ReviewComment

from .pages import counts, form_fields, issues_at, stored, table_form

GOAL_LIMIT = TEXT_LIMITS[("overall_goal", "overall_goal")]


def test_a_huge_goal_is_refused_with_its_field_and_limit_and_kept_on_the_form(
    draft: Filing, people: dict[str, User], login: Callable[[User], Client]
) -> None:
    client = login(people["filer"])
    data = table_form(stored(draft), draft.revision)
    huge = "提高应急管理能力。" * 155_000  # 4.2 MB of UTF-8, as in the issue
    data["overall_goal"] = huge
    before = (draft.revision, draft.data, counts())
    response = client.post(reverse("filing-edit", args=[draft.pk]), data)
    assert response.status_code == 400
    draft.refresh_from_db()
    assert (draft.revision, draft.data, counts()) == before  # the audit log did not grow
    page = response.content.decode()
    assert f"总体绩效目标有 {len(huge)} 字，超过上限 {GOAL_LIMIT} 字" in page
    assert response.context["form_error"].endswith("未保存；您填写的内容仍在下面，删减后再保存。")
    assert form_fields(response)["overall_goal"] == [huge]  # nothing typed is lost
    assert ("text-too-long", "overall_goal", "", "overall_goal") in issues_at(response)


@pytest.mark.parametrize(
    ("column", "section", "field"),
    [
        ("task_content", "tasks", "content"),
        ("task_name", "tasks", "name"),
        ("ind_explanation", "indicators", "explanation"),
        ("ind_value", "indicators", "value"),
        ("ind_unit", "indicators", "unit"),
    ],
)
def test_every_row_field_has_its_limit(
    draft: Filing,
    people: dict[str, User],
    login: Callable[[User], Client],
    column: str,
    section: str,
    field: str,
) -> None:
    client = login(people["filer"])
    data = table_form(stored(draft), draft.revision)
    limit = TEXT_LIMITS[(section, field)]  # type: ignore[index]
    data[column][1] = "字" * limit  # at the limit: fine
    assert client.post(reverse("filing-edit", args=[draft.pk]), data).status_code == 302
    data = table_form(stored(draft), draft.revision)
    data[column][1] = "字" * (limit + 1)
    response = client.post(reverse("filing-edit", args=[draft.pk]), data)
    assert response.status_code == 400
    assert ("text-too-long", section, "2", field) in issues_at(response)
    assert f"超过上限 {limit} 字" in response.content.decode()


@pytest.mark.parametrize("name", ["title", "department_name", "department_competent_department"])
def test_header_fields_have_their_limits(
    draft: Filing, people: dict[str, User], login: Callable[[User], Client], name: str
) -> None:
    data = table_form(stored(draft), draft.revision)
    data[name] = "长" * 201
    response = login(people["filer"]).post(reverse("filing-edit", args=[draft.pk]), data)
    assert response.status_code == 400
    assert "超过上限" in response.content.decode()


def test_services_refuse_to_store_a_text_beyond_its_limit(
    draft: Filing, other_department: Department, actor: Callable[[str], Actor]
) -> None:
    table = stored(draft)
    table.overall_goal = "目" * (GOAL_LIMIT + 1)
    with pytest.raises(services.ServiceError, match="超过上限"):
        services.save_draft(actor("filer"), draft, table, draft.revision)
    with pytest.raises(services.ServiceError, match="超过上限"):
        services.start_filing(actor("other_filer"), other_department, draft.year, table)
    assert not Filing.objects.filter(department=other_department).exists()


def test_an_upload_with_a_text_beyond_its_limit_is_not_offered_for_saving(
    people: dict[str, User], login: Callable[[User], Client], seed_table: TargetTable
) -> None:
    seed_table.overall_goal = "目" * (GOAL_LIMIT + 1)
    upload = SimpleUploadedFile("long.json", seed_table.to_json().encode())
    response = login(people["filer"]).post(reverse("filing-upload"), {"year": "2024", "file": upload})
    assert response.status_code == 200
    page = response.content.decode()
    assert "超过上限" in page
    assert 'name="confirm"' not in page
    api = login(people["filer"]).post(
        "/api/validate", {"file": SimpleUploadedFile("long.json", seed_table.to_json().encode())}
    )
    assert "text-too-long" in [issue["code"] for issue in api.json()["report"]["issues"]]


def test_a_long_comment_is_refused(draft: Filing, actor: Callable[[str], Actor]) -> None:
    services.submit(actor("filer"), draft)
    entries = AuditEntry.objects.count()
    with pytest.raises(services.ServiceError, match="超过上限 2000 字"):
        services.return_filing(actor("reviewer"), draft, [ReviewComment("tasks", 1, "意" * 2001)])
    assert AuditEntry.objects.count() == entries


# --- 部门名称 ----------------------------------------------------------------------------------


def test_a_department_name_changed_away_from_the_filing_is_seen_by_the_reviewer(
    draft: Filing, people: dict[str, User], login: Callable[[User], Client], actor: Callable[[str], Actor]
) -> None:
    filer = login(people["filer"])
    data = table_form(stored(draft), draft.revision)
    data["department_name"] = "揭阳市教育局"
    response = filer.post(reverse("filing-edit", args=[draft.pk]), data)
    assert response.status_code == 302  # a warning: saving goes on
    page = filer.get(reverse("filing-edit", args=[draft.pk]))
    assert ("department-name-mismatch", "department", "", "name") in issues_at(page)
    services.submit(actor("filer"), draft)
    review = login(people["reviewer"]).get(reverse("review", args=[draft.pk]))
    assert review.status_code == 200
    assert "与填报部门“揭阳市应急管理局”不一致" in review.content.decode()
    draft.refresh_from_db()
    assert draft.received_version is not None
    codes = [issue["code"] for issue in draft.received_version.report["issues"]]
    assert "department-name-mismatch" in codes


def test_the_own_department_name_is_no_finding(draft: Filing, seed_table: TargetTable) -> None:
    report = services.report_of(seed_table, department="揭阳市 应急管理局")
    assert "department-name-mismatch" not in [f.code for f in report.findings]
    report = services.report_of(seed_table, department="揭阳市教育局")
    assert ("department-name-mismatch", None, "name") in report.flatten()


def test_a_file_of_another_department_is_imported_only_under_the_filings_department(
    people: dict[str, User], login: Callable[[User], Client], seed_table: TargetTable
) -> None:
    """An upload of another department's table never starts a table under that name: without the
    user's word it is refused (season), with it the filing's department is kept, so no
    department-name-mismatch is left for the reviewer to find."""
    client = login(people["other_filer"])  # of 揭阳市教育局, uploading 应急管理局's table
    upload = SimpleUploadedFile("t.json", write_bytes(seed_table, ".json"))
    preview = client.post(reverse("filing-upload"), {"year": "2024", "file": upload})
    token = re.search(r'name="confirm" value="([^"]+)"', preview.content.decode())
    assert token is not None
    refused = client.post(reverse("filing-upload"), {"confirm": token.group(1)})
    assert refused.status_code == 400
    started = client.post(reverse("filing-upload"), {"confirm": token.group(1), "keep_department": "1"})
    assert started.status_code == 302
    page = client.get(started["Location"])
    assert "department-name-mismatch" not in [issue[0] for issue in issues_at(page)]
    assert (
        Filing.objects.get(department=people["other_filer"].department).data["department"]["name"]
        == "揭阳市教育局"
    )
