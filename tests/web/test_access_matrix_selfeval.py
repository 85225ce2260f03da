"""The access matrix of the self-evaluation (绩效自评): every role × every state × every address a
self-evaluation has (its own pages, the shared review pages, the API), as in
``test_access_matrix.py`` (whose guard requires every named URL to have a row here or there).

The owning department's self-evaluations, one per year, are in the states of the ``SELFEVAL``
workflow (no 部门负责人 review): draft, submitted, returned, approved, published.  Every one of them
is filled without errors and has one evidence file (attached while it was a draft).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jixiao.model import TargetTable
from jixiao.model.selfeval import SelfEvaluation
from jixiao.profile import VARIANTS
from jixiao_web import evidence, selfeval, services
from jixiao_web.audit import Actor
from jixiao_web.models import (
    ApiToken,
    AuditAction,
    AuditEntry,
    Comment,
    Department,
    Evidence,
    EvidenceRemoval,
    Filing,
    FilingYear,
    Kind,
    ScoreReview,
    SelfEvalRound,
    Status,
    User,
    Version,
)
from jixiao_web.services import ReviewComment
from jixiao_web.workflow import SELFEVAL

from .conftest import rolled_back
from .test_selfeval import filled

ROLES = ("anon", "filer", "head", "other_filer", "reviewer", "admin")
STATES = ("draft", "submitted", "returned", "approved", "published")
YEARS = dict(zip(STATES, (2024, 2023, 2022, 2021, 2020), strict=True))
START_YEAR = 2025  # no round yet

Expect = int | str
Row = Expect | tuple[Expect, ...]
S5 = len(STATES)

PEOPLE = {
    "filer": ("filer", True, True),
    "head": ("head", True, False),
    "other_filer": ("filer", False, False),
    "reviewer": ("reviewer", False, False),
    "admin": ("admin", False, False),
}
RECEIVED = ("submitted", "returned", "approved", "published")


def may(role: str, command: str, state: str) -> bool:
    """Whether the ``SELFEVAL`` table lets ``role`` take ``command`` in ``state``."""
    if role == "anon":
        return False
    kind, own, submitter = PEOPLE[role]
    if command == "edit":
        return SELFEVAL.state(state).editable and own and kind in SELFEVAL.editors
    return SELFEVAL.permits(command, state, kind, own=own, submitter=submitter)


def by_table(command: str, yes: Expect, no: Expect) -> dict[str, Row]:
    return {role: tuple(yes if may(role, command, s) else no for s in STATES) for role in ("filer", "head")}


def by_bureau(command: str, yes: Expect, no: Expect) -> dict[str, Row]:
    return {
        role: tuple((yes if may(role, command, s) else no) if s in RECEIVED else 404 for s in STATES)
        for role in ("reviewer", "admin")
    }


def becomes(command: str) -> Status:
    (target,) = {step.target for step in SELFEVAL.by_command(command)}
    return target


#: A department's action seen from outside: signed out, the sign-in page; another department
#: finds only the published one (and is sent to its page); the bureau never sees a draft.
OUTSIDERS: dict[str, Row] = {
    "anon": (">login",) * S5,
    "other_filer": (404, 404, 404, 404, ">detail"),
    "reviewer": (404, ">detail", ">detail", ">detail", ">detail"),
    "admin": (404, ">detail", ">detail", ">detail", ">detail"),
}
SEEN = (404, 404, 404, 404, 200)  # only what is published
OWN = (200,) * S5
BUREAU_SEES = (404, 200, 200, 200, 200)


@dataclass(frozen=True)
class Case:
    method: str  # GET, POST, or JSON (a POST with a JSON body)
    expect: dict[str, Row]
    data: dict[str, Any] = field(default_factory=dict)
    becomes: Status | None = None
    #: "pk", "evidence", "year-code", or "none"
    args: str = "pk"
    note: str = ""


COMMENT = {"comment:indicators:1": "请补充第1个指标的佐证材料"}

SELFEVAL_MATRIX: dict[str, list[Case]] = {
    "selfeval-rounds": [
        Case(
            "GET", {**dict.fromkeys(ROLES, 404), "anon": ">login", "reviewer": 200, "admin": 200}, args="none"
        ),
        Case(
            "POST",
            {**dict.fromkeys(ROLES, 404), "anon": ">login", "reviewer": ">rounds!", "admin": ">rounds!"},
            {"year": str(START_YEAR), "variant": "默认", "deadline": "2099-03-31"},
            args="none",
            note="opens a round: nobody's table of that year is approved, so no filing is made",
        ),
    ],
    "selfeval-export": [
        Case(
            "GET",
            {**dict.fromkeys(ROLES, 404), "anon": ">login", "reviewer": 200, "admin": 200},
            args="none",
            note="every department's results of a year (default: the latest round), as one XLSX",
        ),
    ],
    "selfeval-detail": [
        Case(
            "GET",
            {
                "anon": (">login",) * S5,
                "filer": OWN,
                "head": OWN,
                "other_filer": (404, 404, 404, 404, ">public"),
                "reviewer": BUREAU_SEES,
                "admin": BUREAU_SEES,
            },
        )
    ],
    "selfeval-edit": [
        Case("GET", {**OUTSIDERS, **by_table("edit", 200, ">detail")}),
        Case(
            "POST",
            {**OUTSIDERS, **by_table("edit", ">edit!", ">detail")},
            {
                "goal_actual": "全年完成各项工作，改过的实际完成情况说明，超过三十个字的叙述。",
                "revision": "{revision}",
            },
            note="a save; the status stays",
        ),
    ],
    "selfeval-check": [
        Case("GET", dict.fromkeys(ROLES, 405)),
        Case(
            "POST",
            {
                "anon": (401,) * S5,
                "filer": OWN,
                "head": OWN,
                "other_filer": (404,) * S5,
                "reviewer": (404,) * S5,
                "admin": (404,) * S5,
            },
            {"goal_actual": "x"},
        ),
    ],
    "selfeval-submit": [
        Case("GET", {**dict.fromkeys(ROLES, 405), "anon": ">login"}),
        Case("POST", {**OUTSIDERS, **by_table("submit", ">detail!", ">detail")}, becomes=becomes("submit")),
    ],
    "selfeval-withdraw": [
        Case("GET", {**dict.fromkeys(ROLES, 405), "anon": ">login"}),
        Case(
            "POST", {**OUTSIDERS, **by_table("withdraw", ">detail!", ">detail")}, becomes=becomes("withdraw")
        ),
    ],
    "selfeval-evidence": [
        Case("GET", {**dict.fromkeys(ROLES, 405), "anon": ">login"}),
        Case(
            "POST",
            {**OUTSIDERS, **by_table("edit", ">detail!", ">detail")},
            {"file": "pdf"},
            note="a real PDF, checked in the limited child process",
        ),
    ],
    # monup: the department takes a file off its working copy while it may edit
    "selfeval-evidence-remove": [
        Case("GET", {**dict.fromkeys(ROLES, 405), "anon": ">login"}, args="evidence"),
        Case("POST", {**OUTSIDERS, **by_table("edit", ">detail!", ">detail")}, args="evidence"),
    ],
    "selfeval-upload": [
        Case("GET", {**OUTSIDERS, **by_table("edit", 200, ">detail")}),
        Case("POST", {**OUTSIDERS, **by_table("edit", 400, ">detail")}, note="no file: the page says so"),
    ],
    "selfeval-workbook": [
        Case(
            "GET",
            {
                "anon": (">login",) * S5,
                "filer": OWN,
                "head": OWN,
                "other_filer": (404,) * S5,
                "reviewer": (404,) * S5,
                "admin": (404,) * S5,
            },
        )
    ],
    "selfeval-evidence-download": [
        Case(
            "GET",
            {
                "anon": (">login",) * S5,
                "filer": OWN,
                "head": OWN,
                # Never the public's, even once published.
                "other_filer": (404,) * S5,
                "reviewer": BUREAU_SEES,
                "admin": BUREAU_SEES,
            },
            args="evidence",
        )
    ],
    "selfeval-score-review": [
        Case("GET", {**dict.fromkeys(ROLES, 405), "anon": ">login"}),
        Case(
            "POST",
            {
                "anon": (">login",) * S5,
                "filer": (404,) * S5,
                "head": (404,) * S5,
                "other_filer": (404,) * S5,
                # Only what waits for review; otherwise the page again with the reason.
                **by_bureau("approve", ">review!", 400),
            },
            {"row": "1", "score": "0", "reason": "佐证材料不足以证明完成"},
        ),
    ],
    "public-selfeval": [Case("GET", dict.fromkeys(ROLES, SEEN), args="year-code")],
    "public-selfeval-download": [
        Case("GET", dict.fromkeys(ROLES, SEEN), args="year-code-json"),
        Case("GET", dict.fromkeys(ROLES, (404,) * S5), args="year-code-exe", note="an unknown format"),
    ],
    # The shared review pages, for a self-evaluation.
    "review": [
        Case(
            "GET",
            {
                "anon": (">login",) * S5,
                "filer": (404, 200, 200, 200, 200),
                "head": (404, 200, 200, 200, 200),
                "other_filer": (404,) * S5,
                "reviewer": (404, "200!", 200, 200, 200),
                "admin": (404, "200!", 200, 200, 200),
            },
        )
    ],
    "review-decide": [
        Case(
            "POST",
            {
                "anon": (">login",) * S5,
                "filer": (">review",) * S5,
                "head": (">review",) * S5,
                "other_filer": (404,) * S5,
                **by_bureau("approve", ">rounds!", 409),
            },
            {"decision": "approve", "confirmed": "1"},
            becomes=becomes("approve"),
        ),
        Case(
            "POST",
            {
                "anon": (">login",) * S5,
                "filer": (">review",) * S5,
                "head": (">review",) * S5,
                "other_filer": (404,) * S5,
                **by_bureau("return", ">rounds!", 409),
            },
            {"decision": "return", "confirmed": "1", **COMMENT},
            becomes=becomes("return"),
        ),
    ],
    "review-publish": [
        Case(
            "POST",
            {
                "anon": (">login",) * S5,
                "filer": (">review",) * S5,
                "head": (">review",) * S5,
                "other_filer": (404,) * S5,
                **by_bureau("publish", ">public!", ">review"),
            },
            {"confirmed": "1"},
            becomes=becomes("publish"),
        )
    ],
}

SELFEVAL_API_MATRIX: dict[str, list[Case]] = {
    "get_selfeval": [
        Case(
            "GET",
            {
                "anon": SEEN,
                "filer": OWN,
                "head": OWN,
                "other_filer": SEEN,
                "reviewer": BUREAU_SEES,
                "admin": BUREAU_SEES,
            },
        )
    ],
    "score_selfeval": [
        Case(
            "GET",
            {
                "anon": SEEN,
                "filer": OWN,
                "head": OWN,
                "other_filer": SEEN,
                "reviewer": BUREAU_SEES,
                "admin": BUREAU_SEES,
            },
        )
    ],
    "check_selfeval": [
        Case(
            "JSON",
            {
                "anon": (401,) * S5,
                "filer": OWN,  # stores nothing: the department's own, in any state
                "head": OWN,
                "other_filer": (404,) * S5,
                "reviewer": (404,) * S5,
                "admin": (404,) * S5,
            },
            {"body": "filled"},
        )
    ],
}


# ---------------------------------------------------------------------------------------------
# The world


@dataclass
class World:
    people: dict[str, User]
    department: Department
    filings: dict[str, Filing]
    evidence: dict[str, Evidence]
    clients: dict[str, tuple[Client, SimpleCookie]] = field(default_factory=dict)


def _pdf() -> bytes:
    from jixiao.write.pdf import write_pdf

    return write_pdf(
        TargetTable.model_validate({"title": "佐证材料", "department": {"name": "揭阳市应急管理局"}})
    )


def _table(seed: TargetTable, year: int) -> TargetTable:
    table = seed.model_copy(deep=True)
    table.year = year
    table.title = table.title.replace(str(seed.year), str(year))
    table.budget.basic_expenditure = Decimal("1200.5")
    return table


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return _pdf()


@pytest.fixture
def world(
    people: dict[str, User],
    department: Department,
    seed_table: TargetTable,
    actor: Callable[[str], Actor],
    no_renderings: None,
    pdf: bytes,
) -> World:
    deadline = timezone.now() + timedelta(days=10)
    filings: dict[str, Filing] = {}
    files: dict[str, Evidence] = {}
    for state, year in YEARS.items():
        FilingYear.objects.update_or_create(year=year, defaults={"deadline": deadline, "is_open": True})
        target = services.start_filing(actor("filer"), department, year, _table(seed_table, year))
        services.submit(actor("filer"), target)
        services.approve(actor("reviewer"), target, "优")
        (made,) = selfeval.open_round(actor("reviewer"), year, VARIANTS["默认"], deadline).made
        data = filled(SelfEvaluation.model_validate(made.data))
        made, _ = selfeval.save(actor("filer"), made, selfeval.merged(made, data), made.revision)
        files[state] = evidence.attach(actor("filer"), made, SimpleUploadedFile("佐证.pdf", pdf))
        if state != "draft":
            services.submit(actor("filer"), made)
        if state == "returned":
            services.return_filing(actor("reviewer"), made, [ReviewComment("indicators", 1, "请补充")])
        if state in ("approved", "published"):
            services.approve(actor("reviewer"), made, "")
        if state == "published":
            services.publish(actor("reviewer"), made)
        made.refresh_from_db()
        assert made.status == state, (state, made.status)
        filings[state] = made
    world = World(people, department, filings, files)
    for role in ROLES:
        _client(world, role)
    return world


def _client(world: World, role: str) -> Client:
    if role not in world.clients:
        client = Client()
        if role != "anon":
            client.force_login(world.people[role])
        world.clients[role] = (client, SimpleCookie(client.cookies))
    client, cookies = world.clients[role]
    client.cookies = SimpleCookie(cookies)
    return client


def _args(case: Case, world: World, state: str) -> list[Any]:
    filing = world.filings[state]
    return {
        "none": [],
        "pk": [filing.pk],
        "evidence": [filing.pk, world.evidence[state].pk],
        "year-code": [filing.year, world.department.code],
        "year-code-json": [filing.year, world.department.code, "json"],
        "year-code-exe": [filing.year, world.department.code, "exe"],
    }[case.args]


def _target(where: str, world: World, state: str) -> str | re.Pattern[str]:
    filing = world.filings[state]
    return {
        "login": re.compile(re.escape(reverse("login")) + r"\?next="),
        "rounds": re.compile(re.escape(reverse("selfeval-rounds")) + r"\?year=\d+$"),
        "detail": reverse("selfeval-detail", args=[filing.pk]),
        "edit": reverse("selfeval-edit", args=[filing.pk]),
        "review": re.compile(re.escape(reverse("review", args=[filing.pk])) + r"(#indicator-\d+)?$"),
        "public": reverse("public-selfeval", args=[filing.year, world.department.code]),
    }[where]


def _mismatch(response: HttpResponse, expect: Expect, world: World, state: str) -> str | None:
    wanted = str(expect).rstrip("!")
    if not wanted.startswith(">"):
        return None if response.status_code == int(wanted) else f"got {response.status_code}"
    if response.status_code != 302:
        return f"got {response.status_code}, not a redirect"
    target = _target(wanted[1:], world, state)
    url = response["Location"]
    ok = target.match(url) if isinstance(target, re.Pattern) else url == target
    return None if ok else f"redirected to {url}"


def _snapshot() -> tuple[Any, ...]:
    return (
        sorted(Filing.objects.values_list("pk", "status", "revision", "data")),
        Version.objects.count(),
        Comment.objects.count(),
        ScoreReview.objects.count(),
        Evidence.objects.count(),
        EvidenceRemoval.objects.count(),
        SelfEvalRound.objects.count(),
        # A download's first rendering records its digest in the chain (a cache, not a change).
        AuditEntry.objects.exclude(action=AuditAction.EXPORT).count(),
        ApiToken.objects.count(),
    )


def _data(case: Case, world: World, state: str, pdf: bytes) -> dict[str, Any]:
    filing = Filing.objects.get(pk=world.filings[state].pk)
    data: dict[str, Any] = {}
    for key, value in case.data.items():
        if value == "{revision}":
            data[key] = str(filing.revision)
        elif key == "file":
            data[key] = SimpleUploadedFile("演练照片.pdf", pdf)
        else:
            data[key] = value
    return data


def _run(name: str, case: Case, world: World, pdf: bytes, namespace: str = "") -> list[str]:
    problems = []
    for role in ROLES:
        row = case.expect[role]
        cells = row if isinstance(row, tuple) else (row,) * S5
        for state, expect in zip(STATES, cells, strict=True):
            with rolled_back():
                url = reverse(namespace + name, args=_args(case, world, state))
                before = _snapshot()
                client = _client(world, role)
                if case.method == "GET":
                    response = client.get(url)
                elif case.method == "JSON":
                    body = filled(SelfEvaluation.model_validate(world.filings[state].data))
                    response = client.post(url, json.dumps(body), content_type="application/json")
                else:
                    response = client.post(url, _data(case, world, state, pdf), follow=False)
                where = f"{case.method} {url} as {role} on {state}"
                problem = _mismatch(response, expect, world, state)
                if problem:
                    problems.append(f"{where}: expected {expect}, {problem}")
                changed = _snapshot() != before
                if str(expect).endswith("!"):
                    if not changed:
                        problems.append(f"{where}: expected a change, nothing changed")
                    if case.becomes is not None:
                        status = Filing.objects.get(pk=world.filings[state].pk).status
                        if status != case.becomes:
                            problems.append(f"{where}: status is {status}, expected {case.becomes}")
                elif changed:
                    problems.append(f"{where}: expected no change, but data changed")
    return problems


@pytest.mark.parametrize("name", sorted(SELFEVAL_MATRIX))
def test_pages(name: str, world: World, pdf: bytes) -> None:
    problems = [p for case in SELFEVAL_MATRIX[name] for p in _run(name, case, world, pdf)]
    assert problems == []


@pytest.mark.parametrize("name", sorted(SELFEVAL_API_MATRIX))
def test_api(name: str, world: World, pdf: bytes) -> None:
    problems = [p for case in SELFEVAL_API_MATRIX[name] for p in _run(name, case, world, pdf, "api:")]
    assert problems == []


def test_rows_are_complete() -> None:
    for name, cases in {**SELFEVAL_MATRIX, **SELFEVAL_API_MATRIX}.items():
        for case in cases:
            assert set(case.expect) == set(ROLES), name
            for row in case.expect.values():
                assert not isinstance(row, tuple) or len(row) == S5, name


def test_access_decides_as_the_selfeval_table_says(world: World) -> None:
    """``access.allowed`` (query conditions per kind) and ``SELFEVAL.permits`` agree for every
    person, state and workflow action of a self-evaluation."""
    from jixiao_web.access import allowed

    commands: dict[Any, list[str]] = {}
    for step in SELFEVAL.transitions:
        commands.setdefault(step.gate, []).append(step.command)
    disagree = []
    for role in PEOPLE:
        for state in STATES:
            for gate in SELFEVAL.gates:
                wanted = any(may(role, c, state) for c in commands.get(gate, ["edit"]))
                if allowed(world.people[role], gate, world.filings[state]) != wanted:
                    disagree.append((role, state, str(gate)))
    assert disagree == []
    # A self-evaluation is never a target table's: the target's head review gate never opens it.
    from jixiao_web.access import Action

    assert not any(
        allowed(world.people[role], Action.HEAD_REVIEW, filing)
        for role in PEOPLE
        for filing in world.filings.values()
    )
    assert all(f.kind == Kind.SELFEVAL for f in world.filings.values())
