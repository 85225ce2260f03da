"""The monitoring round in the web system: opened by the bureau, made from approved tables, filled,
warned, submitted, returned and accepted through the shared workflow; the audit chain re-derives it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from jixiao.model.monitoring import MonitoringReport
from jixiao.monitoring import Colour
from jixiao.profile import VARIANTS
from jixiao_web import audit, monitoring, services
from jixiao_web.audit import Actor
from jixiao_web.models import AuditAction, Department, Filing, Kind, MonitoringRound, Status, User
from jixiao_web.services import ReviewComment
from jixiao_web.workflow import MONITORING

from .conftest import YEAR, approved_target


def _deadline() -> Any:
    return timezone.now() + timedelta(days=20)


def on_track(report: MonitoringReport) -> dict[str, Any]:
    """``report`` filled so that the money follows time progress and every row is on its target:
    its JSON (no error, every warning green)."""
    data = report.model_dump(mode="json")
    for name in monitoring.FUNDS_ROWS:
        row = data["funds"][name]
        if row["initial_budget"] is None:
            continue
        initial = Decimal(row["initial_budget"])
        row["adjusted_budget"] = str(initial)
        row["executed"] = str((initial * report.month / 12).quantize(Decimal("0.00001")))
        row["forecast"] = str(initial)
    for indicator, row in zip(report.approved.indicators, data["indicators"], strict=True):
        if indicator.comparator == "定性":
            row["tier"] = row["forecast"] = "达成"
        else:
            target = indicator.value.split("-")[-1]
            row["to_date"] = row["forecast"] = target
            row["stock"] = True
        row["likelihood"] = "确定能"
    return data


@pytest.fixture
def opened(target: Filing, actor: Callable[[str], Actor]) -> Filing:
    result = monitoring.open_round(actor("reviewer"), YEAR, 7, VARIANTS["默认"], _deadline())
    (made,) = result.made
    return made


def test_opening_makes_a_report_from_the_approved_version(
    target: Filing, opened: Filing, actor: Callable[[str], Actor]
) -> None:
    assert (opened.kind, opened.status, opened.year) == (Kind.MONITORING, Status.DRAFT, YEAR)
    assert opened.department_id == target.department_id
    assert target.received_version is not None
    report = MonitoringReport.model_validate(opened.data)
    assert (report.year, report.month) == (YEAR, 7)
    assert report.approved.overall_goal == target.received_version.data["overall_goal"]
    assert len(report.indicators) == len(target.received_version.data["indicators"])
    assert report.funds.basic.initial_budget == Decimal("1200.5")
    assert opened.errors > 0  # blank: every row still to fill
    # Opening again makes nothing new; its deadline and profile change, its month stays.
    again = monitoring.open_round(actor("admin"), YEAR, 7, VARIANTS["101号"], _deadline())
    assert again.made == []
    assert Filing.objects.filter(kind=Kind.MONITORING).count() == 1
    assert monitoring.profile_of(YEAR).name == "101号"
    with pytest.raises(monitoring.RoundError):
        monitoring.open_round(actor("admin"), YEAR, 6, VARIANTS["默认"], _deadline())
    assert MonitoringRound.objects.get(year=YEAR).month == 7
    assert list(opened.audit.values_list("action", flat=True)) == [AuditAction.MONITORING_START]
    assert audit.verify() == []


def test_never_from_a_draft_and_made_on_later_approval(
    funded_draft: Filing, actor: Callable[[str], Actor]
) -> None:
    draft = funded_draft
    result = monitoring.open_round(actor("reviewer"), YEAR, 6, VARIANTS["默认"], _deadline())
    assert result.made == []  # the target table is still a draft
    approved_target(draft, actor)
    (made,) = Filing.objects.filter(kind=Kind.MONITORING)
    assert made.data["approved"]["overall_goal"] == draft.received_version.data["overall_goal"]  # type: ignore[union-attr]
    assert made.data["month"] == 6
    # The self-evaluation, not open, made nothing.
    assert not Filing.objects.filter(kind=Kind.SELFEVAL).exists()
    assert audit.verify() == []


@pytest.mark.parametrize("month", [0, 12])
def test_a_month_outside_1_to_11_is_refused(
    target: Filing, actor: Callable[[str], Actor], month: int
) -> None:
    with pytest.raises(monitoring.RoundError):
        monitoring.open_round(actor("reviewer"), YEAR, month, VARIANTS["默认"], _deadline())
    assert not MonitoringRound.objects.exists()


def test_only_the_bureau_opens_a_round(target: Filing, actor: Callable[[str], Actor]) -> None:
    for name in ("filer", "head"):
        with pytest.raises(monitoring.RoundError):
            monitoring.open_round(actor(name), YEAR, 7, VARIANTS["默认"], _deadline())
    assert not Filing.objects.filter(kind=Kind.MONITORING).exists()


def test_the_workflow_has_no_head_review_grade_or_publication() -> None:
    assert [s.status for s in MONITORING.states] == [
        Status.DRAFT,
        Status.SUBMITTED,
        Status.RETURNED,
        Status.ACCEPTED,
    ]
    assert MONITORING.commands == ("submit", "withdraw", "return", "accept")
    assert MONITORING.approved == ()
    assert MONITORING.public == ()
    assert all(t.grade.value == "no" and not t.publishes for t in MONITORING.transitions)


def test_whole_round(opened: Filing, actor: Callable[[str], Actor]) -> None:
    report = MonitoringReport.model_validate(opened.data)
    # Blank: errors block submitting, never saving.
    with pytest.raises(services.NotSubmittable) as refused:
        services.submit(actor("filer"), opened)
    assert "monitor-value-missing" in refused.value.report.codes()
    data = on_track(report)
    saved, findings = monitoring.save(
        actor("filer"), opened, monitoring.merged(opened, data), opened.revision
    )
    assert [f.code for f in findings.findings if f.severity == "error"] == []
    assert saved.errors == 0
    warned = monitoring.warnings_for(saved)
    assert warned.department.colour is Colour.GREEN
    # The bureau cannot accept a draft, nor the department its own report.
    with pytest.raises(services.Forbidden):
        services.transition(actor("reviewer"), saved, "accept")
    version = services.submit(actor("filer"), saved)
    saved.refresh_from_db()
    assert (saved.status, saved.received_version) == (Status.SUBMITTED, version)
    with pytest.raises(services.Forbidden):
        services.transition(actor("filer"), saved, "accept")
    with pytest.raises(services.ServiceError):  # a return says what to change
        services.transition(actor("reviewer"), saved, "return")
    services.transition(
        actor("reviewer"), saved, "return", comments=[ReviewComment("indicators", 1, "请说明完成值的来源")]
    )
    saved.refresh_from_db()
    assert saved.status == Status.RETURNED
    services.submit(actor("filer"), saved)
    services.transition(actor("reviewer"), saved, "accept")
    saved.refresh_from_db()
    assert (saved.status, saved.grade, saved.published_version) == (Status.ACCEPTED, "", None)
    actions = list(saved.audit.order_by("seq").values_list("action", flat=True))
    assert actions == ["monitoring_start", "save", "submit", "return", "submit", "accept"]
    assert audit.verify() == []
    # Audit verify re-derives the accepted state: a status changed behind the chain's back is found.
    Filing.objects.filter(pk=saved.pk).update(status=Status.RETURNED)
    assert audit.verify() != []


def test_copied_parts_and_the_month_cannot_change(opened: Filing) -> None:
    data = on_track(MonitoringReport.model_validate(opened.data))
    data["approved"]["overall_goal"] = "改过的目标"
    data["month"] = 9
    data["funds"]["basic"]["initial_budget"] = "1"
    report = monitoring.merged(opened, data)
    assert report.approved.overall_goal == opened.data["approved"]["overall_goal"]
    assert report.month == 7
    assert report.funds.basic.initial_budget == Decimal("1200.5")


def test_nobody_else_saves(
    opened: Filing, other_department: Department, actor: Callable[[str], Actor]
) -> None:
    report = monitoring.merged(opened, on_track(MonitoringReport.model_validate(opened.data)))
    for name in ("other_filer", "reviewer"):
        with pytest.raises(monitoring.SaveError):
            monitoring.save(actor(name), opened, report, opened.revision)
    monitoring.save(actor("filer"), opened, report, opened.revision)
    with pytest.raises(monitoring.SaveConflict):
        monitoring.save(actor("head"), opened, report, opened.revision)


def test_target_tables_are_unaffected(target: Filing, opened: Filing, people: dict[str, User]) -> None:
    from jixiao_web import selectors

    assert list(selectors.visible_filings(people["reviewer"], YEAR)) == [target]
