"""Who may see and do what: the one place that decides (NetBox's ``restrict``).

Every view, API endpoint, admin list and service asks :func:`restrict` (a queryset of the filings a
user may act on), :func:`allowed` (one filing) or :func:`allowed_actions` (all actions on one
filing, for a page's buttons), so they cannot disagree.

The policy (issue 4, "People and access"):

- anyone, signed in or not, sees what is published;
- a department's people see and edit only their own department's tables, including the working
  copy and its save history (``DRAFT``);
- the finance bureau (财政审核人, 管理员) sees what has been submitted to it — the submitted versions,
  the review comments and the workflow history, never a department's working copy or what a
  部门负责人 returned before it went out — and reviews, returns, approves and publishes;
- 部门负责人 approves their own department's filing before it goes to the finance bureau, where the
  city asks for it;
- whoever submitted a version cannot approve it;
- a department's filer or head may withdraw a submission (back to 草稿) until the finance bureau
  has opened it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from jixiao_web.models import EDITABLE, Department, Filing, Received, Role, Status

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jixiao_web.models import User, Version


class Action(StrEnum):
    """What one can do to a filing."""

    VIEW = "view"  # read the table (published: anyone)
    HISTORY = "history"  # read its submitted versions, review comments and workflow history
    DRAFT = "draft"  # read the working copy, its save history and the department's own comments
    EDIT = "edit"  # change the working copy
    SUBMIT = "submit"
    HEAD_REVIEW = "head_review"  # 部门负责人: approve or return before it goes out
    REVIEW = "review"  # 财政审核人: comment, grade, return, approve
    PUBLISH = "publish"
    #: The department takes back a submission nobody has reviewed yet (the service refuses it,
    #: with the reason, once the finance bureau has opened the version).
    WITHDRAW = "withdraw"
    CONTACT = "contact"  # season: the department's 单位负责人, 填报人, 联系电话, 填报日期 for printing


FILERS = (Role.FILER, Role.HEAD)
FINANCE = (Role.REVIEWER, Role.ADMIN)
NOTHING = Q(pk__in=[])


def _own(user: User) -> Q:
    return Q(department_id=user.department_id) if user.department_id else NOTHING


def _rule(user: User | AnonymousUser, action: Action) -> Q:
    """The filings ``user`` may do ``action`` to, as a query condition."""
    published = Q(status=Status.PUBLISHED)
    if not user.is_authenticated or not user.is_active:
        return published if action is Action.VIEW else NOTHING
    role = user.role
    finance = role in FINANCE
    received = Q(received_version__isnull=False) if finance else NOTHING
    if action is Action.VIEW:
        return published | received | _own(user)
    if action is Action.HISTORY:
        return received | _own(user)
    if action is Action.DRAFT:
        return _own(user)
    if action in (Action.EDIT, Action.SUBMIT):
        return _own(user) & Q(status__in=EDITABLE) if role in FILERS else NOTHING
    if action is Action.WITHDRAW:
        waiting = Q(status__in=(Status.HEAD_REVIEW, Status.SUBMITTED))
        return _own(user) & waiting if role in FILERS else NOTHING
    if action is Action.HEAD_REVIEW:
        mine = ~Q(submitted_by=user)
        return _own(user) & Q(status=Status.HEAD_REVIEW) & mine if role == Role.HEAD else NOTHING
    if action is Action.REVIEW:
        return Q(status=Status.SUBMITTED) & ~Q(submitted_by=user) if finance else NOTHING
    if action is Action.PUBLISH:
        return Q(status=Status.APPROVED) if finance else NOTHING
    if action is Action.CONTACT:  # in any state: a phone number changes after submitting too
        return _own(user) if role in FILERS else NOTHING
    raise ValueError(action)


def restrict(
    user: User | AnonymousUser, action: Action | str, queryset: QuerySet[Filing] | None = None
) -> QuerySet[Filing]:
    """The filings (of ``queryset``, default all) that ``user`` may do ``action`` to."""
    base = Filing.objects.all() if queryset is None else queryset
    return base.filter(_rule(user, Action(action)))


def allowed(user: User | AnonymousUser, action: Action | str, filing: Filing) -> bool:
    """Whether ``user`` may do ``action`` to ``filing`` (as stored now)."""
    return restrict(user, action, Filing.objects.filter(pk=filing.pk)).exists()


def allowed_actions(user: User | AnonymousUser, filing: Filing) -> set[Action]:
    """Every action ``user`` may do to ``filing``, in one query (for a page's buttons)."""
    checks = {action.value: Count("pk", filter=_rule(user, action) & Q(pk=filing.pk)) for action in Action}
    counts = Filing.objects.filter(pk=filing.pk).aggregate(**checks)
    return {Action(name) for name, count in counts.items() if count}


# --- season: print to sign ---------------------------------------------------------------------


def may_print(user: User | AnonymousUser, filing: Filing, version: Version | None) -> bool:
    """Whether ``user`` may print ``filing``'s working copy (``version`` None) or ``version``: the
    department its working copy and every version; the finance bureau the versions it received
    (never a working copy, nor a version a 部门负责人 returned or still holds)."""
    if version is None:
        return allowed(user, Action.DRAFT, filing)
    if version.filing_id != filing.pk or not allowed(user, Action.HISTORY, filing):
        return False
    return allowed(user, Action.DRAFT, filing) or Received.objects.filter(version=version).exists()


def departments_filing_for(user: User | AnonymousUser) -> QuerySet[Department]:
    """The departments ``user`` may start a table for: their own, if they file."""
    if not user.is_authenticated or not user.is_active or user.role not in FILERS or not user.department_id:
        return Department.objects.none()
    return Department.objects.filter(pk=user.department_id, is_finance_bureau=False)


def is_finance(user: User | AnonymousUser) -> bool:
    """Whether ``user`` works in the finance bureau (sees the review queue)."""
    return bool(user.is_authenticated and user.is_active and user.role in FINANCE)


def is_admin(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role == Role.ADMIN)


# --- library: the indicator library (指标库) ---------------------------------------------------


def may_use_library(user: User | AnonymousUser) -> bool:
    """Whether ``user`` may ask the 指标库 for suggestions: whoever files for a department, and the
    finance bureau.  What it answers is only what the bureau approved, never another draft."""
    if not user.is_authenticated or not user.is_active:
        return False
    return (user.role in FILERS and bool(user.department_id)) or user.role in FINANCE


def may_manage_library(user: User | AnonymousUser) -> bool:
    """Whether ``user`` sees the 指标库 page and marks its entries: the finance bureau."""
    return is_finance(user)
