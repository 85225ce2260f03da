"""Issue 9, item 5: the headers of every answer, no inline script anywhere, and the small holes
(a foreign Host, the API's bounds, broken multipart and wrong methods answered in its JSON shape)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from jixiao_web import services
from jixiao_web.audit import Actor
from jixiao_web.middleware import CONTENT_SECURITY_POLICY, EXPORT_POLICY
from jixiao_web.models import Filing, User

from .conftest import rolled_back
from .test_access_matrix import MATRIX, ROLES, STATES, World, _args, world  # noqa: F401

#: A <script> element that is not a file (``src``) nor data (``json_script``: type application/json).
_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>", re.IGNORECASE)
#: An event-handler attribute inside a tag: onclick=, onchange= …
_HANDLER = re.compile(r"<[a-z][^>]*\s(on[a-z]+)\s*=", re.IGNORECASE)


def inline_scripts(html: str) -> list[str]:
    """The inline scripts and event-handler attributes in ``html``."""
    found = [
        match.group(0)
        for match in _SCRIPT.finditer(html)
        if "src=" not in match.group("attrs") and "application/json" not in match.group("attrs")
    ]
    return found + [match.group(1) for match in _HANDLER.finditer(html)]


def test_the_inline_script_finder_finds_them() -> None:
    page = '<p><script>alert(1)</script><select onchange="x()"></select><script src="/a.js"></script>'
    assert inline_scripts(page) == ["<script>", "onchange"]
    assert inline_scripts('<script id="d" type="application/json">{}</script>') == []


def test_every_page_as_every_role_has_the_policy_and_no_inline_script(world: World) -> None:  # noqa: F811
    problems: list[str] = []
    fetched = 0
    for name, cases in MATRIX.items():
        for case in cases:
            if case.method != "GET":
                continue
            for role in ROLES:
                states: list[str | None] = list(STATES) if case.args not in ("none", "token") else [None]
                for state in states:
                    with rolled_back():
                        url = reverse(name, args=_args(case, world, state))
                        response = world.client(role).get(url)
                    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                        continue
                    fetched += 1
                    where = f"{url} as {role}"
                    html = b"".join(response).decode() if response.streaming else response.content.decode()
                    if inline_scripts(html):
                        problems.append(f"{where}: {inline_scripts(html)}")
                    if "script-src 'self';" not in response["Content-Security-Policy"]:
                        problems.append(f"{where}: scripts may run inline")
                    if "Permissions-Policy" not in response:
                        problems.append(f"{where}: no Permissions-Policy")
                    cache = response.get("Cache-Control", "")
                    if role != "anon" and "no-store" not in cache:
                        problems.append(f"{where}: Cache-Control {cache!r}")
    assert fetched > 30
    assert problems == []


def test_the_policy_runs_scripts_from_files_only() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"  # no <style> element; attributes only (column widths)
    assert [d for d, value in directives.items() if "unsafe" in value] == ["style-src-attr"]
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.django_db
def test_signed_in_answers_are_not_stored_and_public_ones_have_the_policy(people: dict[str, User]) -> None:
    client = Client()
    public = client.get(reverse("public-index"))
    assert public.status_code == 200
    assert public["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "camera=()" in public["Permissions-Policy"]
    client.force_login(people["filer"])
    for url in (reverse("home"), reverse("public-index"), reverse("api:list_tables")):
        assert "no-store" in client.get(url)["Cache-Control"], url


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/public/", "/accounts/login/", "/admin/", "/"])
def test_a_foreign_host_is_400_in_chinese(path: str) -> None:
    response = Client(raise_request_exception=False).get(path, HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "请求有误" in response.content.decode()


@pytest.mark.django_db
def test_a_foreign_host_at_the_api_is_400_in_its_shape() -> None:
    response = Client(raise_request_exception=False).get("/api/tables", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json()["code"] == "host-invalid"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["offset=99999999999999999999999", "offset=1000001", "limit=100000", "year=99999999999999999999"]
)
def test_api_paging_is_bounded(query: str) -> None:
    response = Client(raise_request_exception=False).get(f"/api/tables?{query}")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid-request"


@pytest.mark.django_db
def test_api_wrong_method_answers_in_the_json_shape() -> None:
    response = Client().delete("/api/tables")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    body = response.json()
    assert body["code"] == "method-not-allowed"
    assert "DELETE" in body["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\x7f\x7f"],
)
def test_api_broken_multipart_answers_in_the_json_shape(people: dict[str, User], content_type: str) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(people["filer"])
    response = client.post("/api/validate", data=b"--x\r\nbroken", content_type=content_type)
    assert response.status_code == 400
    assert response.json()["code"] == "request-invalid"


@pytest.mark.django_db
def test_a_page_refuses_broken_multipart_in_chinese(people: dict[str, User]) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(people["filer"])
    response = client.post(
        reverse("filing-upload"), data=b"--x\r\nbroken", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "格式有误" in response.content.decode()


def test_open_data_csv_writes_the_equals_comparator_as_it_is() -> None:
    import csv
    import io

    from jixiao_web.exports import _csv

    text = _csv(
        ("comparator", "value"), [{"comparator": "=", "value": "=1+1"}, {"comparator": "≥", "value": "90"}]
    )
    rows = list(csv.DictReader(io.StringIO(text.decode("utf-8-sig"))))
    assert [(row["comparator"], row["value"]) for row in rows] == [("=", "'=1+1"), ("≥", "90")]


@pytest.mark.django_db
def test_a_form_beyond_the_memory_limit_is_413_in_chinese(people: dict[str, User]) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(people["filer"])
    response = client.post(reverse("filing-upload"), {"overall_goal": "目" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "上限" in response.content.decode()


@pytest.mark.django_db
def test_the_admin_and_api_docs_pages_have_no_inline_script(people: dict[str, User]) -> None:
    client = Client()
    client.force_login(people["admin"])
    pages = [
        "/admin/",
        "/admin/jixiao_web/user/",
        "/admin/jixiao_web/user/add/",
        f"/admin/jixiao_web/user/{people['filer'].pk}/change/",
        "/admin/jixiao_web/department/add/",
        "/api/docs",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert inline_scripts(response.content.decode()) == [], url
        assert "script-src 'self';" in response["Content-Security-Policy"], url


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/tables/99999999999999999999", "/api/tables/99999999999999999999/versions"]
)
def test_api_ids_beyond_any_integer_are_not_found(path: str) -> None:
    response = Client(raise_request_exception=False).get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not-found"


def test_an_exported_html_table_is_shown_under_a_policy_without_scripts(
    draft: Filing, actor: Callable[[str], Actor], no_renderings: None
) -> None:
    services.submit(actor("filer"), draft)
    services.approve(actor("reviewer"), draft, "优")
    services.publish(actor("reviewer"), draft)
    draft.refresh_from_db()
    url = reverse("public-download", args=[draft.year, draft.department.code, "html"])
    response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == EXPORT_POLICY
    assert "script-src" not in EXPORT_POLICY  # default-src 'none': no script of any kind
    assert "<style>" in b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
