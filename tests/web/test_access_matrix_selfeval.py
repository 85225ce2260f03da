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
from datetime import datetime
from typing import Any

import pytest
from django.http import HttpResponse
from django.urls import reverse

from jixiao.model import TargetTable
from jixiao.model.selfeval import SelfEvaluation
from jixiao.profile import VARIANTS
from jixiao_web import selfeval, services
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
    Kind,
    ScoreReview,
    SelfEvalRound,
    Status,
    User,
    Version,
)
from jixiao_web.services import ReviewComment
from jixiao_web.workflow import SELFEVAL

from . import matrix
from .matrix import PEOPLE, ROLES, Row, Table
from .test_selfeval import filled

STATES = ("draft", "submitted", "returned", "approved", "published")
YEARS = dict(zip(STATES, (2024, 2023, 2022, 2021, 2020), strict=True))
START_YEAR = 2025  # no round yet
S5 = len(STATES)
RECEIVED = ("submitted", "returned", "approved", "published")
TABLE = Table(SELFEVAL, STATES, RECEIVED)
by_table, by_bureau, becomes = TABLE.by_table, TABLE.by_bureau, TABLE.becomes


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


World = matrix.MadeWorld


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return matrix.evidence_pdf()


def _decide(actor: Callable[[str], Actor], state: str, made: Filing) -> None:
    """The bureau takes a submitted self-evaluation to ``state``."""
    if state == "returned":
        services.return_filing(actor("reviewer"), made, [ReviewComment("indicators", 1, "请补充")])
    if state in ("approved", "published"):
        services.approve(actor("reviewer"), made, "")
    if state == "published":
        services.publish(actor("reviewer"), made)


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
        (made,) = selfeval.open_round(actor("reviewer"), year, VARIANTS["默认"], deadline).made
        data = filled(SelfEvaluation.model_validate(made.data))
        return selfeval.save(actor("filer"), made, selfeval.merged(made, data), made.revision)[0]

    return matrix.made_world(people, department, seed_table, actor, pdf, YEARS, make, _decide)


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


def _run(name: str, case: Case, world: World, pdf: bytes, namespace: str = "") -> list[str]:
    def send(role: str, state: str | None) -> tuple[str, HttpResponse]:
        assert state is not None
        url = reverse(namespace + name, args=_args(case, world, state))
        client = world.client(role)
        if case.method == "GET":
            response = client.get(url)
        elif case.method == "JSON":
            body = filled(SelfEvaluation.model_validate(world.filings[state].data))
            response = client.post(url, json.dumps(body), content_type="application/json")
        else:
            response = client.post(url, matrix.posted(case.data, world.filings[state], pdf, "演练照片.pdf"))
        return f"{case.method} {url} as {role} on {state}", response

    def target(where: str, state: str | None) -> str | re.Pattern[str]:
        assert state is not None
        return _target(where, world, state)

    return matrix.run(world, case.expect, STATES, send, target, _snapshot, case.becomes)


@pytest.mark.parametrize("name", sorted(SELFEVAL_MATRIX))
def test_pages(name: str, world: World, pdf: bytes) -> None:
    problems = [p for case in SELFEVAL_MATRIX[name] for p in _run(name, case, world, pdf)]
    assert problems == []


@pytest.mark.parametrize("name", sorted(SELFEVAL_API_MATRIX))
def test_api(name: str, world: World, pdf: bytes) -> None:
    problems = [p for case in SELFEVAL_API_MATRIX[name] for p in _run(name, case, world, pdf, "api:")]
    assert problems == []


def test_rows_are_complete() -> None:
    assert TABLE.incomplete({**SELFEVAL_MATRIX, **SELFEVAL_API_MATRIX}) == []


def test_access_decides_as_the_selfeval_table_says(world: World) -> None:
    """``access.allowed`` (query conditions per kind) and ``SELFEVAL.permits`` agree for every
    person, state and workflow action of a self-evaluation."""
    from jixiao_web.access import allowed

    assert TABLE.disagreements(world.people, world.filings) == []
    # A self-evaluation is never a target table's: the target's head review gate never opens it.
    from jixiao_web.access import Action

    assert not any(
        allowed(world.people[role], Action.HEAD_REVIEW, filing)
        for role in PEOPLE
        for filing in world.filings.values()
    )
    assert all(f.kind == Kind.SELFEVAL for f in world.filings.values())
