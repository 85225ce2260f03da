"""Deadlines, in-app notices and e-mail reminders, for every kind of document.

- Each kind has its deadline per year: the target table's in :class:`FilingYear`, the
  self-evaluation's in :class:`SelfEvalRound`, the monitoring report's in :class:`MonitoringRound`
  (:func:`deadline_of`).  A document not yet with the finance bureau after it is late by whole days,
  rounded up (:func:`late_days`); the queues show 逾期 N 天.
- A department's home page lists what is due (with the days left, or how late it is) and what was
  returned to it, with the comments (:func:`notices`).
- E-mail: :func:`on_returned` (called by the return transition, in its transaction) writes one
  :class:`Reminder` per person of the department and enqueues its delivery; :func:`sweep` (run by
  the worker every ``REMIND_SWEEP_MINUTES``, or by ``jixiao remind``) does the same for documents
  not submitted ``REMIND_DAYS_BEFORE`` days before their deadline.  A reminder is written once per
  (reason, document, person, occasion), so a sweep run again sends nothing twice.  The worker
  sends it (:func:`deliver`); a mail server that refuses is tried again later
  (:mod:`jixiao_web.tasks`), each attempt and its error recorded on the reminder.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from jixiao_web.models import (
    Comment,
    Department,
    Filing,
    FilingYear,
    Kind,
    MailReason,
    MailStatus,
    MonitoringRound,
    Reminder,
    Role,
    SelfEvalRound,
    Status,
    User,
)
from jixiao_web.wording import comment_line

#: Not yet with the finance bureau: still to be submitted before the deadline.
NOT_SUBMITTED = (Status.DRAFT, Status.RETURNED, Status.HEAD_REVIEW)
#: What a department calls each kind of document in a notice or an e-mail.
DOCUMENT = {
    Kind.TARGET: "部门整体预算绩效目标表",
    Kind.SELFEVAL: "部门整体支出绩效自评表",
    Kind.MONITORING: "部门整体支出绩效运行监控表",
}
DAY = timedelta(days=1)
NOT_STARTED = "尚未开始填报"


def deadlines(kind: str) -> dict[int, datetime]:
    """Every year's deadline for ``kind`` (target tables: the open years only)."""
    if kind == Kind.TARGET:
        return dict(FilingYear.objects.filter(is_open=True).values_list("year", "deadline"))
    model = SelfEvalRound if kind == Kind.SELFEVAL else MonitoringRound
    return dict(model.objects.values_list("year", "deadline"))


def deadline_of(kind: str, year: int) -> datetime | None:
    """The deadline of ``kind`` for ``year`` (None: none set)."""
    if kind == Kind.TARGET:
        found = FilingYear.objects.filter(year=year).values_list("deadline", flat=True).first()
    else:
        model = SelfEvalRound if kind == Kind.SELFEVAL else MonitoringRound
        found = model.objects.filter(year=year).values_list("deadline", flat=True).first()
    return found


def _whole_days(span: timedelta) -> int:
    return max(1, math.ceil(span / DAY))


def late_days(deadline: datetime | None, submitted: datetime | None, now: datetime | None = None) -> int:
    """Days late (rounded up; 0: not late): submitted after the deadline, by how much; not yet
    submitted and past it, by how much until ``now``."""
    if deadline is None:
        return 0
    end = submitted if submitted is not None else (now or timezone.now())
    return _whole_days(end - deadline) if end > deadline else 0


def days_left(deadline: datetime, now: datetime | None = None) -> int:
    """Days until ``deadline``, rounded up (negative: days past it)."""
    span = deadline - (now or timezone.now())
    return _whole_days(span) if span > timedelta(0) else -_whole_days(-span) if span < timedelta(0) else 0


# ---------------------------------------------------------------------------------------------
# In-app notices


@dataclass(frozen=True, slots=True)
class Notice:
    """What a department's home page tells it about one document."""

    kind: str
    year: int
    deadline: datetime | None
    #: Days until the deadline (negative: past it), None without a deadline.
    days: int | None
    status_label: str
    url: str
    returned: bool = False
    comments: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.year}年度{DOCUMENT[Kind(self.kind)]}"

    @property
    def overdue(self) -> bool:
        return self.days is not None and self.days < 0

    @property
    def action(self) -> str:
        """The link's words: 去修改 (returned), 去填报 (not started), 详情 (with the head), 继续填报;
        none of them the words of the lists' own links (编辑, 填写, 查看) on the same page."""
        if self.returned:
            return "去修改"
        if self.status_label == NOT_STARTED:
            return "去填报"
        if self.status_label == Status.HEAD_REVIEW.label:
            return "详情"
        return "继续填报"

    @property
    def when(self) -> str:
        """还剩 N 天 / 今天截止 / 已逾期 N 天."""
        if self.days is None:
            return "未设截止时间"
        if self.days > 0:
            return f"还剩 {self.days} 天"
        if self.days == 0:
            return "今天截止"
        return f"已逾期 {-self.days} 天"


def page_of(filing: Filing | None) -> str:
    """The page where the department fills ``filing`` in (its home page when not started)."""
    if filing is None:
        return reverse("home") + "#start"
    name = {Kind.TARGET: "filing-edit", Kind.SELFEVAL: "selfeval-edit", Kind.MONITORING: "monitoring-edit"}
    if filing.status in (Status.DRAFT, Status.RETURNED):
        return reverse(name[Kind(filing.kind)], args=[filing.pk])
    detail = {
        Kind.TARGET: "filing-detail",
        Kind.SELFEVAL: "selfeval-detail",
        Kind.MONITORING: "monitoring-detail",
    }
    return reverse(detail[Kind(filing.kind)], args=[filing.pk])


def returned_comments(filing: Filing) -> list[str]:
    """The comments made on the version that was returned (the latest), each with its place."""
    comments = (
        Comment.objects.filter(filing=filing).select_related("version").order_by("-version__number", "pk")
    )
    latest: int | None = None
    said: list[str] = []
    for comment in comments:
        if latest is None:
            latest = comment.version.number
        if comment.version.number != latest:
            break
        said.append(comment_line(comment.section, comment.row, comment.text))
    return said


def notices(
    user: User | AnonymousUser, now: datetime | None = None, filings: Sequence[Filing] | None = None
) -> list[Notice]:
    """What ``user``'s department has to do: each document not yet submitted whose year has a
    deadline (a target table also when not yet started), returned ones with their comments;
    the most urgent first.  ``filings``: the department's documents of every kind, when the caller
    has loaded them already (the home page)."""
    department_id = getattr(user, "department_id", None)
    if department_id is None or getattr(user, "role", None) not in (Role.FILER, Role.HEAD):
        return []
    now = now or timezone.now()
    found: list[Notice] = []
    for kind in (Kind.TARGET, Kind.SELFEVAL, Kind.MONITORING):
        years = deadlines(kind)
        of_kind = (
            [f for f in filings if f.kind == kind and f.department_id == department_id]
            if filings is not None
            else Filing.objects.filter(department_id=department_id, kind=kind).defer("data", "row_keys")
        )
        by_year = {f.year: f for f in of_kind}
        for year in sorted({*years, *(y for y, f in by_year.items() if f.status == Status.RETURNED)}):
            filing = by_year.get(year)
            if filing is None and kind != Kind.TARGET:
                continue  # made by the round once the target table is approved
            if filing is not None and filing.status not in NOT_SUBMITTED:
                continue
            deadline = years.get(year)
            returned = filing is not None and filing.status == Status.RETURNED
            found.append(
                Notice(
                    kind,
                    year,
                    deadline,
                    days_left(deadline, now) if deadline is not None else None,
                    filing.get_status_display() if filing is not None else NOT_STARTED,
                    page_of(filing),
                    returned,
                    returned_comments(filing) if returned and filing is not None else [],
                )
            )
    found.sort(key=lambda n: (not n.returned, n.days if n.days is not None else 10**6, n.kind))
    return found


# ---------------------------------------------------------------------------------------------
# E-mail


def recipients(department_id: int) -> list[User]:
    """The department's people who fill or sign its documents and have an e-mail address."""
    return list(
        User.objects.filter(department_id=department_id, is_active=True, role__in=(Role.FILER, Role.HEAD))
        .exclude(email="")
        .order_by("pk")
    )


def link(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _returned_mail(filing: Filing, person: User, comments: Sequence[str], by_head: bool) -> tuple[str, str]:
    title = f"{filing.year}年度{DOCUMENT[Kind(filing.kind)]}"
    who = "部门负责人" if by_head else "财政局"
    deadline = deadline_of(filing.kind, filing.year)
    lines = [
        f"{person}：",
        "",
        f"{filing.department.name}的{title}已被{who}退回修改。",
    ]
    if comments:
        lines += ["", "审核意见：", *(f"  {i}. {text}" for i, text in enumerate(comments, 1))]
    if deadline is not None:
        lines += ["", f"提交截止时间：{timezone.localtime(deadline):%Y-%m-%d %H:%M}。"]
    lines += [
        "",
        f"请登录系统修改后重新提交：{link(page_of(filing))}",
        "",
        "（本邮件由系统自动发送，请勿回复。）",
    ]
    return f"【退回修改】{title}", "\n".join(lines)


def _due_mail(
    department: Department, kind: str, year: int, filing: Filing | None, deadline: datetime, person: User
) -> tuple[str, str]:
    title = f"{year}年度{DOCUMENT[Kind(kind)]}"
    left = days_left(deadline)
    state = filing.get_status_display() if filing is not None else NOT_STARTED
    lines = [
        f"{person}：",
        "",
        f"{department.name}的{title}提交截止时间为 {timezone.localtime(deadline):%Y-%m-%d %H:%M}，还剩 {left} 天。",
        f"目前状态：{state}，尚未提交财政局。",
        "",
        f"请登录系统按时填报并提交：{link(page_of(filing))}",
        "",
        "（本邮件由系统自动发送，请勿回复。）",
    ]
    return f"【截止提醒】{title}还剩 {left} 天", "\n".join(lines)


def _write(
    *,
    reason: MailReason,
    department: Department,
    kind: str,
    year: int,
    filing: Filing | None,
    person: User,
    occasion: str,
    subject: str,
    body: str,
) -> Reminder | None:
    """The reminder of this occasion for ``person``, enqueued for delivery; None if it exists."""
    from jixiao_web import tasks

    reminder, made = Reminder.objects.get_or_create(
        reason=reason,
        kind=kind,
        year=year,
        department=department,
        recipient=person,
        occasion=occasion,
        defaults={"filing": filing, "address": person.email, "subject": subject, "body": body},
    )
    if not made:
        return None
    tasks.deliver_reminder.enqueue(reminder.pk)
    return reminder


def on_returned(
    filing: Filing, version_number: int, comments: Sequence[str], *, by_head: bool
) -> list[Reminder]:
    """``filing`` was returned (version ``version_number``): tell its department's people by
    e-mail.  Called inside the return's transaction, so the mails go only if the return holds."""
    made = []
    for person in recipients(filing.department_id):
        subject, body = _returned_mail(filing, person, comments, by_head)
        reminder = _write(
            reason=MailReason.RETURNED,
            department=filing.department,
            kind=filing.kind,
            year=filing.year,
            filing=filing,
            person=person,
            occasion=f"v{version_number}",
            subject=subject,
            body=body,
        )
        if reminder is not None:
            made.append(reminder)
    return made


def due(now: datetime | None = None) -> Iterable[tuple[str, int, datetime, Department, Filing | None]]:
    """Every (kind, year, deadline, department, document) not yet submitted whose deadline comes
    within ``REMIND_DAYS_BEFORE`` days (and has not passed)."""
    now = now or timezone.now()
    horizon = now + timedelta(days=settings.REMIND_DAYS_BEFORE)
    departments = list(Department.objects.filter(is_finance_bureau=False).order_by("code"))
    for kind in (Kind.TARGET, Kind.SELFEVAL, Kind.MONITORING):
        for year, deadline in sorted(deadlines(kind).items()):
            if not now < deadline <= horizon:
                continue
            filings = {
                f.department_id: f
                for f in Filing.objects.filter(kind=kind, year=year)
                .select_related("department")
                .defer("data", "row_keys")
            }
            for department in departments:
                filing = filings.get(department.pk)
                if filing is None and kind != Kind.TARGET:
                    continue
                if filing is not None and filing.status not in NOT_SUBMITTED:
                    continue
                yield kind, year, deadline, department, filing


def sweep(now: datetime | None = None) -> list[Reminder]:
    """Write (and enqueue) the deadline reminders due now that were not written before."""
    made = []
    with transaction.atomic():
        for kind, year, deadline, department, filing in due(now):
            for person in recipients(department.pk):
                subject, body = _due_mail(department, kind, year, filing, deadline, person)
                reminder = _write(
                    reason=MailReason.DUE,
                    department=department,
                    kind=kind,
                    year=year,
                    filing=filing,
                    person=person,
                    occasion=deadline.isoformat(),
                    subject=subject,
                    body=body,
                )
                if reminder is not None:
                    made.append(reminder)
    return made


class MailFailed(RuntimeError):
    """The mail server did not take a reminder; ``retry`` says whether it will be tried again."""

    def __init__(self, reminder: Reminder, error: Exception, retry: bool) -> None:
        super().__init__(f"提醒邮件 {reminder.pk}（{reminder.address}）发送失败：{error}")
        self.reminder = reminder
        self.retry = retry


def deliver(reminder_pk: int) -> bool:
    """Send reminder ``reminder_pk`` (once: False if it was sent already or given up on); a
    failure is recorded on it and raised as :class:`MailFailed`.

    No lock is held while the mail server answers (on SQLite that would stop every write): one
    reminder has one delivery task at a time, the next enqueued only after a failure."""
    reminder = Reminder.objects.get(pk=reminder_pk)
    if reminder.status != MailStatus.PENDING:
        return False
    reminder.attempts += 1
    try:
        EmailMessage(reminder.subject, reminder.body, settings.DEFAULT_FROM_EMAIL, [reminder.address]).send()
    except Exception as error:
        retry = reminder.attempts < settings.MAIL_ATTEMPTS
        reminder.status = MailStatus.PENDING if retry else MailStatus.FAILED
        reminder.last_error = f"{type(error).__name__}: {error}"[:2000]
        reminder.save(update_fields=["attempts", "status", "last_error"])
        raise MailFailed(reminder, error, retry) from error
    reminder.status = MailStatus.SENT
    reminder.sent_at = timezone.now()
    reminder.save(update_fields=["attempts", "status", "sent_at"])
    return True
