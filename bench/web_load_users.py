"""The locust users of ``bench/web_load.py``: department filers and finance-bureau reviewers.

Run by ``web_load.py`` (``locust -f bench/web_load_users.py --headless ...``), which passes the set-up
through the environment:

- ``WEB_LOAD_ACCOUNTS``: a JSON file ``{"departments": [{"username", "password", "filing"}...],
  "reviewers": [{"username", "password"}...], "overview_year": 2023}``; every locust user takes its
  own account; with ``overview_year`` (``web_load.py --overviews``) the reviewers also open the
  finance bureau's two overviews of that year;
- ``WEB_LOAD_RESULTS``: where this file writes what it saw (JSON, see :func:`_write_results`);
- ``WEB_LOAD_DURATION``: seconds of the measured (steady) phase;
- ``WEB_LOAD_WAIT``: think time between actions, ``"MIN-MAX"`` seconds;
- ``WEB_LOAD_SETTLE``: seconds between the last user being ready and the start of measuring;
- ``WEB_LOAD_WARMUP_MAX``: seconds to wait for every user to be ready before measuring anyway.

Two phases: during *warm-up* every user logs in (PBKDF2, deliberately slow) and opens its first
page; ``WEB_LOAD_SETTLE`` seconds after the last one is ready (so that no request queued behind the
log-ins is counted), the figures so far are kept as the warm-up snapshot, locust's statistics are
reset and the *steady* phase runs for ``WEB_LOAD_DURATION`` seconds, after which this file stops
the run itself.

Every save of a department user carries a marker (``[load:<user>:<n>]`` at the end of 总体绩效目标)
and moves 0.00001 万元 from one task amount to another (exact decimals, totals unchanged); the
marker and amounts of each save answered with success are recorded, so that ``web_load.py`` can
check the database afterwards: no acknowledged save may be missing.  Now and then a user posts a
save naming an older revision (a second, stale browser tab): that must be refused with 409.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gevent
import lxml.html
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment

YEAR = 2024
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
MARKER = re.compile(r"\n\[load:[^\]]*\]$")
STEP = Decimal("0.00001")
#: Task rows whose amounts each save changes: one gains STEP, the other loses it.
PLUS_TASK, MINUS_TASK = 0, 2

ACCOUNTS: dict[str, Any] = json.loads(Path(os.environ["WEB_LOAD_ACCOUNTS"]).read_text())
RESULTS = Path(os.environ["WEB_LOAD_RESULTS"])
DURATION = float(os.environ.get("WEB_LOAD_DURATION", "60"))
SETTLE = float(os.environ.get("WEB_LOAD_SETTLE", "10"))
WARMUP_MAX = float(os.environ.get("WEB_LOAD_WARMUP_MAX", "300"))
WAIT_MIN, WAIT_MAX = (float(x) for x in os.environ.get("WEB_LOAD_WAIT", "2-8").split("-"))

_free_departments = list(reversed(ACCOUNTS["departments"]))
_free_reviewers = list(reversed(ACCOUNTS["reviewers"]))
#: Per department user: what it posted and what the server acknowledged.
SAVES: dict[str, dict[str, Any]] = {}
REVIEWS: dict[str, dict[str, int]] = {}
PHASE: dict[str, Any] = {"name": "warmup", "ready": 0, "started": None, "steady_started": None}
WARMUP: dict[str, Any] = {}


# ---------------------------------------------------------------------------------------------
# Phases and results


def _stats(environment: Environment, seconds: float) -> dict[str, Any]:
    """Per request type: count, failures, percentiles (ms), requests/s over ``seconds``."""
    rows = {}
    entries = [*environment.stats.entries.values(), environment.stats.total]
    for entry in entries:
        name = "TOTAL" if entry is environment.stats.total else entry.name
        if not entry.num_requests:
            continue
        rows[name] = {
            "method": entry.method or "",
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p95_ms": entry.get_response_time_percentile(0.95),
            "p99_ms": entry.get_response_time_percentile(0.99),
            "max_ms": round(entry.max_response_time or 0, 1),
            "avg_ms": round(entry.avg_response_time, 1),
            "rps": round(entry.num_requests / seconds, 2) if seconds > 0 else 0.0,
        }
    errors = [
        {"name": e.name, "method": e.method, "error": str(e.error), "occurrences": e.occurrences}
        for e in environment.stats.errors.values()
    ]
    return {"seconds": round(seconds, 1), "requests": rows, "errors": errors}


def _start_steady(environment: Environment, forced: bool) -> None:
    if PHASE["name"] != "warmup":
        return
    now = time.time()
    WARMUP.update(_stats(environment, now - PHASE["started"]))
    WARMUP["all_ready"] = not forced
    WARMUP["ready"] = PHASE["ready"]
    environment.stats.reset_all()
    PHASE.update(name="steady", steady_started=now)
    assert environment.runner is not None
    gevent.spawn_later(DURATION, environment.runner.quit)


@events.test_start.add_listener
def _on_test_start(environment: Environment, **_: Any) -> None:
    PHASE["started"] = time.time()
    gevent.spawn_later(WARMUP_MAX, _start_steady, environment, True)


def _ready(environment: Environment) -> None:
    """A user has logged in and opened its first page; measuring starts a while after the last."""
    PHASE["ready"] += 1
    if PHASE["ready"] == len(ACCOUNTS["departments"]) + len(ACCOUNTS["reviewers"]):
        gevent.spawn_later(SETTLE, _start_steady, environment, False)


@events.test_stop.add_listener
def _write_results(environment: Environment, **_: Any) -> None:
    """Write warm-up and steady figures, and every user's saves, to ``WEB_LOAD_RESULTS``."""
    steady_started = PHASE["steady_started"]
    steady = _stats(environment, time.time() - steady_started) if steady_started else None
    RESULTS.write_text(
        json.dumps(
            {
                "warmup": WARMUP,
                "steady": steady,
                "steady_started": steady_started,
                "saves": SAVES,
                "reviews": REVIEWS,
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )


# ---------------------------------------------------------------------------------------------
# Pages


def _hidden(html: str, name: str) -> str:
    """The value of the form field ``name`` in a page (the csrf token, the version reviewed)."""
    match = re.search(rf'name="{re.escape(name)}" value="([^"]+)"', html)
    if match is None:
        raise ValueError(f"no {name} in the page")
    return match.group(1)


def _csrf(html: str) -> str:
    return _hidden(html, "csrfmiddlewaretoken")


def _login(user: FastHttpUser, username: str, password: str) -> bool:
    with user.client.get("/accounts/login/", name="login page", catch_response=True) as page:
        if page.status_code != 200 or not page.text:
            page.failure(f"login page: HTTP {page.status_code}")
            return False
        token = _csrf(page.text)
    body = urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password})
    with user.client.post(
        "/accounts/login/",
        data=body,
        headers=FORM_HEADERS,
        name="login",
        allow_redirects=False,
        catch_response=True,
    ) as response:
        if response.status_code != 302:
            response.failure(f"login refused for {username}: HTTP {response.status_code}")
            return False
        response.success()
    return True


def _form_fields(html: str) -> list[tuple[str, str]]:
    """The fields of the filing form as a browser would post them (document order)."""
    document = lxml.html.document_fromstring(html)
    form = next(f for f in document.iter("form") if f.get("id") == "table-form")
    assert isinstance(form, lxml.html.FormElement)
    return [(str(name), str(value)) for name, value in form.form_values()]


class DepartmentUser(FastHttpUser):
    """A 填报人: opens the table, changes it, saves, checks now and then, looks at the table's page."""

    fixed_count = len(ACCOUNTS["departments"])
    wait_time = between(WAIT_MIN, WAIT_MAX)

    def on_start(self) -> None:
        account = _free_departments.pop()
        self.username: str = account["username"]
        self.filing: int = account["filing"]
        self.fields: list[tuple[str, str]] = []
        self.count = 0
        self.record: dict[str, Any] = {
            "filing": self.filing,
            "attempted": [],  # every marker number posted (in order)
            "acknowledged": None,  # the last save answered with success: marker, amounts
            "ok": 0,
            "conflicts": 0,  # 409 on an ordinary save (should not happen: one user per table)
            "other": 0,
            "stale_refused": 0,  # 409 on a deliberately stale save (expected)
            "stale_accepted": 0,  # a stale save stored: a silent overwrite
        }
        SAVES[self.username] = self.record
        if not _login(self, self.username, account["password"]):
            self.stop()
            return
        self.client.get("/", name="home")
        self.open_editor()
        _ready(self.environment)

    # -- helpers --------------------------------------------------------------------------------

    def _value(self, name: str, index: int = 0) -> str:
        return [v for k, v in self.fields if k == name][index]

    def _changed(self, marker: str) -> tuple[list[tuple[str, str]], dict[str, str]]:
        """The form with ``marker`` at the end of the goal and STEP moved between two task amounts."""
        amounts = [v for k, v in self.fields if k == "task_amount"]
        plus = Decimal(amounts[PLUS_TASK]) + STEP
        minus = Decimal(amounts[MINUS_TASK]) - STEP
        out, seen = [], 0
        for name, value in self.fields:
            if name == "overall_goal":
                value = MARKER.sub("", value) + f"\n{marker}"
            elif name == "task_amount":
                value = str(plus) if seen == PLUS_TASK else str(minus) if seen == MINUS_TASK else value
                seen += 1
            out.append((name, value))
        out.append(("save", ""))
        return out, {"plus": str(plus), "minus": str(minus)}

    # -- actions --------------------------------------------------------------------------------

    @task(3)
    def open_editor(self) -> None:
        with self.client.get(f"/filings/{self.filing}/edit/", name="edit page", catch_response=True) as page:
            if page.status_code != 200 or not page.text:
                page.failure(f"edit page: HTTP {page.status_code}")
                return
            self.fields = _form_fields(page.text)

    @task(6)
    def save(self) -> None:
        if not self.fields:
            return self.open_editor()
        self.count += 1
        marker = f"[load:{self.username}:{self.count}]"
        body, amounts = self._changed(marker)
        self.record["attempted"].append(self.count)
        with self.client.post(
            f"/filings/{self.filing}/edit/",
            data=urlencode(body),
            headers=FORM_HEADERS,
            name="save",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302:
                self.record["ok"] += 1
                self.record["acknowledged"] = {"n": self.count, "marker": marker, **amounts}
                response.success()
            elif response.status_code == 409:
                self.record["conflicts"] += 1
                response.success()  # refused honestly; counted and reported
            else:
                self.record["other"] += 1
                response.failure(f"save: HTTP {response.status_code}")
                return
        # The browser follows the redirect back to the form (new revision).
        self.open_editor()

    @task(1)
    def check(self) -> None:
        if not self.fields:
            return
        body = [(k, v) for k, v in self.fields if k not in ("revision",)]
        with self.client.post(
            f"/filings/{self.filing}/check/",
            data=urlencode(body),
            headers=FORM_HEADERS,
            name="check",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or "issues" not in (response.json() or {}):
                response.failure(f"check: HTTP {response.status_code}")

    @task(1)
    def view_filing(self) -> None:
        self.client.get(f"/filings/{self.filing}/", name="filing page")

    @task(1)
    def stale_save(self) -> None:
        """A save from an old tab: names the previous revision; must be refused (409)."""
        if not self.fields or random.random() > 0.2:
            return
        revision = int(self._value("revision"))
        if revision < 2:
            return
        body = [
            (k, str(revision - 1) if k == "revision" else v)
            for k, v in self._changed(f"[stale:{self.username}]")[0]
        ]
        with self.client.post(
            f"/filings/{self.filing}/edit/",
            data=urlencode(body),
            headers=FORM_HEADERS,
            name="save (stale revision)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 409:
                self.record["stale_refused"] += 1
                response.success()
            elif response.status_code == 302:
                self.record["stale_accepted"] += 1
                response.failure("a save naming an old revision was stored (silent overwrite)")
            else:
                response.failure(f"stale save: HTTP {response.status_code}")


class Reviewer(FastHttpUser):
    """A 财政审核人: the queue, review pages of submitted tables, now and then a decision."""

    fixed_count = len(ACCOUNTS["reviewers"])
    wait_time = between(WAIT_MIN, WAIT_MAX)

    def on_start(self) -> None:
        account = _free_reviewers.pop()
        self.username: str = account["username"]
        self.submitted: list[int] = []
        self.seen: list[int] = []
        self.record = {"approved": 0, "returned": 0, "too_late": 0}
        REVIEWS[self.username] = self.record
        if not _login(self, self.username, account["password"]):
            self.stop()
            return
        self.queue()
        _ready(self.environment)

    @task(3)
    def overviews(self) -> None:
        """The self-evaluation overview and the monitoring warnings overview of the finished year."""
        year = ACCOUNTS.get("overview_year")
        if not year:
            return
        for path, name, marker in (
            ("/review/selfeval/", "selfeval overview", 'id="selfeval-queue"'),
            ("/review/monitoring/warnings/", "warnings overview", 'id="warning-grid"'),
        ):
            with self.client.get(f"{path}?year={year}", name=name, catch_response=True) as page:
                if page.status_code != 200 or marker not in (page.text or ""):
                    page.failure(f"{name}: HTTP {page.status_code}")

    @task(3)
    def queue(self) -> None:
        with self.client.get(f"/review/?year={YEAR}", name="queue", catch_response=True) as page:
            if page.status_code != 200 or not page.text:
                page.failure(f"queue: HTTP {page.status_code}")
                return
            links = re.findall(r'href="/review/(\d+)/">(审核|查看)<', page.text)
            self.submitted = [int(pk) for pk, label in links if label == "审核"]
            self.seen = [int(pk) for pk, _ in links]

    def _open(self, pk: int) -> str | None:
        with self.client.get(f"/review/{pk}/", name="review page", catch_response=True) as page:
            if page.status_code != 200 or not page.text:
                page.failure(f"review page: HTTP {page.status_code}")
                return None
            return str(page.text)

    @task(5)
    def review(self) -> None:
        pool = self.submitted or self.seen
        if pool:
            self._open(random.choice(pool))

    @task(1)
    def decide(self) -> None:
        if not self.submitted:
            return
        pk = random.choice(self.submitted)
        html = self._open(pk)
        if html is None or 'id="review-form"' not in html:
            self.submitted.remove(pk)  # decided by someone else meanwhile
            return
        # The version read, as the real form posts it: a newer one would make the decision a conflict.
        # As review.js posts it after its confirmation box (without it the server asks first).
        fields = {"csrfmiddlewaretoken": _csrf(html), "version": _hidden(html, "version"), "confirmed": "1"}
        if random.random() < 0.5:
            fields.update(decision="approve", grade="优")
        else:
            fields.update(
                {"decision": "return", "grade": "中", "comment:overall_goal": "请补充可考核的完成时限。"}
            )
        with self.client.post(
            f"/review/{pk}/decide/",
            data=urlencode(fields),
            headers=FORM_HEADERS,
            name="decide",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"decide: HTTP {response.status_code}")
                return
            # Success goes to the queue; a refusal (another reviewer was first) back to the table.
            if response.headers.get("location", "").rstrip("/").endswith("/review"):
                self.record["approved" if fields["decision"] == "approve" else "returned"] += 1
            else:
                self.record["too_late"] += 1
            response.success()
        self.submitted.remove(pk)
