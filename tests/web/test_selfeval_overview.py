"""The finance bureau's overview of a year's self-evaluations (issue 11, item 7), on the demo city:
sortable by every column on the server, two SVG charts with their figures as tables, and one XLSX
of every department's results."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from lxml import html
from openpyxl import load_workbook

from jixiao_web import demo, selectors
from jixiao_web.models import User
from jixiao_web.views.selfeval import COLUMNS, UNSCORED

YEAR = demo.OPEN_YEAR


@pytest.fixture
def bureau(db: None, tmp_path: Path, login: Callable[[User], Client]) -> Client:
    assert demo.load(tmp_path)
    return login(User.objects.get(username="shenhe1"))


def _page(client: Client, query: str) -> html.HtmlElement:
    response = client.get(reverse("selfeval-rounds") + query)
    assert response.status_code == 200
    return html.fromstring(response.content.decode())


def _departments(page: html.HtmlElement) -> list[str]:
    return [cell.text_content() for cell in page.xpath('//table[@id="selfeval-queue"]/tbody/tr/th')]


def test_every_column_sorts_both_ways_unknown_values_last(bureau: Client) -> None:
    reviewer = User.objects.get(username="shenhe1")
    rows = {r.department.name: r for r in selectors.selfeval_queue(reviewer, YEAR)}
    assert len(rows) == len(demo.DEPARTMENTS)
    for column in COLUMNS:
        for sort, descending in ((column.key, False), (f"-{column.key}", True)):
            page = _page(bureau, f"?year={YEAR}&sort={sort}")
            names = _departments(page)
            assert sorted(names) == sorted(rows)
            values = [column.value(rows[name]) for name in names]
            known = [v for v in values if v is not None]
            # Every known value first, in order; the unknown ones after them.
            assert values[: len(known)] == known, sort
            assert known == sorted(known, reverse=descending), sort
            (current,) = page.xpath("//th[@aria-sort]")
            assert current.get("aria-sort") == ("descending" if descending else "ascending")
            # Its heading's link turns the order round.
            link = current.xpath("a/@href")[0]
            assert link.endswith(f"sort={column.key}" if descending else f"sort=-{column.key}")
    # 2024 in the demo: 农业农村局 approved (one score lowered by the bureau), 自然资源局 submitted,
    # 民政局 returned; 文化广电旅游体育局's draft and the others have no score.
    by_total = _departments(_page(bureau, f"?year={YEAR}&sort=-total"))
    scored = [name for name in by_total if rows[name].total is not None]
    assert sorted(scored) == ["揭阳市农业农村局", "揭阳市民政局", "揭阳市自然资源局"]
    assert by_total[:3] == scored
    # A sort it does not know: the default order, no heading marked.
    page = _page(bureau, f"?year={YEAR}&sort=nonsense")
    assert not page.xpath("//th[@aria-sort]")


def test_charts_are_inline_svg_with_their_figures_as_tables(bureau: Client) -> None:
    page = _page(bureau, f"?year={YEAR}")
    assert not page.xpath("//script[not(@src)]")  # no inline script (CSP)
    distribution = page.xpath('//section[@id="grade-distribution"]')[0]
    (chart,) = distribution.xpath(".//*[local-name()='svg']")
    assert chart.get("aria-hidden") == "true"
    figures = {
        row.xpath("th")[0].text_content(): int(row.xpath("td")[0].text_content())
        for row in distribution.xpath(".//table/tbody/tr")
    }
    reviewer = User.objects.get(username="shenhe1")
    rows = selectors.selfeval_queue(reviewer, YEAR)
    grades = [r.grade for r in rows if r.grade]
    assert list(figures) == ["优", "良", "中", "差", UNSCORED]
    assert figures[UNSCORED] == len(rows) - len(grades) == len(demo.DEPARTMENTS) - 3
    for grade in ("优", "良", "中", "差"):
        assert figures[grade] == grades.count(grade)
    assert (figures["优"], figures["良"]) == (2, 1)  # 民政局, 农业农村局; 自然资源局
    # Colours plus words: each bar has its grade's class, each label its word.
    bars = chart.xpath(".//*[local-name()='rect'][contains(@class, 'bar')]")
    assert [b.get("class").split()[-1] for b in bars] == [
        "grade-best",
        "grade-good",
        "grade-fair",
        "grade-poor",
        "grade-none",
    ]
    labels = [t.text_content() for t in chart.xpath(".//*[local-name()='text'][@class='label']")]
    assert labels == list(figures)

    by_department = page.xpath('//section[@id="scores-by-department"]')[0]
    (chart,) = by_department.xpath(".//*[local-name()='svg']")
    shown = [
        (row.xpath("th")[0].text_content(), Decimal(row.xpath("td")[0].text_content()))
        for row in by_department.xpath(".//table/tbody/tr")
    ]
    expected = sorted(
        ((r.department.name, r.total) for r in rows if r.total is not None), key=lambda p: -p[1]
    )
    assert shown == expected
    values = [t.text_content() for t in chart.xpath(".//*[local-name()='text'][@class='value']")]
    assert values == [
        f"{r.total} 分（{r.grade}）" for r in sorted(rows, key=lambda r: -(r.total or 0)) if r.grade
    ]
    # The bars are as long as the scores (out of 100 points, on a 200-unit track).
    lengths = [
        Decimal(b.get("width")) for b in chart.xpath(".//*[local-name()='rect'][contains(@class, 'bar')]")
    ]
    assert lengths == [(total * 2).quantize(Decimal("0.1")) for _, total in expected]
    # Short labels: the city's name left off.
    labels = [t.text_content() for t in chart.xpath(".//*[local-name()='text'][@class='label']")]
    assert all(not label.startswith(demo.CITY) for label in labels)


def test_one_click_export_of_every_departments_results(bureau: Client) -> None:
    page = _page(bureau, f"?year={YEAR}&sort=-total")
    (link,) = page.xpath('//a[contains(@href, "export.xlsx")]')
    response = bureau.get(link.get("href"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    reviewer = User.objects.get(username="shenhe1")
    rows = selectors.selfeval_queue(reviewer, YEAR)
    received = sorted((r for r in rows if r.scored is not None), key=lambda r: -(r.total or 0))
    # The summary, then each self-evaluation the bureau received, in the overview's order.
    assert book.sheetnames == ["汇总", *(r.department.name for r in received)]
    summary = book["汇总"]
    header = [cell.value for cell in summary[3]]
    assert header[:4] == ["部门", "状态", "首次提交", "逾期"]
    lines = [[cell.value for cell in row] for row in summary.iter_rows(min_row=4) if row[0].value]
    assert len(lines) == len(rows)
    at = {name: index for index, name in enumerate(header)}
    for line, row in zip(lines, sorted(rows, key=lambda r: (r.total is None, -(r.total or 0))), strict=True):
        assert line[0] == row.department.name
        if row.scored is None:
            assert line[at["自评总分"]] is None
            continue
        assert Decimal(str(line[at["自评总分"]])) == row.total
        assert line[at["等级"]] == row.grade
        assert Decimal(str(line[at["执行率（%）"]])) == row.execution_rate
        execution = Decimal(str(line[at["预算执行得分"]]))
        assert execution + Decimal(str(line[at["指标得分"]])) == row.total
    # 农业农村局: the bureau lowered one score; its sheet shows the reviewed total.
    nongye = next(line for line in lines if line[0] == "揭阳市农业农村局")
    assert nongye[at["财政局复核的指标数"]] == 1
    sheet_text = " ".join(
        str(cell.value)
        for row in book["揭阳市农业农村局"].iter_rows()
        for cell in row
        if cell.value is not None
    )
    assert re.search(r"财政局复核", sheet_text)
    assert f"{Decimal(str(nongye[at['自评总分']])):.2f}" in sheet_text


def test_export_is_the_bureaus_only(bureau: Client, login: Callable[[User], Client]) -> None:
    url = reverse("selfeval-export") + f"?year={YEAR}"
    assert login(User.objects.get(username="nongye_tianbao")).get(url).status_code == 404
    assert bureau.get(reverse("selfeval-export") + "?year=1999").status_code == 404
    assert bureau.get(reverse("selfeval-export") + "?year=abc").status_code == 404


def test_scores_are_computed_once_per_version_and_reviews_still_count(
    bureau: Client, django_assert_max_num_queries: Any
) -> None:
    """Each received version is scored once per process (cache by version and profile); the
    bureau's reviewed scores, which change, are applied on every view; the page's queries do not
    grow with the departments."""
    from jixiao_web import selfeval
    from jixiao_web.audit import Actor
    from jixiao_web.models import Filing, Kind

    selfeval.forget_scores()
    reviewer = User.objects.get(username="shenhe1")
    before = {r.department.name: r for r in selectors.selfeval_queue(reviewer, YEAR)}
    cached = dict(selfeval._SCORES)
    assert len(cached) == 3  # the three versions the bureau received
    with django_assert_max_num_queries(20):
        _page(bureau, f"?year={YEAR}")
    assert all(selfeval._SCORES[key][1] is scores for key, (_, scores) in cached.items())
    # The bureau lowers a row of 自然资源局's (submitted): the overview's total follows at once.
    filing = Filing.objects.get(kind=Kind.SELFEVAL, year=YEAR, department__code="ziran")
    row = before["揭阳市自然资源局"]
    assert row.scored is not None
    first = row.scored.scores.rows[0]
    assert first.score > 0
    selfeval.review_score(Actor(reviewer, "192.0.2.1"), filing, 1, "0", "佐证材料不能证明完成值。")
    after = {r.department.name: r for r in selectors.selfeval_queue(reviewer, YEAR)}
    assert after["揭阳市自然资源局"].total == (row.total or 0) - first.score
    assert len(selfeval._SCORES) == 3
