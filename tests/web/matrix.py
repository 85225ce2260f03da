"""What the access matrices share (``test_access_matrix.py``, the target table's and every address's
guard; ``test_access_matrix_selfeval.py``; ``test_access_matrix_monitoring.py``): who the people
are to the owning department's documents, the rows a kind's workflow table decides, a world of one
document per state with its signed-in clients, and the runner holding every cell of a row to what
the matrix expects.

An expectation is a status code (200, 404 …) or, for a 302, ``">where"`` (each matrix says where
its names lead).  A trailing "!" means the request took effect (and, for a workflow step, left the
document in the step's state); without it nothing at all may change (each matrix says what it
watches).  Each cell runs in a savepoint that is rolled back, so one world serves every cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from http.cookies import SimpleCookie
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from jixiao.model import TargetTable
from jixiao_web import evidence, services
from jixiao_web.access import allowed
from jixiao_web.audit import Actor
from jixiao_web.models import Department, Evidence, Filing, FilingYear, Role, Status, User
from jixiao_web.workflow import Action, Workflow

from .conftest import rolled_back

ROLES = ("anon", "filer", "head", "other_filer", "reviewer", "admin")
"""anon: not signed in; filer, head: of the department owning the documents; other_filer: of another
department; reviewer, admin: the finance bureau."""

#: What the signed-in people are to the owning department's documents: their role, whether it is
#: their own department, and whether they submitted its versions (the filer submitted every one).
PEOPLE: dict[str, tuple[Role, bool, bool]] = {
    "filer": (Role.FILER, True, True),
    "head": (Role.HEAD, True, False),
    "other_filer": (Role.FILER, False, False),
    "reviewer": (Role.REVIEWER, False, False),
    "admin": (Role.ADMIN, False, False),
}

Expect = int | str
Row = Expect | tuple[Expect, ...]
#: Where a ``">where"`` expectation leads, for the document in a state (None: no document).
Target = Callable[[str, str | None], str | re.Pattern[str]]


def every(expect: Expect) -> dict[str, Row]:
    return dict.fromkeys(ROLES, expect)


def signed_in(expect: Expect) -> dict[str, Row]:
    return {"anon": ">login", **dict.fromkeys(ROLES[1:], expect)}


@dataclass(frozen=True)
class Table:
    """The rows a kind's workflow table decides, over the states of its world."""

    workflow: Workflow
    #: The owning department's documents, one per state, in this order (a row's tuple follows it).
    states: tuple[str, ...]
    #: The states in which the finance bureau has received a version (and so sees the document).
    received: tuple[str, ...]

    def may(self, role: str, command: str, state: str) -> bool:
        """Whether the table lets ``role`` take ``command`` (``edit``: change the working copy) on
        the owning department's document in ``state``."""
        if role == "anon":
            return False
        kind, own, submitter = PEOPLE[role]
        if command == "edit":
            return self.workflow.state(state).editable and own and kind in self.workflow.editors
        return self.workflow.permits(command, state, kind, own=own, submitter=submitter)

    def by_table(
        self, command: str, yes: Expect, no: Expect, roles: tuple[str, ...] = ("filer", "head")
    ) -> dict[str, Row]:
        """For ``roles``: ``yes`` in the states the table lets them ``command``, else ``no``."""
        return {role: tuple(yes if self.may(role, command, s) else no for s in self.states) for role in roles}

    def by_bureau(self, command: str, yes: Expect, no: Expect) -> dict[str, Row]:
        """For the finance bureau: 404 where it has received nothing, else as :meth:`by_table`."""
        return {
            role: tuple(
                (yes if self.may(role, command, s) else no) if s in self.received else 404
                for s in self.states
            )
            for role in ("reviewer", "admin")
        }

    def becomes(self, command: str) -> Status:
        """The status ``command`` leaves a document in (submitting: where the city does not ask the
        部门负责人 first)."""
        (target,) = {step.target for step in self.workflow.by_command(command) if step.head_first is not True}
        return target

    def disagreements(
        self, people: Mapping[str, User], documents: Mapping[str, Filing]
    ) -> list[tuple[str, ...]]:
        """Where ``access.allowed`` (query conditions built from the table) and the table read
        directly disagree, for every person, state and action the table gates."""
        commands: dict[Action, list[str]] = {}
        for step in self.workflow.transitions:
            commands.setdefault(step.gate, []).append(step.command)
        return [
            (role, state, str(gate))
            for role in PEOPLE
            for state in self.states
            for gate in self.workflow.gates
            if allowed(people[role], gate, documents[state])
            != any(self.may(role, c, state) for c in commands.get(gate, ["edit"]))
        ]

    def incomplete(self, matrix: Mapping[str, Sequence[Any]]) -> list[str]:
        """The rows of ``matrix`` (address → cases with their ``expect``) that miss a role or whose
        tuple is not one per state."""
        return [
            name
            for name, cases in matrix.items()
            for case in cases
            if set(case.expect) != set(ROLES)
            or any(isinstance(row, tuple) and len(row) != len(self.states) for row in case.expect.values())
        ]


@dataclass(kw_only=True)
class World:
    """The owning department's documents, one per state, and clients signed in as every role."""

    people: dict[str, User]
    department: Department
    filings: dict[str, Filing]
    clients: dict[str, tuple[Client, SimpleCookie]] = field(default_factory=dict)

    def client(self, role: str) -> Client:
        """A client signed in as ``role``, its cookies as right after signing in (a client is
        reused: making one loads the middleware, slow; the session row itself survives the
        rolled-back cells)."""
        if role not in self.clients:
            client = Client()
            if role != "anon":
                client.force_login(self.people[role])
            self.clients[role] = (client, SimpleCookie(client.cookies))
        client, cookies = self.clients[role]
        client.cookies = SimpleCookie(cookies)
        return client

    def signed_in(self) -> World:
        """Itself, every role signed in now (outside the cells' rolled-back savepoints)."""
        for role in ROLES:
            self.client(role)
        return self


def table_of(seed: TargetTable, year: int, *, funded: bool = False) -> TargetTable:
    """The seed as ``year``'s table; ``funded``: with its 基本支出 filled (the seed leaves it blank,
    so a document made from it would not know its 年度资金总额)."""
    table = seed.model_copy(deep=True)
    table.year = year
    table.title = table.title.replace(str(seed.year), str(year))
    if funded:
        table.budget.basic_expenditure = Decimal("1200.5")
    return table


def evidence_pdf() -> bytes:
    """A small PDF to attach as 佐证材料."""
    from jixiao.write.pdf import write_pdf

    return write_pdf(
        TargetTable.model_validate({"title": "佐证材料", "department": {"name": "揭阳市应急管理局"}})
    )


@dataclass(kw_only=True)
class MadeWorld(World):
    """A world of documents made from approved tables (self-evaluations, monitoring reports), each
    filled without errors and with one evidence file attached while it was a draft."""

    evidence: dict[str, Evidence]


def made_world(
    people: dict[str, User],
    department: Department,
    seed_table: TargetTable,
    actor: Callable[[str], Actor],
    pdf: bytes,
    years: Mapping[str, int],
    make: Callable[[int, datetime], Filing],
    decide: Callable[[Callable[[str], Actor], str, Filing], None],
) -> MadeWorld:
    """For each state, its year's table approved, the document ``make`` opens for it (year,
    deadline) saved filled, evidence attached, submitted unless a draft, and ``decide`` taking it
    from 已提交 to its state."""
    deadline = timezone.now() + timedelta(days=10)
    filings: dict[str, Filing] = {}
    files: dict[str, Evidence] = {}
    for state, year in years.items():
        FilingYear.objects.update_or_create(year=year, defaults={"deadline": deadline, "is_open": True})
        target = services.start_filing(
            actor("filer"), department, year, table_of(seed_table, year, funded=True)
        )
        services.submit(actor("filer"), target)
        services.approve(actor("reviewer"), target, "优")
        made = make(year, deadline)
        files[state] = evidence.attach(actor("filer"), made, SimpleUploadedFile("佐证.pdf", pdf))
        if state != "draft":
            services.submit(actor("filer"), made)
        decide(actor, state, made)
        made.refresh_from_db()
        assert made.status == state, (state, made.status)
        filings[state] = made
    return MadeWorld(people=people, department=department, filings=filings, evidence=files).signed_in()


def posted(data: Mapping[str, Any], filing: Filing, pdf: bytes, file_name: str) -> dict[str, Any]:
    """A case's form data as posted to ``filing`` now: ``{revision}`` its current revision, a
    ``file`` the PDF named ``file_name``."""
    current = Filing.objects.get(pk=filing.pk)
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value == "{revision}":
            out[key] = str(current.revision)
        elif key == "file":
            out[key] = SimpleUploadedFile(file_name, pdf)
        else:
            out[key] = value
    return out


def mismatch(response: HttpResponse, expect: Expect, target: Target, state: str | None) -> str | None:
    """What is wrong with ``response`` (None if it is as expected)."""
    wanted = str(expect).rstrip("!")
    if not wanted.startswith(">"):
        return None if response.status_code == int(wanted) else f"got {response.status_code}"
    if response.status_code != 302:
        return f"got {response.status_code}, not a redirect"
    where = target(wanted[1:], state)
    url = response["Location"]
    ok = where.match(url) if isinstance(where, re.Pattern) else url == where
    return None if ok else f"redirected to {url}"


def run(
    world: World,
    expect: Mapping[str, Row],
    states: Sequence[str | None],
    send: Callable[[str, str | None], tuple[str, HttpResponse]],
    target: Target,
    snapshot: Callable[[], object],
    becomes: Status | None = None,
) -> list[str]:
    """Every cell of one row that does not answer as ``expect`` says: each role on the document of
    ``world`` in each of ``states`` (an expectation that is no tuple stands for every state).
    ``send`` makes the request and says what it was; ``snapshot`` is what may change;
    ``becomes``: for a workflow step, the status a cell that took effect leaves the document in."""
    problems = []
    for role in ROLES:
        row = expect[role]
        cells = zip(states, row, strict=True) if isinstance(row, tuple) else [(s, row) for s in states]
        for state, wanted in cells:
            with rolled_back():
                before = snapshot()
                where, response = send(role, state)
                problem = mismatch(response, wanted, target, state)
                if problem:
                    problems.append(f"{where}: expected {wanted}, {problem}")
                changed = snapshot() != before
                if str(wanted).endswith("!"):
                    if not changed:
                        problems.append(f"{where}: expected a change, nothing changed")
                    if state is not None and becomes is not None:
                        status = Filing.objects.get(pk=world.filings[state].pk).status
                        if status != becomes:
                            problems.append(f"{where}: status is {status}, expected {becomes}")
                elif changed:
                    problems.append(f"{where}: expected no change, but data changed")
    return problems
