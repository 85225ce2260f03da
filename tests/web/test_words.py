"""What people read: no finding codes or English on the pages, download names, the site's icon."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.test import Client
from django.urls import reverse

from jixiao_web import services
from jixiao_web.audit import Actor
from jixiao_web.exports import FORMATS, INLINE
from jixiao_web.models import Department, Filing, User

from .conftest import YEAR


@pytest.fixture
def published(draft: Filing, actor: Callable[[str], Actor]) -> Filing:
    services.submit(actor("filer"), draft)
    draft.refresh_from_db()
    services.approve(actor("reviewer"), draft, "优")
    draft.refresh_from_db()
    services.publish(actor("reviewer"), draft)
    draft.refresh_from_db()
    return draft


def names_in(header: str) -> tuple[str, str, str]:
    """(inline/attachment, the ASCII ``filename``, the decoded UTF-8 ``filename*``) of a header."""
    match = re.fullmatch(r"(inline|attachment); filename=\"([ -~]+)\"; filename\*=UTF-8''([!-~]+)", header)
    assert match is not None, header
    kind, plain, encoded = match.groups()
    return kind, plain, unquote(encoded, errors="strict")


# ---------------------------------------------------------------------------------------------
# Download names


def test_every_download_has_a_readable_name_and_an_ascii_fallback(published: Filing) -> None:
    client = Client()
    for fmt in FORMATS:
        for url in (
            reverse("public-download", args=[YEAR, "yingji", fmt]),
            f"/api/tables/{published.pk}/exports/{fmt}",
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert names_in(response["Content-Disposition"]) == (
                "inline" if fmt in INLINE else "attachment",
                f"{YEAR}-yingji-v1.{fmt}",
                f"揭阳市应急管理局-{YEAR}年度部门整体预算绩效目标表-第1版.{fmt}",
            )


def test_open_data_has_a_readable_name(published: Filing) -> None:
    response = Client().get(reverse("public-open-data", args=[YEAR]))
    assert response.status_code == 200
    assert names_in(response["Content-Disposition"]) == (
        "attachment",
        f"jixiao-{YEAR}-open-data.zip",
        f"揭阳市-{YEAR}年度部门整体预算绩效目标表-开放数据.zip",
    )


def test_a_name_no_file_system_takes_is_made_safe() -> None:
    from jixiao_web.disposition import header

    kind, plain, name = names_in(header('a/b:"c"\n.xlsx', 'x"y\\z.xlsx', attachment=True))
    assert (kind, plain, name) == ("attachment", "x_y_z.xlsx", "a_b__c__.xlsx")


# ---------------------------------------------------------------------------------------------
# The icon


def test_favicon_is_an_icon() -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # the ICO header: reserved 0, type 1 (icon)
    assert int.from_bytes(response.content[4:6], "little") >= 2  # 16 and 32 pixels at least


def test_pages_link_the_icon(city: object) -> None:
    content = Client().get(reverse("login")).content.decode()
    assert re.search(r'<link rel="icon" href="/static/jixiao_web/favicon\.ico">', content)


# ---------------------------------------------------------------------------------------------
# Findings: the code only in a tooltip


def test_findings_show_the_code_only_as_a_tooltip(
    draft: Filing, people: dict[str, User], login: Callable[[User], Client]
) -> None:
    content = login(people["filer"]).get(reverse("filing-detail", args=[draft.pk])).content.decode()
    items = re.findall(
        r'<li class="(\w+)"[^>]* data-code="([^"]+)" title="代码：([^"]+)">(.*?)</li>', content
    )
    codes = {code for _, code, _, _ in items}
    assert {"budget-overview-incomplete", "satisfaction-indicator-missing"} <= codes
    for _, code, tooltip, text in items:
        assert tooltip == code
        assert code not in text
        assert "<code>" not in text


# ---------------------------------------------------------------------------------------------
# Every page, as every role, in the demo city: no English, no finding codes


#: Latin words a page may show: names of file formats and of the programming interface, and the
#: few a table's own text holds (DR: the X-ray machine in 卫生健康局's table).
ALLOWED_WORDS = frozenset(
    {"API", "Excel", "PDF", "Word", "JSON", "CSV", "DR", "D"}
    # The evidence a report may carry: PDF、PNG/JPEG、Word、Excel、PowerPoint, 10 MB each.
    | {"PNG", "JPEG", "PowerPoint", "MB"}
)
#: On the token page a programmer is told the header to send.
TOKEN_PAGE_WORDS = frozenset({"Authorization", "Bearer"})
_HIDDEN_RE = re.compile(r"<(script|style|template|code|pre)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
_TAG_RE = re.compile(r"<[^>]*>")
_SHOWN_ATTRIBUTE_RE = re.compile(r'\s(?:placeholder|aria-label|alt)="([^"]*)"')
_SUBMIT_RE = re.compile(r'<input type="submit" value="([^"]*)"')
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
#: Not words: file name extensions (下载 Excel（.xlsx）), digests (a hash in the audit log), data
#: set apart in ``<bdi>`` (the admin's password summary).
_NOT_WORDS_RE = re.compile(r"\.[a-z]{2,4}\b|\b(?=[0-9a-f]*[0-9])[0-9a-f]{6,}\b|<bdi>.*?</bdi>")


def shown_text(html: str) -> str:
    """What a person reads on a page: the text between tags, and the attributes shown or spoken
    (not ``title`` tooltips, not hidden inputs' values, not scripts or JSON for scripts)."""
    html = re.sub(r'<input type="hidden"[^>]*>', "", html)
    html = re.sub(r"<select\b.*?</select>", lambda m: _TAG_RE.sub(" ", m.group(0)), html, flags=re.DOTALL)
    html = _NOT_WORDS_RE.sub(" ", _HIDDEN_RE.sub(" ", html))
    shown = " ".join(_SHOWN_ATTRIBUTE_RE.findall(html) + _SUBMIT_RE.findall(html))
    return unescape(_TAG_RE.sub(" ", html) + " " + shown)


def english_on(html: str, allowed: frozenset[str] = ALLOWED_WORDS) -> set[str]:
    return {word for word in _WORD_RE.findall(shown_text(html)) if word not in allowed}


def test_shown_text_finds_english_and_codes() -> None:
    page = (
        '<p title="代码：x">金额 <b>Save</b></p><input type="hidden" value="draft"><input placeholder="Name">'
    )
    assert english_on(page) == {"Save", "Name"}
    assert english_on('<li title="代码：goal-too-short">少于50字</li><script>var a = 1;</script>') == set()


@pytest.fixture
def demo_city(db: None, tmp_path: Path) -> None:
    from jixiao_web import demo

    assert demo.load(tmp_path)


def _pages_of(user: User | None) -> list[str]:
    """The addresses ``user`` reaches by following the site's own links and forms (one level of
    filings), plus the admin's lists and forms for the administrator."""
    filings = list(Filing.objects.select_related("department"))
    if user is None:
        published = [f for f in filings if f.status == "published"]
        return [
            "/",
            "/public/",
            "/accounts/login/",
            "/public/2030/nowhere/",
            *(reverse("public-table", args=[f.year, f.department.code]) for f in published),
        ]
    from jixiao_web.access import Action, allowed

    pages = ["/", "/accounts/tokens/", "/public/"]
    for filing in filings:
        if filing.kind != "target":
            # A self-evaluation's or monitoring report's own pages (its review is its page).
            if allowed(user, Action.VIEW, filing):
                pages.append(reverse(f"{filing.kind}-detail", args=[filing.pk]))
            if allowed(user, Action.EDIT, filing):
                pages.append(reverse(f"{filing.kind}-edit", args=[filing.pk]))
                pages.append(reverse(f"{filing.kind}-upload", args=[filing.pk]))
            continue
        if allowed(user, Action.VIEW, filing):
            pages.append(reverse("filing-detail", args=[filing.pk]))
            pages.append(reverse("review", args=[filing.pk]))
        if allowed(user, Action.EDIT, filing):
            pages.append(reverse("filing-edit", args=[filing.pk]))
    if user.role == "filer":
        pages.append(reverse("filing-upload"))
    if user.role in ("reviewer", "admin"):
        pages.append(reverse("queue"))
        # The rounds (with the profile variants to choose from) and the warnings overview.
        pages += ["/review/selfeval/?year=2024", "/review/monitoring/?year=2024"]
        pages.append("/review/monitoring/warnings/?year=2024")
    if user.role == "admin":
        pages.append("/admin/")
        for model in ("city", "department", "filingyear", "user", "filing", "auditentry"):
            pages.append(f"/admin/jixiao_web/{model}/")
        for model in ("department", "filingyear", "user"):
            pages.append(f"/admin/jixiao_web/{model}/add/")
        from jixiao_web.models import AuditEntry, City, Department, FilingYear

        pages += [
            f"/admin/jixiao_web/user/{user.pk}/change/",
            f"/admin/jixiao_web/user/{user.pk}/password/",
            f"/admin/jixiao_web/department/{Department.objects.first().pk}/change/",  # type: ignore[union-attr]
            f"/admin/jixiao_web/filingyear/{FilingYear.objects.first().pk}/change/",  # type: ignore[union-attr]
            f"/admin/jixiao_web/city/{City.current().pk}/change/",
            f"/admin/jixiao_web/auditentry/{AuditEntry.objects.filter(filing__isnull=False).last().pk}/change/",  # type: ignore[union-attr]
            *(f"/admin/jixiao_web/filing/{f.pk}/change/" for f in filings if allowed(user, Action.VIEW, f)),
        ]
    return pages


#: Someone of every role (and nobody), picked so that tables in every state are seen.
WALKERS = (
    None,
    "yingji_tianbao",
    "jiaoyu_tianbao",
    "jiaotong_tianbao",
    "shuiwu_fuze",
    # Monitoring reports red and submitted, returned, late (and their self-evaluations).
    "nongye_tianbao",
    "ziran_fuze",
    "wenlv_tianbao",
    "shenhe1",
    "admin",
)


def test_no_page_shows_english_or_finding_codes(demo_city: None) -> None:
    from jixiao.catalogue import CATALOGUE

    # What people typed is theirs to spell: account names, department codes (in addresses), the
    # password hasher's name the admin shows beside a password.
    data = ALLOWED_WORDS | set(User.objects.values_list("username", flat=True))
    data |= set(Department.objects.values_list("code", flat=True)) | {"md5", "pbkdf2_sha256"}
    found: dict[str, set[str]] = {}
    walked = 0
    for username in WALKERS:
        client = Client()
        user = None
        if username is not None:
            user = User.objects.get(username=username)
            client.force_login(user)
        for url in _pages_of(user):
            response = client.get(url)
            assert response.status_code in (200, 302, 404), url
            if response.status_code == 302:  # the page it leads to is walked too
                continue
            walked += 1
            html = response.content.decode()
            allowed = data | (TOKEN_PAGE_WORDS if url == "/accounts/tokens/" else frozenset())
            words = english_on(html, allowed)
            codes = {code for code in CATALOGUE if code in shown_text(html)}
            if words or codes:
                found[f"{username} {url}"] = words | codes
    assert walked > 60
    assert found == {}, "\n".join(f"{where}: {sorted(words)}" for where, words in found.items())


# ---------------------------------------------------------------------------------------------
# The admin: a person is made with a department and a role on the first page


def test_admin_makes_a_person_with_name_department_and_role(
    people: dict[str, User], department: Department, login: Callable[[User], Client]
) -> None:
    from jixiao_web.models import AuditEntry, Role

    client = login(people["admin"])
    form = client.get("/admin/jixiao_web/user/add/").content.decode()
    for field in ("username", "full_name", "department", "role", "password1", "password2"):
        assert f'name="{field}"' in form
    assert 'name="usable_password"' not in form
    # Name, department and role are required: a person belongs somewhere, with one role.
    refused = client.post(
        "/admin/jixiao_web/user/add/", {"username": "x", "password1": "p", "password2": "p"}
    )
    assert refused.status_code == 200
    assert set(refused.context["adminform"].form.errors) >= {"full_name", "department", "role"}
    for label in ("姓名", "所属部门", "角色"):
        assert f">{label}" in form
    password = "a-long-Password-2024"
    response = client.post(
        "/admin/jixiao_web/user/add/",
        {
            "username": "chen_xiaomin",
            "full_name": "陈晓敏",
            "department": str(department.pk),
            "role": Role.HEAD,
            "password1": password,
            "password2": password,
        },
    )
    assert response.status_code == 302
    made = User.objects.get(username="chen_xiaomin")
    assert (made.full_name, made.department, made.role, made.is_staff) == (
        "陈晓敏",
        department,
        Role.HEAD,
        False,
    )
    assert made.check_password(password)
    entry = AuditEntry.objects.filter(action="admin_add").latest("seq")
    assert entry.after is not None
    assert (entry.after["full_name"], entry.after["department"], entry.after["role"]) == (
        "陈晓敏",
        department.name,
        Role.HEAD,
    )

    # The 管理员 role, and only it, opens the admin site.
    response = client.post(
        f"/admin/jixiao_web/user/{made.pk}/change/",
        {
            "username": "chen_xiaomin",
            "full_name": "陈晓敏",
            "department": str(department.pk),
            "role": Role.ADMIN,
            "email": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    made.refresh_from_db()
    assert (made.role, made.is_staff, made.is_superuser) == (Role.ADMIN, True, True)


def test_admin_sets_a_password_without_the_choice_of_none(
    people: dict[str, User], login: Callable[[User], Client]
) -> None:
    client = login(people["admin"])
    url = f"/admin/jixiao_web/user/{people['filer'].pk}/password/"
    assert 'name="usable_password"' not in client.get(url).content.decode()
    refused = client.post(url, {"password1": "", "password2": ""})
    assert refused.status_code == 200  # both are required
    password = "another-long-Password-9"
    assert client.post(url, {"password1": password, "password2": password}).status_code == 302
    people["filer"].refresh_from_db()
    assert people["filer"].check_password(password)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("表.xlsx", b"PK\x03\x04 not really a zip"),
        ("表.docx", b"PK\x05\x06" + bytes(18)),
        ("表.json", b'{"title": "x", "budget": {"basic_expenditure": "1e999999999"}}'),
        ("表.txt", "部门名称\t揭阳市".encode("utf-16-le")[2:] + b"\xff\xfe\x00"),
    ],
)
def test_a_file_that_cannot_be_read_is_explained_in_chinese(
    people: dict[str, User], login: Callable[[User], Client], name: str, content: bytes
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(people["filer"])
    response = client.post(
        reverse("filing-upload"), {"year": str(YEAR), "file": SimpleUploadedFile(name, content)}
    )
    html = response.content.decode()
    assert 'class="error"' in html or 'class="findings"' in html
    assert english_on(html, ALLOWED_WORDS | {"filer", "XLSX", "DOCX", "OLE", "UTF-8", "GB18030"}) == set()
