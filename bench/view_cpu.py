"""Benchmark: CPU per request of each view the load run exercises, measured in one process.

The load run (``bench/web_load.py``) gives latencies under load, which a shared machine makes
noisy.  This script builds the same city (``web_load.build_city``) in a fresh PostgreSQL database
and calls each view through Django's test client ``--repeat`` times, as the load run's users do:
the home page, the edit page, a save (the goal changed, amounts moved), a check, the filing page;
the queue, a review page.  For each it reports the median CPU time of this process per request
(the Python work of the view, the template and the database driver; the database server's own
time is not included) and the database queries per request.  ``--profile NAME`` prints a
pyinstrument profile of that view's requests (``pip install pyinstrument`` first).

Usage::

    .venv/bin/python bench/view_cpu.py [--departments 100 --submitted 40 --repeat 30]

Figures are printed and written to ``bench/out/view_cpu.json`` (``--name`` changes the name).
The database (``jixiao_load_cpu`` by default; its name must contain ``load``) is dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from common import save
from web_load import PASSWORD, YEAR, build_city, drop_database, recreate_database, setup_django

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/jixiao_load_cpu"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def _form(html: str) -> list[tuple[str, str]]:
    """The edit form's fields as the browser would post them (inputs and text areas, in order)."""
    from html.parser import HTMLParser

    fields: list[tuple[str, str]] = []

    class Parser(HTMLParser):
        area: str | None = None
        text = ""
        in_form = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            attributes = dict(attrs)
            if tag == "form" and attributes.get("id") == "table-form":
                self.in_form = True
            if not self.in_form:
                return
            name = attributes.get("name")
            if tag == "input" and name and attributes.get("type") not in {"submit", "button", "checkbox"}:
                fields.append((name, attributes.get("value") or ""))
            elif tag == "textarea" and name:
                self.area, self.text = name, ""

        def handle_data(self, data: str) -> None:
            if self.area is not None:
                self.text += data

        def handle_endtag(self, tag: str) -> None:
            if tag == "textarea" and self.area is not None:
                fields.append((self.area, self.text.removeprefix("\n")))
                self.area = None
            if tag == "form":
                self.in_form = False

    Parser().feed(html)
    return fields


def measure(name: str, call: Callable[[], Any], repeat: int, profile: str | None) -> dict[str, float | int]:
    """Median CPU milliseconds and queries per call of ``call``; profiled if ``profile == name``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()  # warm: templates compiled, caches filled as in a running server
    times: list[float] = []
    queries: list[int] = []
    profiler = None
    if profile == name:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.process_time()
            response = call()
            times.append((time.process_time() - started) * 1000)
        queries.append(len(captured.captured_queries))
        assert response.status_code in {200, 302}, f"{name}: HTTP {response.status_code}"
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False))
    return {
        "cpu_ms_median": round(statistics.median(times), 1),
        "cpu_ms_p90": round(sorted(times)[int(0.9 * (len(times) - 1))], 1),
        "queries": round(statistics.median(queries)),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from django.conf import settings
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    accounts = build_city(args.departments, args.submitted, args.reviewers)
    department = accounts["departments"][0]
    filer, reviewer = Client(), Client()
    assert filer.login(username=department["username"], password=PASSWORD)
    assert reviewer.login(username=accounts["reviewers"][0]["username"], password=PASSWORD)
    pk = department["filing"]
    edit = f"/filings/{pk}/edit/"
    fields = _form(filer.get(edit).content.decode())
    counter = iter(range(1, 10**9))

    def save() -> Any:
        page = filer.get(edit).content.decode()
        posted = [
            (key, value + f"\n第{next(counter)}次保存" if key == "overall_goal" else value)
            for key, value in _form(page)
        ]
        body = urlencode([*posted, ("save", ""), ("csrfmiddlewaretoken", _csrf(page))])
        # As a browser posts a form without files (the test client would send multipart).
        return filer.post(edit, body, content_type="application/x-www-form-urlencoded")

    first_page = filer.get(edit).content.decode()
    check_data: dict[str, list[str]] = {}
    for key, value in [*_form(first_page), ("csrfmiddlewaretoken", _csrf(first_page))]:
        check_data.setdefault(key, []).append(value)

    def check() -> Any:
        """The editor's live check: the form as typed, posted as the page's script posts it (the
        script sends FormData: multipart)."""
        return filer.post(f"/filings/{pk}/check/", check_data)

    queue = reviewer.get(f"/review/?year={YEAR}").content.decode()
    submitted = [int(found) for found in re.findall(r'href="/review/(\d+)/">审核<', queue)]
    assert fields, "the edit page has no form"
    assert submitted, "the queue lists no submitted table"
    views: dict[str, Callable[[], Any]] = {
        "session ping (the least a signed-in request costs)": lambda: filer.get("/accounts/session/"),
        "home": lambda: filer.get("/"),
        "edit page": lambda: filer.get(edit),
        "save (edit page + post)": save,
        "check": check,
        "filing page": lambda: filer.get(f"/filings/{pk}/"),
        "queue": lambda: reviewer.get(f"/review/?year={YEAR}"),
        "review page": lambda: reviewer.get(f"/review/{submitted[0]}/"),
    }
    return {name: measure(name, call, args.repeat, args.profile) for name, call in views.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departments", type=int, default=100)
    parser.add_argument("--submitted", type=int, default=40)
    parser.add_argument("--reviewers", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--profile", help="print a pyinstrument profile of this view")
    parser.add_argument("--database-url", default=os.environ.get("JIXIAO_CPU_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--name", default="view_cpu")
    args = parser.parse_args()
    os.environ.setdefault("JIXIAO_LOG_LEVEL", "WARNING")  # the request log is not measured here
    recreate_database(args.database_url)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            setup_django(Path(tmp), args.database_url)
            results = run(args)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(args.database_url)
    print(f"每个视图 {args.repeat} 次请求，本进程 CPU 时间（毫秒，中位数 / 90%）与数据库查询数：")
    for name, figures in results.items():
        print(
            f"  {name:26s} {figures['cpu_ms_median']:7.1f} {figures['cpu_ms_p90']:7.1f}  {figures['queries']:3d} 次查询"
        )
    save(args.name, {"repeat": args.repeat, "departments": args.departments, "views": results})
    sys.stdout.flush()


if __name__ == "__main__":
    main()
