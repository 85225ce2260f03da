"""The monitoring forecast in the year-end self-evaluation (issue 12, item 6): each row shows what the
department's last monitoring report of the year (the accepted version, else the latest submitted)
forecast, and its 完成可能性 fills ``monitoring_likelihood`` so that the library's
``selfeval-monitor-contradicts`` fires in the web system."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from lxml import html

from jixiao.model.monitoring import MonitoringReport
from jixiao.model.selfeval import SelfEvaluation
from jixiao.profile import VARIANTS
from jixiao_web import monitoring, selfeval, services
from jixiao_web.audit import Actor
from jixiao_web.models import Filing, Kind, Status, User

from .conftest import YEAR
from .test_monitoring import on_track
from .test_selfeval import filled
from .test_selfeval_pages import form_post

CERTAIN = "确定能"


def _monitoring(actor: Callable[[str], Actor], *, accept: bool, likelihood: str = CERTAIN) -> Filing:
    """The year's monitoring, as of July: every row on track, forecast its target with
    ``likelihood``; submitted, and accepted if ``accept``."""
    deadline = timezone.now() + timedelta(days=20)
    (made,) = monitoring.open_round(actor("reviewer"), YEAR, 7, VARIANTS["默认"], deadline).made
    data = on_track(MonitoringReport.model_validate(made.data))
    for row in data["indicators"]:
        row["likelihood"] = likelihood
        if likelihood != CERTAIN:
            row["causes"], row["measures"] = ["其他"], "下半年加快推进各项工作。"
            row["cause_note"] = "上半年受汛期影响，部分工作推迟开展。"
    saved, found = monitoring.save(actor("filer"), made, monitoring.merged(made, data), made.revision)
    assert saved.errors == 0, [f.code for f in found.findings if f.severity == "error"]
    services.submit(actor("filer"), saved)
    if accept:
        services.transition(actor("reviewer"), saved, "accept")
    saved.refresh_from_db()
    return saved


def _selfeval(actor: Callable[[str], Actor]) -> Filing:
    selfeval.open_round(actor("reviewer"), YEAR, VARIANTS["默认"], timezone.now() + timedelta(days=90))
    return Filing.objects.get(kind=Kind.SELFEVAL)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_end_to_end_a_certain_row_scored_below_its_points_is_warned_on_the_page(
    target: Filing, people: dict[str, User], actor: Callable[[str], Actor]
) -> None:
    report = _monitoring(actor, accept=True)
    made = _selfeval(actor)
    # Taken when the self-evaluation is made from the approved table.
    assert [row["monitoring_likelihood"] for row in made.data["indicators"]] == [CERTAIN] * 5
    evaluation = SelfEvaluation.model_validate(made.data)
    data = filled(evaluation)
    data["indicators"][0]["actual"] = "2"  # ≥ 4 个: half its points
    data["indicators"][0]["deviation"] = "下半年两次检查因经费未到位而取消，明年提前安排。"
    filer = _client(people["filer"])
    saved = filer.post(reverse("selfeval-edit", args=[made.pk]), form_post(evaluation, data, made.revision))
    assert saved.status_code == 302
    made.refresh_from_db()
    assert made.warnings >= 1
    page = filer.get(reverse("selfeval-edit", args=[made.pk])).content.decode()
    # The warning, in Chinese, on the page: the library's message of selfeval-monitor-contradicts.
    assert re.search(
        r"绩效指标第1行“提供安全审查、检查项目”运行监控时填报“确定能”完成，自评得分却只有 \d", page
    )
    assert "selfeval-monitor-contradicts" in page  # the finding's code is data on its line, not text
    # Each row shows what the monitoring forecast, in the form.
    tree = html.fromstring(page)
    shown = tree.xpath('//div[@data-monitored-row="1"]')[0].text_content()
    assert shown == "运行监控（截至7月，第1版，已确认）：全年预计 4个，完成可能性 确定能"
    assert len(tree.xpath("//div[@data-monitored-row]")) == 5
    # A row at its target is not warned.
    answer = filer.post(
        reverse("selfeval-check", args=[made.pk]), form_post(evaluation, data, made.revision)
    ).json()
    contradicts = [i for i in answer["issues"] if i["code"] == "selfeval-monitor-contradicts"]
    assert [i["location"]["row"] for i in contradicts] == [1]
    # Submitted: the bureau's review page shows the forecast and the finding.
    services.submit(actor("filer"), made)
    review = _client(people["reviewer"]).get(reverse("review", args=[made.pk])).content.decode()
    assert "运行监控（截至7月，第1版，已确认）：全年预计 4个，完成可能性 确定能" in review
    assert "运行监控时填报“确定能”完成" in review
    assert report.status == Status.ACCEPTED


def test_refreshed_while_a_draft_from_the_latest_submitted_report(
    target: Filing, people: dict[str, User], actor: Callable[[str], Actor]
) -> None:
    made = _selfeval(actor)  # before any monitoring: nothing to take
    assert all(row["monitoring_likelihood"] is None for row in made.data["indicators"])
    filer = _client(people["filer"])
    assert "data-monitored-row" not in filer.get(reverse("selfeval-edit", args=[made.pk])).content.decode()
    _monitoring(actor, accept=False, likelihood="有可能")  # submitted, not yet accepted
    evaluation = SelfEvaluation.model_validate(made.data)
    data = filled(evaluation)
    data["indicators"][0]["actual"] = "2"
    data["indicators"][0]["deviation"] = "下半年两次检查因经费未到位而取消，明年提前安排。"
    post = form_post(evaluation, data, made.revision) | {"ind_monitoring_likelihood": CERTAIN}
    assert filer.post(reverse("selfeval-edit", args=[made.pk]), post).status_code == 302
    made.refresh_from_db()
    # Refreshed on save from the submitted report; what a post says of it is never taken.
    assert [row["monitoring_likelihood"] for row in made.data["indicators"]] == ["有可能"] * 5
    page = filer.get(reverse("selfeval-edit", args=[made.pk])).content.decode()
    assert "运行监控（截至7月，第1版，已提交）：全年预计 4个，完成可能性 有可能" in page
    assert "运行监控时填报" not in page  # 有可能: no contradiction
    # A submitted version keeps what it was submitted with.
    version = services.submit(actor("filer"), made)
    assert [row["monitoring_likelihood"] for row in version.data["indicators"]] == ["有可能"] * 5


def test_a_draft_monitoring_report_is_never_taken(
    target: Filing, people: dict[str, User], actor: Callable[[str], Actor]
) -> None:
    deadline = timezone.now() + timedelta(days=20)
    (report,) = monitoring.open_round(actor("reviewer"), YEAR, 7, VARIANTS["默认"], deadline).made
    data = on_track(MonitoringReport.model_validate(report.data))
    monitoring.save(actor("filer"), report, monitoring.merged(report, data), report.revision)
    made = _selfeval(actor)
    assert monitoring.last_monitoring(made.department_id, YEAR) is None
    assert all(row["monitoring_likelihood"] is None for row in made.data["indicators"])
