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

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from jixiao.catalogue import COLOUR_WORDS
from jixiao.check import check_monitoring
from jixiao.findings import Report
from jixiao.model import TargetTable
from jixiao.model.framework import BENEFIT, COST, OUTPUT, SATISFACTION
from jixiao.model.monitoring import MonitoringReport
from jixiao.monitoring import Alert, Colour, Warnings, warnings
from jixiao.profile import DEFAULT, Profile
from jixiao_web import audit, documents
from jixiao_web.access import Action, allowed, is_finance
from jixiao_web.audit import Actor
from jixiao_web.models import AuditAction, Department, Filing, Kind, MonitoringRound, Status, User, Version
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
    "to_date": "截至月末完成值",
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
# Warnings of received versions, computed once per version


#: A version's report and its warnings, by (version id, when it was made, digest of the profile
#: judging it).  Versions are immutable (``_Immutable``), the time they were made tells a number
#: used again (a database made anew, SQLite reusing a rolled-back row's number) from the one
#: computed, and the profile is part of the key: an entry never goes stale.  The bureau's pages
#: (the round list, the warnings overview, its export) and the self-evaluation's forecasts thus
#: compute a version's warnings once per server process instead of once per page view.
_WARNED: OrderedDict[tuple[int, datetime, str], tuple[MonitoringReport, Warnings]] = OrderedDict()
_WARNED_LOCK = threading.Lock()
#: Entries kept per process: one per department and year is what the pages ask for; an entry takes
#: about 55 KiB (150 departments' reports: 8.5 MiB measured), so at most about 55 MiB.
WARNED_CACHE_SIZE = 1000


def profile_key(profile: Profile) -> str:
    """A digest of ``profile``: part of the cache key of a version's warnings."""
    return audit.content_digest(profile.model_dump(mode="json"))


def warned_versions(
    versions: list[tuple[int, datetime]], profile: Profile
) -> dict[int, tuple[MonitoringReport, Warnings]]:
    """Each version's (id, created_at) report and its warnings (the library's ``warnings``, the same
    function the form uses), by version id; only versions not computed before are read from the
    database."""
    key = profile_key(profile)
    found: dict[int, tuple[MonitoringReport, Warnings]] = {}
    with _WARNED_LOCK:
        for pk, made in versions:
            cached = _WARNED.get((pk, made, key))
            if cached is not None:
                _WARNED.move_to_end((pk, made, key))
                found[pk] = cached
    missing = {pk: made for pk, made in versions if pk not in found}
    if missing:
        for pk, made, data in Version.objects.filter(pk__in=missing).values_list("pk", "created_at", "data"):
            report = report_of(data)
            found[pk] = (report, warnings(report, profile))
            missing[pk] = made
        with _WARNED_LOCK:
            for pk, made in missing.items():
                if pk in found:
                    _WARNED[(pk, made, key)] = found[pk]
            while len(_WARNED) > WARNED_CACHE_SIZE:
                _WARNED.popitem(last=False)
    return found


def forget_warnings() -> None:
    """Empty the cache of computed warnings (tests, benchmarks)."""
    with _WARNED_LOCK:
        _WARNED.clear()


# ---------------------------------------------------------------------------------------------
# The finance bureau's list of a round


#: The filing statuses the bureau's pages filter by, with 未提交 (a draft never received, or no
#: report yet) last.
NOT_RECEIVED = "none"


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
    #: The received version's number, report and warnings (None: nothing received).
    version: int | None = None
    report: MonitoringReport | None = None
    warned: Warnings | None = None

    @property
    def status_key(self) -> str:
        """The status filtered by: the filing's, or ``none`` when the bureau received nothing."""
        return self.filing.status if self.filing is not None else NOT_RECEIVED

    @property
    def colour_key(self) -> str:
        """The department's colour (its worst, ``red`` …), ``none`` when it has none."""
        return self.worst.colour.value if self.worst is not None and self.worst.colour else NOT_RECEIVED

    @property
    def colours(self) -> set[str]:
        """Every colour of the budget and the rows (grey apart), ``{"none"}`` when none has one:
        what filtering by colour looks at (a blue row counts though its group is green)."""
        if self.warned is None:
            return {NOT_RECEIVED}
        alerts = [self.warned.budget.alert, *(row.alert for row in self.warned.rows)]
        found = {a.colour.value for a in alerts if a.colour is not None and a.colour is not Colour.GREY}
        return found or {NOT_RECEIVED}

    #: reminders: days late (0: not late).
    late_days: int = 0


def round_rows(user: User | AnonymousUser, year: int) -> list[RoundRow]:
    """Every department for ``year``'s round: its report's status, the budget's and the
    department's warning (colour and word) in the received version, lateness."""
    if not is_finance(user):
        return []
    round_ = round_of(year)
    deadline = round_.deadline if round_ is not None else None
    profile = Profile.model_validate(round_.profile) if round_ is not None else DEFAULT
    now = timezone.now()
    filings = {
        f.department_id: f
        for f in Filing.objects.filter(kind=Kind.MONITORING, year=year)
        .defer("data", "row_keys")
        .annotate(
            first=Min("versions__received__at", filter=Q(versions__withdrawal__isnull=True)),
            received_number=F("received_version__number"),
            received_made=F("received_version__created_at"),
        )
    }
    received = [
        (f.received_version_id, f.received_made)
        for f in filings.values()
        if f.received_version_id is not None
    ]
    warned_by_version = warned_versions(received, profile)
    rows = []
    for department in Department.objects.filter(is_finance_bureau=False).order_by("code"):
        filing = filings.get(department.pk)
        submitted = getattr(filing, "first", None)
        late_by = late_days(deadline, submitted, now)
        late = late_by > 0
        if filing is None:  # nothing was due (no approved table), so nothing is late
            rows.append(RoundRow(department, None, "未生成（目标表未审核）", None, False, late_days=0))
            continue
        if filing.received_version_id is None:
            rows.append(RoundRow(department, None, Status.DRAFT.label, submitted, late, late_days=late_by))
            continue
        report, warned = warned_by_version[filing.received_version_id]
        rows.append(
            RoundRow(
                department,
                filing,
                filing.get_status_display(),
                submitted,
                late,
                warned.budget.alert,
                warned.department,
                getattr(filing, "received_number", None),
                report,
                warned,
                late_by,
            )
        )
    rows.sort(key=lambda r: (r.filing is None, r.department.code))
    return rows


# ---------------------------------------------------------------------------------------------
# The warnings overview (issue 12, item 4): every department × (budget, each 一级指标), the red list


#: The 一级指标 groups in the order of the printed form; others (a city's own) follow as met.
GROUP_ORDER = (OUTPUT, COST, BENEFIT, SATISFACTION)
BUDGET_LABEL = "预算执行"


@dataclass(frozen=True, slots=True)
class Cell:
    """One colour of the grid: its word beside it, and why (the rows that gave it)."""

    colour: Colour | None
    why: str
    #: Rows far ahead (blue) under a worse colour: shown beside it (the target may be too low).
    blue_rows: int = 0
    blue_why: str = ""

    @property
    def word(self) -> str:
        return self.colour.word if self.colour is not None else COLOUR_WORDS["none"]

    @property
    def css(self) -> str:
        return f"warning-{self.colour.value}" if self.colour is not None else "warning-none"


@dataclass(frozen=True, slots=True)
class RedItem:
    """What is red in a department's report: the budget or a row, why, its cause and measure."""

    what: str
    why: str
    cause: str
    measure: str


@dataclass(frozen=True, slots=True)
class GridRow:
    row: RoundRow
    budget: Cell
    groups: list[Cell]
    department: Cell
    rate: Decimal | None
    reds: list[RedItem]


def groups_of(rows: list[RoundRow]) -> list[str]:
    """The 一级指标 groups of every received report: the printed form's first, then others."""
    seen: list[str] = []
    for row in rows:
        if row.warned is not None:
            seen += [g for g in row.warned.groups if g not in seen]
    return [g for g in GROUP_ORDER if g in seen] + [g for g in seen if g not in GROUP_ORDER]


def _group_cell(warned: Warnings, group: str) -> Cell:
    if group not in warned.groups:
        return Cell(None, f"{group}：本表没有该类指标")
    colour = warned.groups[group]
    if colour is None:
        return Cell(None, f"{group}：尚不能判断（完成值未填或无法识别）")
    mine = [r for r in warned.rows if r.level1 == group]
    rows = [f"第{r.row}行“{r.name}”" for r in mine if r.alert.colour is colour]
    blue = [f"第{r.row}行“{r.name}”" for r in mine if r.alert.colour is Colour.BLUE]
    if colour is Colour.BLUE:
        return Cell(colour, f"{group}：{colour.word}（{'、'.join(rows)}）")
    return Cell(
        colour,
        f"{group}：{colour.word}（{'、'.join(rows)}）",
        len(blue),
        f"{group}远超进度（蓝）：{'、'.join(blue)}，目标可能定得偏低" if blue else "",
    )


def _reds(report: MonitoringReport, warned: Warnings) -> list[RedItem]:
    items = []
    if warned.budget.alert.colour is Colour.RED:
        reason = report.funds.reason.strip()
        items.append(RedItem(BUDGET_LABEL, warned.budget.alert.why, reason, reason))
    for row in warned.rows:
        if row.alert.colour is not Colour.RED:
            continue
        progress = report.indicators[row.row - 1]
        cause = "、".join(progress.causes)
        if progress.cause_note.strip():
            cause = f"{cause}：{progress.cause_note.strip()}" if cause else progress.cause_note.strip()
        items.append(RedItem(f"第{row.row}行 {row.name}", row.alert.why, cause, progress.measures.strip()))
    return items


def grid(rows: list[RoundRow], groups: list[str]) -> list[GridRow]:
    """The grid of ``rows`` (departments) × (budget, ``groups``), each cell a colour with its word;
    the figures are the library's ``warnings`` of the version the bureau received."""
    out = []
    for row in rows:
        warned, report = row.warned, row.report
        if warned is None or report is None:
            blank = Cell(None, "财政局尚未收到监控表")
            out.append(GridRow(row, blank, [blank for _ in groups], blank, None, []))
            continue
        budget = Cell(warned.budget.alert.colour, warned.budget.alert.why)
        department = Cell(warned.department.colour, warned.department.why)
        cells = [_group_cell(warned, group) for group in groups]
        out.append(GridRow(row, budget, cells, department, warned.budget.rate, _reds(report, warned)))
    return out


# ---------------------------------------------------------------------------------------------
# Into the self-evaluation (issue 12, item 6): what the year's monitoring forecast, per row


@dataclass(frozen=True, slots=True)
class Forecast:
    """What one indicator's monitoring said of the year: 全年预计完成值 and 完成可能性."""

    forecast: str
    likelihood: str


@dataclass(frozen=True, slots=True)
class LastMonitoring:
    """A department's last monitoring report of a year as the bureau has it: the accepted version,
    else the latest submitted one (``received_version``: an accepted report is final, and a
    withdrawn submission is no longer received); its forecast per indicator, keyed by the row's
    一级/二级/三级指标 (the self-evaluation and the report are both made from the approved table,
    so the keys meet; a row the report does not have has no forecast)."""

    filing: Filing
    version: int
    month: int
    accepted: bool
    rows: dict[tuple[str, str, str], Forecast]

    def of(self, level1: str, level2: str, name: str) -> Forecast | None:
        return self.rows.get((level1, level2, name))

    @property
    def label(self) -> str:
        """运行监控（截至7月，第2版，已确认）."""
        state = Status.ACCEPTED.label if self.accepted else Status.SUBMITTED.label
        return f"运行监控（截至{self.month}月，第{self.version}版，{state}）"


def last_monitoring(department_id: int, year: int) -> LastMonitoring | None:
    """The department's monitoring report of ``year`` the self-evaluation takes its forecasts from
    (None: there is none, or the bureau never received it)."""
    filing = (
        Filing.objects.filter(kind=Kind.MONITORING, year=year, department_id=department_id)
        .defer("data", "row_keys")
        .annotate(
            received_number=F("received_version__number"), received_made=F("received_version__created_at")
        )
        .first()
    )
    if filing is None or filing.received_version_id is None:
        return None
    received = (filing.received_version_id, filing.received_made)
    report, _ = warned_versions([received], profile_of(year))[filing.received_version_id]
    rows = {}
    for _, indicator, progress in report.indicator_rows():
        key = (indicator.level1, indicator.level2, indicator.name)
        if key in rows:  # the same indicator twice: no way to tell which is which
            rows[key] = Forecast("", "")
            continue
        rows[key] = Forecast(
            (progress.forecast or "").strip(),
            (progress.likelihood or "").strip(),
        )
    return LastMonitoring(
        filing,
        getattr(filing, "received_number", 0),
        report.month,
        filing.status == Status.ACCEPTED,
        rows,
    )
