"""What the finance bureau may not see, who may not approve, and refusals before any view."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from jixiao.model import TargetTable
from jixiao_web import selectors, services
from jixiao_web.access import Action, allowed
from jixiao_web.audit import Actor
from jixiao_web.models import AuditEntry, City, Department, Filing, Role, Status, User
from jixiao_web.services import ReviewComment

from .conftest import PASSWORD


def test_a_return_by_the_head_stays_inside_the_department(
    draft: Filing, people: dict[str, User], actor: Callable[[str], Actor], login: Callable[[User], Client]
) -> None:
    City.objects.update(head_approval_required=True)
    services.submit(actor("filer"), draft)
    services.return_filing(
        actor("head"), draft, [ReviewComment("budget", None, "内部意见：先核对金额")], by_head=True
    )
    draft.refresh_from_db()
    assert (draft.status, draft.received_version) == (Status.RETURNED, None)
    reviewer = people["reviewer"]
    for action in (Action.VIEW, Action.HISTORY, Action.DRAFT):
        assert not allowed(reviewer, action, draft)
    client = login(reviewer)
    assert client.get(reverse("filing-detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("review", args=[draft.pk])).status_code == 404
    assert client.get(f"/api/tables/{draft.pk}").status_code == 404
    row = next(r for r in selectors.review_queue(reviewer, draft.year) if r.department == draft.department)
    assert (row.filing, row.status_label) == (None, "草稿")


def test_the_bureau_sees_versions_and_its_own_comments_not_the_departments_work(
    draft: Filing, people: dict[str, User], actor: Callable[[str], Actor], login: Callable[[User], Client]
) -> None:
    City.objects.update(head_approval_required=True)
    services.submit(actor("filer"), draft)
    services.return_filing(actor("head"), draft, [ReviewComment("budget", None, "内部意见")], by_head=True)
    table = TargetTable.model_validate(draft.data)
    sent_goal = table.overall_goal
    services.submit(actor("filer"), draft)
    services.head_approve(actor("head"), draft)
    services.return_filing(
        actor("reviewer"), draft, [ReviewComment("overall_goal", None, "请量化目标")], "中"
    )
    draft.refresh_from_db()
    table.overall_goal += "\n4、正在修改的内容"
    services.save_draft(actor("filer"), draft, table, draft.revision)

    response = login(people["reviewer"]).get(reverse("filing-detail", args=[draft.pk]))
    assert response.status_code == 200
    assert response.context["shown"].source == "latest_version"
    assert "正在修改的内容" not in response.content.decode()
    assert sent_goal.splitlines()[0] in response.content.decode()
    assert [c.text for c in response.context["comments"]] == ["请量化目标"]
    actions = {e.action for e in response.context["history"]}
    # No start, no saves, nothing of the head's own review: only the hand-over and the bureau's return.
    assert actions == {"head_approve", "return"}

    mine = login(people["filer"]).get(reverse("filing-detail", args=[draft.pk]))
    assert mine.context["shown"].source == "working_copy"
    assert {"save", "head_return", "head_approve"} <= {e.action for e in mine.context["history"]}
    assert [c.text for c in mine.context["comments"]] == ["内部意见", "请量化目标"]


def test_whoever_submitted_a_version_cannot_approve_it(
    draft: Filing, people: dict[str, User], actor: Callable[[str], Actor], finance: Department
) -> None:
    services.submit(actor("filer"), draft)
    # The filer moves to the finance bureau: the table they submitted is not theirs to review.
    User.objects.filter(pk=people["filer"].pk).update(role=Role.REVIEWER, department=finance)
    mover = User.objects.get(pk=people["filer"].pk)
    assert allowed(people["reviewer"], Action.REVIEW, draft)
    assert not allowed(mover, Action.REVIEW, draft)


def test_a_head_cannot_pass_on_what_they_submitted_as_filer(
    draft: Filing, people: dict[str, User], actor: Callable[[str], Actor]
) -> None:
    City.objects.update(head_approval_required=True)
    services.submit(actor("filer"), draft)
    User.objects.filter(pk=people["filer"].pk).update(role=Role.HEAD)
    promoted = User.objects.get(pk=people["filer"].pk)
    assert allowed(people["head"], Action.HEAD_REVIEW, draft)
    assert not allowed(promoted, Action.HEAD_REVIEW, draft)


def test_nul_characters_and_huge_bodies_are_refused_before_any_view(
    draft: Filing, people: dict[str, User], login: Callable[[User], Client]
) -> None:
    client = login(people["filer"])
    response = client.post(reverse("filing-edit", args=[draft.pk]), {"title": "表\x00名", "revision": "1"})
    assert response.status_code == 400
    assert "空字符" in response.content.decode()
    anonymous = Client()
    assert anonymous.post(reverse("login"), {"username": "fil\x00er", "password": "x"}).status_code == 400
    huge = anonymous.post(
        reverse("login"), data=b"x", content_type="text/plain", CONTENT_LENGTH=str(200 * 1024**2)
    )
    assert huge.status_code == 413
    draft.refresh_from_db()
    assert draft.revision == 1


def test_not_found_is_told_in_chinese(people: dict[str, User], login: Callable[[User], Client]) -> None:
    for client in (Client(), login(people["filer"])):
        response = client.get("/no/such/page/")
        assert response.status_code == 404
        assert "没有这个页面" in response.content.decode()
    response = login(people["filer"]).get(reverse("filing-detail", args=[999_999]))
    assert "没有这张表，或您无权查看" in response.content.decode()


def test_admin_changes_are_in_the_audit_log(people: dict[str, User], login: Callable[[User], Client]) -> None:
    department = Department.objects.get(code="jiaoyu")
    client = login(people["admin"])
    url = reverse("admin:jixiao_web_department_change", args=[department.pk])
    form = {"name": "揭阳市教育局（改名）", "code": "jiaoyu", "competent_department": "教育"}
    assert client.post(url, form).status_code == 302
    entry = AuditEntry.objects.filter(action="admin_change").get()
    assert entry.actor == people["admin"]
    assert entry.before == {"name": "揭阳市教育局"}
    assert entry.after == {"name": "揭阳市教育局（改名）"}


def test_a_comment_on_a_row_that_does_not_exist_is_refused(
    draft: Filing, actor: Callable[[str], Actor]
) -> None:
    services.submit(actor("filer"), draft)
    rows = len(draft.data["indicators"])
    for section, row in (("indicators", rows + 1), ("tasks", 0), ("overall_goal", 3)):
        with pytest.raises(services.ServiceError, match="不存在"):
            services.return_filing(actor("reviewer"), draft, [ReviewComment(section, row, "意见")], "中")
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    services.return_filing(actor("reviewer"), draft, [ReviewComment("indicators", rows, "请量化")], "中")


def test_amounts_written_differently_are_no_change() -> None:
    from jixiao_web.diff import diff_tables

    before = {"budget": {"project_expenditure": "100.00"}, "tasks": [{"seq": 1, "amount": "1200.50"}]}
    after = {"budget": {"project_expenditure": "100"}, "tasks": [{"seq": 1, "amount": "1200.5"}]}
    assert diff_tables(before, after) == []
    changed = diff_tables(before, {**after, "budget": {"project_expenditure": "101"}})
    assert [(c.section, c.field, c.before, c.after) for c in changed] == [
        ("budget", "project_expenditure", "100.00", "101")
    ]


def test_open_data_quotes_formulas_but_not_numbers() -> None:
    from jixiao_web.exports import _inert

    assert [_inert(v) for v in ("=1+1", "+cmd", "@SUM(A1)", "\tx", "-10%", "-5", "+3.5", "正常", 7)] == [
        "'=1+1",
        "'+cmd",
        "'@SUM(A1)",
        "'\tx",
        "'-10%",
        "-5",
        "+3.5",
        "正常",
        7,
    ]


def test_a_chain_rewritten_without_the_key_does_not_verify(
    draft: Filing, actor: Callable[[str], Actor], tampering: None
) -> None:
    import hashlib

    from jixiao_web import audit
    from jixiao_web.models import AuditHead

    services.submit(actor("filer"), draft)
    services.approve(actor("reviewer"), draft, "优")
    assert audit.verify() == []
    # Someone with write access to the database rewrites entry 2 and re-chains everything after it,
    # the way an unkeyed chain would allow.
    previous = AuditEntry.objects.get(seq=1).hash
    for entry in AuditEntry.objects.filter(seq__gte=2).order_by("seq"):
        if entry.seq == 2:
            entry.actor_name = "别人"
        entry.previous_hash = previous
        content = audit._canonical(audit._content(entry))
        entry.hash = hashlib.sha256(content).hexdigest()
        AuditEntry.objects.filter(pk=entry.pk).update(
            actor_name=entry.actor_name, previous_hash=entry.previous_hash, hash=entry.hash
        )
        previous = entry.hash
    AuditHead.objects.update(hash=previous)
    assert [b.seq for b in audit.verify()] == [2, 3, 3]  # and the head's seal needs the key too


def test_floats_are_kept_out_of_the_history(actor: Callable[[str], Actor]) -> None:
    from jixiao_web import audit

    with pytest.raises(TypeError):
        audit.record(actor("filer"), "save", after={"金额": 0.1})


def test_html_pasted_into_the_form_is_kept_as_text_only(
    draft: Filing, people: dict[str, User], login: Callable[[User], Client]
) -> None:
    page = {
        "title": "<b>揭阳市</b>2024年目标表",
        "overall_goal": "<p>1、提升能力</p><p>2、保障&nbsp;运行</p><script>alert(1)</script>",
        "task_kind": "key",
        "task_name": "<span style='color:red'>任务</span>",
        "task_content": "a<b 且 <3 的说明",
        "task_amount": "10",
        "revision": str(draft.revision),
    }
    response = login(people["filer"]).post(reverse("filing-edit", args=[draft.pk]), page)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.data["title"] == "揭阳市2024年目标表"
    assert draft.data["overall_goal"] == "1、提升能力\n2、保障\xa0运行"
    assert draft.data["tasks"][0]["name"] == "任务"
    assert draft.data["tasks"][0]["content"] == "a<b 且 <3 的说明"  # no markup: left as typed


def test_pages_with_the_official_table_have_one_main_heading(
    draft: Filing, people: dict[str, User], actor: Callable[[str], Actor], login: Callable[[User], Client]
) -> None:
    services.submit(actor("filer"), draft)
    for user, url in (
        (people["filer"], reverse("filing-detail", args=[draft.pk])),
        (people["reviewer"], reverse("review", args=[draft.pk])),
    ):
        assert login(user).get(url).content.decode().count("<h1") == 1


def test_the_bureau_never_sees_a_version_the_head_kept(
    draft: Filing, people: dict[str, User], actor: Callable[[str], Actor], login: Callable[[User], Client]
) -> None:
    City.objects.update(head_approval_required=True)
    table = TargetTable.model_validate(draft.data)
    base = table.overall_goal

    def resubmit(goal: str) -> None:
        nonlocal draft, table
        draft.refresh_from_db()
        table.overall_goal = f"{base}\n{goal}"
        draft, _ = services.save_draft(actor("filer"), draft, table, draft.revision)
        services.submit(actor("filer"), draft)

    resubmit("第一版目标")  # v1: the head returns it
    services.return_filing(actor("head"), draft, [ReviewComment("overall_goal", None, "内部")], by_head=True)
    resubmit("第二版目标")  # v2: the head passes it on
    services.head_approve(actor("head"), draft)
    services.return_filing(actor("reviewer"), draft, [ReviewComment("overall_goal", None, "请量化")], "中")
    resubmit("第三版目标")  # v3: returned by the head again
    services.return_filing(actor("head"), draft, [ReviewComment("overall_goal", None, "再改")], by_head=True)
    resubmit("第四版目标")  # v4: still with the head

    draft.refresh_from_db()
    reviewer = people["reviewer"]
    assert [v.number for v in selectors.versions_of(draft, reviewer)] == [2]
    shown = selectors.shown_table(reviewer, draft)
    assert shown is not None
    assert shown.source == "latest_version"
    assert str(shown.data["overall_goal"]).endswith("第二版目标")
    page = login(reviewer).get(reverse("review", args=[draft.pk]))
    assert page.context["version"].number == 2
    assert page.context["changes"] is None  # v1 never reached the bureau: nothing to compare with
    api = login(reviewer).get(f"/api/tables/{draft.pk}").json()
    assert api["table"]["overall_goal"].endswith("第二版目标")
    assert api["revision"] is None
    assert [v["number"] for v in login(reviewer).get(f"/api/tables/{draft.pk}/versions").json()] == [2]
    assert [v.number for v in selectors.versions_of(draft, people["filer"])] == [1, 2, 3, 4]


def test_a_decision_on_a_stale_review_page_is_a_conflict(
    draft: Filing, actor: Callable[[str], Actor]
) -> None:
    services.submit(actor("filer"), draft)
    services.return_filing(
        actor("reviewer"), draft, [ReviewComment("overall_goal", None, "请量化")], "中", reviewed=1
    )
    services.submit(actor("filer"), draft)
    with pytest.raises(services.Conflict):
        services.approve(actor("reviewer"), draft, "优", reviewed=1)
    services.approve(actor("reviewer"), draft, "优", reviewed=2)


def test_adding_a_user_in_the_admin_records_no_password(
    people: dict[str, User], login: Callable[[User], Client], department: Department
) -> None:
    client = login(people["admin"])
    secret = "Sup3r-Secret-Passw0rd!"
    response = client.post(
        reverse("admin:jixiao_web_user_add"),
        {
            "username": "newfiler",
            "full_name": "新填报人",
            "department": str(department.pk),
            "role": "filer",
            "password1": secret,
            "password2": secret,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entries = AuditEntry.objects.filter(action="admin_add")
    assert entries.count() == 1
    assert secret not in str(entries.get().after)
    assert entries.get().after["密码"] == "已设置"
    user = User.objects.get(username="newfiler")
    url = f"/admin/jixiao_web/user/{user.pk}/password/"
    new = "An0ther-Secret-Passw0rd!"
    response = client.post(url, {"password1": new, "password2": new, "usable_password": "true"})
    assert response.status_code == 302
    changed = AuditEntry.objects.filter(action="admin_change").last()
    assert changed is not None
    assert changed.after == {"密码": "已重设", "须修改密码": True}  # accounts: changed at next log-in
    assert new not in str(list(AuditEntry.objects.values_list("after", flat=True)))


def test_the_admin_signs_in_through_the_throttled_page(people: dict[str, User]) -> None:
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=/admin/" in response["Location"]
    client = Client()
    assert client.post(reverse("login"), {"username": "admin", "password": PASSWORD}).status_code == 302
    assert AuditEntry.objects.filter(action="login", actor=people["admin"]).exists()


def test_verify_with_another_key_says_so_instead_of_calling_everything_altered(
    draft: Filing, actor: Callable[[str], Actor], settings: object
) -> None:
    from jixiao_web import audit

    services.submit(actor("filer"), draft)
    assert audit.verify() == []
    settings.AUDIT_KEY = "another-installation's-key"  # type: ignore[attr-defined]
    problems = audit.verify()
    assert [p.seq for p in problems] == [None]
    assert "audit_key" in problems[0].message


def test_verify_refuses_a_data_dir_without_the_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    code = "import sys; from jixiao.cli import main; sys.argv = ['jixiao', *sys.argv[1:]]; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, "audit", "verify", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 2
    assert "audit_key" in done.stderr
    assert not (tmp_path / "audit_key").exists()  # and it made no new key


def test_time_outs_answer_in_order() -> None:
    """LibreOffice's limit < the upload child's < gunicorn's: each answers before the next kills it."""
    from jixiao.read.ole import CONVERT_SECONDS
    from jixiao_web.cli import WORKER_TIMEOUT_SECONDS
    from jixiao_web.uploads import TIMEOUT_SECONDS

    assert CONVERT_SECONDS < TIMEOUT_SECONDS < WORKER_TIMEOUT_SECONDS


def test_username_spellings_count_as_one_account(people: dict[str, User]) -> None:
    from django.conf import settings

    client = Client()
    for n in range(settings.LOGIN_MAX_FAILURES):
        client.post(reverse("login"), {"username": "filer" + " " * n, "password": "wrong"})
    response = client.post(reverse("login"), {"username": "ｆｉｌｅｒ ", "password": PASSWORD})
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["throttled"]


def test_an_unknown_address_shows_no_url_list_and_the_api_refuses_in_json(people: dict[str, User]) -> None:
    response = Client().get("/公开/不存在/")
    assert response.status_code == 404
    assert "没有这个页面" in response.content.decode()
    assert "URLPattern" not in response.content.decode()
    big = Client().post(
        "/api/validate",
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(100 * 1024**2),
    )
    assert big.status_code == 413, big.content.decode()[:500]
    assert big.json()["code"] == "request-too-large"


def test_uploads_are_limited_per_person_per_minute(
    people: dict[str, User], login: Callable[[User], Client]
) -> None:
    from jixiao_web.models import UploadAttempt
    from jixiao_web.uploads import UPLOADS_PER_MINUTE

    UploadAttempt.objects.bulk_create(
        [UploadAttempt(user=people["filer"]) for _ in range(UPLOADS_PER_MINUTE)]
    )
    client = login(people["filer"])
    page = client.post(reverse("filing-upload"), {"year": "2024", "file": SimpleUploadedFile("a.txt", b"x")})
    assert page.status_code == 429
    assert "上传过于频繁" in page.content.decode()
    key = services.create_token(Actor(people["filer"]), "脚本")
    api = Client().post(
        "/api/validate", {"file": SimpleUploadedFile("a.txt", b"x")}, HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert (api.status_code, api.json()["code"]) == (429, "too-many-uploads")
    other = login(people["head"]).post(
        reverse("filing-upload"), {"year": "2024", "file": SimpleUploadedFile("a.txt", b"x")}
    )
    assert other.status_code == 200  # someone else is not held up


def test_open_data_csv_keeps_blank_cells_and_numbers_as_they_are() -> None:
    from jixiao_web.exports import _csv

    text = _csv(("name", "amount", "unit"), [{"name": "=HYPERLINK(1)", "amount": "-5", "unit": ""}])
    assert text.decode("utf-8-sig") == "name,amount,unit\r\n'=HYPERLINK(1),-5,\r\n"


def test_an_oversized_upload_is_refused_on_the_page_too(
    people: dict[str, User], login: Callable[[User], Client], settings: object
) -> None:
    settings.UPLOAD_MAX_BYTES = 100  # type: ignore[attr-defined]
    page = login(people["filer"]).post(
        reverse("filing-upload"), {"year": "2024", "file": SimpleUploadedFile("big.txt", b"x" * 101)}
    )
    assert page.status_code == 413
    assert "超过 100 字节" in page.content.decode()
    assert not Filing.objects.exists()
