"""The indicator library (指标库): built only from what the finance bureau approved, updated on
approval and publication, ranked suggestions for whoever files, the bureau's page and audited marks."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from jixiao.model import Indicator, TargetTable
from jixiao_web import library, services
from jixiao_web.audit import Actor, verify
from jixiao_web.models import (
    AuditEntry,
    Department,
    Filing,
    LibraryEntry,
    LibraryUse,
    Role,
    Status,
    User,
)
from jixiao_web.services import ReviewComment

from .conftest import PASSWORD, YEAR

pytestmark = pytest.mark.django_db

SATISFACTION = ("满意度指标", "服务对象满意度指标")


@pytest.fixture(autouse=True)
def _fresh_index() -> None:
    """Each test's database is another library: no index kept from an earlier test."""
    library.forget()


def _row(
    name: str,
    value: str = "95",
    unit: str = "%",
    comparator: str = "≥",
    level: tuple[str, str] = SATISFACTION,
) -> Indicator:
    return Indicator(
        level1=level[0], level2=level[1], name=name, comparator=comparator, value=value, unit=unit
    )


@pytest.fixture
def walk(
    seed_table: TargetTable,
    people: dict[str, User],
    actor: Callable[[str], Actor],
    no_renderings: None,
) -> Callable[..., Filing]:
    """A filing of a new department holding the seed's indicators and ``extra``, taken to ``state``."""
    made = [0]

    def make(state: str, *extra: Indicator, department: Department | None = None) -> Filing:
        made[0] += 1
        if department is None:
            department = Department.objects.create(code=f"d{made[0]}", name=f"揭阳市测试局{made[0]}")
        filer = User.objects.create_user(
            f"filer{made[0]}", password=PASSWORD, role=Role.FILER, department=department
        )
        table = seed_table.model_copy(deep=True)
        table.department.name = department.name
        table.indicators.extend(extra)
        filing = services.start_filing(Actor(filer), department, YEAR, table)
        if state == "draft":
            return filing
        services.submit(Actor(filer), filing)
        if state == "submitted":
            return filing
        if state == "returned":
            services.return_filing(actor("reviewer"), filing, [ReviewComment("indicators", 1, "请改")], "中")
            return filing
        services.approve(actor("reviewer"), filing, "优")
        if state == "published":
            services.publish(actor("reviewer"), filing)
        return filing

    return make


def _entry(name: str) -> LibraryEntry:
    return LibraryEntry.objects.get(name=name)


def _names() -> set[str]:
    return set(LibraryEntry.objects.values_list("name", flat=True))


def test_only_approved_and_published_versions_are_counted(walk: Callable[..., Filing]) -> None:
    walk("draft", _row("草稿里的指标"))
    walk("submitted", _row("待审的指标"))
    returned = walk("returned", _row("退回的指标"))
    walk("approved", _row("参训人员满意度", "90"))
    walk("published", _row("参训人员满意度", "96"), _row("群众 满意度 ≥ 95%", "95"))
    names = _names()
    assert {"参训人员满意度", "群众满意度", "应急处置到达时间"} <= names
    assert not names & {"草稿里的指标", "待审的指标", "退回的指标"}
    # The returned filing is edited and its working copy holds a new row: still not counted.
    table = TargetTable.model_validate(returned.data)
    table.indicators.append(_row("工作稿里的指标"))
    returned.refresh_from_db()
    services.save_draft(Actor(User.objects.get(username="filer3")), returned, table, returned.revision)
    services.rebuild_library(Actor(None))
    assert not _names() & {"草稿里的指标", "待审的指标", "退回的指标", "工作稿里的指标"}
    assert set(LibraryUse.objects.values_list("filing__status", flat=True)) == {
        Status.APPROVED,
        Status.PUBLISHED,
    }


def test_entries_sum_up_the_uses(walk: Callable[..., Filing]) -> None:
    walk("approved", _row("参训人员满意度", "90"))
    walk("published", _row("参训人员满意度", "96"))
    walk("approved", _row("参训人员满意度", "80", unit="分"), _row("参训人员满意度", "100"))
    entry = _entry("参训人员满意度")
    assert (entry.usage, entry.department_count) == (4, 3)
    assert entry.units == {"%": 3, "分": 1}
    assert entry.comparators == {"≥": 4}
    assert entry.ranges["%"] == {"count": 3, "low": "90", "median": "96", "high": "100"}
    assert (entry.unit, entry.comparator, entry.value, entry.value_is_suggestion) == ("%", "≥", "96", False)
    assert entry.departments[0] == "揭阳市测试局3"  # the department that uses it most
    assert (entry.first_year, entry.last_year) == (YEAR, YEAR)
    # The seed's own rows, used by all three departments.
    seed_row = _entry("编制应急预案率")
    assert (seed_row.usage, seed_row.comparator, seed_row.value, seed_row.unit) == (3, "=", "100", "%")


def test_incremental_updates_give_what_a_rebuild_gives(walk: Callable[..., Filing]) -> None:
    walk("approved", _row("参训人员满意度", "90"))
    walk("published", _row("参训人员满意度", "96"), _row("群众满意度", "93"))
    walk("published", _row("政策知晓率", "85", level=("效益指标", "社会效益指标")))

    def state() -> list[tuple[Any, ...]]:
        return sorted(
            LibraryEntry.objects.values_list(
                "level1",
                "level2",
                "key",
                "name",
                "usage",
                "department_count",
                "units",
                "ranges",
                "value",
                "common",
            )
        )

    incremental = state()
    counts = services.rebuild_library(Actor(None))
    assert state() == incremental
    assert counts["filings"] == 3
    assert counts["uses"] == LibraryUse.objects.count() == 3 * 5 + 4


def test_common_indicators_carry_a_labelled_suggestion_until_the_city_uses_them(
    walk: Callable[..., Filing],
) -> None:
    services.rebuild_library(Actor(None))
    common = LibraryEntry.objects.get(level2="服务对象满意度指标", key="服务对象满意度")
    assert (common.common, common.usage, common.value, common.value_is_suggestion) == (True, 0, "90", True)
    walk("approved", _row("服务对象满意度", "98"))
    common.refresh_from_db()
    assert (common.common, common.usage, common.value, common.value_is_suggestion) == (True, 1, "98", False)


def test_marks_are_audited_kept_on_rebuild_and_only_the_bureau_marks(
    walk: Callable[..., Filing], actor: Callable[[str], Actor]
) -> None:
    walk("approved", _row("资金到位率", "100", level=("产出指标", "数量指标")))
    entry = _entry("资金到位率")
    with pytest.raises(services.Forbidden):
        services.mark_library_entry(actor("filer"), entry, "discouraged", "")
    before = AuditEntry.objects.count()
    services.mark_library_entry(actor("reviewer"), entry, "discouraged", "资金到位是投入，不宜作为产出指标")
    last = AuditEntry.objects.order_by("-seq").first()
    assert last is not None
    assert AuditEntry.objects.count() == before + 1
    assert (last.action, last.actor_id) == ("library_mark", actor("reviewer").user.pk)  # type: ignore[union-attr]
    assert last.before == {"标记": "未标记", "说明": ""}
    assert last.after == {"标记": "不建议", "说明": "资金到位是投入，不宜作为产出指标"}
    # The same mark again changes nothing and records nothing.
    services.mark_library_entry(actor("reviewer"), entry, "discouraged", "资金到位是投入，不宜作为产出指标")
    assert AuditEntry.objects.count() == before + 1
    with pytest.raises(services.ServiceError):
        services.mark_library_entry(actor("reviewer"), entry, "best", "")
    services.rebuild_library(Actor(None))
    entry = _entry("资金到位率")
    assert (entry.mark, entry.note, entry.usage) == ("discouraged", "资金到位是投入，不宜作为产出指标", 1)
    assert verify() == []


def _suggest(client: Client, **query: str) -> list[dict[str, Any]]:
    response = client.get(reverse("library-suggest"), query)
    assert response.status_code == 200, response.content
    return list(response.json()["suggestions"])


def test_suggestions_for_a_department_come_from_approved_tables_only(
    walk: Callable[..., Filing],
    people: dict[str, User],
    login: Callable[[User], Client],
    actor: Callable[[str], Actor],
) -> None:
    walk("approved", _row("参训人员满意度", "90"))
    walk("published", _row("参训人员满意度", "96"), _row("参训学员满意率", "92"))
    walk("submitted", _row("参训人员满意程度问卷"))
    walk("draft", _row("参训人员满意度测评"))
    services.mark_library_entry(
        actor("reviewer"), _entry("参训学员满意率"), "discouraged", "请用参训人员满意度"
    )
    found = _suggest(login(people["filer"]), q="参训", level1="满意度指标", level2="服务对象满意度指标")
    names = [s["name"] for s in found]
    assert names[0] == "参训人员满意度"
    assert "参训学员满意率" in names
    assert not {"参训人员满意程度问卷", "参训人员满意度测评"} & set(names)
    first = found[0]
    assert {
        k: first[k] for k in ("unit", "comparator", "value", "value_label", "department_count", "usage")
    } == {
        "unit": "%",
        "comparator": "≥",
        "value": "93",
        "value_label": "常用值",
        "department_count": 2,
        "usage": 2,
    }
    discouraged = next(s for s in found if s["name"] == "参训学员满意率")
    assert (discouraged["mark"], discouraged["mark_label"], discouraged["note"]) == (
        "discouraged",
        "不建议",
        "请用参训人员满意度",
    )
    assert names.index("参训学员满意率") == len(names) - 1 or found[-1]["mark"] == "discouraged"
    # Nothing typed yet: the row's 二级, common ones with a labelled suggestion among them.
    empty = _suggest(login(people["other_filer"]), q="", level2="服务对象满意度指标")
    assert empty
    assert all(s["level2"] == "服务对象满意度指标" for s in empty)
    assert any(s["name"] == "服务对象满意度" and s["value_label"] == "建议值" for s in empty)


def test_who_may_ask_for_suggestions_and_see_the_page(
    people: dict[str, User], login: Callable[[User], Client]
) -> None:
    anonymous = Client().get(reverse("library-suggest"), {"q": "满意"})
    assert anonymous.status_code == 302
    assert reverse("login") in anonymous["Location"]
    for role in ("filer", "head", "other_filer", "reviewer", "admin"):
        assert login(people[role]).get(reverse("library-suggest"), {"q": "满意"}).status_code == 200, role
    nobody = User.objects.create_user("nodept", password=PASSWORD, role=Role.FILER)
    assert login(nobody).get(reverse("library-suggest"), {"q": "满意"}).status_code == 403
    for role in ("filer", "head", "other_filer"):
        assert login(people[role]).get(reverse("library")).status_code == 404, role
    for role in ("reviewer", "admin"):
        assert login(people[role]).get(reverse("library")).status_code == 200, role


def test_the_bureaus_page_searches_filters_and_marks(
    walk: Callable[..., Filing], people: dict[str, User], login: Callable[[User], Client]
) -> None:
    walk("approved", _row("资金到位率", "100", level=("产出指标", "数量指标")))
    walk("published", _row("资金到位率", "90", level=("产出指标", "数量指标")), _row("参训人员满意度", "92"))
    client = login(people["reviewer"])
    page = client.get(reverse("library"), {"q": "到位"}).content.decode()
    assert "资金到位率" in page
    assert "参训人员满意度" not in page
    assert "90～100，中位数 95%（2 次）" in page
    assert "揭阳市测试局1" in page
    assert "揭阳市测试局2" in page
    page = client.get(reverse("library"), {"level1": "满意度指标"}).content.decode()
    assert "参训人员满意度" in page
    assert "资金到位率" not in page
    assert "建议值 ≥90%" in page  # a common indicator nobody used: its value is labelled a suggestion
    entry = _entry("资金到位率")
    response = client.post(
        reverse("library-mark", args=[entry.pk]),
        {"mark": "discouraged", "note": "投入不是产出", "back": "/library/?q=到位"},
    )
    assert response.status_code == 302
    assert unquote(response["Location"]) == "/library/?q=到位"
    entry.refresh_from_db()
    assert (entry.mark, entry.note, entry.marked_by) == ("discouraged", "投入不是产出", people["reviewer"])
    assert "不建议" in client.get(reverse("library"), {"mark": "discouraged"}).content.decode()
    # Somewhere else to go back to is refused: back to the library.
    response = client.post(
        reverse("library-mark", args=[entry.pk]), {"mark": "", "back": "https://evil.example/"}
    )
    assert response["Location"] == reverse("library")
    assert (
        login(people["filer"]).post(reverse("library-mark", args=[entry.pk]), {"mark": ""}).status_code == 404
    )
    entry.refresh_from_db()
    assert entry.mark == ""


def test_the_index_of_a_worker_follows_changes(
    walk: Callable[..., Filing], actor: Callable[[str], Actor]
) -> None:
    walk("approved", _row("参训人员满意度", "90"))
    first = library.index()
    assert library.index() is first  # unchanged: not loaded again
    walk("approved", _row("参训学员满意率", "90"))
    second = library.index()
    assert second is not first
    assert "参训学员满意率" in {item.name for item in second.items}
    services.mark_library_entry(actor("reviewer"), _entry("参训学员满意率"), "recommended", "")
    assert next(i for i in library.index().items if i.name == "参训学员满意率").mark == "recommended"


def test_rebuild_command_records_itself(walk: Callable[..., Filing]) -> None:
    walk("published", _row("参训人员满意度", "90"))
    out = io.StringIO()
    call_command("rebuild_library", stdout=out)
    assert "1 张目标表" in out.getvalue()
    last = AuditEntry.objects.order_by("-seq").first()
    assert last is not None
    assert last.action == "library_rebuild"
    assert last.actor_id is None
    assert last.after["目标表"] == 1
