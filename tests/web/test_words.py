"""What people read: no finding codes or English on the pages, download names, the site's icon."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

import pytest
from django.test import Client
from django.urls import reverse

from jixiao_web import services
from jixiao_web.audit import Actor
from jixiao_web.exports import FORMATS, INLINE
from jixiao_web.models import Filing, User

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
