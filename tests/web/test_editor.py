"""The filing form's server side of "nothing typed is lost" and of withdrawing a submission:
the live check's answer when signed out, the CSRF refusal (a page in the site's layout, or JSON
for the form's script), a refused upload keeping its year, and the withdraw service with its
"opened" record."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from jixiao_web import audit, services
from jixiao_web.audit import Actor
from jixiao_web.models import AuditEntry, City, Filing, Opened, Status, User, Withdrawal
from jixiao_web.selectors import history_of, versions_of

from .conftest import YEAR

# --- the live check and the CSRF refusal ----------------------------------------------------------


def test_check_signed_out_is_a_json_401_not_the_sign_in_page(draft: Filing) -> None:
    response = Client().post(reverse("filing-check", args=[draft.pk]), {"title": "x"})
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == "session-expired"
    assert body["message"] == "登录已过期，请在新窗口登录后再保存"
    assert body["login_url"] == reverse("login")


def test_check_hands_the_page_the_current_csrf_token(draft: Filing, login: Callable[[User], Client]) -> None:
    client = login(draft.updated_by)  # type: ignore[arg-type]
    response = client.post(reverse("filing-check", args=[draft.pk]), {"title": "x"})
    assert response.status_code == 200
    body = response.json()
    assert body["revision"] == draft.revision
    assert len(body["csrf_token"]) == 64


def test_csrf_failure_for_the_form_script_is_json(draft: Filing, people: dict[str, User]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["filer"])
    url = reverse("filing-check", args=[draft.pk])
    response = client.post(url, {"title": "x"}, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "csrf"
    assert "重新加载" in body["message"]
    # The token it hands back is one the next request passes with.
    client.cookies.load(response.cookies)
    retried = client.post(url, {"title": "x", "csrfmiddlewaretoken": body["csrf_token"]})
    assert retried.status_code == 200


def test_csrf_failure_page_uses_the_site_layout_in_chinese(draft: Filing, people: dict[str, User]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["filer"])
    response = client.post(reverse("filing-edit", args=[draft.pk]), {"title": "改过的表名", "revision": "1"})
    assert response.status_code == 403
    page = response.content.decode()
    assert '<header class="top">' in page
    assert "揭阳市" in page
    assert "页面已过期" in page
    assert "重新加载" in page
    assert "恢复" in page
    assert "CSRF" not in page
    assert "Forbidden" not in page
    assert Filing.objects.get(pk=draft.pk).revision == draft.revision


def test_refused_upload_keeps_the_chosen_year(
    login: Callable[[User], Client], people: dict[str, User]
) -> None:
    from jixiao_web.models import FilingYear

    FilingYear.objects.filter(year=YEAR - 1).update(is_open=True)
    response = login(people["filer"]).post(reverse("filing-upload"), {"year": str(YEAR - 1)})
    assert response.status_code == 200
    assert "请选择要上传的文件" in response.content.decode()
    assert f'<option value="{YEAR - 1}" selected>' in response.content.decode()


# --- withdraw -------------------------------------------------------------------------------------


def test_withdraw_before_the_bureau_opens_it(
    draft: Filing, actor: Callable[[str], Actor], people: dict[str, User]
) -> None:
    services.submit(actor("filer"), draft)
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    assert draft.received_version is not None
    version = services.withdraw(actor("filer"), draft)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert draft.received_version is None  # the bureau no longer sees it
    assert Withdrawal.objects.get(version=version).by == people["filer"]
    assert list(versions_of(draft, people["reviewer"])) == []
    assert list(versions_of(draft, people["filer"])) == [version]
    entry = AuditEntry.objects.filter(filing=draft).latest("seq")
    assert entry.action == "withdraw"
    assert {"状态": "草稿", "版本": 1}.items() <= entry.after.items()  # audit: with the state replayed
    assert audit.verify() == []
    # Edited and submitted again: version 2 reaches the bureau; the diff has nothing withdrawn to compare.
    services.submit(actor("filer"), draft)
    draft.refresh_from_db()
    assert draft.received_version is not None
    assert draft.received_version.number == 2
    assert [v.number for v in versions_of(draft, people["reviewer"])] == [2]


def test_the_page_lists_a_withdrawn_version_and_prints_the_latest(
    draft: Filing, actor: Callable[[str], Actor], login: Callable[[User], Client], people: dict[str, User]
) -> None:
    services.submit(actor("filer"), draft)
    services.withdraw(actor("filer"), draft)
    services.submit(actor("filer"), draft)
    page = login(people["filer"]).get(reverse("filing-detail", args=[draft.pk])).content.decode()
    first = page.split("第1版：", 1)[1].split("</li>", 1)[0]
    second = page.split("第2版：", 1)[1].split("</li>", 1)[0]
    assert "撤回" in first
    assert "撤回" not in second
    assert "打印签章（PDF，第2版）" in page


def test_after_opening_withdrawing_is_refused_with_the_reason(
    draft: Filing, actor: Callable[[str], Actor], login: Callable[[User], Client], people: dict[str, User]
) -> None:
    services.submit(actor("filer"), draft)
    reviewer = login(people["reviewer"])
    assert reviewer.get(reverse("review", args=[draft.pk])).status_code == 200
    assert reviewer.get(reverse("review", args=[draft.pk])).status_code == 200
    draft.refresh_from_db()
    opened = Opened.objects.get(version=draft.received_version)
    assert opened.by == people["reviewer"]
    assert AuditEntry.objects.filter(filing=draft, action="review_open").count() == 1  # the first time only
    with pytest.raises(services.ServiceError, match="开始审核第1版，不能再撤回"):
        services.withdraw(actor("filer"), draft)
    response = login(people["filer"]).post(reverse("filing-withdraw", args=[draft.pk]), follow=True)
    assert "不能再撤回" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    page = login(people["filer"]).get(reverse("filing-detail", args=[draft.pk])).content.decode()
    assert "撤回提交…" not in page
    assert "不能再撤回" in page


def test_the_filer_opening_the_review_page_does_not_count(
    draft: Filing, actor: Callable[[str], Actor], login: Callable[[User], Client]
) -> None:
    services.submit(actor("filer"), draft)
    assert login(draft.updated_by).get(reverse("review", args=[draft.pk])).status_code == 200  # type: ignore[arg-type]
    assert not Opened.objects.exists()
    services.withdraw(actor("filer"), draft)


def test_withdraw_from_the_head_is_the_departments_own_business(
    draft: Filing, actor: Callable[[str], Actor], people: dict[str, User]
) -> None:
    City.objects.update(head_approval_required=True)
    services.submit(actor("filer"), draft)
    draft.refresh_from_db()
    assert draft.status == Status.HEAD_REVIEW
    services.withdraw(actor("filer"), draft)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    actions = list(history_of(draft, people["filer"]).values_list("action", flat=True))
    assert actions[0] == "withdraw_from_head"
    assert "withdraw_from_head" not in history_of(draft, people["reviewer"]).values_list("action", flat=True)


@pytest.mark.parametrize("who", ["other_filer", "reviewer"])
def test_only_the_department_withdraws(draft: Filing, actor: Callable[[str], Actor], who: str) -> None:
    services.submit(actor("filer"), draft)
    with pytest.raises(services.Forbidden):
        services.withdraw(actor(who), draft)


def test_a_draft_has_nothing_to_withdraw(draft: Filing, actor: Callable[[str], Actor]) -> None:
    with pytest.raises(services.Forbidden):
        services.withdraw(actor("filer"), draft)


def test_a_refused_head_return_keeps_the_comment_typed(
    draft: Filing, actor: Callable[[str], Actor], login: Callable[[User], Client], people: dict[str, User]
) -> None:
    City.objects.update(head_approval_required=True)
    services.submit(actor("filer"), draft)
    services.withdraw(actor("filer"), draft)  # meanwhile: the head's return is refused
    response = login(people["head"]).post(
        reverse("filing-head-review", args=[draft.pk]),
        {"decision": "return", "comment:overall_goal": "请补充第2点的完成时限"},
        follow=True,
    )
    assert "请补充第2点的完成时限" in response.content.decode()


def test_a_withdrawn_submission_does_not_count_in_the_queue(
    draft: Filing, actor: Callable[[str], Actor], people: dict[str, User]
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from jixiao_web.models import FilingYear
    from jixiao_web.selectors import review_queue

    services.submit(actor("filer"), draft)
    services.withdraw(actor("filer"), draft)
    FilingYear.objects.filter(year=YEAR).update(deadline=timezone.now() - timedelta(days=1))
    row = next(r for r in review_queue(people["reviewer"], YEAR) if r.department == draft.department)
    assert row.filing is None  # the bureau no longer sees it
    assert row.first_submitted is None
    assert row.late  # past the deadline and not (or no longer) submitted


def test_the_home_list_shows_the_table_without_reading_its_contents(
    draft: Filing, login: Callable[[User], Client], people: dict[str, User]
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(people["filer"])
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("home")).content.decode()
    assert f"{YEAR}</td>" in page
    assert reverse("filing-edit", args=[draft.pk]) in page
    filing_reads = [q["sql"] for q in queries if 'FROM "jixiao_web_filing"' in q["sql"]]
    assert filing_reads
    assert not any('"jixiao_web_filing"."data"' in sql for sql in filing_reads)
