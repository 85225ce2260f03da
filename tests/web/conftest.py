"""Fixtures for the web tests: a city with departments, people in every role, a year, tables."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
import time
from base64 import b32decode
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.utils import timezone

from jixiao.model import TargetTable
from jixiao.read import read_path
from jixiao_web import services
from jixiao_web.audit import Actor
from jixiao_web.models import ApiToken, City, Department, Filing, FilingYear, Role, User

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from web.browsing import Server

SEED = Path(__file__).parent.parent / "fixtures" / "seed.txt"
YEAR = 2024
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def seed_table() -> TargetTable:
    """The seed table (揭阳市应急管理局 2023), moved to the open year."""
    table = read_path(SEED).table
    table.year = YEAR
    table.title = table.title.replace("2023", str(YEAR))
    return table


@pytest.fixture
def city(db: None) -> City:
    city = City.current()
    city.name = "揭阳市"
    city.save()
    FilingYear.objects.create(year=YEAR, deadline=timezone.now() + timedelta(days=10))
    FilingYear.objects.create(year=YEAR - 1, deadline=timezone.now() - timedelta(days=300), is_open=False)
    return city


@pytest.fixture
def finance(city: City) -> Department:
    return Department.objects.create(code="czj", name="揭阳市财政局", is_finance_bureau=True)


@pytest.fixture
def department(city: City) -> Department:
    return Department.objects.create(code="yingji", name="揭阳市应急管理局", competent_department="应急管理")


@pytest.fixture
def other_department(city: City) -> Department:
    return Department.objects.create(code="jiaoyu", name="揭阳市教育局", competent_department="教育")


def _make(username: str, role: Role, department: Department | None) -> User:
    return User.objects.create_user(
        username,
        password=PASSWORD,
        role=role,
        department=department,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )


@pytest.fixture
def people(department: Department, other_department: Department, finance: Department) -> dict[str, User]:
    """One user per role, plus a filer of another department."""
    return {
        "filer": _make("filer", Role.FILER, department),
        "head": _make("head", Role.HEAD, department),
        "other_filer": _make("other_filer", Role.FILER, other_department),
        "reviewer": _make("reviewer", Role.REVIEWER, finance),
        "reviewer2": _make("reviewer2", Role.REVIEWER, finance),
        "admin": _make("admin", Role.ADMIN, finance),
    }


@pytest.fixture
def actor(people: dict[str, User]) -> Callable[[str], Actor]:
    return lambda name: Actor(people[name], "192.0.2.1")


@pytest.fixture
def draft(
    people: dict[str, User], department: Department, seed_table: TargetTable, actor: Callable[[str], Actor]
) -> Filing:
    return services.start_filing(actor("filer"), department, YEAR, seed_table)


def approved_target(filing: Filing, actor: Callable[[str], Actor]) -> Filing:
    """``filing`` submitted by its 填报人 and approved (优) by the finance bureau."""
    services.submit(actor("filer"), filing)
    services.approve(actor("reviewer"), filing, "优")
    filing.refresh_from_db()
    return filing


@pytest.fixture
def funded_draft(
    people: dict[str, User], department: Department, seed_table: TargetTable, actor: Callable[[str], Actor]
) -> Filing:
    """The seed with its 基本支出 filled (the seed leaves it blank, so a self-evaluation or a
    monitoring report made from it would not know its 年度资金总额)."""
    seed_table.budget.basic_expenditure = Decimal("1200.5")
    return services.start_filing(actor("filer"), department, YEAR, seed_table)


@pytest.fixture
def target(funded_draft: Filing, actor: Callable[[str], Actor]) -> Filing:
    """:func:`funded_draft` approved: what a year's self-evaluation and monitoring are made from."""
    return approved_target(funded_draft, actor)


@pytest.fixture
def login() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def no_renderings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Publishing renders no download (that takes seconds); each is rendered when first downloaded.
    The renderings themselves are tested elsewhere."""
    monkeypatch.setattr("jixiao_web.exports.render_all", lambda version: [])


@pytest.fixture
def tampering(db: None) -> None:
    """Lift the append-only triggers for this test (as an attacker who can drop them would);
    the test's transaction puts them back."""
    from django.db import connection

    from jixiao_web import append_only

    append_only.remove(connection)


def child_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a child process on its own data dir: this one's, without its JIXIAO_ and
    DJANGO_ settings or DATABASE_URL, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIXIAO_", "DJANGO_", "DATABASE_URL"))}
    return {**env, "JIXIAO_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "jixiao_web.settings", **extra}


JIXIAO_CLI = "import sys; from jixiao.cli import main; sys.argv = ['jixiao', *sys.argv[1:]]; main()"


def run_jixiao(data_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """``jixiao ARGS --data-dir DATA_DIR`` in a child process, its output captured."""
    return subprocess.run(
        [sys.executable, "-c", JIXIAO_CLI, *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=child_env(data_dir, **extra),
        check=False,
    )


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run the block in a transaction that is then rolled back (a change looked at, then undone)."""
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def totp(secret_base32: str, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), computed here independently of django-otp."""
    key = b32decode(secret_base32.replace(" ", ""))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(int.from_bytes(digest[offset : offset + 4], 'big') & 0x7FFFFFFF) % 1_000_000:06d}"


def api_token(user: User, name: str = "测试") -> tuple[str, ApiToken]:
    """A token for ``user`` made straight in the database (no audit entry, unlike the page)."""
    key = f"jx_test-{user.username}-{name}-0123456789"
    return key, ApiToken.objects.create(user=user, name=name, digest=ApiToken.digest_of(key), prefix=key[:8])


@pytest.fixture
def fresh_postgres() -> Iterator[Callable[[], str]]:
    """ops: makes fresh PostgreSQL databases (for processes of their own: nodes, restores) on the
    server of JIXIAO_TEST_DATABASE_URL, and drops them afterwards; skips where none is reachable."""
    import secrets
    from urllib.parse import urlparse, urlunparse

    import psycopg

    server = urlparse(
        os.environ.get("JIXIAO_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/jixiao")
    )
    try:
        admin = psycopg.connect(
            urlunparse(server._replace(path="/postgres")), autocommit=True, connect_timeout=5
        )
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable at {server.hostname}:{server.port}: {error}")
    made: list[str] = []

    def make() -> str:
        name = f"jixiao_ops_{os.getpid()}_{secrets.token_hex(3)}"
        admin.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return urlunparse(server._replace(path=f"/{name}"))

    with admin:
        try:
            yield make
        finally:
            for name in made:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the browser tests (tests/web/browsing.py): one server and one browser per module -----------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``jixiao serve --demo`` on a free port with its own data dir, for this module's tests."""
    from web.browsing import serve_demo

    yield from serve_demo(tmp_path_factory)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    from web.browsing import launch_browser

    yield from launch_browser()
