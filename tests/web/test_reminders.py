"""Deadlines, in-app notices and e-mail reminders (issue 12 item 5), the e-mail through a real SMTP
server (aiosmtpd on 127.0.0.1) and the background worker (django-tasks' database queue)."""

from __future__ import annotations

import email
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from jixiao.model import TargetTable
from jixiao.profile import VARIANTS
from jixiao_web import monitoring, reminders, selfeval, services, tasks
from jixiao_web.audit import Actor
from jixiao_web.models import (
    Department,
    Filing,
    FilingYear,
    Kind,
    MailReason,
    MailStatus,
    Reminder,
    User,
)
from jixiao_web.services import ReviewComment

from .conftest import JIXIAO_CLI, YEAR, child_env

SITE = "https://jixiao.example.gov.cn"


# --- a real SMTP server -----------------------------------------------------------------------------


@dataclass
class Inbox:
    """What the SMTP server received; ``refuse`` DATA commands are answered 451 first."""

    port: int
    refuse: int = 0
    refused: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refused < self.refuse:
            self.refused += 1
            return "451 4.3.0 Mail server busy, try again later"
        message = email.message_from_bytes(envelope.original_content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m, rcpt in zip(self.messages, self.recipients, strict=True) if address in rcpt]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def inbox(settings: Any) -> Iterator[Inbox]:
    """aiosmtpd listening on a free port of 127.0.0.1; Django's SMTP back end pointed at it."""
    box = Inbox(_free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = box.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "jixiao@czj.example.gov.cn"
    settings.SITE_URL = SITE
    try:
        yield box
    finally:
        controller.stop()


def run_worker() -> None:
    """The database worker, in this process, until the queue holds nothing ready (inside the test's
    transaction: the worker's check for stale connections would end it, so it is left out here)."""
    from django_tasks_db.management.commands import db_worker

    saved = db_worker.close_old_connections
    db_worker.close_old_connections = lambda **kwargs: None
    try:
        _worker()
    finally:
        db_worker.close_old_connections = saved


def _worker() -> None:
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


def _with_addresses(people: dict[str, User]) -> dict[str, User]:
    for name, person in people.items():
        person.email = f"{name}@example.gov.cn"
        person.save(update_fields=["email"])
    return people


def _body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def _returned(draft: Filing, actor: Callable[[str], Actor], text: str = "第一项任务请细化") -> Filing:
    services.submit(actor("filer"), draft)
    services.return_filing(actor("reviewer"), draft, [ReviewComment("tasks", 1, text)], "中")
    draft.refresh_from_db()
    return draft


# --- lateness ---------------------------------------------------------------------------------------


def test_days_late_are_whole_days_rounded_up() -> None:
    deadline = datetime(2024, 3, 1, 18, 0, tzinfo=timezone.get_fixed_timezone(480))
    assert reminders.late_days(None, None, deadline) == 0
    assert reminders.late_days(deadline, None, deadline - timedelta(hours=1)) == 0
    assert reminders.late_days(deadline, None, deadline + timedelta(minutes=1)) == 1
    assert reminders.late_days(deadline, None, deadline + timedelta(days=2, hours=1)) == 3
    # Submitted: late by what it was late then, whatever the time now.
    assert reminders.late_days(deadline, deadline - timedelta(days=1), deadline + timedelta(days=9)) == 0
    assert reminders.late_days(deadline, deadline + timedelta(days=1), deadline + timedelta(days=9)) == 1
    assert reminders.days_left(deadline, deadline - timedelta(days=2, hours=3)) == 3
    assert reminders.days_left(deadline, deadline + timedelta(hours=3)) == -1


def test_queue_and_progress_say_how_many_days_late(
    people: dict[str, User], draft: Filing, login: Callable[[User], Any]
) -> None:
    FilingYear.objects.filter(year=YEAR).update(deadline=timezone.now() - timedelta(days=2, hours=12))
    reviewer = login(people["reviewer"])
    page = reviewer.get(reverse("queue"), {"year": YEAR, "tab": "all"})
    rows = {row.department.code: row for row in page.context["rows"]}
    assert (rows["yingji"].late_days, rows["jiaoyu"].late_days) == (3, 3)
    assert "逾期 3 天" in page.content.decode()
    progress = reviewer.get(reverse("progress"), {"year": YEAR})
    assert "逾期 3 天" not in progress.content.decode()  # the progress page says it in its column
    assert '<td data-label="逾期">3 天</td>' in progress.content.decode()


def test_the_monitoring_and_selfeval_rounds_say_how_many_days_late(
    people: dict[str, User], draft: Filing, actor: Callable[[str], Actor], login: Callable[[User], Any]
) -> None:
    services.submit(actor("filer"), draft)
    services.approve(actor("reviewer"), draft, "优")
    past = timezone.now() - timedelta(days=1, hours=2)
    monitoring.open_round(actor("reviewer"), YEAR, 7, VARIANTS["默认"], past)
    selfeval.open_round(actor("reviewer"), YEAR, VARIANTS["默认"], past - timedelta(days=3))
    reviewer = login(people["reviewer"])
    rounds = reviewer.get(reverse("monitoring-rounds"), {"year": YEAR})
    assert {row.department.code: row.late_days for row in rounds.context["rows"]}["yingji"] == 2
    assert "逾期 2 天" in rounds.content.decode()
    evaluations = reviewer.get(reverse("selfeval-rounds"), {"year": YEAR})
    assert "逾期 5 天" in evaluations.content.decode()


# --- in-app notices ---------------------------------------------------------------------------------


def test_home_lists_what_is_due_and_what_was_returned_for_every_kind(
    people: dict[str, User], draft: Filing, actor: Callable[[str], Actor], login: Callable[[User], Any]
) -> None:
    filer = login(people["filer"])
    (notice,) = filer.get(reverse("home")).context["notices"]
    assert (notice.kind, notice.days, notice.returned, notice.url) == (
        Kind.TARGET,
        10,
        False,
        reverse("filing-edit", args=[draft.pk]),
    )
    _returned(draft, actor, "第一项任务请细化到季度")
    page = filer.get(reverse("home"))
    (notice,) = page.context["notices"]
    assert notice.returned
    assert notice.comments == ["任务第1行：第一项任务请细化到季度"]
    text = page.content.decode()
    assert "已被退回修改" in text
    assert "第一项任务请细化到季度" in text
    assert "还剩 10 天" in text
    # Approved: the target table is done; its self-evaluation and monitoring report are due.
    services.submit(actor("filer"), draft)
    services.approve(actor("reviewer"), draft, "优")
    selfeval.open_round(
        actor("reviewer"), YEAR, VARIANTS["默认"], timezone.now() + timedelta(days=4, hours=1)
    )
    monitoring.open_round(actor("reviewer"), YEAR, 7, VARIANTS["默认"], timezone.now() - timedelta(hours=5))
    page = filer.get(reverse("home"))
    notices = page.context["notices"]
    assert [(n.kind, n.days, n.action) for n in notices] == [
        (Kind.MONITORING, -1, "继续填报"),
        (Kind.SELFEVAL, 5, "继续填报"),
    ]
    text = page.content.decode()
    assert "已逾期 1 天" in text
    assert "还剩 5 天" in text
    # The other department and the bureau see none of it.
    assert (
        login(people["other_filer"]).get(reverse("home")).context["notices"][0].status_label == "尚未开始填报"
    )
    assert reminders.notices(people["reviewer"]) == []


# --- e-mail -----------------------------------------------------------------------------------------


def test_a_return_mails_the_department_through_the_worker(
    inbox: Inbox, people: dict[str, User], draft: Filing, actor: Callable[[str], Actor]
) -> None:
    _with_addresses(people)
    _returned(draft, actor, "第一项任务请写明完成时限")
    made = Reminder.objects.filter(reason=MailReason.RETURNED)
    assert sorted(made.values_list("address", flat=True)) == ["filer@example.gov.cn", "head@example.gov.cn"]
    assert inbox.messages == []  # the request only enqueued it: the worker sends
    run_worker()
    assert len(inbox.messages) == 2
    (message,) = inbox.to("filer@example.gov.cn")
    assert message["From"] == "jixiao@czj.example.gov.cn"
    assert message["Subject"].strip() == f"【退回修改】{YEAR}年度部门整体预算绩效目标表"
    body = _body(message)
    assert "已被财政局退回修改" in body
    assert "1. 任务第1行：第一项任务请写明完成时限" in body
    assert f"{SITE}{reverse('filing-edit', args=[draft.pk])}" in body
    assert set(made.values_list("status", "attempts")) == {(MailStatus.SENT, 1)}
    run_worker()  # nothing is sent twice
    assert len(inbox.messages) == 2


def test_deadline_reminders_go_once_to_departments_not_submitted(
    inbox: Inbox,
    people: dict[str, User],
    department: Department,
    other_department: Department,
    seed_table: TargetTable,
    actor: Callable[[str], Actor],
    settings: Any,
) -> None:
    _with_addresses(people)
    settings.REMIND_DAYS_BEFORE = 3
    submitted = services.start_filing(actor("filer"), department, YEAR, seed_table)
    services.submit(actor("filer"), submitted)
    # Ten days to go: too early.
    assert reminders.sweep() == []
    FilingYear.objects.filter(year=YEAR).update(deadline=timezone.now() + timedelta(days=2, hours=6))
    made = reminders.sweep()
    # 应急管理局 submitted; 教育局 has not even started.
    assert [(r.department.code, r.recipient.username) for r in made] == [("jiaoyu", "other_filer")]
    assert reminders.sweep() == []  # written once per deadline and person
    run_worker()
    (message,) = inbox.messages
    assert message["Subject"].strip() == f"【截止提醒】{YEAR}年度部门整体预算绩效目标表还剩 3 天"
    body = _body(message)
    assert "揭阳市教育局" in body
    assert "尚未开始填报" in body
    assert f"{SITE}/#start" in body
    # A new deadline is a new occasion.
    FilingYear.objects.filter(year=YEAR).update(deadline=timezone.now() + timedelta(days=1))
    assert len(reminders.sweep()) == 1
    run_worker()
    assert len(inbox.messages) == 2


def test_the_sweep_runs_on_the_worker_and_schedules_the_next(
    inbox: Inbox, people: dict[str, User], other_department: Department, settings: Any
) -> None:
    _with_addresses(people)
    FilingYear.objects.filter(year=YEAR).update(deadline=timezone.now() + timedelta(days=1))
    assert tasks.schedule(tasks.sweep_reminders)
    assert not tasks.schedule(tasks.sweep_reminders)  # one waiting sweep is enough
    run_worker()
    # Neither department has started its table: both are reminded, not the bureau.
    assert sorted(m["To"] for m in inbox.messages) == [
        "filer@example.gov.cn",
        "head@example.gov.cn",
        "other_filer@example.gov.cn",
    ]
    sweeps = DBTaskResult.objects.filter(task_path=tasks.sweep_reminders.module_path)
    assert sorted(sweeps.values_list("status", flat=True)) == ["READY", "SUCCESSFUL"]
    later = sweeps.get(status="READY").run_after
    expected = timezone.now() + timedelta(minutes=settings.REMIND_SWEEP_MINUTES)
    assert abs((later - expected).total_seconds()) < 60


def test_a_refusing_mail_server_is_tried_again_and_the_failure_reported(
    inbox: Inbox,
    people: dict[str, User],
    draft: Filing,
    actor: Callable[[str], Actor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _with_addresses(people)
    people["head"].is_active = False
    people["head"].save()
    monkeypatch.setattr(tasks, "BACKOFF_SECONDS", (0,))  # retry at once, not in a minute
    inbox.refuse = 2
    _returned(draft, actor)
    run_worker()
    (reminder,) = Reminder.objects.all()
    assert (reminder.status, reminder.attempts, reminder.address) == (
        MailStatus.SENT,
        3,
        "filer@example.gov.cn",
    )
    assert "451" in reminder.last_error
    assert len(inbox.messages) == 1
    runs = DBTaskResult.objects.filter(task_path=tasks.deliver_reminder.module_path)
    assert sorted(runs.values_list("status", flat=True)) == ["FAILED", "FAILED", "SUCCESSFUL"]
    failed = runs.filter(status="FAILED").first()
    assert failed is not None
    assert failed.exception_class_path == "jixiao_web.reminders.MailFailed"
    assert "451" in failed.traceback


def test_a_mail_server_that_keeps_refusing_is_given_up_on_and_kept(
    inbox: Inbox,
    people: dict[str, User],
    draft: Filing,
    actor: Callable[[str], Actor],
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    _with_addresses(people)
    monkeypatch.setattr(tasks, "BACKOFF_SECONDS", (0,))
    settings.MAIL_ATTEMPTS = 3
    inbox.refuse = 100
    _returned(draft, actor)
    run_worker()
    assert set(Reminder.objects.values_list("status", "attempts")) == {(MailStatus.FAILED, 3)}
    runs = DBTaskResult.objects.filter(task_path=tasks.deliver_reminder.module_path)
    assert set(runs.values_list("status", flat=True)) == {"FAILED"}
    assert runs.count() == 6  # two people, three attempts each; nothing left waiting
    assert inbox.messages == []


#: Run in the worker's own database (a child process cannot use the test run's database: SQLite's
#: is in memory, PostgreSQL's is inside the test's uncommitted transaction): a department that has
#: not started its table two days before the deadline, and a person with an address.
SETUP = """
from datetime import timedelta
from django.utils import timezone
from jixiao_web.models import Department, FilingYear, Role, User
FilingYear.objects.create(year=2024, deadline=timezone.now() + timedelta(days=2))
jiaoyu = Department.objects.create(code="jiaoyu", name="揭阳市教育局")
User.objects.create_user("jiaoyu", email="jiaoyu@example.gov.cn", role=Role.FILER, department=jiaoyu)
"""


@pytest.fixture
def worker_database(db: None) -> Iterator[dict[str, str]]:
    """The child processes' database: on a PostgreSQL run a fresh PostgreSQL database beside the
    test database (dropped afterwards), else SQLite in their data dir."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield {}
        return
    import psycopg

    settings = connection.settings_dict
    name = f"{settings['NAME']}_worker"[:63]
    server = {
        "host": settings["HOST"],
        "port": settings["PORT"] or "5432",
        "user": settings["USER"],
        "password": settings["PASSWORD"],
    }

    def run(sql: str) -> None:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(sql)

    run(f'DROP DATABASE IF EXISTS "{name}"')
    run(f'CREATE DATABASE "{name}"')
    auth = f"{server['user']}:{server['password']}@" if server["password"] else f"{server['user']}@"
    try:
        yield {"DATABASE_URL": f"postgresql://{auth}{server['host']}:{server['port']}/{name}"}
    finally:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_worker_process_sweeps_and_sends_the_mail(
    inbox: Inbox, tmp_path: Path, worker_database: dict[str, str]
) -> None:
    """``jixiao worker`` as a process of its own: it schedules the sweep, the sweep writes the
    reminder, the worker sends it to the SMTP server; run again, it sends nothing more."""
    env = child_env(
        tmp_path,
        **worker_database,
        JIXIAO_SMTP_HOST="127.0.0.1",
        JIXIAO_SMTP_PORT=str(inbox.port),
        JIXIAO_MAIL_FROM="jixiao@czj.example.gov.cn",
        JIXIAO_SITE_URL=SITE,
    )

    def jixiao(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-c", JIXIAO_CLI, *args, "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            env=env,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, done.stderr + done.stdout
        return done

    jixiao("manage", "migrate", "--verbosity", "0")
    subprocess.run(
        [sys.executable, "-c", JIXIAO_CLI, "manage", "shell", "-c", SETUP, "--data-dir", str(tmp_path)],
        env=env,
        check=True,
        timeout=120,
    )
    worked = jixiao("worker", "--batch")
    assert "sweep_reminders" in worked.stdout + worked.stderr
    (message,) = inbox.messages
    assert inbox.recipients == [["jiaoyu@example.gov.cn"]]
    assert message["Subject"].strip() == "【截止提醒】2024年度部门整体预算绩效目标表还剩 2 天"
    assert f"{SITE}/#start" in _body(message)
    jixiao("worker", "--batch")
    assert jixiao("remind").stdout.strip() == "已放入任务队列 0 封截止提醒邮件。"
    assert len(inbox.messages) == 1
    if worker_database:  # the children worked in PostgreSQL
        import psycopg

        with psycopg.connect(worker_database["DATABASE_URL"]) as worked_in:
            row = worked_in.execute("SELECT status, attempts FROM jixiao_web_reminder").fetchall()
        assert row == [("sent", 1)]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_serve_starts_a_worker_that_ends_with_it(tmp_path: Path) -> None:
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", JIXIAO_CLI, "serve", "--data-dir", str(tmp_path / "d"), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=child_env(tmp_path / "d", PYTHONUNBUFFERED="1"),
    )
    try:
        deadline = time.monotonic() + 180
        while not _answers(f"http://127.0.0.1:{port}/public/"):
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.3)
        (worker,) = [pid for pid in _children(process.pid) if " worker " in _cmdline(pid)]
        # serve (now gunicorn's master) ends: its worker ends with it.
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        deadline = time.monotonic() + 20
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(worker)
        assert "后台任务进程已启动" in (tmp_path / "serve.log").read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
    # --no-worker: none.
    assert (
        "--no-worker"
        in subprocess.run(
            [sys.executable, "-c", JIXIAO_CLI, "serve", "--help"],
            capture_output=True,
            text=True,
            env={**child_env(tmp_path / "d"), "COLUMNS": "200"},
            check=True,
        ).stdout
    )
