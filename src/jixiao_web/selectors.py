"""Everything that reads data for pages and the API, always through :func:`access.restrict`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import F, Min, Q, QuerySet
from django.utils import timezone

from jixiao_web.access import FINANCE, Action, is_finance, may, restrict
from jixiao_web.models import (
    AuditAction,
    AuditEntry,
    Comment,
    CommentReply,
    Department,
    Filing,
    FilingYear,
    Kind,
    Role,
    Status,
    Version,
)
from jixiao_web.reminders import late_days
from jixiao_web.rows import row_of
from jixiao_web.wording import place_of
from jixiao_web.workflow import SELFEVAL, TARGET

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jixiao_web.models import User
    from jixiao_web.selfeval import Scored


def visible_filings(
    user: User | AnonymousUser, year: int | None = None, kind: str | None = Kind.TARGET
) -> QuerySet[Filing]:
    """The filings ``user`` may see (of ``year``; of ``kind``, None: every kind)."""
    filings = restrict(user, Action.VIEW).select_related("department")
    if kind is not None:
        filings = filings.filter(kind=kind)
    return filings.filter(year=year) if year is not None else filings


def latest_version(filing: Filing) -> Version | None:
    return filing.versions.order_by("-number").first()


def versions_of(filing: Filing, user: User | AnonymousUser, can: Can = None) -> QuerySet[Version]:
    """The versions ``user`` may read, oldest first: all for the department; for the finance
    bureau those it received (not one a 部门负责人 returned or still holds)."""
    versions = filing.versions.select_related("created_by").order_by("number")
    if _may(user, Action.DRAFT, filing, can):
        return versions
    # editor: a version the department withdrew before anyone opened it is no longer received.
    return versions.filter(received__isnull=False, withdrawal__isnull=True)


def previous_version(version: Version, user: User | AnonymousUser, can: Can = None) -> Version | None:
    """The version before ``version`` that ``user`` may read (what the reviewer compares against)."""
    return (
        versions_of(version.filing, user, can).filter(number__lt=version.number).order_by("-number").first()
    )


def reviewed_version(user: User | AnonymousUser, filing: Filing, can: Can = None) -> Version | None:
    """The version the review page shows ``user``: the latest the user may read."""
    return versions_of(filing, user, can).order_by("-number").first()


#: What a page already knows the user may do to the filing (``access.allowed_actions``), so that
#: the selectors below need not ask again; None: ask.
Can = Collection[Action] | None


def _may(user: User | AnonymousUser, action: Action, filing: Filing, can: Can) -> bool:
    return action in can if can is not None else may(user, action, filing)


def comments_of(filing: Filing, user: User | AnonymousUser, can: Can = None) -> QuerySet[Comment]:
    """The comments ``user`` may read: all for the department; the finance bureau's for others."""
    comments = filing.comments.select_related("author", "version")
    return comments if _may(user, Action.DRAFT, filing, can) else comments.filter(author__role__in=FINANCE)


@dataclass(frozen=True, slots=True)
class ShownComment:
    """A comment as a page shows it: where it was made, where its row is now, whose, the reply."""

    comment: Comment
    #: Where it was made, on its version: ``绩效指标第3行``.
    place: str
    #: The row's number in the state the page shows (None: a section comment, or the row is gone).
    row_now: int | None
    #: ``现为第5行`` when the row moved, ``该行已删除`` when it is gone, else empty.
    now: str
    #: Written by the department's 部门负责人 (not the finance bureau).
    by_head: bool
    #: The department's latest reply the user may read.
    reply: CommentReply | None
    #: A reply typed into a form that was not saved (shown again instead of ``reply``).
    typed: str | None = None
    typed_fixed: bool = False

    @property
    def text(self) -> str:
        return self.comment.text

    @property
    def section(self) -> str:
        return self.comment.section

    @property
    def row(self) -> int | None:
        """The row as the comment was made (its version's); ``row_now`` is where it is now."""
        return self.comment.row

    @property
    def reply_text(self) -> str:
        return self.typed if self.typed is not None else (self.reply.text if self.reply else "")

    @property
    def reply_fixed(self) -> bool:
        return self.typed_fixed if self.typed is not None else bool(self.reply and self.reply.fixed)


def shown_comments(
    filing: Filing,
    user: User | AnonymousUser,
    keys: dict[str, list[str]] | None,
    can: Can = None,
) -> list[ShownComment]:
    """The comments ``user`` may read (:func:`comments_of`), each placed on the rows of the state
    the page shows (its ``keys``), with the latest reply: the department sees its replies as
    written; the finance bureau those written before the version it received."""
    comments = list(comments_of(filing, user, can).select_related("author"))
    replies = CommentReply.objects.filter(comment__in=comments).order_by("created_at", "pk")
    if not _may(user, Action.DRAFT, filing, can):
        received = filing.received_version
        replies = replies.filter(created_at__lte=received.created_at) if received else replies.none()
    latest = {reply.comment_id: reply for reply in replies}
    shown = []
    for comment in comments:
        row_now: int | None = None
        now = ""
        if comment.row is not None:
            if comment.row_key and keys is not None:
                row_now = row_of(keys, comment.section, comment.row_key)
                if row_now is None:
                    now = "该行已删除"
                elif row_now != comment.row:
                    now = f"现为第{row_now}行"
            else:
                row_now = comment.row  # a comment from before rows had keys: its number as made
        shown.append(
            ShownComment(
                comment,
                place_of(comment.section, comment.row),
                row_now,
                now,
                comment.author.role == Role.HEAD,
                latest.get(comment.pk),
            )
        )
    return shown


def typed_replies(shown: list[ShownComment], post: Mapping[str, Any]) -> list[ShownComment]:
    """``shown`` with the replies a refused form had typed (``reply:<pk>``, ``fixed:<pk>``)."""
    if "replied" not in post:
        return shown
    return [
        replace(
            c, typed=str(post.get(f"reply:{c.comment.pk}", "")), typed_fixed=f"fixed:{c.comment.pk}" in post
        )
        if f"reply:{c.comment.pk}" in post
        else c
        for c in shown
    ]


def history_of(filing: Filing, user: User | AnonymousUser, can: Can = None) -> QuerySet[AuditEntry]:
    """The audit entries ``user`` may read, newest first: the department sees every save of its
    working copy; others see the workflow (submissions, returns, approvals …) only."""
    entries = filing.audit.order_by("-seq")
    if _may(user, Action.DRAFT, filing, can):
        return entries
    return entries.exclude(action__in=DEPARTMENT_ONLY_ACTIONS)


#: Audit actions about a department's working copy and its internal review: starting, saving and
#: replying, and the workflow's transitions the finance bureau does not see (``bureau_sees``).
DEPARTMENT_ONLY_ACTIONS = (
    AuditAction.START,
    AuditAction.SAVE,
    AuditAction.REPLY,
    *TARGET.department_only(),
)


@dataclass(frozen=True, slots=True)
class Shown:
    """The state of a table a user is shown: the working copy, the latest submitted version or the
    published version, with the library's report of it."""

    source: str
    data: dict[str, object]
    version: Version | None


def shown_table(user: User | AnonymousUser, filing: Filing, can: Can = None) -> Shown | None:
    """What ``user`` reads of ``filing``: the department its working copy, the finance bureau the
    latest version submitted to it, anyone else the published version; None when nothing."""
    if _may(user, Action.DRAFT, filing, can):
        return Shown("working_copy", filing.data, None)
    received = filing.received_version
    if received is not None and _may(user, Action.HISTORY, filing, can):
        return Shown("latest_version", received.data, received)
    if filing.published_version is not None and filing.status in TARGET.public:
        return Shown("published_version", filing.published_version.data, filing.published_version)
    return None


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One department in the review queue for a year."""

    department: Department
    filing: Filing | None
    first_submitted: datetime | None
    late: bool
    #: Where a table the finance bureau cannot see yet stands: 未开始, 草稿, 待部门负责人审核.
    progress: str = "未开始"
    #: reminders: days late (0: not late).
    late_days: int = 0

    @property
    def status_label(self) -> str:
        return self.filing.get_status_display() if self.filing is not None else self.progress

    @property
    def state(self) -> str:
        """Where it stands as the finance bureau may know it: a status it sees, or one of
        ``none`` (未开始), ``draft`` (草稿), or a state the table announces (待部门负责人审核)."""
        if self.filing is not None:
            return str(self.filing.status)
        known = {label: str(status) if status is not None else "none" for status, label in PROGRESS.items()}
        return known.get(self.progress, "draft")

    @property
    def link_label(self) -> str:
        """The queue's link to it: 审核 when it waits for the bureau, else 查看."""
        return TARGET.state(self.filing.status).queue_link if self.filing is not None else ""


#: One name per state for every role: a table still with its department (a draft, or one its
#: head sent back inside the department) is a 草稿 to the finance bureau, unless the workflow
#: announces its state (待部门负责人审核).
PROGRESS: dict[str | None, str] = {
    None: "未开始",
    **{state.status: state.label for state in TARGET.states if state.announced},
}


def review_queue(user: User | AnonymousUser, year: int) -> list[QueueRow]:
    """Every department for ``year``: what it submitted (as the finance bureau may see it) and
    whether it is late (first submitted after the deadline, or not yet submitted past it)."""
    if not is_finance(user):
        return []
    filing_year = FilingYear.objects.filter(year=year).first()
    deadline: datetime | None = filing_year.deadline if filing_year else None
    now = timezone.now()
    seen = {
        f.department_id: f
        for f in visible_filings(user, year)
        .defer("data")
        .select_related("received_version")
        .defer("received_version__data", "received_version__report")
    }
    # Only the status and the first submission of tables not yet seen: never their content.
    states = {
        department_id: (status, first)
        for department_id, status, first in Filing.objects.filter(year=year, kind=Kind.TARGET)
        # editor: a withdrawn submission does not count as submitted (for lateness either).
        .annotate(first=Min("versions__received__at", filter=Q(versions__withdrawal__isnull=True)))
        .values_list("department_id", "status", "first")
    }
    rows = []
    for department in Department.objects.filter(is_finance_bureau=False):
        status, submitted = states.get(department.pk, (None, None))
        late_by = late_days(deadline, submitted, now)
        late = late_by > 0
        progress = PROGRESS.get(status, TARGET.state(TARGET.initial).label)
        rows.append(QueueRow(department, seen.get(department.pk), submitted, late, progress, late_by))
    rows.sort(key=lambda r: (TARGET.state(r.filing.status).queue_order if r.filing else 9, r.department.code))
    return rows


# --- season: the queue's year, tabs and filters; the progress of a year -------------------------

#: The queue's tabs: key → label (the workflow's).  待审核: waiting for the bureau; 已审核: decided
#: (returned, approved, published); 全部: every department.
QUEUE_TABS: dict[str, str] = dict(TARGET.tabs)


def queue_year(user: User | AnonymousUser) -> int | None:
    """The year the queue opens on: the latest with a table waiting for review, else the latest
    open year, else the latest year there is."""
    # The year alone: not the tables' contents.
    waiting = (
        visible_filings(user)
        .filter(status__in=TARGET.in_tab("waiting"))
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    if waiting is not None:
        return waiting
    year = open_years().order_by("-year").first() or FilingYear.objects.order_by("-year").first()
    return year.year if year is not None else None


def in_tab(row: QueueRow, tab: str) -> bool:
    """Whether ``row`` is listed under ``tab`` (the last tab lists every row)."""
    return tab == TARGET.tabs[-1][0] or row.state in TARGET.in_tab(tab)


def filtered_queue(
    rows: list[QueueRow], tab: str, query: str = "", late_only: bool = False
) -> list[QueueRow]:
    """The rows of ``tab`` whose department name holds ``query``, only the late ones if asked."""
    query = query.strip()
    return [
        row
        for row in rows
        if in_tab(row, tab) and query in row.department.name and (row.late or not late_only)
    ]


#: The states of a department's table in the order of the season (the workflow's), with their labels.
STATES: dict[str, str] = {"none": "未开始", **{str(state.status): state.label for state in TARGET.states}}


@dataclass(frozen=True, slots=True)
class StateCount:
    state: str
    label: str
    count: int
    percent: Decimal


@dataclass(frozen=True, slots=True)
class Progress:
    """A year of the season at a glance, as the finance bureau may know it."""

    year: int
    deadline: datetime | None
    departments: int
    states: list[StateCount]
    late: list[QueueRow]
    received: int
    average_errors: Decimal | None
    average_warnings: Decimal | None


def _percent(part: int, whole: int) -> Decimal:
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1")) if whole else Decimal(0)


def season_progress(user: User | AnonymousUser, year: int) -> Progress:
    """Counts and percentages by state, the late departments and the average findings of the
    tables received, for ``year`` (from :func:`review_queue`: what the bureau may see)."""
    rows = review_queue(user, year)
    counts = Counter(row.state for row in rows)
    received = [row.filing.received_version for row in rows if row.filing and row.filing.received_version]
    total = len(rows)

    def average(values: list[int]) -> Decimal | None:
        return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.1")) if values else None

    filing_year = FilingYear.objects.filter(year=year).first()
    return Progress(
        year=year,
        deadline=filing_year.deadline if filing_year else None,
        departments=total,
        states=[
            StateCount(state, label, counts[state], _percent(counts[state], total))
            for state, label in STATES.items()
        ],
        late=[row for row in rows if row.late],
        received=len(received),
        average_errors=average([version.errors for version in received if version is not None]),
        average_warnings=average([version.warnings for version in received if version is not None]),
    )


# --- end season ----------------------------------------------------------------------------------


def open_years() -> QuerySet[FilingYear]:
    return FilingYear.objects.filter(is_open=True)


def published_years() -> list[int]:
    """The years with a published target table or self-evaluation, latest first."""
    public = Q(kind=Kind.TARGET, status__in=TARGET.public) | Q(kind=Kind.SELFEVAL, status__in=SELFEVAL.public)
    return sorted(set(Filing.objects.filter(public).values_list("year", flat=True)), reverse=True)


def published(year: int) -> QuerySet[Filing]:
    return (
        Filing.objects.filter(kind=Kind.TARGET, status__in=TARGET.public, year=year)
        .select_related("department", "published_version")
        .order_by("department__code")
    )


def published_selfevals(year: int) -> QuerySet[Filing]:
    """A year's published self-evaluations, listed on the public index (each department's is also
    linked from its target table's page; this one finds it while that table is not published)."""
    return (
        Filing.objects.filter(kind=Kind.SELFEVAL, status__in=SELFEVAL.public, year=year)
        .select_related("department")
        .order_by("department__code")
    )


# --- selfeval: the bureau's list of a year's self-evaluations -----------------------------------


@dataclass(frozen=True, slots=True)
class SelfEvalRow:
    """One department of a self-evaluation round, as the finance bureau may know it."""

    department: Department
    filing: Filing | None
    #: 未开始 (no approved target table yet), 草稿, or the status the bureau sees.
    status_label: str
    submitted: datetime | None
    late: bool
    execution_rate: Decimal | None = None
    total: Decimal | None = None
    grade: str = ""
    #: The scores of the version the bureau received (None: nothing received yet).
    scored: Scored | None = None
    #: The number of the version the bureau received.
    version: int | None = None
    #: reminders: days late (0: not late).
    late_days: int = 0


def selfeval_queue(user: User | AnonymousUser, year: int) -> list[SelfEvalRow]:
    """Every department for ``year``'s round: the status of its self-evaluation, the execution
    rate, total and grade of the version the bureau received (with its reviewed scores), lateness."""
    from jixiao_web import selfeval
    from jixiao_web.models import SelfEvalRound

    if not is_finance(user):
        return []
    round_ = SelfEvalRound.objects.filter(year=year).first()
    deadline = round_.deadline if round_ is not None else None
    now = timezone.now()
    filings = {
        f.department_id: f
        for f in Filing.objects.filter(kind=Kind.SELFEVAL, year=year)
        .defer("data", "row_keys")
        .annotate(
            first=Min("versions__received__at", filter=Q(versions__withdrawal__isnull=True)),
            received_number=F("received_version__number"),
            received_made=F("received_version__created_at"),
        )
    }
    # Every received version scored at once (a fixed number of queries, each version scored once
    # per process): the overview of a city's hundred departments is one page view.
    scored_by_version = selfeval.scored_versions(
        [
            (f.received_version_id, f.received_made)
            for f in filings.values()
            if f.received_version_id is not None
        ],
        selfeval.profile_of(year),
    )
    rows = []
    for department in Department.objects.filter(is_finance_bureau=False):
        filing = filings.get(department.pk)
        submitted = getattr(filing, "first", None)
        late_by = late_days(deadline, submitted, now)
        late = late_by > 0
        if filing is None:
            rows.append(
                SelfEvalRow(department, None, "未生成（目标表未审核）", None, late, late_days=late_by)
            )
            continue
        if filing.received_version_id is None:
            rows.append(SelfEvalRow(department, None, Status.DRAFT.label, submitted, late, late_days=late_by))
            continue
        scored = scored_by_version[filing.received_version_id]
        rows.append(
            SelfEvalRow(
                department,
                filing,
                filing.get_status_display(),
                submitted,
                late,
                scored.scores.execution.rate_percent,
                scored.total,
                scored.grade,
                scored,
                getattr(filing, "received_number", None),
                late_by,
            )
        )
    rows.sort(key=lambda r: (r.filing is None, r.department.code))
    return rows
