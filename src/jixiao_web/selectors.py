"""Everything that reads data for pages and the API, always through :func:`access.restrict`."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from jixiao_web.access import FINANCE, Action, allowed, is_finance, restrict
from jixiao_web.models import AuditEntry, Comment, Department, Filing, FilingYear, Status, Version

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jixiao_web.models import User


def visible_filings(user: User | AnonymousUser, year: int | None = None) -> QuerySet[Filing]:
    filings = restrict(user, Action.VIEW).select_related("department")
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
    return action in can if can is not None else allowed(user, action, filing)


def comments_of(filing: Filing, user: User | AnonymousUser, can: Can = None) -> QuerySet[Comment]:
    """The comments ``user`` may read: all for the department; the finance bureau's for others."""
    comments = filing.comments.select_related("author", "version")
    return comments if _may(user, Action.DRAFT, filing, can) else comments.filter(author__role__in=FINANCE)


def history_of(filing: Filing, user: User | AnonymousUser, can: Can = None) -> QuerySet[AuditEntry]:
    """The audit entries ``user`` may read, newest first: the department sees every save of its
    working copy; others see the workflow (submissions, returns, approvals …) only."""
    entries = filing.audit.order_by("-seq")
    if _may(user, Action.DRAFT, filing, can):
        return entries
    return entries.exclude(action__in=DEPARTMENT_ONLY_ACTIONS)


#: Audit actions about a department's working copy and its internal review.
DEPARTMENT_ONLY_ACTIONS = ("start", "save", "submit_to_head", "head_return", "withdraw_from_head")


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
    if filing.published_version is not None and filing.status == Status.PUBLISHED:
        return Shown("published_version", filing.published_version.data, filing.published_version)
    return None


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One department in the review queue for a year."""

    department: Department
    filing: Filing | None
    first_submitted: datetime | None
    late: bool
    #: Where a table the finance bureau cannot see yet stands: 未开始, 填报中, 待部门负责人审核.
    progress: str = "未开始"

    @property
    def status_label(self) -> str:
        return self.filing.get_status_display() if self.filing is not None else self.progress


PROGRESS: dict[str | None, str] = {None: "未开始", Status.HEAD_REVIEW: "待部门负责人审核"}


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
        for department_id, status, first in Filing.objects.filter(year=year)
        # editor: a withdrawn submission does not count as submitted (for lateness either).
        .annotate(first=Min("versions__received__at", filter=Q(versions__withdrawal__isnull=True)))
        .values_list("department_id", "status", "first")
    }
    rows = []
    for department in Department.objects.filter(is_finance_bureau=False):
        status, submitted = states.get(department.pk, (None, None))
        late = deadline is not None and (submitted > deadline if submitted is not None else now > deadline)
        progress = PROGRESS.get(status, "填报中")
        rows.append(QueueRow(department, seen.get(department.pk), submitted, late, progress))
    order = {Status.SUBMITTED: 0, Status.RETURNED: 1, Status.APPROVED: 2, Status.PUBLISHED: 3}
    rows.sort(key=lambda r: (order.get(Status(r.filing.status), 9) if r.filing else 9, r.department.code))
    return rows


def open_years() -> QuerySet[FilingYear]:
    return FilingYear.objects.filter(is_open=True)


def published_years() -> list[int]:
    return sorted(
        set(Filing.objects.filter(status=Status.PUBLISHED).values_list("year", flat=True)), reverse=True
    )


def published(year: int) -> QuerySet[Filing]:
    return (
        Filing.objects.filter(status=Status.PUBLISHED, year=year)
        .select_related("department", "published_version")
        .order_by("department__code")
    )
