"""The access matrix of the monitoring round (绩效运行监控): every role × every state × every address
a monitoring report has, as in ``test_access_matrix_selfeval.py`` (``test_access_matrix.py``'s guard
requires every named URL to have a row here or there).

The owning department's monitoring reports, one per year, are in the states of the ``MONITORING``
workflow (no 部门负责人 review, no grade, nothing published): draft, submitted, returned, accepted.
Every one of them is filled without errors and has one evidence file (attached while it was a
draft, so its first version holds it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from django.http import HttpResponse
from django.urls import reverse

from jixiao.model import TargetTable
from jixiao.model.monitoring import MonitoringReport
from jixiao.profile import VARIANTS
from jixiao_web import monitoring, services
from jixiao_web.access import Action, allowed
from jixiao_web.audit import Actor
from jixiao_web.models import (
    AuditEntry,
    Comment,
    Department,
    Evidence,
    EvidenceRemoval,
    Filing,
    Kind,
    MonitoringRound,
    Status,
    User,
    Version,
)
from jixiao_web.services import ReviewComment
from jixiao_web.workflow import MONITORING

from . import matrix
from .conftest import rolled_back
from .matrix import PEOPLE, ROLES, Row, Table
from .test_monitoring import on_track

STATES = ("draft", "submitted", "returned", "accepted")
YEARS = dict(zip(STATES, (2024, 2023, 2022, 2021), strict=True))
START_YEAR = 2025  # no round yet
S4 = len(STATES)
RECEIVED = ("submitted", "returned", "accepted")
TABLE = Table(MONITORING, STATES, RECEIVED)
#: The owning department's rows (填报人, 部门负责人), and the finance bureau's (a draft it never
#: received is not found), as the table decides a command.
department_row, bureau_row = TABLE.by_table, TABLE.by_bureau


@dataclass(frozen=True)
class Case:
    method: str  # GET or POST
    expect: dict[str, Row]
    data: dict[str, Any] = field(default_factory=dict)
    #: "pk", "evidence" or "none"
    args: str = "pk"
    note: str = ""


BUREAU_ONLY = {**dict.fromkeys(ROLES, 404), "anon": ">login"}
OWN = (200,) * S4
NONE = (404,) * S4


def step(command: str, data: dict[str, Any] | None = None) -> Case:
    """A workflow step's address: taken where the table allows it (a change, then its page),
    refused elsewhere (its page, nothing changed)."""
    return Case(
        "POST",
        {
            "anon": (">login",) * S4,
            "other_filer": NONE,
            **department_row(command, ">detail!", ">detail"),
            **bureau_row(command, ">detail!", ">detail"),
        },
        data or {},
    )


MONITORING_MATRIX: dict[str, list[Case]] = {
    "monitoring-rounds": [
        Case("GET", {**BUREAU_ONLY, "reviewer": 200, "admin": 200}, args="none"),
        Case("GET", {**BUREAU_ONLY, "reviewer": 200, "admin": 200}, {"year": "2023"}, args="none"),
        Case(
            "POST",
            {**BUREAU_ONLY, "reviewer": ">rounds!", "admin": ">rounds!"},
            {"year": str(START_YEAR), "month": "7", "variant": "默认", "deadline": "2099-08-15"},
            args="none",
            note="opens a round: nobody's table of that year is approved, so no report is made",
        ),
        Case(
            "POST",
            {**BUREAU_ONLY, "reviewer": 400, "admin": 400},
            {"year": "2024", "month": "9", "variant": "默认", "deadline": "2099-08-15"},
            args="none",
            note="the month of a round with reports made is refused",
        ),
    ],
    "monitoring-warnings": [
        Case("GET", {**BUREAU_ONLY, "reviewer": 200, "admin": 200}, args="none"),
        Case(
            "GET",
            {**BUREAU_ONLY, "reviewer": 200, "admin": 200},
            {"year": "2023", "colour": "green", "status": "submitted"},
            args="none",
        ),
        Case(
            "GET",
            {**BUREAU_ONLY, "reviewer": 200, "admin": 200},
            {"year": str(START_YEAR)},
            args="none",
            note="a year without a round: a message, no figures",
        ),
    ],
    "monitoring-warnings-export": [
        Case("GET", {**BUREAU_ONLY, "reviewer": 200, "admin": 200}, {"year": "2023"}, args="none"),
        Case(
            "GET",
            {**BUREAU_ONLY, "reviewer": 404, "admin": 404},
            {"year": str(START_YEAR)},
            args="none",
            note="no round that year",
        ),
    ],
    "monitoring-detail": [
        Case(
            "GET",
            {
                "anon": (">login",) * S4,
                "filer": OWN,
                "head": OWN,
                "other_filer": NONE,
                "reviewer": (404, 200, 200, 200),
                "admin": (404, 200, 200, 200),
            },
        )
    ],
    "monitoring-edit": [
        Case(
            "GET",
            {
                "anon": (">login",) * S4,
                **department_row("edit", 200, ">detail"),
                "other_filer": NONE,
                **bureau_row("edit", 200, ">detail"),
            },
        ),
        Case(
            "POST",
            {
                "anon": (">login",) * S4,
                **department_row("edit", ">edit!", ">detail"),
                "other_filer": NONE,
                **bureau_row("edit", ">edit!", ">detail"),
            },
            {"revision": "{revision}", "problems": "部分检查因经费未到位而推迟。"},
            note="a save (blank fields stay blank: the form posts every field)",
        ),
    ],
    "monitoring-check": [
        Case(
            "POST",
            {
                "anon": (401,) * S4,
                "filer": OWN,
                "head": OWN,
                "other_filer": NONE,
                "reviewer": NONE,
                "admin": NONE,
            },
            {"problems": "只检查，不保存"},
            note="stores nothing: the department's own, in any state",
        )
    ],
    "monitoring-submit": [step("submit")],
    "monitoring-withdraw": [step("withdraw")],
    # monup: evidence, and the workbook worked on offline
    "monitoring-evidence": [
        Case("GET", {**dict.fromkeys(ROLES, 405), "anon": ">login"}),
        Case(
            "POST",
            {
                "anon": (">login",) * S4,
                **department_row("edit", ">detail!", ">detail"),
                "other_filer": NONE,
                **bureau_row("edit", ">detail!", ">detail"),
            },
            {"file": "pdf"},
            note="a real PDF, checked in the limited child process",
        ),
    ],
    "monitoring-evidence-remove": [
        Case("GET", {**dict.fromkeys(ROLES, 405), "anon": ">login"}, args="evidence"),
        Case(
            "POST",
            {
                "anon": (">login",) * S4,
                **department_row("edit", ">detail!", ">detail"),
                "other_filer": NONE,
                **bureau_row("edit", ">detail!", ">detail"),
            },
            args="evidence",
            note="returned: the file leaves the working copy, its first version keeps it",
        ),
    ],
    "monitoring-evidence-download": [
        Case(
            "GET",
            {
                "anon": (">login",) * S4,
                "filer": OWN,
                "head": OWN,
                "other_filer": NONE,
                # Only what it received (a draft's file never).
                "reviewer": (404, 200, 200, 200),
                "admin": (404, 200, 200, 200),
            },
            args="evidence",
        )
    ],
    "monitoring-upload": [
        Case(
            "GET",
            {
                "anon": (">login",) * S4,
                **department_row("edit", 200, ">detail"),
                "other_filer": NONE,
                **bureau_row("edit", 200, ">detail"),
            },
        ),
        Case(
            "POST",
            {
                "anon": (">login",) * S4,
                **department_row("edit", 400, ">detail"),
                "other_filer": NONE,
                **bureau_row("edit", 400, ">detail"),
            },
            note="no file: the page says so",
        ),
    ],
    "monitoring-workbook": [
        Case(
            "GET",
            {
                "anon": (">login",) * S4,
                "filer": OWN,
                "head": OWN,
                "other_filer": NONE,
                "reviewer": NONE,
                "admin": NONE,
            },
        )
    ],
    "monitoring-decide": [
        step("accept", {"decision": "accept", "reviewed": "1"}),
        step("return", {"decision": "return", "reviewed": "1", "comment:indicators:1": "请说明完成值的来源"}),
    ],
}


World = matrix.MadeWorld


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return matrix.evidence_pdf()


def _decide(actor: Callable[[str], Actor], state: str, made: Filing) -> None:
    """The bureau takes a submitted monitoring report to ``state``."""
    if state == "returned":
        services.return_filing(actor("reviewer"), made, [ReviewComment("indicators", 1, "请补充")])
    if state == "accepted":
        services.transition(actor("reviewer"), made, "accept")


@pytest.fixture
def world(
    people: dict[str, User],
    department: Department,
    seed_table: TargetTable,
    actor: Callable[[str], Actor],
    no_renderings: None,
    pdf: bytes,
) -> World:
    def make(year: int, deadline: datetime) -> Filing:
        (made,) = monitoring.open_round(actor("reviewer"), year, 7, VARIANTS["默认"], deadline).made
        data = on_track(MonitoringReport.model_validate(made.data))
        return monitoring.save(actor("filer"), made, monitoring.merged(made, data), made.revision)[0]

    return matrix.made_world(people, department, seed_table, actor, pdf, YEARS, make, _decide)


def _args(case: Case, world: World, state: str) -> list[Any]:
    filing = world.filings[state]
    return {"none": [], "pk": [filing.pk], "evidence": [filing.pk, world.evidence[state].pk]}[case.args]


def _target(where: str, filing: Filing) -> re.Pattern[str]:
    return re.compile(
        {
            "login": re.escape(reverse("login")) + r"\?next=",
            "rounds": re.escape(reverse("monitoring-rounds")) + r"\?year=\d+$",
            "detail": re.escape(reverse("monitoring-detail", args=[filing.pk])) + "$",
            "edit": re.escape(reverse("monitoring-edit", args=[filing.pk])) + "$",
        }[where]
    )


def _snapshot() -> tuple[Any, ...]:
    return (
        sorted(Filing.objects.values_list("pk", "status", "revision", "data")),
        Version.objects.count(),
        Comment.objects.count(),
        sorted(MonitoringRound.objects.values_list("year", "month", "deadline")),
        Evidence.objects.count(),
        EvidenceRemoval.objects.count(),
        AuditEntry.objects.count(),
    )


def _run(name: str, case: Case, world: World, pdf: bytes) -> list[str]:
    def send(role: str, state: str | None) -> tuple[str, HttpResponse]:
        assert state is not None
        url = reverse(name, args=_args(case, world, state))
        client = world.client(role)
        if case.method == "GET":
            response = client.get(url, case.data)
        else:
            response = client.post(url, matrix.posted(case.data, world.filings[state], pdf, "检查照片.pdf"))
        return f"{case.method} {url} as {role} on {state}", response

    def target(where: str, state: str | None) -> re.Pattern[str]:
        assert state is not None
        return _target(where, world.filings[state])

    return matrix.run(world, case.expect, STATES, send, target, _snapshot)


@pytest.mark.parametrize("name", sorted(MONITORING_MATRIX))
def test_pages(name: str, world: World, pdf: bytes) -> None:
    problems = [p for case in MONITORING_MATRIX[name] for p in _run(name, case, world, pdf)]
    assert problems == []


def test_rows_are_complete() -> None:
    assert TABLE.incomplete(MONITORING_MATRIX) == []


def test_access_decides_as_the_monitoring_table_says(world: World) -> None:
    """``access.allowed`` (query conditions per kind) and ``MONITORING.permits`` agree for every
    person, state and workflow action of a monitoring report."""
    assert TABLE.disagreements(world.people, world.filings) == []
    # Never a target table's head review, never published, never seen by the public.
    assert not any(
        allowed(world.people[role], action, filing)
        for role in PEOPLE
        for action in (Action.HEAD_REVIEW, Action.PUBLISH)
        for filing in world.filings.values()
    )
    from django.contrib.auth.models import AnonymousUser

    assert not any(allowed(AnonymousUser(), Action.VIEW, f) for f in world.filings.values())
    assert all(f.kind == Kind.MONITORING for f in world.filings.values())


def test_the_round_page_shows_each_warning_as_colour_and_word(world: World) -> None:
    """The bureau's list: the received version's budget and department warnings, each a colour
    AND its word; a draft shows no warning (the bureau never sees a working copy)."""
    page = world.client("reviewer").get(reverse("monitoring-rounds"), {"year": "2023"})
    text = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'<span class="warning-green" title="[^"]+">绿</span>', text)
    assert Status.SUBMITTED.label in text
    draft = world.client("reviewer").get(reverse("monitoring-rounds"), {"year": "2024"}).content.decode()
    assert "warning-" not in draft
    assert Status.DRAFT.label in draft


#: Other kinds' addresses taking a filing's pk (GET; POST where they change something).
OTHER_KINDS = (
    ("filing-detail", ("GET",)),
    ("filing-edit", ("GET", "POST")),
    ("filing-check", ("POST",)),
    ("filing-submit", ("POST",)),
    ("filing-head-review", ("POST",)),
    ("filing-withdraw", ("POST",)),
    ("filing-contact", ("GET", "POST")),
    ("filing-print", ("GET",)),
    ("review", ("GET",)),
    ("review-decide", ("POST",)),
    ("review-publish", ("POST",)),
    ("selfeval-score-review", ("POST",)),
    ("selfeval-detail", ("GET",)),
    ("selfeval-edit", ("GET", "POST")),
    ("selfeval-check", ("POST",)),
    ("selfeval-submit", ("POST",)),
    ("selfeval-withdraw", ("POST",)),
    ("selfeval-upload", ("GET",)),
    ("selfeval-workbook", ("GET",)),
    ("selfeval-evidence", ("POST",)),
)


def test_other_kinds_addresses_never_fail_on_a_monitoring_report(world: World) -> None:
    """A monitoring report's number on a target table's or self-evaluation's address is never a
    server error, and changes nothing."""
    problems = []
    for name, methods in OTHER_KINDS:
        for method in methods:
            for role in ("filer", "reviewer"):
                for state in STATES:
                    with rolled_back():
                        before = _snapshot()
                        url = reverse(name, args=[world.filings[state].pk])
                        client = world.client(role)
                        response = (
                            client.get(url) if method == "GET" else client.post(url, {"decision": "approve"})
                        )
                        if response.status_code >= 500 or _snapshot() != before:
                            problems.append(f"{method} {url} as {role} on {state}: {response.status_code}")
    assert problems == []
