"""Benchmark: the web system under the load of a filing season, and no acknowledged save lost.

Builds a fresh PostgreSQL database with a city of ``--users`` departments (each one 填报人 with a
2024 draft made from the seed table), ``--submitted`` more departments whose tables wait in the
review queue, and ``--reviewers`` 财政审核人; starts the web system exactly as ``jixiao serve`` does
(gunicorn on 127.0.0.1); runs locust headless with ``bench/web_load_users.py`` (department users edit,
save, check and view their table; reviewers list the queue, open review pages, return or approve);
then reads every table straight from the database and checks that each user's last acknowledged
save is there, that no stale save overwrote anything, and that the audit chain is intact.

With ``--overviews N`` the city also has a finished year (``OVERVIEW_YEAR``) for N departments:
each an approved target table, a monitoring report as of July (submitted or accepted, with red,
yellow, green and blue warnings) and a self-evaluation (submitted or approved, scores varied), and
the reviewers also open the finance bureau's two overview pages of that year (the self-evaluation
overview ``/review/selfeval/`` and the monitoring warnings overview ``/review/monitoring/warnings/``)
while the department users load the system as usual: their server-side p50/p95 are the pages'
cost under load.

Usage::

    .venv/bin/python bench/web_load.py [--users 100 --reviewers 5 --duration 60s] [--overviews 150]

Figures (p50/p95/p99 per request type, failures, requests/s, client- and server-side) are printed
and written to ``bench/out/web_load.{json,md}`` (``--name`` changes the name); locust's own CSV
files (steady phase) go to ``bench/out/web_load_*.csv``, its log to ``web_load-locust.log``, the
server's request log (JSON lines) to ``web_load-server.log``.  The database is dropped at the end unless
``--keep-db``.  The exit status is 1 when an acknowledged save is missing.

Locust runs on the same machine as the server and PostgreSQL; the CPU each used in the steady
phase is reported, with what other processes took, since a busy machine inflates every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

from common import ROOT, SEED, save

BIN = Path(sys.executable).parent
TICK = os.sysconf("SC_CLK_TCK")
OUT = ROOT / "bench" / "out"
YEAR = 2024
#: The finished year of ``--overviews``: target tables approved, monitoring and self-evaluation filed.
OVERVIEW_YEAR = 2023
PASSWORD = "load-test-password-2024"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/jixiao_load"
#: Request types, from the path (for the server's request log).
ROUTES = (
    ("POST", re.compile(r"^/accounts/login/$"), "login"),
    ("GET", re.compile(r"^/accounts/login/$"), "login page"),
    ("GET", re.compile(r"^/$"), "home"),
    ("GET", re.compile(r"^/filings/\d+/edit/$"), "edit page"),
    ("POST", re.compile(r"^/filings/\d+/edit/$"), "save"),
    ("POST", re.compile(r"^/filings/\d+/check/$"), "check"),
    ("GET", re.compile(r"^/filings/\d+/$"), "filing page"),
    ("GET", re.compile(r"^/review/$"), "queue"),
    ("GET", re.compile(r"^/review/\d+/$"), "review page"),
    ("POST", re.compile(r"^/review/\d+/decide/$"), "decide"),
    ("GET", re.compile(r"^/review/selfeval/$"), "selfeval overview"),
    ("GET", re.compile(r"^/review/monitoring/warnings/$"), "warnings overview"),
)


def seconds(text: str) -> int:
    """``60``, ``60s``, ``2m``, ``1h`` → seconds."""
    match = re.fullmatch(r"(\d+)([smh]?)", text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"not a duration: {text}")
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


# ---------------------------------------------------------------------------------------------
# The database and the city


def _admin(url: str) -> tuple[str, str]:
    """The database's name (refused unless it says ``load``) and the URL of the server's own."""
    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if "load" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'load'")
    return name, urlunparse(parts._replace(path="/postgres"))


def recreate_database(url: str) -> None:
    import psycopg

    name, admin = _admin(url)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    name, admin = _admin(url)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(data_dir: Path, url: str) -> None:
    os.environ["JIXIAO_DATA_DIR"] = str(data_dir)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "jixiao_web.settings"
    import django

    django.setup()


def build_city(departments: int, submitted: int, reviewers: int) -> dict[str, Any]:
    """The city, its people and tables; returns the accounts locust uses."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connections, transaction
    from django.utils import timezone

    from jixiao.read import read_path
    from jixiao_web import services
    from jixiao_web.audit import Actor
    from jixiao_web.models import City, Department, FilingYear, Role, User

    call_command("migrate", verbosity=0, interactive=False)
    seed = read_path(SEED).table
    assert seed is not None
    # One PBKDF2 hash for everybody: hashing a hundred passwords would take a minute.
    hashed = make_password(PASSWORD)
    with transaction.atomic():
        city = City.current()
        city.name = "揭阳市"
        city.save()
        FilingYear.objects.create(year=YEAR, deadline=timezone.now() + timedelta(days=14))
        finance = Department.objects.create(code="czj", name="揭阳市财政局", is_finance_bureau=True)
        total = departments + submitted
        made = Department.objects.bulk_create(
            Department(code=f"bm{i:03d}", name=f"揭阳市第{i:03d}局", competent_department=f"第{i:03d}类")
            for i in range(1, total + 1)
        )
        filers = User.objects.bulk_create(
            User(
                username=f"{d.code}_tianbao",
                password=hashed,
                role=Role.FILER,
                department=d,
                full_name=f"{d.name[3:]}填报人",
            )
            for d in made
        )
        checkers = User.objects.bulk_create(
            User(
                username=f"shenhe{i:02d}",
                password=hashed,
                role=Role.REVIEWER,
                department=finance,
                full_name=f"财政局审核人{i:02d}",
            )
            for i in range(1, reviewers + 1)
        )
        accounts: dict[str, Any] = {"departments": [], "reviewers": []}
        for index, (department, filer) in enumerate(zip(made, filers, strict=True)):
            table = seed.model_copy(deep=True)
            table.title = f"揭阳市{YEAR}年市直部门整体预算绩效目标表"
            table.year = YEAR
            table.department.name = department.name
            table.department.competent_department = department.competent_department
            filing = services.start_filing(Actor(filer, "127.0.0.1"), department, YEAR, table)
            if index < departments:
                accounts["departments"].append(
                    {"username": filer.username, "password": PASSWORD, "filing": filing.pk}
                )
            else:
                services.submit(Actor(filer, "127.0.0.1"), filing)
        accounts["reviewers"] = [{"username": u.username, "password": PASSWORD} for u in checkers]
    connections.close_all()
    return accounts


def _monitoring_data(report: Any, index: int) -> dict[str, Any]:
    """The monitoring report of the ``index``-th department, as of its month: the money and every
    row on track (green), then by ``index % 5`` row 1 far behind with its cause (red), the money
    behind time progress with its reason (yellow), row 1 far ahead (blue), or left green."""
    data = report.model_dump(mode="json")
    share = Decimal("0.45") if index % 5 == 1 else Decimal(report.month) / 12
    for name in ("total", "basic", "project", "fiscal", "other"):
        row = data["funds"][name]
        if row["initial_budget"] is None:
            continue
        initial = Decimal(row["initial_budget"])
        row["adjusted_budget"], row["forecast"] = str(initial), str(initial)
        row["executed"] = str((initial * share).quantize(Decimal("0.00001")))
    if index % 5 == 1:
        data["funds"]["reason"] = "部分项目资金尚未拨付，下半年加快执行进度。"
    for indicator, row in zip(report.approved.indicators, data["indicators"], strict=True):
        target = indicator.value.split("-")[-1]
        row.update(to_date=target, forecast=target, stock=True, likelihood="确定能")
    first = data["indicators"][0]
    if index % 5 == 0:
        first.update(
            to_date="0",
            likelihood="有可能",
            causes=["经费保障"],
            cause_note="上半年检查经费尚未下达，检查推迟到下半年开展。",
            measures="经费下达后集中开展检查。",
        )
    elif index % 5 == 2:
        first.update(stock=False)  # 4 of 4 by July, pro-rated: far ahead
    return data


def _selfeval_data(evaluation: Any, index: int) -> dict[str, Any]:
    """The ``index``-th department's self-evaluation: every row met, row 1 lower by ``index % 4``
    (with its deviation explained), the money spent as budgeted."""
    data = evaluation.model_dump(mode="json")
    total = data["funds"]["total"]
    total["annual_budget"] = total["initial_budget"]
    total["executed"] = str(
        (Decimal(total["initial_budget"]) * (Decimal("0.95") + Decimal(index % 6) / 100)).quantize(
            Decimal("0.00001")
        )
    )
    data["goal_actual"] = "全年完成应急演练、值守和培训等各项工作任务，安全生产形势总体平稳，群众满意度较高。"
    for indicator, row in zip(evaluation.approved.indicators, data["indicators"], strict=True):
        row["actual"] = indicator.value.split("-")[-1]
    first = data["indicators"][0]
    first["actual"] = str(4 - index % 4)
    first["deviation"] = "部分检查因经费未到位而推迟，明年提前安排经费和计划。"
    data["conclusion"] = "基本完成年度目标。"
    return data


def build_overviews(count: int) -> dict[str, Any]:
    """A finished ``OVERVIEW_YEAR`` for ``count`` departments (more made if the city has fewer):
    approved target tables, monitoring reports and self-evaluations in varied states."""
    from django.contrib.auth.hashers import make_password
    from django.db import connections
    from django.utils import timezone

    from jixiao.model.monitoring import MonitoringReport
    from jixiao.model.selfeval import SelfEvaluation
    from jixiao.profile import VARIANTS
    from jixiao.read import read_path
    from jixiao_web import monitoring, selfeval, services
    from jixiao_web.audit import Actor
    from jixiao_web.models import Department, FilingYear, Role, User

    started = time.monotonic()
    seed = read_path(SEED).table
    assert seed is not None
    seed.budget.basic_expenditure = Decimal("1200.5")
    FilingYear.objects.create(year=OVERVIEW_YEAR, deadline=timezone.now() + timedelta(days=14))
    reviewer = Actor(User.objects.filter(role=Role.REVIEWER).order_by("username").first(), "127.0.0.1")
    have = Department.objects.filter(is_finance_bureau=False).count()
    if have < count:
        hashed = make_password(PASSWORD)
        extra = Department.objects.bulk_create(
            Department(code=f"bm{i:03d}", name=f"揭阳市第{i:03d}局", competent_department=f"第{i:03d}类")
            for i in range(have + 1, count + 1)
        )
        User.objects.bulk_create(
            User(username=f"{d.code}_tianbao", password=hashed, role=Role.FILER, department=d) for d in extra
        )
    departments = list(Department.objects.filter(is_finance_bureau=False).order_by("code")[:count])
    filers = {u.department_id: Actor(u, "127.0.0.1") for u in User.objects.filter(role=Role.FILER)}
    for department in departments:
        table = seed.model_copy(deep=True)
        table.title = f"揭阳市{OVERVIEW_YEAR}年市直部门整体预算绩效目标表"
        table.year = OVERVIEW_YEAR
        table.department.name = department.name
        filing = services.start_filing(filers[department.pk], department, OVERVIEW_YEAR, table)
        services.submit(filers[department.pk], filing)
        services.approve(reviewer, filing, "优")
    deadline = timezone.now() + timedelta(days=30)
    made = monitoring.open_round(reviewer, OVERVIEW_YEAR, 7, VARIANTS["默认"], deadline).made
    for index, filing in enumerate(made):
        filer = filers[filing.department_id]
        report = MonitoringReport.model_validate(filing.data)
        filing, _ = monitoring.save(
            filer, filing, monitoring.merged(filing, _monitoring_data(report, index)), filing.revision
        )
        services.submit(filer, filing)
        if index % 2 == 0:
            services.transition(reviewer, filing, "accept")
    made = selfeval.open_round(reviewer, OVERVIEW_YEAR, VARIANTS["默认"], deadline).made
    for index, filing in enumerate(made):
        filer = filers[filing.department_id]
        evaluation = SelfEvaluation.model_validate(filing.data)
        filing, _ = selfeval.save(
            filer, filing, selfeval.merged(filing, _selfeval_data(evaluation, index)), filing.revision
        )
        services.submit(filer, filing)
        if index % 3 == 0:
            services.approve(reviewer, filing, "")
    connections.close_all()
    return {"departments": len(departments), "seconds": round(time.monotonic() - started, 1)}


# ---------------------------------------------------------------------------------------------
# The server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(data_dir: Path, url: str, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    """``jixiao serve`` (which runs the migrations and execs gunicorn), in its own process group."""
    env = {**os.environ, "JIXIAO_DATA_DIR": str(data_dir), "DATABASE_URL": url}
    command = [
        str(BIN / "jixiao"),
        "serve",
        "--data-dir",
        str(data_dir),
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with open(log, "wb") as sink:
        server = subprocess.Popen(
            command, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"jixiao serve exited with {server.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as reply:
                if reply.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    stop_server(server)
    raise SystemExit(f"jixiao serve did not answer within 60 s; see {log}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) of one process, None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _backends(database: str) -> list[int]:
    """PostgreSQL backends serving ``database`` (their command line names it)."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes()
        except OSError:
            continue
        if text.startswith(b"postgres: ") and f" {database} ".encode() in text:
            pids.append(int(cmdline.parent.name))
    return pids


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICK, sum(values) / TICK


class Sampler(threading.Thread):
    """Once a second, the CPU time used by gunicorn (master and workers), this database's PostgreSQL
    backends, locust, and the whole machine, so that other work on the machine shows too.  Counted
    per process and added up between samples, so processes that come and go are counted."""

    def __init__(self, server_pid: int, database: str) -> None:
        super().__init__(daemon=True)
        self.server_pid = server_pid
        self.database = database
        self.locust_pid: int | None = None
        #: (time, machine busy, machine total, gunicorn, postgres, locust): cumulative seconds
        self.samples: list[tuple[float, ...]] = []
        self.done = threading.Event()

    def run(self) -> None:
        totals = {"gunicorn": 0.0, "postgres": 0.0, "locust": 0.0}
        last: dict[int, float] = {}
        while not self.done.is_set():
            groups = {
                "gunicorn": [self.server_pid, *_children(self.server_pid)],
                "postgres": _backends(self.database),
                "locust": [self.locust_pid] if self.locust_pid else [],
            }
            now: dict[int, float] = {}
            for group, pids in groups.items():
                for pid in pids:
                    used = _cpu_seconds(pid)
                    if used is not None:
                        now[pid] = used
                        totals[group] += used - last.get(pid, 0.0 if self.samples else used)
            last = now
            busy, total = machine_busy()
            self.samples.append(
                (time.time(), busy, total, totals["gunicorn"], totals["postgres"], totals["locust"])
            )
            self.done.wait(1.0)

    def between(self, start: float, end: float) -> dict[str, float]:
        """Cores used on average between two times (nearest samples), by whom."""
        inside = [s for s in self.samples if start <= s[0] <= end] or self.samples
        first, last = inside[0], inside[-1]
        span = last[0] - first[0] or 1.0
        cores = os.cpu_count() or 1
        wall = last[2] - first[2]
        used = {
            "machine": (last[1] - first[1]) / wall * cores if wall else 0.0,
            "gunicorn": (last[3] - first[3]) / span,
            "postgres": (last[4] - first[4]) / span,
            "locust": (last[5] - first[5]) / span,
        }
        used["other"] = max(0.0, used["machine"] - used["gunicorn"] - used["locust"] - used["postgres"])
        return {"seconds": round(span, 1), **{f"{k}_cores": round(v, 2) for k, v in used.items()}}


# ---------------------------------------------------------------------------------------------
# Locust


def run_locust(
    args: argparse.Namespace, host: str, accounts_file: Path, results_file: Path, log: Path, sampler: Sampler
) -> float:
    """Run locust headless until the steady phase ends; returns its CPU seconds."""
    users = args.users + args.reviewers
    warmup_max = max(120, users * 2)
    env = {
        **os.environ,
        "WEB_LOAD_ACCOUNTS": str(accounts_file),
        "WEB_LOAD_RESULTS": str(results_file),
        "WEB_LOAD_DURATION": str(args.duration),
        "WEB_LOAD_WAIT": args.wait,
        "WEB_LOAD_WARMUP_MAX": str(warmup_max),
        "WEB_LOAD_SETTLE": str(args.settle),
    }
    command = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "bench" / "web_load_users.py"),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(args.spawn_rate),
        # A safety limit only: the locustfile stops the run after the steady phase.
        "-t",
        f"{warmup_max + args.settle + args.duration + 30}s",
        "--host",
        host,
        "--csv",
        str(OUT / args.name),
        "--only-summary",
        "--exit-code-on-error",
        "0",
    ]
    with open(log, "wb") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
        sampler.locust_pid = process.pid
        _, status, usage = os.wait4(process.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"locust exited with {code}; see {log}")
    return usage.ru_utime + usage.ru_stime


def server_times(log: Path, since: float, until: float = float("inf")) -> dict[str, dict[str, float]]:
    """Per request type, the time spent inside the application (the request log's ``duration_ms``,
    one JSON line per request from ``jixiao_web.ops``) between two times.

    This excludes waiting in the listen queue for a free worker and the client's own overhead; the
    difference to locust's figures is that queueing.
    """
    times: dict[str, list[float]] = defaultdict(list)
    for text in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if not text.startswith("{"):
            continue
        try:
            line = json.loads(text)
            at = datetime.fromisoformat(line["time"]).timestamp()
            method, path, status, took = line["method"], line["path"], line["status"], line["duration_ms"]
        except (ValueError, KeyError, TypeError):
            continue
        if not since <= at < until:
            continue
        name = next((n for m, p, n in ROUTES if m == method and p.match(path)), f"{method} other")
        if name == "save" and status == 409:
            name = "save (stale revision)"  # the only saves refused as conflicts in this run
        times[name].append(float(took))
    out = {}
    for name, values in sorted(times.items()):
        values.sort()
        out[name] = {
            "requests": len(values),
            "p50_ms": percentile(values, 0.5),
            "p95_ms": percentile(values, 0.95),
            "p99_ms": percentile(values, 0.99),
            "mean_ms": round(statistics.fmean(values), 1),
        }
    return out


def percentile(values: list[float], q: float) -> float:
    return float(values[min(len(values) - 1, int(q * len(values)))]) if values else 0.0


# ---------------------------------------------------------------------------------------------
# No save lost


def check_saves(saves: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Compare every user's last acknowledged save with the table stored in the database."""
    from django.db.models import Count, Q

    from jixiao_web.audit import verify
    from jixiao_web.models import AuditEntry, Filing

    stored = {
        f.pk: f
        for f in Filing.objects.filter(pk__in=[s["filing"] for s in saves.values()]).annotate(
            audited_saves=Count("audit", filter=Q(audit__action="save"))
        )
    }
    problems: list[str] = []
    newer = 0
    for username, record in sorted(saves.items()):
        filing = stored[record["filing"]]
        goal = filing.data.get("overall_goal", "")
        tasks = filing.data.get("tasks", [])
        found = re.search(rf"\[load:{re.escape(username)}:(\d+)\]$", goal)
        stored_n = int(found.group(1)) if found else 0
        if "[stale:" in goal:
            problems.append(f"{username}: a stale save was stored")
        if filing.revision - 1 != filing.audited_saves:
            problems.append(
                f"{username}: revision {filing.revision} but {filing.audited_saves} saves in the audit log"
            )
        if filing.revision - 1 > len(record["attempted"]):
            problems.append(
                f"{username}: {filing.revision - 1} saves stored, {len(record['attempted'])} sent"
            )
        acked = record["acknowledged"]
        if acked is None:
            continue
        if stored_n < acked["n"]:
            problems.append(f"{username}: acknowledged save {acked['n']} lost (stored: {stored_n or 'none'})")
        elif stored_n > acked["n"]:
            # Sent, stored, but its answer never arrived (the run stopped while it was in flight).
            newer += 1
            if stored_n not in record["attempted"]:
                problems.append(f"{username}: stored marker {stored_n} was never sent")
        else:
            plus, minus = Decimal(tasks[0]["amount"]), Decimal(tasks[2]["amount"])
            if (plus, minus) != (Decimal(acked["plus"]), Decimal(acked["minus"])):
                problems.append(
                    f"{username}: amounts {plus}/{minus}, acknowledged {acked['plus']}/{acked['minus']}"
                )
    breaks = verify()
    problems += [f"audit chain: entry {b.seq}: {b.message}" for b in breaks]
    return {
        "users": len(saves),
        "acknowledged_saves": sum(r["ok"] for r in saves.values()),
        "conflicts": sum(r["conflicts"] for r in saves.values()),
        "other_save_failures": sum(r["other"] for r in saves.values()),
        "stale_saves_refused": sum(r["stale_refused"] for r in saves.values()),
        "stale_saves_stored": sum(r["stale_accepted"] for r in saves.values()),
        "stored_newer_than_acknowledged": newer,
        "audit_entries": AuditEntry.objects.count(),
        "audit_chain_intact": not breaks,
        "problems": problems,
        "ok": not problems and not sum(r["stale_accepted"] for r in saves.values()),
    }


# ---------------------------------------------------------------------------------------------
# Report


ORDER = (
    "login page",
    "login",
    "home",
    "edit page",
    "save",
    "save (stale revision)",
    "check",
    "filing page",
    "queue",
    "review page",
    "decide",
    "selfeval overview",
    "warnings overview",
)


def _rows(requests: dict[str, dict[str, Any]]) -> list[str]:
    names = [n for n in ORDER if n in requests] + sorted(set(requests) - {*ORDER, "TOTAL"})
    return [*names, "TOTAL"] if "TOTAL" in requests else names


def table_text(title: str, requests: dict[str, dict[str, Any]], server: dict[str, dict[str, Any]]) -> str:
    lines = [
        title,
        f"  {'request':24s} {'count':>7s} {'fail':>5s} {'req/s':>7s} {'p50':>6s} {'p95':>6s} {'p99':>6s}"
        f"   {'server p50/p95/p99':>20s}",
    ]
    for name in _rows(requests):
        r = requests[name]
        s = server.get(name)
        inside = f"{s['p50_ms']:.0f}/{s['p95_ms']:.0f}/{s['p99_ms']:.0f}" if s else ""
        lines.append(
            f"  {name:24s} {r['requests']:7d} {r['failures']:5d} {r['rps']:7.2f} {r['p50_ms']:6.0f}"
            f" {r['p95_ms']:6.0f} {r['p99_ms']:6.0f}   {inside:>20s}"
        )
    return "\n".join(lines)


def table_markdown(requests: dict[str, dict[str, Any]], server: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| request | count | failures | req/s | p50 ms | p95 ms | p99 ms | server p50/p95/p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in _rows(requests):
        r = requests[name]
        s = server.get(name)
        inside = f"{s['p50_ms']:.0f} / {s['p95_ms']:.0f} / {s['p99_ms']:.0f}" if s else ""
        lines.append(
            f"| {name} | {r['requests']} | {r['failures']} | {r['rps']:.2f} | {r['p50_ms']:.0f} |"
            f" {r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {inside} |"
        )
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    config, steady, warmup, saves = results["config"], results["steady"], results["warmup"], results["saves"]
    cpu = results["cpu"]
    parts = [
        "# Web system under load",
        "",
        f"{results['started']}: {config['users']} department users + {config['reviewers']} reviewers, "
        f"{config['submitted']} tables waiting for review, think time {config['wait']} s, "
        f"gunicorn {config['workers']} sync workers on {config['cpus']} CPUs, PostgreSQL; locust on the "
        "same machine.",
        "",
        f"## Steady phase ({steady['seconds']:.0f} s, after every user logged in)",
        "",
        table_markdown(steady["requests"], results["server_steady"]),
        "",
        "Client-side figures are locust's (queueing for a free worker included); server-side are "
        "gunicorn's time inside the worker.",
        "",
        f"CPU during the steady phase (cores of {config['cpus']}): machine {cpu['machine_cores']:.2f}, "
        f"of which gunicorn {cpu['gunicorn_cores']:.2f}, PostgreSQL {cpu['postgres_cores']:.2f}, "
        f"locust {cpu['locust_cores']:.2f}, other processes {cpu['other_cores']:.2f}.",
        "",
        f"## Warm-up ({warmup['seconds']:.0f} s: spawning {config['spawn_rate']:g} users/s, logging in, "
        f"then {config['settle_s']} s to settle)",
        "",
        table_markdown(warmup["requests"], results["server_warmup"]),
        "",
        "## No save lost",
        "",
        f"- acknowledged saves: {saves['acknowledged_saves']} by {saves['users']} users",
        f"- conflicts (409) on ordinary saves: {saves['conflicts']}; other save failures: "
        f"{saves['other_save_failures']}",
        f"- stale-revision saves refused with 409: {saves['stale_saves_refused']}; stored (silent "
        f"overwrite): {saves['stale_saves_stored']}",
        f"- stored save newer than the last acknowledged one (answer still in flight at stop): "
        f"{saves['stored_newer_than_acknowledged']}",
        f"- audit log: {saves['audit_entries']} entries, chain {'intact' if saves['audit_chain_intact'] else 'BROKEN'}",
        f"- **result: {'OK' if saves['ok'] else 'PROBLEMS'}**",
    ]
    parts += [f"  - {p}" for p in saves["problems"][:50]]
    errors = steady["errors"] + warmup["errors"]
    if errors:
        parts += ["", "## Errors", ""]
        parts += [f"- {e['method']} {e['name']}: {e['error']} ×{e['occurrences']}" for e in errors]
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------------------------


def measure(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    """Build the city, serve it, load it, check it: every figure of one run."""
    server_log = OUT / f"{args.name}-server.log"
    print(f"Database {args.database_url}: creating, migrating, building the city …", flush=True)
    started = time.monotonic()
    recreate_database(args.database_url)
    setup_django(data_dir, args.database_url)
    accounts = build_city(args.users, args.submitted, args.reviewers)
    overviews = build_overviews(args.overviews) if args.overviews else None
    if overviews is not None:
        accounts["overview_year"] = OVERVIEW_YEAR
        print(f"  {OVERVIEW_YEAR}: {overviews['departments']} departments filed in {overviews['seconds']} s")
    accounts_file = data_dir / "accounts.json"
    accounts_file.write_text(json.dumps(accounts), encoding="utf-8")
    print(
        f"  {args.users + args.submitted} departments, {args.reviewers} reviewers "
        f"in {time.monotonic() - started:.1f} s"
    )

    port = args.port or free_port()
    host = f"http://127.0.0.1:{port}"
    server = start_server(data_dir, args.database_url, port, args.workers, server_log)
    try:
        print(
            f"jixiao serve on {host} ({args.workers} workers); locust: {args.users}+{args.reviewers} "
            f"users, steady phase {args.duration} s …",
            flush=True,
        )
        results_file = data_dir / "locust-results.json"
        sampler = Sampler(server.pid, urlparse(args.database_url).path.lstrip("/"))
        sampler.start()
        locust_log = OUT / f"{args.name}-locust.log"
        locust_cpu = run_locust(args, host, accounts_file, results_file, locust_log, sampler)
        sampler.done.set()
        sampler.join()
    finally:
        stop_server(server)
    seen = json.loads(results_file.read_text(encoding="utf-8"))
    if seen["steady"] is None:
        raise SystemExit(f"locust never reached the steady phase; see {locust_log}")
    steady_started = float(seen["steady_started"])
    return {
        "started": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"),
        "config": {
            "users": args.users,
            "reviewers": args.reviewers,
            "submitted": args.submitted,
            "duration_s": args.duration,
            "wait": args.wait,
            "spawn_rate": args.spawn_rate,
            "settle_s": args.settle,
            "workers": args.workers,
            "cpus": os.cpu_count(),
            "overviews": args.overviews,
        },
        "steady": seen["steady"],
        "warmup": seen["warmup"],
        "server_steady": server_times(server_log, steady_started),
        "server_warmup": server_times(server_log, 0, steady_started),
        "reviews": seen["reviews"],
        "saves": check_saves(seen["saves"]),
        "cpu": {
            **sampler.between(steady_started, steady_started + float(seen["steady"]["seconds"])),
            "locust_cpu_seconds_whole_run": round(locust_cpu, 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100, help="department users (each its own table)")
    parser.add_argument("--reviewers", type=int, default=5, help="财政审核人")
    parser.add_argument("--submitted", type=int, default=40, help="more departments, tables submitted")
    parser.add_argument("--duration", type=seconds, default=60, help="steady phase, e.g. 60s, 5m")
    parser.add_argument("--spawn-rate", type=float, default=2, help="users started (logging in) per second")
    parser.add_argument(
        "--settle", type=seconds, default=10, help="pause between the last log-in and measuring"
    )
    parser.add_argument("--wait", default="2-8", help="think time between actions, MIN-MAX seconds")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--database-url", default=os.environ.get("JIXIAO_LOAD_DATABASE_URL", DEFAULT_URL))
    parser.add_argument(
        "--overviews",
        type=int,
        default=0,
        help=f"departments with a finished {OVERVIEW_YEAR} (monitoring, self-evaluation) whose two "
        "overview pages the reviewers open (0: none)",
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    parser.add_argument("--name", default="web_load", help="output files: bench/out/NAME.{json,md} …")
    args = parser.parse_args()

    OUT.mkdir(exist_ok=True)
    _admin(args.database_url)  # refuse a database not meant for this before touching anything
    data_dir = Path(tempfile.mkdtemp(prefix="jixiao-load-"))
    try:
        results = measure(args, data_dir)
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if not args.keep_db:
            drop_database(args.database_url)
        shutil.rmtree(data_dir, ignore_errors=True)
    save(args.name, results)
    (OUT / f"{args.name}.md").write_text(markdown(results), encoding="utf-8")

    saves, steady, warmup = results["saves"], results["steady"], results["warmup"]
    print()
    print(
        table_text(
            f"Steady phase, {steady['seconds']:.0f} s (ms; client side, then server side):",
            steady["requests"],
            results["server_steady"],
        )
    )
    print()
    print(
        table_text(
            f"Warm-up, {warmup['seconds']:.0f} s (spawning, logging in, settling):",
            warmup["requests"],
            results["server_warmup"],
        )
    )
    reviews = results["reviews"]
    print(
        f"\nReviewers: {sum(r['approved'] for r in reviews.values())} approved, "
        f"{sum(r['returned'] for r in reviews.values())} returned, "
        f"{sum(r['too_late'] for r in reviews.values())} already decided by another."
    )
    print(
        f"Saves: {saves['acknowledged_saves']} acknowledged, {saves['conflicts']} conflicts, "
        f"{saves['stale_saves_refused']} stale refused, {saves['stale_saves_stored']} stale stored, "
        f"{saves['stored_newer_than_acknowledged']} in flight at stop; audit chain "
        f"{'intact' if saves['audit_chain_intact'] else 'BROKEN'} ({saves['audit_entries']} entries)."
    )
    print(f"No acknowledged save lost: {'OK' if saves['ok'] else 'NO'}")
    for problem in saves["problems"][:20]:
        print(f"  {problem}")
    cpu = results["cpu"]
    print(
        f"CPU, steady phase (cores of {os.cpu_count()}): machine {cpu['machine_cores']:.2f} = gunicorn "
        f"{cpu['gunicorn_cores']:.2f} + PostgreSQL {cpu['postgres_cores']:.2f} + locust "
        f"{cpu['locust_cores']:.2f} + other processes {cpu['other_cores']:.2f}"
    )
    print(f"Written: {OUT / args.name}.json, {OUT / args.name}.md")
    if not saves["ok"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
