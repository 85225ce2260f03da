"""The in-year monitoring round (绩效运行监控, ``shared/spec/CYCLE.md``) in the web system.

A monitoring report is a :class:`~jixiao_web.models.Filing` of kind ``monitoring``: its working copy
and versions hold the canonical JSON of :class:`jixiao.model.monitoring.MonitoringReport`, and it
goes through the workflow table's ``MONITORING`` (:mod:`jixiao_web.workflow`: draft → submitted →
returned → accepted; no 部门负责人's review, no grade, nothing published) with the same generic
:func:`jixiao_web.services.transition` as the other kinds.  What is its own lives here, following
:mod:`jixiao_web.selfeval`:

- :func:`open_round`: the finance bureau opens a year's monitoring as of the end of a month (month,
  profile, deadline); every department whose target table of that year is approved gets a report
  made from the APPROVED version (never a working copy).  Opening again is idempotent: it makes only
  the reports still missing.  A table approved later gets its report when it is approved
  (:func:`made_on_approval`, called by the transition).
- :func:`report_for`: what freezing a version checks (the library's ``check_monitoring`` with the
  round's profile, the rows compared with the approved version's).

One round a year: the month is fixed once reports were made (they are as of that month).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Min, Q
from django.utils import timezone

from jixiao.check import check_monitoring
from jixiao.findings import Report
from jixiao.model import TargetTable
from jixiao.model.monitoring import MonitoringReport
from jixiao.monitoring import Alert, Warnings, warnings
from jixiao.profile import DEFAULT, Profile
from jixiao_web import audit, documents
from jixiao_web.access import Action, allowed, is_finance
from jixiao_web.audit import Actor
from jixiao_web.models import AuditAction, Department, Filing, Kind, MonitoringRound, Status, User
from jixiao_web.reminders import late_days
from jixiao_web.workflow import TARGET

#: The months a round may be as of (CYCLE.md: 1–11; December is the self-evaluation's).
MONTHS = range(1, 12)


class RoundError(Exception):
    """The round cannot be opened as asked; the message says why, in Chinese."""


def round_of(year: int) -> MonitoringRound | None:
    return MonitoringRound.objects.filter(year=year).first()


def profile_of(year: int) -> Profile:
    """The profile ``year``'s round judges warnings by (the default before the round is opened)."""
    stored = MonitoringRound.objects.filter(year=year).values_list("profile", flat=True).first()
    return Profile.model_validate(stored) if stored is not None else DEFAULT


def report_of(data: dict[str, Any]) -> MonitoringReport:
    return MonitoringReport.model_validate(data)


def approved_table(filing: Filing) -> TargetTable | None:
    """The approved version of the target table ``filing`` (a monitoring report) was made from."""
    target = (
        Filing.objects.filter(
            kind=Kind.TARGET,
            year=filing.year,
            department_id=filing.department_id,
            status__in=TARGET.approved,
        )
        .select_related("received_version")
        .first()
    )
    if target is None or target.received_version is None:
        return None
    return TargetTable.model_validate(target.received_version.data)


def report_for(filing: Filing, data: dict[str, Any] | None = None) -> Report:
    """The library's findings for a monitoring report (its working copy, or ``data``), judged by
    its round's profile, its rows compared with the approved version's."""
    report = report_of(filing.data if data is None else data)
    return check_monitoring(report, profile_of(filing.year), approved=approved_table(filing))


def warnings_for(filing: Filing, data: dict[str, Any] | None = None) -> Warnings:
    """Every warning of a monitoring report (its working copy, or ``data``): colour, word and why."""
    return warnings(report_of(filing.data if data is None else data), profile_of(filing.year))


# ---------------------------------------------------------------------------------------------
# Opening the round


@dataclass(frozen=True, slots=True)
class Opened:
    round: MonitoringRound
    made: list[Filing]


def open_round(actor: Actor, year: int, month: int, profile: Profile, deadline: datetime) -> Opened:
    """Open (or open again) ``year``'s monitoring as of the end of ``month``: store its profile and
    deadline, and make a monitoring report for every department whose target table of ``year`` is
    approved and has none."""
    user = actor.user
    if user is None or not is_finance(user):
        raise RoundError("只有财政局可以开启绩效运行监控。")
    if month not in MONTHS:
        raise RoundError(f"监控截至月份应为1至11月，不能是{month}月。")
    stored_profile = profile.model_dump(mode="json")
    with transaction.atomic():
        current = MonitoringRound.objects.select_for_update().filter(year=year).first()
        before: dict[str, Any] | None = None
        if current is None:
            current = MonitoringRound.objects.create(
                year=year, month=month, profile=stored_profile, deadline=deadline, opened_by=user
            )
        else:
            if month != current.month and Filing.objects.filter(kind=Kind.MONITORING, year=year).exists():
                raise RoundError(
                    f"{year}年度的运行监控截至{current.month}月，已经生成了监控表，不能改为截至{month}月。"
                )
            before = _round_state(current)
            current.month, current.profile, current.deadline = month, stored_profile, deadline
            current.save(update_fields=["month", "profile", "deadline"])
        made = _make_missing(actor, current)
        after = {**_round_state(current), "新生成监控表": [str(f.department) for f in made]}
        audit.record(actor, AuditAction.MONITORING_OPEN, target=str(current), before=before, after=after)
    return Opened(current, made)


def _round_state(round_: MonitoringRound) -> dict[str, Any]:
    return {
        "截至月份": round_.month,
        "监控设定": str(round_.profile.get("name", "")),
        "监控设定哈希": audit.content_digest(round_.profile),
        "截止时间": timezone.localtime(round_.deadline).strftime("%Y-%m-%d %H:%M"),
    }


def _make_missing(actor: Actor, round_: MonitoringRound) -> list[Filing]:
    have = set(
        Filing.objects.filter(kind=Kind.MONITORING, year=round_.year).values_list("department_id", flat=True)
    )
    return [
        _make_from(actor, target, round_)
        for target in Filing.objects.filter(kind=Kind.TARGET, year=round_.year, status__in=TARGET.approved)
        .exclude(department_id__in=have)
        .select_related("department", "received_version")
        .order_by("department__code")
    ]


def made_on_approval(actor: Actor, target: Filing) -> Filing | None:
    """A target table just approved: its monitoring report, if its year's round is open and it has
    none yet (called inside the approving transaction)."""
    round_ = round_of(target.year) if target.kind == Kind.TARGET else None
    if round_ is None:
        return None
    if Filing.objects.filter(
        kind=Kind.MONITORING, year=target.year, department_id=target.department_id
    ).exists():
        return None
    return _make_from(actor, target, round_)


def _make_from(actor: Actor, target: Filing, round_: MonitoringRound) -> Filing:
    """A new monitoring report of ``target``'s approved version (the one the bureau received and
    approved: never a working copy) as of the end of the round's month."""
    version = target.received_version
    assert version is not None
    assert target.status in TARGET.approved
    table = TargetTable.model_validate(version.data)
    report = MonitoringReport.from_table(table, round_.month)
    data = report.model_dump(mode="json")
    profile = Profile.model_validate(round_.profile)
    errors, warning_count = documents.counts(check_monitoring(report, profile, approved=table))
    try:
        with transaction.atomic():
            filing = Filing.objects.create(
                department=target.department,
                year=target.year,
                kind=Kind.MONITORING,
                data=data,
                errors=errors,
                warnings=warning_count,
                updated_by=actor.user,
            )
            audit.record(
                actor,
                AuditAction.MONITORING_START,
                filing=filing,
                after={
                    **audit.filing_state(filing),
                    "目标表版本": version.number,
                    "截至月份": round_.month,
                    audit.DIGEST_KEY: audit.content_digest(data),
                },
            )
    except IntegrityError:  # made meanwhile by another request
        return Filing.objects.get(kind=Kind.MONITORING, year=target.year, department_id=target.department_id)
    return filing


# ---------------------------------------------------------------------------------------------
# The department's working copy


class SaveError(Exception):
    """The working copy cannot be saved as posted; the message says why, in Chinese."""


class SaveConflict(SaveError):
    """Someone saved since the form was loaded."""


#: The funds rows, each with 年初预算数 copied from the approved table.
FUNDS_ROWS = ("total", "basic", "project", "fiscal", "other")


def merged(filing: Filing, posted: dict[str, Any]) -> MonitoringReport:
    """The monitoring report as posted, its copied parts (the approved table, the year, the month
    and every 年初预算数) taken from the stored working copy whatever the post says."""
    stored = report_of(filing.data)
    data = {
        **posted,
        "approved": stored.approved.model_dump(mode="json"),
        "year": stored.year,
        "month": stored.month,
    }
    posted_funds = data.get("funds")
    funds: dict[str, Any] = dict(posted_funds) if isinstance(posted_funds, dict) else {}
    for name in FUNDS_ROWS:
        posted_row = funds.get(name)
        row: dict[str, Any] = dict(posted_row) if isinstance(posted_row, dict) else {}
        row["initial_budget"] = getattr(stored.funds, name).initial_budget
        funds[name] = row
    data["funds"] = funds
    return MonitoringReport.model_validate(data)


#: The Chinese names of the working copy's fields, for the save history.
LABELS = {
    "funds": "资金情况",
    "total": "年度资金总额",
    "basic": "基本支出",
    "project": "项目支出",
    "fiscal": "财政拨款",
    "other": "其他资金",
    "adjusted_budget": "调整后预算数",
    "executed": "执行数",
    "forecast": "全年预计",
    "reason": "预算执行偏差原因及纠偏措施",
    "tasks": "任务",
    "progress": "进展情况",
    "indicators": "指标",
    "to_date": "1–m月完成值",
    "tier": "完成等级",
    "likelihood": "完成目标可能性",
    "causes": "偏差原因",
    "cause_note": "原因说明",
    "measures": "纠偏措施",
    "year_end": "年底测评",
    "year_end_reason": "年底测评理由",
    "stock": "存量指标",
    "adjusted_target": "调整后指标值",
    "adjustment_reason": "指标调整理由",
    "problems": "存在的问题",
    "next_steps": "下一步措施",
}


def save(actor: Actor, filing: Filing, report: MonitoringReport, revision: int) -> tuple[Filing, Report]:
    """Store ``report`` as the working copy, if nobody saved since ``revision``; findings never
    block saving."""
    data = report.model_dump(mode="json")
    with transaction.atomic():
        current = Filing.objects.select_for_update().select_related("department").get(pk=filing.pk)
        if current.kind != Kind.MONITORING:
            raise SaveError("这不是运行监控表。")
        if actor.user is None or not allowed(actor.user, Action.EDIT, current):
            raise SaveError(f"您不能修改“{current}”（当前状态：{current.get_status_display()}）。")
        stored = current.data
        if any(data.get(key) != stored.get(key) for key in ("approved", "year", "month")):
            raise SaveError("监控表中取自批复目标表的部分和监控月份不能修改。")
        if current.revision != revision:
            who = current.updated_by or "他人"
            raise SaveConflict(
                f"保存冲突：{who}已保存了这张监控表（第{current.revision}次修订），您编辑的是第{revision}次修订。"
                "本次没有保存，请重新打开后再修改。"
            )
        findings = report_for(current, data)
        return documents.store(actor, current, data, findings, LABELS), findings


# ---------------------------------------------------------------------------------------------
# The finance bureau's list of a round


@dataclass(frozen=True, slots=True)
class RoundRow:
    """One department of a monitoring round, as the finance bureau may know it: the warnings are
    those of the version it received (never a working copy)."""

    department: Department
    filing: Filing | None
    #: 未生成 (no approved target table yet), 草稿, or the status the bureau sees.
    status_label: str
    submitted: datetime | None
    late: bool
    budget: Alert | None = None
    worst: Alert | None = None
    #: reminders: days late (0: not late).
    late_days: int = 0


def round_rows(user: User | AnonymousUser, year: int) -> list[RoundRow]:
    """Every department for ``year``'s round: its report's status, the budget's and the
    department's warning (colour and word) in the received version, lateness."""
    if not is_finance(user):
        return []
    round_ = round_of(year)
    deadline = round_.deadline if round_ is not None else None
    now = timezone.now()
    filings = {
        f.department_id: f
        for f in Filing.objects.filter(kind=Kind.MONITORING, year=year)
        .select_related("received_version")
        .annotate(first=Min("versions__received__at", filter=Q(versions__withdrawal__isnull=True)))
    }
    rows = []
    for department in Department.objects.filter(is_finance_bureau=False).order_by("code"):
        filing = filings.get(department.pk)
        submitted = getattr(filing, "first", None)
        late_by = late_days(deadline, submitted, now)
        late = late_by > 0
        if filing is None:  # nothing was due (no approved table), so nothing is late
            rows.append(RoundRow(department, None, "未生成（目标表未审核）", None, False, late_days=0))
            continue
        version = filing.received_version
        if version is None:
            rows.append(RoundRow(department, None, Status.DRAFT.label, submitted, late, late_days=late_by))
            continue
        warned = warnings_for(filing, version.data)
        rows.append(
            RoundRow(
                department,
                filing,
                filing.get_status_display(),
                submitted,
                late,
                warned.budget.alert,
                warned.department,
                late_by,
            )
        )
    rows.sort(key=lambda r: (r.filing is None, r.department.code))
    return rows
