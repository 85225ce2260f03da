"""Benchmark: how long a publication and an upload hold the web worker, before and after the queue.

"Before" runs each job in the request (``JOBS_INLINE``, what the request did before the queue:
rendering the five downloads with WeasyPrint, reading the file in the limited child, LibreOffice
for a .doc); "after" only records the job and enqueues it (the worker does the rest).  Each request
goes through Django's test client in this process, on SQLite in a throw-away data dir.

Usage::

    .venv/bin/python bench/queue_requests.py [--repeat 3]

Figures (median wall time per request, ms) are printed and written to ``bench/out/queue_requests.json``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import save

ROOT = Path(__file__).resolve().parent.parent
FILES = {
    "txt": ROOT / "tests" / "fixtures" / "seed.txt",
    "pdf": ROOT / "tests" / "fixtures" / "office" / "seed.published.pdf",
    "doc": ROOT / "tests" / "fixtures" / "office" / "seed.published.doc",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ["JIXIAO_DATA_DIR"] = tempfile.mkdtemp(prefix="jixiao-bench-queue-")
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "jixiao_web.settings"
    os.environ["JIXIAO_LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from datetime import timedelta

    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse
    from django.utils import timezone

    from jixiao.read import read_path
    from jixiao_web import services
    from jixiao_web.audit import Actor
    from jixiao_web.models import City, Department, FilingYear, Job, Role, User

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    City.objects.update_or_create(pk=City.current().pk, defaults={"name": "揭阳市"})
    FilingYear.objects.create(year=2024, deadline=timezone.now() + timedelta(days=10))
    bureau = Department.objects.create(code="czj", name="揭阳市财政局", is_finance_bureau=True)
    reviewer = User.objects.create_user("reviewer", role=Role.REVIEWER, department=bureau)
    table = read_path(FILES["txt"]).table
    table.year = 2024
    figures: dict[str, Any] = {}

    def filing(n: int) -> Any:
        department = Department.objects.create(code=f"d{n}", name=f"揭阳市第{n}局")
        filer = User.objects.create_user(f"filer{n}", role=Role.FILER, department=department)
        made = services.start_filing(Actor(filer), department, 2024, table)
        services.submit(Actor(filer), made)
        services.approve(Actor(reviewer), made, "优")
        return made, filer

    bureau_client = Client()
    bureau_client.force_login(reviewer)
    n = 0
    for mode in ("before", "after"):
        settings.JOBS_INLINE = mode == "before"
        times = []
        for _ in range(args.repeat):
            n += 1
            made, _ = filing(n)
            started = time.perf_counter()
            answer = bureau_client.post(reverse("review-publish", args=[made.pk]), {"confirmed": "1"})
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 302, answer.status_code
        figures[f"publish_{mode}_ms"] = round(statistics.median(times), 1)
        for fmt, path in FILES.items():
            times = []
            for _ in range(args.repeat):
                n += 1
                department = Department.objects.create(code=f"u{n}", name=f"揭阳市第{n}办")
                filer = User.objects.create_user(f"up{n}", role=Role.FILER, department=department)
                client = Client()
                client.force_login(filer)
                posted = {"year": "2024", "file": SimpleUploadedFile(path.name, path.read_bytes())}
                started = time.perf_counter()
                answer = client.post(reverse("filing-upload"), posted)
                times.append((time.perf_counter() - started) * 1000)
                assert answer.status_code in (200, 302), answer.status_code
            figures[f"upload_{fmt}_{mode}_ms"] = round(statistics.median(times), 1)
    figures["jobs_waiting_after"] = Job.objects.filter(state="queued").count()
    for key, value in figures.items():
        print(f"{key:28} {value}")
    save("queue_requests", figures)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
