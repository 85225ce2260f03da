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

Who may take which step of the workflow (submit, head review, review, publish, withdraw, and edit
in which states) is not written here but read from the workflow table (:mod:`jixiao_web.workflow`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db.models import Field, Model, Q, QuerySet

from jixiao_web.models import Department, Filing, Received, Role
from jixiao_web.workflow import BUREAU, DEPARTMENT, TARGET, WORKFLOWS, Action, Workflow

__all__ = [
    "FILERS",
    "FINANCE",
    "Action",
    "allowed",
    "allowed_actions",
    "departments_filing_for",
    "is_admin",
    "is_finance",
    "may",
    "may_manage_library",
    "may_print",
    "may_use_library",
    "restrict",
]

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from jixiao_web.models import User, Version


FILERS = DEPARTMENT
FINANCE = BUREAU
NOTHING = Q(pk__in=[])


def _own(user: User) -> Q:
    return Q(department_id=user.department_id) if user.department_id else NOTHING


def _workflow_rule(user: User, action: Action, workflow: Workflow = TARGET) -> Q:
    """The documents ``user`` may do a workflow action to, from the table: an editable state for
    ``EDIT``; else a state some transition gated by ``action`` starts from, if ``user`` may take it."""
    if action is Action.EDIT:
        editable = Q(status__in=workflow.editable)
        return _own(user) & editable if user.role in workflow.editors else NOTHING
    rule = NOTHING
    for transition in workflow.gated_by(action):
        if user.role not in transition.roles:
            continue
        condition = Q(status__in=transition.sources)
        if transition.own:
            condition &= _own(user)
        if transition.not_submitter:
            condition &= ~Q(submitted_by=user)
        rule |= condition
    return rule


def _by_kind(decide: Callable[[Workflow], Q]) -> Q:
    """One condition per document kind, each from its own workflow table."""
    rule = NOTHING
    for kind, workflow in WORKFLOWS.items():
        rule |= Q(kind=kind) & decide(workflow)
    return rule


def _rule(user: User | AnonymousUser, action: Action) -> Q:
    """The filings ``user`` may do ``action`` to, as a query condition."""
    published = _by_kind(lambda workflow: Q(status__in=workflow.public))
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
    if action is Action.CONTACT:  # in any state: a phone number changes after submitting too
        return _own(user) if role in FILERS else NOTHING
    if any(action in workflow.gates for workflow in WORKFLOWS.values()):
        return _by_kind(lambda workflow: _workflow_rule(user, action, workflow))
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
    """Every action ``user`` may do to ``filing`` as loaded (for a page's buttons and what it shows).

    The same conditions as :func:`restrict`, evaluated on the loaded row instead of compiled into
    SQL once per action (which cost a page more CPU than everything else it did).  What changes
    anything is decided again by the service, on the row locked (:func:`allowed`).
    """
    return {action for action in Action if may(user, action, filing)}


def may(user: User | AnonymousUser, action: Action | str, filing: Filing) -> bool:
    """Whether ``user`` may do ``action`` to ``filing`` as loaded (see :func:`allowed_actions`)."""
    return matches(_rule(user, Action(action)), filing)


def matches(condition: Q, filing: Filing) -> bool:
    """Whether ``filing`` meets ``condition``, a condition of this module's rules, in Python.

    Only what the rules use is understood: a column's exact value, ``__in``, ``__isnull``, ``pk``,
    AND, OR and NOT; anything else raises ``ValueError`` rather than guess.  A test compares this
    with the database for every role, state and action.
    """
    results = (
        matches(child, filing) if isinstance(child, Q) else _lookup(child, filing)
        for child in condition.children
    )
    if condition.connector == Q.AND:
        met = all(results)
    elif condition.connector == Q.OR:
        met = any(results)
    else:
        raise ValueError(f"connector {condition.connector}")
    return not met if condition.negated else met


def _lookup(child: object, filing: Filing) -> bool:
    if not isinstance(child, tuple) or len(child) != 2:
        raise ValueError(f"condition {child!r}")
    path, expected = child
    name, _, lookup = str(path).partition("__")
    if name == "pk":
        name = "id"
    field = filing._meta.get_field(name)
    if not isinstance(field, Field):
        raise ValueError(f"condition on {path}")
    value = getattr(filing, field.attname)
    if isinstance(expected, Model):
        expected = expected.pk
    if lookup == "":
        return bool(value == expected)
    if lookup == "in":
        return value in list(expected)
    if lookup == "isnull":
        return (value is None) is bool(expected)
    raise ValueError(f"lookup {path}")


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
