"""Who gets what from every address: an explicit table of roles × filing states → response.

The expectations are written out by hand from the policy in ``jixiao_web/access.py``'s docstring,
not computed from :func:`jixiao_web.access.restrict`, so a change to the rules shows up here as a
changed row.  Who may take a workflow step (edit, submit, head review, review, publish, withdraw) in
which state is read from the workflow table (:meth:`jixiao_web.workflow.Workflow.permits`) instead of
a hand-written copy of it; what the page answers either way, and who may see the filing at all, are
written out here, and :func:`test_workflow_spot_checks` holds the table to a few hand-written facts
(a filer never approves; the finance bureau never sees a draft …).  In short: anyone sees what is published (a filing page the user may not read sends
them to the public page); a department's people see and edit only their own department's tables;
the finance bureau sees what reached it and reviews, returns, approves and publishes; whoever may
not even see a filing gets 404, never a hint that it exists; forbidden actions on a visible filing
change nothing and send the user back with a message.

:func:`test_every_named_url_is_in_the_matrix` fails when an address is added without a row here.

Each cell is run inside a savepoint that is rolled back, so one world of filings serves every cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse
from django.utils import timezone

from jixiao.model import TargetTable
from jixiao_web import services
from jixiao_web.audit import Actor
from jixiao_web.models import (
    ApiToken,
    AuditAction,
    AuditEntry,
    City,
    Comment,
    Department,
    Filing,
    FilingYear,
    Job,
    JobKind,
    LibraryEntry,
    Role,
    Status,
    User,
    Version,
)
from jixiao_web.services import ReviewComment
from jixiao_web.workflow import TARGET, Action

from . import matrix
from .conftest import api_token, rolled_back
from .matrix import ROLES, Row, Table, every, signed_in

STATES = ("draft", "head_review", "submitted", "returned", "approved", "published")
"""The owning department's filings, one per year, in these states (returned, approved and published
ones were submitted before, so they have versions; the draft never was)."""

YEARS = dict(zip(STATES, (2024, 2023, 2022, 2021, 2020, 2019), strict=True))
START_YEAR = 2025  # open, and nobody has a table for it yet

# ---------------------------------------------------------------------------------------------
# The matrix.
#
# An expectation is a status code (200, 404, 405 …) or, for a 302, where it goes:
#   ">login"  the sign-in page (with ?next=)      ">admin-login"  the admin's sign-in page
#   ">detail" the filing's page                   ">public"       the filing's public page
#   ">signin" the sign-in page, without ?next=    ">two-factor"   the two-factor set-up page
#   ">review" the filing's review page            ">queue" ">home" ">index" ">tokens"
#   ">edit"   the edit page of a newly started filing
# For POST, a trailing "!" means the action took effect (for a filing action: its status became
# ``Case.becomes``); without "!" nothing at all may change: no status, Filing, Version, Comment,
# AuditEntry or ApiToken row.  (Export rows may appear: the first download of a published version
# renders it and keeps the file, a cache.)
#
# ``expect`` maps a role to one expectation, or (for addresses of one filing) to a tuple of six,
# one per state in STATES order: draft, head_review, submitted, returned, approved, published.


@dataclass(frozen=True)
class Case:
    method: str
    expect: dict[str, Row]
    data: dict[str, str] = field(default_factory=dict)
    #: For filing actions: the status a "!" cell leaves the filing in.
    becomes: Status | None = None
    #: Where in the world the URL's arguments come from (see ``_args``).
    args: str = "none"
    note: str = ""


COMMENT = {"comment:tasks:1": "请细化第1项任务的实施内容"}
S6 = 6  # readability: a tuple of six is one row per state

#: The states in which the finance bureau has received a version (and so sees the filing).
RECEIVED = ("submitted", "returned", "approved", "published")
#: Who may take a workflow step in which state: the workflow table's (the people as
#: :data:`matrix.PEOPLE` says; the filer submitted every version).
TABLE = Table(TARGET, STATES, RECEIVED)
may, by_table, by_bureau, becomes = TABLE.may, TABLE.by_table, TABLE.by_bureau, TABLE.becomes

#: A department's filing action seen from outside the department: signed out, the sign-in page;
#: another department finds only the published filing (and is sent to its page); the finance
#: bureau cannot see a draft or one in the head's review, and is sent to the filing's page later.
OUTSIDERS: dict[str, Row] = {
    "anon": (">login",) * S6,
    "other_filer": (404, 404, 404, 404, 404, ">detail"),
    "reviewer": (404, 404, ">detail", ">detail", ">detail", ">detail"),
    "admin": (404, 404, ">detail", ">detail", ">detail", ">detail"),
}

MATRIX: dict[str, list[Case]] = {
    "home": [
        Case(
            "GET",
            {
                "anon": ">index",
                "filer": 200,
                "head": 200,
                "other_filer": 200,
                "reviewer": ">queue",
                "admin": ">queue",
            },
        )
    ],
    "login": [Case("GET", {"anon": 200, **dict.fromkeys(ROLES[1:], ">home")})],
    "logout": [
        Case("GET", every(405)),
        # Signing out is recorded in the history; nobody to record for an anonymous visitor.
        Case("POST", {**every(">index!"), "anon": ">index"}),
    ],
    "tokens": [
        Case("GET", signed_in(200)),
        Case("POST", signed_in("200!"), {"name": "脚本"}, note="a token for oneself"),
    ],
    "token-revoke": [
        Case("GET", signed_in(405), args="token"),
        Case(
            "POST",
            {
                "anon": ">login",
                "filer": ">tokens!",  # the filer's own token
                "head": 404,
                "other_filer": 404,
                "reviewer": 404,
                "admin": 404,
            },
            args="token",
        ),
    ],
    # --- accounts: the account page, password, sessions, two-factor authentication
    "account": [Case("GET", signed_in(200))],
    "login-verify": [
        # Nobody waits for a code here (no password just given): back to the sign-in page.
        Case("GET", {"anon": ">signin", **dict.fromkeys(ROLES[1:], ">home")}),
        Case("POST", {"anon": ">signin", **dict.fromkeys(ROLES[1:], ">home")}, {"code": "123456"}),
    ],
    "password-change": [
        Case("GET", signed_in(200)),
        Case("POST", signed_in(200), {"old_password": "wrong"}, note="refused: the form again"),
    ],
    "sign-out-everywhere": [
        Case("GET", signed_in(405)),
        Case("POST", {"anon": ">login", **dict.fromkeys(ROLES[1:], ">signin!")}),
    ],
    "session-ping": [
        Case("GET", {"anon": 401, **dict.fromkeys(ROLES[1:], 200)}),
        Case("POST", {"anon": 401, **dict.fromkeys(ROLES[1:], 200)}, note="keep-alive: no data changes"),
    ],
    "two-factor": [
        Case("GET", signed_in(200)),
        Case("POST", signed_in(200), {"code": "12345x"}, note="a wrong code: the form again"),
    ],
    "two-factor-disable": [
        Case("GET", signed_in(405)),
        Case("POST", signed_in(">two-factor"), {"code": "123456"}, note="nobody here has a second factor"),
    ],
    "filing-start": [
        Case("GET", signed_in(405)),
        Case(
            "POST",
            {
                "anon": ">login",
                "filer": ">edit!",
                "head": ">edit!",
                "other_filer": ">edit!",  # for their own department
                "reviewer": ">home",
                "admin": ">home",
            },
            {"year": str(START_YEAR), "mode": "blank"},
        ),
    ],
    "filing-upload": [
        Case(
            "GET",
            {
                "anon": ">login",
                "filer": 200,
                "head": 200,
                "other_filer": 200,
                "reviewer": ">home",
                "admin": ">home",
            },
        )
    ],
    "filing-detail": [
        Case(
            "GET",
            {
                #              draft  head_rev  submitted returned approved published
                "anon": (404, 404, 404, 404, 404, ">public"),
                "filer": (200, 200, 200, 200, 200, 200),
                "head": (200, 200, 200, 200, 200, 200),
                "other_filer": (404, 404, 404, 404, 404, ">public"),
                "reviewer": (404, 404, 200, 200, 200, 200),
                "admin": (404, 404, 200, 200, 200, 200),
            },
            args="pk",
        )
    ],
    "filing-edit": [
        Case("GET", {**OUTSIDERS, **by_table("edit", 200, ">detail")}, args="pk"),
        Case(
            "POST",
            {**OUTSIDERS, **by_table("edit", ">edit!", ">detail")},
            {"title": "改过的表名", "overall_goal": "改过的目标", "revision": "1"},
            args="pk",
            note="a save; the status stays",
        ),
    ],
    "filing-check": [
        Case("GET", every(405), args="pk"),
        Case(
            "POST",
            {
                # Signed out: a JSON 401 the filing form's script recognises, not the sign-in page.
                "anon": (401,) * S6,
                # Stores nothing: the department's own, in any state (a late check of a form
                # that was just submitted answers instead of failing).
                "filer": (200,) * S6,
                "head": (200,) * S6,
                "other_filer": (404,) * S6,
                "reviewer": (404,) * S6,
                "admin": (404,) * S6,
            },
            {"title": "x", "task_kind": "key", "task_name": "a", "task_amount": "1"},
            args="pk",
        ),
    ],
    "filing-submit": [
        Case("GET", signed_in(405), args="pk"),
        Case(
            "POST",
            {**OUTSIDERS, **by_table("submit", ">detail!", ">detail")},
            becomes=becomes("submit"),
            args="pk",
        ),
    ],
    "filing-head-review": [
        Case("GET", signed_in(405), args="pk"),
        Case(
            "POST",
            {**OUTSIDERS, **by_table("head_approve", ">detail!", ">detail")},
            {"decision": "approve"},
            becomes=becomes("head_approve"),
            args="pk",
        ),
        Case(
            "POST",
            # This address is the head's only: the finance bureau returns through review-decide.
            {**OUTSIDERS, **by_table("head_return", ">detail!", ">detail")},
            {"decision": "return", "comment:overall_goal": "请补充"},
            becomes=becomes("head_return"),
            args="pk",
        ),
    ],
    # editor: withdrawing a submission nobody has opened yet (the world's reviewer never opened one).
    "filing-withdraw": [
        Case("GET", signed_in(405), args="pk"),
        Case(
            "POST",
            {**OUTSIDERS, **by_table("withdraw", ">edit!", ">detail")},
            becomes=becomes("withdraw"),
            args="pk",
        ),
    ],
    # --- season: contact details and print to sign (the PDFs are rendered for real) ---
    "filing-contact": [
        Case("GET", signed_in(405), args="pk"),
        Case(
            "POST",
            {
                "anon": (">login",) * S6,
                # The department's own, in any state: a phone number changes after submitting too.
                "filer": (">detail!",) * S6,
                "head": (">detail!",) * S6,
                "other_filer": (404, 404, 404, 404, 404, ">detail"),
                "reviewer": (404, 404, ">detail", ">detail", ">detail", ">detail"),
                "admin": (404, 404, ">detail", ">detail", ">detail", ">detail"),
            },
            {"contact-contact_head": "王明", "contact-contact_phone": "0663-8231234"},
            args="pk",
        ),
    ],
    "filing-print": [
        Case(
            "GET",
            {
                "anon": (">login",) * S6,
                "filer": (200,) * S6,  # the working copy, marked 草稿
                "head": (200,) * S6,
                "other_filer": (404,) * S6,
                "reviewer": (404,) * S6,  # never a department's working copy
                "admin": (404,) * S6,
            },
            args="pk",
        )
    ],
    "version-print": [
        Case(
            "GET",
            {
                "anon": (">login",) * S6,
                "filer": (404, 200, 200, 200, 200, 200),  # a draft has no version 1
                "head": (404, 200, 200, 200, 200, 200),
                "other_filer": (404,) * S6,
                # Not the version the 部门负责人 still holds: only what the bureau received.
                "reviewer": (404, 404, 200, 200, 200, 200),
                "admin": (404, 404, 200, 200, 200, 200),
            },
            args="pk-v1",
        )
    ],
    "queue": [
        Case(
            "GET",
            {
                "anon": ">login",
                "filer": 404,
                "head": 404,
                "other_filer": 404,
                "reviewer": 200,
                "admin": 200,
            },
        )
    ],
    # season: the finance bureau's progress page and the queue's XLSX (what it received only)
    "progress": [Case("GET", {**dict.fromkeys(ROLES, 404), "anon": ">login", "reviewer": 200, "admin": 200})],
    "queue-export": [
        Case("GET", {**dict.fromkeys(ROLES, 404), "anon": ">login", "reviewer": 200, "admin": 200})
    ],
    "review": [
        Case(
            "GET",
            {
                # Not signed in: to the sign-in page, whatever the filing.
                "anon": (">login",) * S6,
                # A department reads its own versions and comments; a draft has no version yet.
                "filer": (404, 200, 200, 200, 200, 200),
                "head": (404, 200, 200, 200, 200, 200),
                "other_filer": (404,) * S6,
                # The first opening of a version waiting for review is recorded (withdrawing ends).
                "reviewer": (404, 404, "200!", 200, 200, 200),
                "admin": (404, 404, "200!", 200, 200, 200),
            },
            args="pk",
        )
    ],
    "review-decide": [
        Case("GET", signed_in(405), args="pk"),
        Case(
            "POST",
            {
                "anon": (">login",) * S6,
                "filer": (">review",) * S6,
                "head": (">review",) * S6,
                "other_filer": (404,) * S6,
                # review: a refused decision is the page again with what was typed (409: the
                # filing is no longer under review), not a redirect that loses it.
                **by_bureau("approve", ">queue!", 409),
            },
            {"decision": "approve", "grade": "优", "confirmed": "1"},
            becomes=becomes("approve"),
            args="pk",
        ),
        Case(
            "POST",
            {
                "anon": (">login",) * S6,
                "filer": (">review",) * S6,
                # This address is the finance bureau's only: a head returns through filing-head-review.
                "head": (">review",) * S6,
                "other_filer": (404,) * S6,
                **by_bureau("return", ">queue!", 409),
            },
            {"decision": "return", "grade": "中", "confirmed": "1", **COMMENT},
            becomes=becomes("return"),
            args="pk",
        ),
        Case(
            "POST",
            {
                "anon": (">login",) * S6,
                "filer": (">review",) * S6,
                "head": (">review",) * S6,
                "other_filer": (404,) * S6,
                # The page asks first (nothing filed changes); showing it opens the version for
                # review, which is recorded (editor: no withdrawing after that).
                **by_bureau("return", "200!", 409),
            },
            {"decision": "return", "grade": "中", **COMMENT},
            args="pk",
            note="review: not yet confirmed: the page asks, nothing filed changes",
        ),
    ],
    "review-publish": [
        Case("GET", signed_in(405), args="pk"),
        Case(
            "POST",
            {
                "anon": (">login",) * S6,
                "filer": (">review",) * S6,
                "head": (">review",) * S6,
                "other_filer": (404,) * S6,
                **by_bureau("publish", ">public!", ">review"),
            },
            {"confirmed": "1"},
            becomes=becomes("publish"),
            args="pk",
        ),
        Case(
            "POST",
            {
                "anon": (">login",) * S6,
                "filer": (">review",) * S6,
                "head": (">review",) * S6,
                "other_filer": (404,) * S6,
                **by_bureau("publish", 200, ">review"),
            },
            args="pk",
            note="review: not yet confirmed: the page asks, nothing changes",
        ),
    ],
    # library: the indicator library (指标库): suggestions for whoever files or reviews, the page and
    # its marks for the finance bureau only.
    "library": [Case("GET", {**signed_in(404), "reviewer": 200, "admin": 200})],
    "library-suggest": [Case("GET", signed_in(200))],
    "library-mark": [
        Case("GET", signed_in(405), args="entry"),
        Case(
            "POST",
            {**signed_in(404), "reviewer": ">library!", "admin": ">library!"},
            {"mark": "recommended", "note": "常用且可考核"},
            args="entry",
        ),
    ],
    # queue: a background job's page and its status are its starter's (the filer here) and the
    # administrator's; anybody else finds nothing.
    "job": [Case("GET", {**signed_in(404), "filer": 200, "admin": 200}, args="job")],
    "job-status": [
        Case("GET", {**signed_in(404), "filer": 200, "admin": 200}, args="job"),
        Case("POST", signed_in(405), args="job", note="reads only"),
    ],
    # queue: rebuilding the library is a background job (done at once here: JOBS_INLINE)
    "library-rebuild": [
        Case("GET", signed_in(405)),
        Case("POST", {**signed_in(404), "reviewer": ">library!", "admin": ">library!"}),
    ],
    "public-index": [Case("GET", every(200))],
    "favicon": [Case("GET", every(200))],  # words: the site's icon
    # ops: for the load balancer and the local scraper, by address and not by role (the test client
    # asks from 127.0.0.1, an allowed address; every other address gets 404 from /metrics: test_ops)
    "healthz": [Case("GET", every(200)), Case("POST", every(405))],
    "readyz": [Case("GET", every(200)), Case("POST", every(405))],
    "metrics": [Case("GET", every(200)), Case("POST", every(405))],
    "public-open-data": [Case("GET", every((404, 404, 404, 404, 404, 200)), args="year")],
    "public-table": [Case("GET", every((404, 404, 404, 404, 404, 200)), args="year-code")],
    "public-download": [
        Case("GET", every((404, 404, 404, 404, 404, 200)), args="year-code-json"),
        Case("GET", every((404,) * S6), args="year-code-exe", note="an unknown format"),
    ],
}

#: The admin site (``admin:`` names) is covered by its index only.
ADMIN_INDEX = {
    "anon": ">admin-login",
    "filer": ">admin-login",
    "head": ">admin-login",
    "other_filer": ">admin-login",
    "reviewer": ">admin-login",
    "admin": 200,
}

# >>> API MATRIX <<<  The JSON API (django-ninja, ``api:`` names; see jixiao_web/api.py), called
# here with the signed-in session (tokens are tested in test_api.py).  These rows cover the
# endpoints that existed when this file was written; every endpoint added there must get a row
# here (the guard test below fails until it does).
SEEN = (404, 404, 404, 404, 404, 200)  # only what is published
API_MATRIX: dict[str, list[Case]] = {
    "api-root": [Case("GET", every(404), note="django-ninja's placeholder at /api/")],
    "openapi-json": [Case("GET", every(200))],
    "openapi-view": [Case("GET", every(200))],
    "list_tables": [Case("GET", every(200), note="what each role is shown: test_api_table_list")],
    "get_table": [
        Case(
            "GET",
            {
                "anon": SEEN,
                "filer": (200, 200, 200, 200, 200, 200),
                "head": (200, 200, 200, 200, 200, 200),
                "other_filer": SEEN,
                "reviewer": (404, 404, 200, 200, 200, 200),
                "admin": (404, 404, 200, 200, 200, 200),
            },
            args="pk",
        )
    ],
    "list_versions": [
        Case(
            "GET",
            {
                "anon": (404,) * S6,
                "filer": (200, 200, 200, 200, 200, 200),
                "head": (200, 200, 200, 200, 200, 200),
                "other_filer": (404,) * S6,
                "reviewer": (404, 404, 200, 200, 200, 200),
                "admin": (404, 404, 200, 200, 200, 200),
            },
            args="pk",
        )
    ],
    "download_export": [
        Case("GET", every(SEEN), args="pk-json"),
        Case("GET", every((404,) * S6), args="pk-exe", note="an unknown format"),
    ],
    # No file posted: whoever is let in gets 422 for the missing file, before anything is read.
    "validate_file": [Case("POST", {"anon": 401, **dict.fromkeys(ROLES[1:], 422)})],
}

#: GET /api/tables: the states of the owning department's filings each role is shown.
API_LISTED = {
    "anon": {"published"},
    "filer": set(STATES),
    "head": set(STATES),
    "other_filer": {"published"},
    "reviewer": {"submitted", "returned", "approved", "published"},
    "admin": {"submitted", "returned", "approved", "published"},
}

# ---------------------------------------------------------------------------------------------
# The world the matrix runs against


@dataclass(kw_only=True)
class World(matrix.World):
    token: ApiToken


@pytest.fixture
def world(
    people: dict[str, User],
    department: Department,
    seed_table: TargetTable,
    actor: Callable[[str], Actor],
    no_renderings: None,
) -> World:
    deadline = timezone.now() + timedelta(days=10)
    for year in (*YEARS.values(), START_YEAR):
        FilingYear.objects.update_or_create(year=year, defaults={"deadline": deadline, "is_open": True})
    filings = {
        state: services.start_filing(actor("filer"), department, year, matrix.table_of(seed_table, year))
        for state, year in YEARS.items()
    }
    City.objects.update(head_approval_required=True)
    services.submit(actor("filer"), filings["head_review"])
    City.objects.update(head_approval_required=False)
    for state in ("submitted", "returned", "approved", "published"):
        services.submit(actor("filer"), filings[state])
    services.return_filing(
        actor("reviewer"), filings["returned"], [ReviewComment("tasks", 1, "请细化")], "中"
    )
    for state in ("approved", "published"):
        services.approve(actor("reviewer"), filings[state], "优")
    services.publish(actor("reviewer"), filings["published"])
    for state, filing in filings.items():
        filing.refresh_from_db()
        assert filing.status == state, (state, filing.status)
    _, token = api_token(people["filer"], "脚本")
    Job.objects.create(kind=JobKind.READ_TABLE, user=people["filer"], input_name="seed.txt")
    return World(people=people, department=department, filings=filings, token=token).signed_in()


def _args(case: Case, world: World, state: str | None) -> list[Any]:
    filing = world.filings[state] if state is not None else None
    code = world.department.code
    if case.args == "none":
        return []
    if case.args == "token":
        return [world.token.pk]
    if case.args == "entry":  # library: an entry of the 指标库 (built when filings were approved)
        return [LibraryEntry.objects.order_by("pk").values_list("pk", flat=True)[0]]
    if case.args == "job":  # queue: a job the filer started (reading an upload)
        return [Job.objects.get(user=world.people["filer"]).pk]
    assert filing is not None
    return {
        "pk": [filing.pk],
        "year": [filing.year],
        "year-code": [filing.year, code],
        "year-code-json": [filing.year, code, "json"],
        "year-code-exe": [filing.year, code, "exe"],
        "pk-json": [filing.pk, "json"],
        "pk-exe": [filing.pk, "exe"],
        "pk-v1": [filing.pk, 1],  # season
    }[case.args]


def _redirect_target(where: str, world: World, state: str | None) -> str | re.Pattern[str]:
    filing = world.filings[state] if state is not None else None
    fixed = {
        "login": re.compile(re.escape(reverse("login")) + r"\?next="),
        "admin-login": re.compile(re.escape(reverse("admin:login")) + r"\?next="),
        "queue": reverse("queue"),
        "home": reverse("home"),
        "index": reverse("public-index"),
        "tokens": reverse("tokens"),
        "library": reverse("library"),
        "edit": re.compile(r"/filings/\d+/edit/$"),
        "signin": reverse("login"),  # accounts: without ?next=
        "two-factor": reverse("two-factor"),
    }
    if where in fixed:
        return fixed[where]
    assert filing is not None, where
    return {
        "detail": reverse("filing-detail", args=[filing.pk]),
        "review": reverse("review", args=[filing.pk]),
        "public": reverse("public-table", args=[filing.year, world.department.code]),
    }[where]


def _snapshot() -> tuple[Any, ...]:
    """What an action may change.  (Not Export rows: the first download of a published version
    renders and keeps it, a cache and no change of anything filed.)"""
    return (
        sorted(Filing.objects.values_list("pk", "status", "revision", "grade", "submitted_by", "data")),
        Version.objects.count(),
        Comment.objects.count(),
        # audit: rendering a download records its digest in the chain (a cache, not a change)
        AuditEntry.objects.exclude(action=AuditAction.EXPORT).count(),
        ApiToken.objects.count(),
    )


def _run(name: str, case: Case, world: World, namespace: str = "") -> list[str]:
    """Every cell of ``case`` that does not answer as the matrix says."""

    def send(role: str, state: str | None) -> tuple[str, HttpResponse]:
        url = reverse(namespace + name, args=_args(case, world, state))
        client = world.client(role)
        response = client.get(url) if case.method == "GET" else client.post(url, case.data, follow=False)
        return f"{case.method} {url} {case.data or ''} as {role}" + (
            f" on {state}" if state else ""
        ), response

    # An address of no filing has one cell per role; a filing's, one per state.
    states = (None,) if case.args in ("none", "token", "entry", "job") else STATES
    return matrix.run(world, case.expect, states, send, _target(world), _snapshot, case.becomes)


def _target(world: World) -> matrix.Target:
    return lambda where, state: _redirect_target(where, world, state)


# ---------------------------------------------------------------------------------------------
# The tests


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_pages(name: str, world: World) -> None:
    problems = [problem for case in MATRIX[name] for problem in _run(name, case, world)]
    assert problems == []


@pytest.mark.parametrize("name", sorted(API_MATRIX))
def test_api(name: str, world: World) -> None:
    problems = [problem for case in API_MATRIX[name] for problem in _run(name, case, world, "api:")]
    assert problems == []


def test_api_table_list(world: World) -> None:
    states = {filing.pk: state for state, filing in world.filings.items()}
    for role, expected in API_LISTED.items():
        with rolled_back():
            response = world.client(role).get(reverse("api:list_tables"), {"limit": 100})
        assert response.status_code == 200, role
        listed = {states[item["id"]] for item in response.json()["items"] if item["id"] in states}
        assert listed == expected, role


def test_admin_site(world: World) -> None:
    problems = []
    for role, expect in ADMIN_INDEX.items():
        response = world.client(role).get(reverse("admin:index"))
        problem = matrix.mismatch(response, expect, _target(world), None)
        if problem:
            problems.append(f"/admin/ as {role}: expected {expect}, {problem}")
    assert problems == []


def test_forged_cross_site_post_is_refused(world: World) -> None:
    """An authorised POST without the CSRF token (a forged form elsewhere) is 403 and changes nothing."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.people["filer"])
    draft = world.filings["draft"]
    before = _snapshot()
    response = client.post(reverse("filing-submit", args=[draft.pk]))
    assert response.status_code == 403
    assert _snapshot() == before


def _named_urls(patterns: list[Any], namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_urls(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace + pattern.name


def test_every_named_url_is_in_the_matrix() -> None:
    from jixiao_web.urls import urlpatterns

    names = set(_named_urls(urlpatterns))
    assert "admin:index" in names  # the admin site: its index is checked for every role
    pages = {name for name in names if ":" not in name}
    api = {name.removeprefix("api:") for name in names if name.startswith("api:")}
    others = {name for name in names if ":" in name and not name.startswith(("api:", "admin:"))}
    # selfeval and monitoring: their addresses have their own matrices (test_access_matrix_selfeval,
    # test_access_matrix_monitoring).
    from .test_access_matrix_monitoring import MONITORING_MATRIX
    from .test_access_matrix_selfeval import SELFEVAL_API_MATRIX, SELFEVAL_MATRIX

    rows = set(MATRIX) | set(SELFEVAL_MATRIX) | set(MONITORING_MATRIX)
    api_rows = set(API_MATRIX) | set(SELFEVAL_API_MATRIX)
    assert sorted(pages - rows) == [], "pages without a row in MATRIX"
    assert sorted(api - api_rows) == [], "API endpoints without a row in API_MATRIX"
    assert sorted(others) == [], "a new namespace: give it a matrix"
    assert sorted(rows - pages) == [], "rows for no URL"
    assert sorted(api_rows - api) == [], "rows for no API endpoint"


def test_matrix_rows_are_complete() -> None:
    assert TABLE.incomplete({**MATRIX, **API_MATRIX}) == []


# ---------------------------------------------------------------------------------------------
# The workflow table, held to hand-written facts (the rows above read it, so it must not be wrong)


def test_workflow_spot_checks(world: World) -> None:
    """A few facts of the policy, written out by hand, asked of the table and of ``access``."""
    from jixiao_web.access import allowed

    def states(role: str, command: str) -> list[str]:
        return [state for state in STATES if may(role, command, state)]

    # A department never decides for the finance bureau, nor the bureau for a department.
    for role in ("filer", "head", "other_filer"):
        for command in ("return", "approve", "publish"):
            assert states(role, command) == [], (role, command)
    for role in ("reviewer", "admin", "other_filer"):
        for command in ("edit", "submit", "head_approve", "head_return", "withdraw"):
            assert states(role, command) == [], (role, command)
    # Only a submitted table is reviewed, only an approved one published, only the head passes it on.
    assert states("reviewer", "approve") == states("reviewer", "return") == ["submitted"]
    assert states("admin", "publish") == ["approved"]
    assert states("head", "head_approve") == states("head", "head_return") == ["head_review"]
    assert states("filer", "head_approve") == []
    # The department edits its drafts and returned tables, and withdraws what waits for review.
    assert states("filer", "edit") == states("head", "submit") == ["draft", "returned"]
    assert states("filer", "withdraw") == ["head_review", "submitted"]
    # Whoever submitted a version never approves it, in the bureau or as the head.
    assert not TARGET.permits("approve", Status.SUBMITTED, Role.REVIEWER, own=False, submitter=True)
    assert not TARGET.permits("head_approve", Status.HEAD_REVIEW, Role.HEAD, own=True, submitter=True)

    # The bureau never sees a draft or a table still with the department's head; access agrees.
    for role in ("reviewer", "admin"):
        for state in ("draft", "head_review"):
            filing = world.filings[state]
            assert not allowed(world.people[role], Action.VIEW, filing), (role, state)
            assert not allowed(world.people[role], Action.HISTORY, filing), (role, state)
        assert allowed(world.people[role], Action.REVIEW, world.filings["submitted"])
    assert not allowed(world.people["filer"], Action.REVIEW, world.filings["submitted"])
    assert not allowed(world.people["filer"], Action.PUBLISH, world.filings["approved"])


def test_access_decides_workflow_actions_as_the_table_says(world: World) -> None:
    """``access.allowed`` (query conditions built from the table) and :meth:`Workflow.permits`
    (the table read directly) agree for every person, state and workflow action."""
    assert TABLE.disagreements(world.people, world.filings) == []
