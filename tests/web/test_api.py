"""The JSON API: who sees what, tokens and sessions (with CSRF), validating uploads, downloads, and
the OpenAPI document.  Assertions are on status codes, error codes and values, never on wording."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from jixiao.check import check_path
from jixiao.model import TargetTable
from jixiao_web import exports, services
from jixiao_web.audit import Actor
from jixiao_web.models import ApiToken, AuditEntry, Department, Export, Filing, Status, User
from jixiao_web.services import ReviewComment

from .conftest import SEED, YEAR, api_token

SEED_EXPECTED = SEED.with_name("seed.expected.json")
#: What the library finds in the seed file, in report order: (code, row, field); the API must
#: give exactly that.
SEED_FINDINGS = check_path(SEED).flatten()
CHINESE = re.compile(r"[\u4e00-\u9fff]")
PATHS = {
    "/api/tables",
    "/api/tables/{filing_id}",
    "/api/tables/{filing_id}/versions",
    "/api/tables/{filing_id}/exports/{fmt}",
    "/api/validate",
    # selfeval: read, score, check a self-evaluation
    "/api/selfevals/{filing_id}",
    "/api/selfevals/{filing_id}/scores",
    "/api/selfevals/{filing_id}/check",
}


# ---------------------------------------------------------------------------------------------
# Helpers and fixtures


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def make_token(user: User) -> str:
    return api_token(user)[0]


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def findings(report: dict[str, Any]) -> list[tuple[str, int | None, str | None]]:
    return [(i["code"], i["location"].get("row"), i["location"].get("field")) for i in report["issues"]]


def assert_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert CHINESE.search(body["detail"]), body


@pytest.fixture
def published(
    people: dict[str, User],
    other_department: Department,
    seed_table: TargetTable,
    actor: Callable[[str], Actor],
) -> Filing:
    """The other department's table, submitted, approved and published (exports rendered)."""
    table = seed_table.model_copy(deep=True)
    table.department.name = other_department.name
    filing = services.start_filing(actor("other_filer"), other_department, YEAR, table)
    services.submit(actor("other_filer"), filing)
    services.approve(actor("reviewer"), filing, "优")
    services.publish(actor("reviewer"), filing)
    filing.refresh_from_db()
    return filing


@pytest.fixture
def as_user(people: dict[str, User], login: Callable[[User], Client]) -> Callable[[str], Client]:
    """A client signed in (by session) as one of ``people``."""
    return lambda name: login(people[name])


# ---------------------------------------------------------------------------------------------
# OpenAPI and docs


@pytest.mark.django_db
def test_openapi_document_lists_the_paths_and_both_ways_in() -> None:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert set(schema["paths"]) == PATHS
    schemes = schema["components"]["securitySchemes"]
    assert {(s["type"], s.get("scheme"), s.get("in")) for s in schemes.values()} == {
        ("http", "bearer", None),
        ("apiKey", None, "cookie"),
    }
    table = schema["components"]["schemas"]["TargetTable"]["properties"]
    assert {"title", "year", "department", "budget", "overall_goal", "tasks", "indicators"} <= set(table)
    assert {"seq", "kind", "name", "content", "amount"} <= set(
        schema["components"]["schemas"]["Task"]["properties"]
    )
    assert {} in schema["paths"]["/api/tables"]["get"]["security"]  # anonymous may read
    assert {} not in schema["paths"]["/api/validate"]["post"]["security"]
    upload = schema["paths"]["/api/validate"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
    download = schema["paths"]["/api/tables/{filing_id}/exports/{fmt}"]["get"]["responses"]["200"]
    assert set(download["content"]) == {mime.split(";")[0] for mime, _ in exports.FORMATS.values()}


@pytest.mark.django_db
def test_docs_page_is_served_without_a_cdn() -> None:
    client = Client()
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.content.decode()
    # No CDN named anywhere (a word check: the page's random CSRF token may spell "cdn").
    assert re.search(r"\bcdn\b|cdn\.|//[a-z0-9.-]*cdn", page.lower()) is None
    scripts = re.findall(r'src="([^"]+\.js)"', page)
    assert scripts
    assert all(src.startswith("/static/") for src in scripts)
    for src in scripts:
        assert client.get(src).status_code == 200, src


# ---------------------------------------------------------------------------------------------
# Listing tables


def test_anonymous_lists_only_published_tables(draft: Filing, published: Filing) -> None:
    response = Client().get("/api/tables")
    assert ids(response) == [published.pk]
    item = response.json()["items"][0]
    assert (item["status"], item["year"], item["department"]["code"]) == ("published", YEAR, "jiaoyu")
    assert item["published_version"] == 1


def test_department_people_list_their_own_tables_and_published_ones(
    draft: Filing, published: Filing, as_user: Callable[[str], Client]
) -> None:
    assert sorted(ids(as_user("filer").get("/api/tables"))) == sorted([draft.pk, published.pk])
    assert sorted(ids(as_user("head").get("/api/tables"))) == sorted([draft.pk, published.pk])
    assert ids(as_user("other_filer").get("/api/tables")) == [published.pk]


def test_reviewer_lists_only_what_reached_the_finance_bureau(
    draft: Filing, published: Filing, as_user: Callable[[str], Client], actor: Callable[[str], Actor]
) -> None:
    reviewer = as_user("reviewer")
    assert ids(reviewer.get("/api/tables")) == [published.pk]
    services.submit(actor("filer"), draft)
    assert sorted(ids(reviewer.get("/api/tables"))) == sorted([draft.pk, published.pk])
    assert sorted(ids(as_user("admin").get("/api/tables"))) == sorted([draft.pk, published.pk])


def test_list_filters_by_year_and_status_and_pages(
    draft: Filing, published: Filing, as_user: Callable[[str], Client]
) -> None:
    filer = as_user("filer")
    assert ids(filer.get("/api/tables", {"status": "draft"})) == [draft.pk]
    assert ids(filer.get("/api/tables", {"status": "published"})) == [published.pk]
    assert ids(filer.get("/api/tables", {"year": YEAR - 1})) == []
    assert len(ids(filer.get("/api/tables", {"year": YEAR}))) == 2
    first = filer.get("/api/tables", {"limit": 1})
    second = filer.get("/api/tables", {"limit": 1, "offset": 1})
    assert first.json()["count"] == second.json()["count"] == 2
    assert sorted(ids(first) + ids(second)) == sorted([draft.pk, published.pk])
    assert_error(filer.get("/api/tables", {"limit": 1000}), 422, "invalid-request")
    assert_error(filer.get("/api/tables", {"status": "bogus"}), 422, "invalid-request")
    assert_error(filer.get("/api/tables", {"year": "今年"}), 422, "invalid-request")


# ---------------------------------------------------------------------------------------------
# Reading one table


def test_anonymous_reads_the_published_version_and_nothing_else(draft: Filing, published: Filing) -> None:
    client = Client()
    response = client.get(f"/api/tables/{published.pk}")
    assert response.status_code == 200
    body = response.json()
    assert published.published_version is not None
    assert body["source"] == "published_version"
    assert body["table"] == published.published_version.data
    assert (body["status"], body["department"]["code"], body["published_version"]) == (
        "published",
        "jiaoyu",
        1,
    )
    assert body["report"]["valid"] is True
    hidden = client.get(f"/api/tables/{draft.pk}")
    missing = client.get(f"/api/tables/{draft.pk + published.pk + 1000}")
    assert_error(hidden, 404, "not-found")
    assert hidden.json() == missing.json()  # no hint that the draft exists


def test_filer_reads_the_working_copy_with_the_librarys_findings(
    draft: Filing, as_user: Callable[[str], Client]
) -> None:
    response = as_user("filer").get(f"/api/tables/{draft.pk}")
    assert response.status_code == 200
    body = response.json()
    assert (body["source"], body["status"], body["year"], body["revision"]) == (
        "working_copy",
        "draft",
        YEAR,
        draft.revision,
    )
    assert body["table"] == draft.data  # the canonical JSON, amounts as exact decimal strings
    assert body["table"]["budget"]["project_expenditure"] == "565.58075"
    assert body["report"]["valid"] is True
    expected = services.report_of(TargetTable.model_validate(draft.data))
    assert [i["code"] for i in body["report"]["issues"]] == expected.codes()
    assert {"goal-tasks-unlinked", "satisfaction-indicator-missing"} <= set(expected.codes())
    assert (body["errors"], body["warnings"]) == (draft.errors, draft.warnings)


def test_a_draft_is_hidden_from_other_departments_and_the_finance_bureau(
    draft: Filing, as_user: Callable[[str], Client]
) -> None:
    assert as_user("head").get(f"/api/tables/{draft.pk}").status_code == 200
    for name in ("other_filer", "reviewer"):
        assert_error(as_user(name).get(f"/api/tables/{draft.pk}"), 404, "not-found")


def test_reviewer_reads_the_submitted_version_never_the_working_copy(
    draft: Filing, as_user: Callable[[str], Client], actor: Callable[[str], Actor]
) -> None:
    services.submit(actor("filer"), draft)
    response = as_user("reviewer").get(f"/api/tables/{draft.pk}")
    assert response.status_code == 200
    assert (response.json()["source"], response.json()["status"]) == ("latest_version", "submitted")
    # Returned and being reworked: the bureau still reads what it was sent, not the new edits.
    services.return_filing(actor("reviewer"), draft, [ReviewComment("overall_goal", None, "请量化")])
    draft.refresh_from_db()
    table = TargetTable.model_validate(draft.data)
    sent_goal = table.overall_goal
    table.overall_goal += "\n4、修改中的内容"
    services.save_draft(actor("filer"), draft, table, draft.revision)
    body = as_user("reviewer").get(f"/api/tables/{draft.pk}").json()
    assert (body["source"], body["table"]["overall_goal"]) == ("latest_version", sent_goal)
    assert "修改中" in as_user("filer").get(f"/api/tables/{draft.pk}").json()["table"]["overall_goal"]


def test_another_departments_published_table_is_read_as_published(
    published: Filing, as_user: Callable[[str], Client]
) -> None:
    assert as_user("filer").get(f"/api/tables/{published.pk}").json()["source"] == "published_version"
    assert as_user("other_filer").get(f"/api/tables/{published.pk}").json()["source"] == "working_copy"
    assert as_user("reviewer").get(f"/api/tables/{published.pk}").json()["source"] == "latest_version"


# ---------------------------------------------------------------------------------------------
# Versions


def test_versions_are_listed_for_whoever_sees_the_history(
    draft: Filing, published: Filing, as_user: Callable[[str], Client], actor: Callable[[str], Actor]
) -> None:
    filer = as_user("filer")
    assert filer.get(f"/api/tables/{draft.pk}/versions").json() == []
    services.submit(actor("filer"), draft)
    assert [v["number"] for v in filer.get(f"/api/tables/{draft.pk}/versions").json()] == [1]
    for name in ("other_filer", "reviewer"):
        versions = as_user(name).get(f"/api/tables/{published.pk}/versions").json()
        assert [(v["number"], v["published"]) for v in versions] == [(1, True)]
    assert_error(Client().get(f"/api/tables/{published.pk}/versions"), 404, "not-found")
    assert_error(filer.get(f"/api/tables/{published.pk}/versions"), 404, "not-found")
    assert_error(as_user("other_filer").get(f"/api/tables/{draft.pk}/versions"), 404, "not-found")


# ---------------------------------------------------------------------------------------------
# Downloads


def test_published_table_downloads_in_every_format(published: Filing) -> None:
    version = published.published_version
    assert version is not None
    client = Client()
    for fmt, (content_type, _) in exports.FORMATS.items():
        response = client.get(f"/api/tables/{published.pk}/exports/{fmt}")
        assert response.status_code == 200, fmt
        assert response["Content-Type"] == content_type
        assert f"{YEAR}-jiaoyu-v1.{fmt}" in response["Content-Disposition"]
        assert response["Content-Disposition"].startswith(
            "inline" if fmt in {"html", "pdf", "json"} else "attachment"
        )
        body = b"".join(response.streaming_content)
        stored = Export.objects.get(version=version, format=fmt)
        assert hashlib.sha256(body).hexdigest() == stored.sha256
        with stored.file.open("rb") as handle:
            assert body == handle.read()
    response = client.get(f"/api/tables/{published.pk}/exports/json")
    assert json.loads(b"".join(response.streaming_content)) == version.data
    assert b"".join(client.get(f"/api/tables/{published.pk}/exports/pdf").streaming_content)[:5] == b"%PDF-"
    assert b"".join(client.get(f"/api/tables/{published.pk}/exports/xlsx").streaming_content)[:2] == b"PK"


def test_nothing_to_download_before_publishing_or_in_an_unknown_format(
    draft: Filing, published: Filing, as_user: Callable[[str], Client]
) -> None:
    assert_error(as_user("filer").get(f"/api/tables/{draft.pk}/exports/pdf"), 404, "not-published")
    assert_error(Client().get(f"/api/tables/{draft.pk}/exports/pdf"), 404, "not-found")
    assert_error(Client().get(f"/api/tables/{published.pk}/exports/exe"), 404, "format-unknown")
    assert not Export.objects.filter(version__filing=draft).exists()


# ---------------------------------------------------------------------------------------------
# Validating a file


def _post_file(client: Client, name: str, content: bytes, **headers: str) -> Any:
    return client.post("/api/validate", {"file": SimpleUploadedFile(name, content)}, headers=headers)


def test_validate_needs_a_token_or_a_session(people: dict[str, User]) -> None:
    response = _post_file(Client(), "seed.txt", SEED.read_bytes())
    assert_error(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_validate_reads_and_checks_the_seed_file_and_stores_nothing(draft: Filing, people: dict) -> None:
    filings, entries = Filing.objects.count(), AuditEntry.objects.count()
    client = Client(enforce_csrf_checks=True)  # a token needs no CSRF token
    response = _post_file(client, "seed.txt", SEED.read_bytes(), **bearer(make_token(people["filer"])))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["file_name"], body["readable"]) == ("seed.txt", True)
    assert body["report"]["valid"] is True
    assert body["report"]["source"] == "seed.txt"
    assert findings(body["report"]) == SEED_FINDINGS
    assert body["table"] == json.loads(SEED_EXPECTED.read_text(encoding="utf-8"))
    assert (Filing.objects.count(), AuditEntry.objects.count()) == (filings, entries)


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("junk.bin", b"\x00\xff\xfe junk \x81\x00" * 20, "file-unreadable"),
        ("junk.txt", "这不是目标表，只是一段文字。\n".encode(), "not-a-target-table"),
    ],
)
def test_validate_says_in_chinese_why_a_junk_file_is_no_table(
    people: dict[str, User], name: str, content: bytes, code: str
) -> None:
    response = _post_file(Client(), name, content, **bearer(make_token(people["reviewer"])))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["readable"], body["table"], body["report"]["valid"]) == (False, None, False)
    [issue] = body["report"]["issues"]
    assert (issue["code"], issue["severity"], issue["location"]) == (code, "error", {"section": "file"})
    assert CHINESE.search(issue["message"])


def test_validate_refuses_a_file_over_the_limit(people: dict[str, User]) -> None:
    key = make_token(people["filer"])
    with override_settings(UPLOAD_MAX_BYTES=1000):
        response = _post_file(Client(), "seed.txt", SEED.read_bytes(), **bearer(key))
    assert_error(response, 413, "file-too-large")


def test_validate_without_a_file_is_an_invalid_request(people: dict[str, User]) -> None:
    response = Client().post("/api/validate", {}, headers=bearer(make_token(people["filer"])))
    assert_error(response, 422, "invalid-request")
    assert ["file"] in [error["loc"][-1:] for error in response.json()["errors"]]


def test_session_post_needs_the_csrf_token(people: dict[str, User], draft: Filing) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["filer"])
    assert ids(client.get("/api/tables")) == [draft.pk]  # reading needs no CSRF token
    assert_error(_post_file(client, "seed.txt", SEED.read_bytes()), 403, "csrf-failed")
    client.get("/accounts/tokens/")  # any form page sets the CSRF cookie
    csrf = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = _post_file(client, "seed.txt", SEED.read_bytes(), **{"X-CSRFToken": csrf})
    assert response.status_code == 200, response.content
    assert response.json()["readable"] is True


# ---------------------------------------------------------------------------------------------
# Tokens


def test_a_token_made_on_the_page_acts_as_its_user_until_revoked(
    draft: Filing, people: dict[str, User], login: Callable[[User], Client]
) -> None:
    page = login(people["filer"])
    key = page.post("/accounts/tokens/", {"name": "脚本"}).context["new_key"]
    token = ApiToken.objects.get(user=people["filer"])
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert token.last_used_at is None
    client = Client()
    assert ids(client.get("/api/tables", headers=bearer(key))) == [draft.pk]
    assert client.get(f"/api/tables/{draft.pk}", headers=bearer(key)).json()["source"] == "working_copy"
    token.refresh_from_db()
    assert token.last_used_at is not None
    page.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert_error(client.get("/api/tables", headers=bearer(key)), 401, "token-invalid")


def test_each_token_sees_what_its_user_sees(draft: Filing, people: dict[str, User]) -> None:
    client = Client()
    for name in ("other_filer", "reviewer"):
        key = make_token(people[name])
        assert ids(client.get("/api/tables", headers=bearer(key))) == []
        assert_error(client.get(f"/api/tables/{draft.pk}", headers=bearer(key)), 404, "not-found")


def test_the_token_wins_over_the_session(
    draft: Filing, people: dict[str, User], as_user: Callable[[str], Client]
) -> None:
    reviewer = as_user("reviewer")
    assert ids(reviewer.get("/api/tables", headers=bearer(make_token(people["filer"])))) == [draft.pk]


@pytest.mark.parametrize(
    "header",
    ["Bearer jx_not-a-token", "Bearer ", "Basic ZmlsZXI6cGFzc3dvcmQ=", "Token abc"],
)
def test_a_wrong_token_is_refused_not_read_as_anonymous(people: dict[str, User], header: str) -> None:
    make_token(people["filer"])
    client = Client()
    assert ids(client.get("/api/tables")) == []  # anonymous may read …
    response = client.get("/api/tables", headers={"Authorization": header})
    assert_error(response, 401, "token-invalid")  # … but a bad token is not anonymous
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_of_a_deactivated_user_is_refused(draft: Filing, people: dict[str, User]) -> None:
    key = make_token(people["filer"])
    User.objects.filter(pk=people["filer"].pk).update(is_active=False)
    assert_error(Client().get("/api/tables", headers=bearer(key)), 401, "token-invalid")
    assert_error(_post_file(Client(), "seed.txt", SEED.read_bytes(), **bearer(key)), 401, "token-invalid")


def test_the_status_filter_accepts_every_status(people: dict[str, User]) -> None:
    client = Client()
    for status in Status.values:
        assert client.get("/api/tables", {"status": status}).status_code == 200
