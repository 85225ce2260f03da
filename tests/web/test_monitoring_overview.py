"""The finance bureau's warnings overview of a monitoring round (issue 12, item 4): every
department × (预算执行, each 一级指标) as colours with words, the red list first with causes and
measures, execution rate against time progress as an SVG chart, filters, and an XLSX export with the
same figures, all taken from the library's ``warnings`` of the version the bureau received."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from lxml import html
from openpyxl import load_workbook

from jixiao.model import TargetTable
from jixiao.model.monitoring import MonitoringReport
from jixiao.monitoring import Colour, warnings
from jixiao.profile import VARIANTS
from jixiao_web import monitoring, services
from jixiao_web.audit import Actor
from jixiao_web.models import Department, Filing, Role, Status, User

from .conftest import YEAR, _make
from .test_monitoring import on_track

CAUSE_NOTE = "上半年检查经费尚未下达，检查推迟到下半年。"
MEASURE = "经费下达后集中开展检查。"


def _red(data: dict[str, Any]) -> dict[str, Any]:
    """Row 1 far behind (red) with its cause and measure; the budget on time."""
    data["indicators"][0].update(
        to_date="0", likelihood="有可能", causes=["经费保障"], cause_note=CAUSE_NOTE, measures=MEASURE
    )
    return data


def _yellow_budget(data: dict[str, Any]) -> dict[str, Any]:
    """The money behind time progress (v = 77.14: yellow), with its reason; every row green."""
    for row in data["funds"].values():
        if isinstance(row, dict) and row["adjusted_budget"] is not None:
            row["executed"] = str(
                (Decimal(row["adjusted_budget"]) * Decimal("0.45")).quantize(Decimal("0.00001"))
            )
    data["funds"]["reason"] = "部分项目资金尚未拨付，下半年加快执行。"
    return data


def _blue(data: dict[str, Any]) -> dict[str, Any]:
    """Row 1 (≥ 4 个, pro-rated) far ahead: 4 by July is v = 171.43 → blue."""
    data["indicators"][0].update(to_date="4", stock=False)
    return data


@dataclass
class City:
    reviewer: User
    filings: dict[str, Filing]


@pytest.fixture
def city(
    people: dict[str, User],
    department: Department,
    other_department: Department,
    seed_table: TargetTable,
    actor: Callable[[str], Actor],
) -> City:
    """Five departments: 应急管理局 red (accepted), 教育局 green (submitted), 自然资源局 yellow
    budget (returned), 文化局 blue (submitted), 民政局 a draft the bureau never received."""
    seed_table.budget.basic_expenditure = Decimal("1200.5")
    departments = {"yingji": department, "jiaoyu": other_department}
    filers = {"yingji": people["filer"], "jiaoyu": people["other_filer"]}
    for code, name in (
        ("ziran", "揭阳市自然资源局"),
        ("wenhua", "揭阳市文化局"),
        ("minzheng", "揭阳市民政局"),
    ):
        departments[code] = Department.objects.create(code=code, name=name)
        filers[code] = _make(f"{code}_filer", Role.FILER, departments[code])
    for code, dept in departments.items():
        table = seed_table.model_copy(deep=True)
        table.department.name = dept.name
        filing = services.start_filing(Actor(filers[code], "192.0.2.1"), dept, YEAR, table)
        services.submit(Actor(filers[code], "192.0.2.1"), filing)
        services.approve(actor("reviewer"), filing, "优")
    deadline = timezone.now() + timedelta(days=20)
    made = {
        f.department.code: f
        for f in monitoring.open_round(actor("reviewer"), YEAR, 7, VARIANTS["默认"], deadline).made
    }
    fill = {"yingji": _red, "jiaoyu": lambda d: d, "ziran": _yellow_budget, "wenhua": _blue, "minzheng": _red}
    for code, filing in made.items():
        by = Actor(filers[code], "192.0.2.1")
        data = fill[code](on_track(MonitoringReport.model_validate(filing.data)))
        saved, found = monitoring.save(by, filing, monitoring.merged(filing, data), filing.revision)
        if code != "minzheng":
            assert saved.errors == 0, (
                code,
                [(f.code, f.message) for f in found.findings if f.severity == "error"],
            )
            services.submit(by, saved)
        if code == "yingji":
            services.transition(actor("reviewer"), saved, "accept")
        if code == "ziran":
            services.transition(
                actor("reviewer"), saved, "return", comments=[services.ReviewComment("funds", None, "请补充")]
            )
        saved.refresh_from_db()
        made[code] = saved
    return City(people["reviewer"], made)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(client: Client, **query: str) -> html.HtmlElement:
    response = client.get(reverse("monitoring-warnings"), {"year": str(YEAR), **query})
    assert response.status_code == 200
    return html.fromstring(response.content.decode())


def _grid(page: html.HtmlElement) -> dict[str, list[str]]:
    """Department → its cells' words (预算执行, each group, 部门预警)."""
    rows = {}
    for tr in page.xpath('//section[@id="warning-grid"]//tbody/tr[th]'):
        rows[tr.xpath("th")[0].text_content()] = [span.text_content() for span in tr.xpath("td/span[1]")]
    return rows


def test_the_grid_shows_the_librarys_warnings_with_words(city: City) -> None:
    page = _page(_client(city.reviewer))
    assert not page.xpath("//script[not(@src)]")  # CSP: no inline script
    headings = [th.text_content() for th in page.xpath('//section[@id="warning-grid"]//thead/tr/th')]
    assert headings == ["部门", "状态", "执行率", "预算执行", "产出指标", "效益指标", "部门预警", "逾期"]
    grid = _grid(page)
    profile = monitoring.profile_of(YEAR)
    received = {f.department.name: f for f in city.filings.values() if f.received_version is not None}
    assert set(grid) == {*received, "揭阳市民政局"}
    for name, filing in received.items():
        assert filing.received_version is not None
        warned = warnings(MonitoringReport.model_validate(filing.received_version.data), profile)
        expected = [
            warned.budget.alert.word,
            *(warned.groups[g].word if warned.groups[g] else "未定" for g in ("产出指标", "效益指标")),
            warned.department.word,
        ]
        assert grid[name] == expected, name
    # The draft is never looked into: no colour at all.
    assert grid["揭阳市民政局"] == ["未定"] * 4
    assert grid["揭阳市应急管理局"] == ["绿", "红", "绿", "红"]
    assert grid["揭阳市自然资源局"] == ["黄", "绿", "绿", "黄"]
    # A group takes its worst colour (the library's groups): 文化局's blue row is under green, and
    # shown beside it.
    assert grid["揭阳市文化局"] == ["绿", "绿", "绿", "绿"]
    (also,) = page.xpath('//section[@id="warning-grid"]//span[contains(@class, "also")]')
    assert also.text_content() == "含蓝1"
    assert "第1行" in also.get("title")
    assert also.xpath("ancestor::tr/th")[0].text_content() == "揭阳市文化局"
    # Each colour is a class beside its word, never alone; worst first.
    spans = page.xpath('//section[@id="warning-grid"]//tbody//span[not(contains(@class, "also"))]')
    words = {
        "warning-red": "红",
        "warning-yellow": "黄",
        "warning-green": "绿",
        "warning-blue": "蓝",
        "warning-none": "未定",
    }
    assert all(words[s.get("class")] == s.text_content() and s.get("title") for s in spans)
    assert next(iter(grid)) == "揭阳市应急管理局"


def test_the_red_list_comes_first_with_cause_and_measure(city: City) -> None:
    page = _page(_client(city.reviewer))
    sections = [s.get("id") for s in page.xpath("//section[@id]")]
    assert sections.index("red-list") < sections.index("warning-grid")
    entries = page.xpath('//section[@id="red-list"]//article')
    assert [e.xpath("h3")[0].text_content().split()[0] for e in entries] == ["揭阳市应急管理局"]
    text = entries[0].text_content()
    assert "第1行 提供安全审查、检查项目" in text
    assert f"经费保障：{CAUSE_NOTE}" in text
    assert MEASURE in text


def test_the_chart_draws_each_department_and_time_progress(city: City) -> None:
    page = _page(_client(city.reviewer))
    section = page.xpath('//section[@id="execution-chart"]')[0]
    (chart,) = section.xpath(".//*[local-name()='svg']")
    assert chart.get("aria-hidden") == "true"
    dots = chart.xpath(".//*[local-name()='circle']")
    labels = [t.text_content() for t in chart.xpath(".//*[local-name()='text'][@class='label']")]
    values = [t.text_content() for t in chart.xpath(".//*[local-name()='text'][@class='value']")]
    assert len(dots) == len(labels) == len(values) == 4  # one per received report
    assert "自然资源局" in labels
    assert not any(label.startswith("揭阳市") for label in labels)
    assert values[labels.index("自然资源局")] == "45.00%（黄）"
    assert dots[labels.index("自然资源局")].get("class") == "dot warning-yellow"
    (line,) = chart.xpath(".//*[local-name()='line'][@class='progress-line']")
    assert (
        chart.xpath(".//*[local-name()='text'][@class='line-label']")[0].text_content() == "序时进度 58.33%"
    )
    # 58.33 % of a 0–100 % scale on a 200-unit track starting at 170.
    assert Decimal(line.get("x1")) == Decimal("286.7")
    figures = {
        tr.xpath("th")[0].text_content(): tr.xpath("td")[0].text_content()
        for tr in section.xpath(".//table/tbody/tr")
    }
    assert figures["揭阳市自然资源局"] == "45.00%"
    assert figures["揭阳市教育局"] == "58.33%"


def test_filters_by_colour_and_status(city: City) -> None:
    client = _client(city.reviewer)
    # A department with a warning of the colour anywhere (the budget or a row).
    assert list(_grid(_page(client, colour="red"))) == ["揭阳市应急管理局"]
    assert list(_grid(_page(client, colour="yellow"))) == ["揭阳市自然资源局"]
    assert list(_grid(_page(client, colour="blue"))) == ["揭阳市文化局"]
    assert len(_grid(_page(client, colour="green"))) == 4
    assert list(_grid(_page(client, colour="none"))) == ["揭阳市民政局"]
    assert sorted(_grid(_page(client, status="submitted"))) == ["揭阳市教育局", "揭阳市文化局"]
    assert list(_grid(_page(client, status="returned"))) == ["揭阳市自然资源局"]
    assert list(_grid(_page(client, status="none"))) == ["揭阳市民政局"]
    assert list(_grid(_page(client, colour="red", status="accepted"))) == ["揭阳市应急管理局"]
    page = _page(client, colour="red", status="submitted")
    assert _grid(page) == {}
    assert not page.xpath('//section[@id="red-list"]//article')
    # A filter it does not know: ignored.
    assert len(_grid(_page(client, colour="purple", status="x"))) == 5


def test_the_export_has_the_same_figures(city: City) -> None:
    client = _client(city.reviewer)
    page = _page(client, status="submitted")
    (link,) = page.xpath('//a[contains(@href, "warnings.xlsx")]')
    assert "status=submitted" in link.get("href")
    response = client.get(link.get("href"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["预警汇总", "红色预警清单"]
    summary = book["预警汇总"]
    header = [c.value for c in summary[3]]
    assert header[:6] == ["部门", "状态", "所附版本", "逾期", "执行率（%）", "预算执行预警"]
    lines = {row[0].value: row for row in summary.iter_rows(min_row=4) if row[0].value}
    assert sorted(lines) == ["揭阳市教育局", "揭阳市文化局"]
    grid = _grid(page)
    for name, row in lines.items():
        words = [str(c.value).split("（")[0] for c in row[5 : 5 + len(grid[name])]]
        assert words == grid[name]
        assert row[1].value == Status.SUBMITTED.label
    assert Decimal(str(lines["揭阳市教育局"][4].value)) == Decimal("58.33")
    green = lines["揭阳市文化局"][header.index("产出指标预警")]
    assert (green.value, green.fill.fgColor.rgb[-6:]) == ("绿（含蓝1）", "D1E7DD")
    # Unfiltered: the red list sheet has the red row, its cause and measure.
    book = load_workbook(
        io.BytesIO(client.get(reverse("monitoring-warnings-export"), {"year": str(YEAR)}).content)
    )
    reds = [[c.value for c in row] for row in book["红色预警清单"].iter_rows(min_row=2)]
    assert [(r[0], r[1], r[3], r[4]) for r in reds] == [
        ("揭阳市应急管理局", "第1行 提供安全审查、检查项目", f"经费保障：{CAUSE_NOTE}", MEASURE)
    ]


def test_warnings_are_computed_once_per_version(city: City, django_assert_max_num_queries: Any) -> None:
    monitoring.forget_warnings()
    client = _client(city.reviewer)
    _page(client)
    assert len(monitoring._WARNED) == 4  # one per received version
    cached = dict(monitoring._WARNED)
    _page(client)
    assert all(monitoring._WARNED[key] is value for key, value in cached.items())
    # A different profile is another key: never a stale colour.
    monitoring.open_round(
        Actor(city.reviewer, "192.0.2.1"), YEAR, 7, VARIANTS["101号"], timezone.now() + timedelta(days=5)
    )
    _page(client)
    assert len(monitoring._WARNED) == 8
    # The page's queries do not grow with the departments (nothing per row).
    with django_assert_max_num_queries(12):
        _page(client)


def test_only_the_bureau_and_no_round_is_a_message(city: City, people: dict[str, User]) -> None:
    for role in ("filer", "head", "other_filer"):
        assert _client(people[role]).get(reverse("monitoring-warnings")).status_code == 404
        assert _client(people[role]).get(reverse("monitoring-warnings-export")).status_code == 404
    assert Client().get(reverse("monitoring-warnings")).status_code == 302
    page = _client(city.reviewer).get(reverse("monitoring-warnings"), {"year": "1999"})
    assert page.status_code == 200
    assert "尚未开启" in page.content.decode()
    assert (
        _client(city.reviewer).get(reverse("monitoring-warnings-export"), {"year": "1999"}).status_code == 404
    )
    assert Colour.RED.word == "红"
