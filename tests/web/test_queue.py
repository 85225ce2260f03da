"""queue: background jobs on the database queue, run by real ``jixiao worker`` processes.

- The pages answer at once with the job's state and show the result when it is done.
- A job that fails is tried again after a wait, then reported; never lost.
- A worker killed mid-task (SIGKILL) leaves its task to another worker (the lease runs out).
- Files in the database storage verify in the audit chain; a blob altered there is caught.

Most tests elsewhere run jobs at once (``JOBS_INLINE`` in tests/web/settings.py); here it is off.
"""

from __future__ import annotations

import functools
import json
import operator
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from jixiao.model import TargetTable
from jixiao_web import audit, jobs, services, tasks
from jixiao_web.audit import Actor
from jixiao_web.models import Department, Job, JobKind, JobState, StoredBlob, User, WorkerLease

from .conftest import JIXIAO_CLI, SEED, child_env, run_jixiao
from .test_reminders import worker_database  # noqa: F401  (a fixture: the children's database)

pytestmark = pytest.mark.slow


@pytest.fixture
def queued(settings: Any) -> None:
    """Jobs go to the queue, as in production (not run at once in the request)."""
    settings.JOBS_INLINE = False


def work_queue() -> None:
    """django-tasks-db's worker in this process until nothing is ready (inside the test's
    transaction: its check for stale connections is left out, as in test_reminders)."""
    from django_tasks_db.management.commands import db_worker

    saved = db_worker.close_old_connections
    db_worker.close_old_connections = lambda **kwargs: None
    try:
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
    finally:
        db_worker.close_old_connections = saved


def test_an_upload_is_read_by_the_worker_and_the_page_follows_it(
    queued: None, people: dict[str, User], login: Callable[[User], Client]
) -> None:
    filer = login(people["filer"])
    posted = {"year": "2024", "file": SimpleUploadedFile("seed.txt", SEED.read_bytes())}
    answer = filer.post(reverse("filing-upload"), posted)
    assert answer.status_code == 302
    job = Job.objects.get(user=people["filer"])
    assert answer["Location"] == f"{reverse('filing-upload')}?job={job.pk}"
    assert (job.kind, job.state, job.input_name) == (JobKind.READ_TABLE, JobState.QUEUED, "seed.txt")
    assert default_storage.exists(job.input_file)  # kept for the worker, on every node's storage
    # Nothing was read in the request (bench/queue_requests.py measures it: ~20 ms, not 0.5–2 s).
    assert job.result is None
    page = filer.get(answer["Location"]).content.decode()
    assert "排队中" in page
    assert "job.js" in page
    assert "刷新查看结果" in page
    assert "确认导入为" not in page
    status = filer.get(reverse("job-status", args=[job.pk])).json()
    assert (status["state"], status["label"], status["finished"]) == ("queued", "排队中", False)
    # Somebody else's job is nobody else's business.
    assert login(people["other_filer"]).get(reverse("job-status", args=[job.pk])).status_code == 404

    kept = job.input_file
    work_queue()
    job.refresh_from_db()
    assert (job.state, job.attempts, job.input_file) == (JobState.DONE, 1, "")
    assert not default_storage.exists(kept)  # the uploaded file goes once it is read
    status = filer.get(reverse("job-status", args=[job.pk])).json()
    assert (status["label"], status["finished"]) == ("已完成", True)
    page = filer.get(answer["Location"]).content.decode()
    assert "确认导入为揭阳市应急管理局2024年度目标表" in page  # the preview, as before the queue
    assert "job.js" not in page


def test_one_person_has_a_few_files_waiting_at_most(
    queued: None, people: dict[str, User], login: Callable[[User], Client]
) -> None:
    filer = login(people["filer"])

    def upload(client: Client, name: str) -> Any:
        return client.post(
            reverse("filing-upload"), {"year": "2024", "file": SimpleUploadedFile(name, SEED.read_bytes())}
        )

    for n in range(jobs.READING_PER_PERSON):
        assert upload(filer, f"第{n}份.txt").status_code == 302
    refused = upload(filer, "再一份.txt")
    assert refused.status_code == 429
    assert "正在排队或读取" in refused.content.decode()
    assert upload(login(people["head"]), "负责人的.txt").status_code == 302  # others are not held up
    work_queue()
    assert upload(filer, "读完之后.txt").status_code == 302


def test_the_library_is_rebuilt_by_the_worker_and_the_bureau_sent_back(
    queued: None, people: dict[str, User], login: Callable[[User], Client]
) -> None:
    bureau = login(people["reviewer"])
    answer = bureau.post(reverse("library-rebuild"))
    job = Job.objects.get(kind=JobKind.LIBRARY)
    assert answer["Location"] == f"{reverse('job', args=[job.pk])}?back=%2Flibrary%2F"
    waiting = bureau.get(answer["Location"])
    assert waiting.status_code == 200
    assert "重建指标库" in waiting.content.decode()
    assert "排队中" in waiting.content.decode()
    work_queue()
    done = bureau.get(answer["Location"], follow=True)
    assert done.redirect_chain == [(reverse("library"), 302)]
    assert "指标库已重建" in done.content.decode()
    # Only a page of this site to go back to.
    elsewhere = bureau.get(reverse("job", args=[job.pk]) + "?back=https://example.com/")
    assert elsewhere.status_code == 200


def test_a_failed_job_is_tried_again_later_then_reported(
    queued: None, people: dict[str, User], login: Callable[[User], Client], settings: Any
) -> None:
    settings.JOB_ATTEMPTS = 3
    job = jobs.start(JobKind.READ_TABLE, user=people["filer"], name="seed.txt", data=SEED.read_bytes())
    default_storage.delete(job.input_file)  # its input lost: every attempt fails
    for attempt in (1, 2):
        before = timezone.now()
        work_queue()
        job.refresh_from_db()
        assert (job.state, job.attempts) == (JobState.RETRYING, attempt)
        assert "FileNotFoundError" in job.error
        again = DBTaskResult.objects.get(pk=job.task_id)  # the next attempt, after the backoff
        assert again.status == "READY"
        expected = tasks.backoff(attempt).total_seconds()
        assert abs((again.run_after - before).total_seconds() - expected) < 30
        status = login(people["filer"]).get(reverse("job-status", args=[job.pk])).json()
        assert (status["label"], status["finished"]) == ("失败，将重试", False)
        assert f"第{attempt}次处理失败" in status["message"]
        DBTaskResult.objects.filter(pk=again.pk).update(run_after=timezone.now())  # the wait is over
    work_queue()
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.FAILED, 3)
    # Every attempt is in django-tasks' results with its traceback (the admin lists them) …
    failed = DBTaskResult.objects.filter(task_path="jixiao_web.tasks.run_job", status="FAILED")
    assert failed.count() == 3
    assert all("FileNotFoundError" in (result.traceback or "") for result in failed)
    # … the job in the admin's list of failed jobs, and on its starter's page and home page.
    admin = login(people["admin"]).get(reverse("admin:jixiao_web_job_changelist") + "?state=failed")
    assert "seed.txt" in admin.content.decode()
    page = login(people["filer"]).get(reverse("job", args=[job.pk])).content.decode()
    assert "处理失败" in page
    assert "已尝试3次仍失败" in page
    home = login(people["filer"]).get(reverse("home")).content.decode()
    assert "读取目标表文件" in home
    assert "失败" in home


def test_a_task_left_running_by_a_dead_worker_is_queued_again(queued: None, people: dict[str, User]) -> None:
    job = jobs.start(JobKind.READ_TABLE, user=people["filer"], name="seed.txt", data=SEED.read_bytes())
    result = DBTaskResult.objects.get(pk=job.task_id)
    result.claim("gone-worker")  # claimed by a worker that then died without a word
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING)
    assert tasks.recover() == []  # started just now: its worker may still be about to beat
    DBTaskResult.objects.filter(pk=result.pk).update(started_at=timezone.now() - timedelta(minutes=5))
    tasks.beat("live-worker")
    result.claim("live-worker")  # … another worker's task, alive: left alone
    DBTaskResult.objects.filter(pk=result.pk).update(started_at=timezone.now() - timedelta(minutes=5))
    assert tasks.recover() == []
    WorkerLease.objects.filter(worker_id="live-worker").update(beat_at=timezone.now() - timedelta(minutes=5))
    assert tasks.recover() == [str(result.pk)]
    result.refresh_from_db()
    job.refresh_from_db()
    assert (result.status, job.state) == ("READY", JobState.QUEUED)
    work_queue()
    job.refresh_from_db()
    assert job.state == JobState.DONE


# ---------------------------------------------------------------------------------------------
# Files in the database storage


@pytest.fixture
def database_storage(settings: Any) -> None:
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "jixiao_web.storage.DatabaseStorage"}}


def test_exports_in_the_database_storage_verify_and_an_altered_blob_is_caught(
    database_storage: None,
    people: dict[str, User],
    department: Department,
    seed_table: TargetTable,
    actor: Callable[[str], Actor],
) -> None:
    filing = services.start_filing(actor("filer"), department, 2024, seed_table)
    services.submit(actor("filer"), filing)
    services.approve(actor("reviewer"), filing, "优")
    services.publish(actor("reviewer"), filing)  # rendered at once here (JOBS_INLINE)
    filing.refresh_from_db()
    assert filing.published_version is not None
    stored = filing.published_version.exports.get(format="pdf")
    blob = StoredBlob.objects.get(name=stored.file.name)
    assert blob.size == stored.size
    assert bytes(blob.content).startswith(b"%PDF-")
    assert audit.verify() == []
    # Read in pieces, the same bytes.
    with default_storage.open(stored.file.name) as handle:
        assert handle.read(5) == b"%PDF-"
        handle.seek(0)
        assert len(handle.read()) == stored.size
    download = Client().get(reverse("public-download", args=[2024, department.code, "pdf"]))
    assert b"".join(download.streaming_content) == bytes(blob.content)  # type: ignore[attr-defined]
    # Names stay unique: a second file of the same name gets another.
    again = default_storage.save(stored.file.name, SimpleUploadedFile("x", b"other"))
    assert again != stored.file.name
    StoredBlob.objects.filter(pk=blob.pk).update(content=bytes(blob.content) + b"%")
    (problem,) = audit.verify()
    assert "哈希值不符" in problem.message
    assert stored.file.name in problem.message


# ---------------------------------------------------------------------------------------------
# Real worker processes


DEMO = """
from pathlib import Path
from django.conf import settings
from django.core.management import call_command
from jixiao_web import demo
call_command("migrate", verbosity=0)
assert demo.load(Path(settings.DATA_DIR))
"""

START = """
import json
from django.core.files.uploadedfile import SimpleUploadedFile
from jixiao.model import TargetTable
from jixiao.write.pdf import write_pdf
from jixiao_web import evidence, jobs
from jixiao_web.audit import Actor
from jixiao_web.models import Filing, JobKind, Kind, Role, Status, User
from jixiao_web.views.documents import OFFLINE
seed = open(SEED, "rb").read()
draft = Filing.objects.filter(kind=Kind.MONITORING, status=Status.DRAFT).order_by("pk").first()
filer = User.objects.get(department=draft.department, role=Role.FILER)
bureau = User.objects.filter(role=Role.REVIEWER).order_by("pk").first()
offline = OFFLINE[draft.kind]
pdf = write_pdf(TargetTable.model_validate({"title": "台账", "department": {"name": draft.department.name}}))
made = {
    "read_table": jobs.start(JobKind.READ_TABLE, user=filer, name="seed.txt", data=seed, params={"year": 2025}),
    "read_document": jobs.start(
        JobKind.READ_DOCUMENT, user=filer, filing=draft, name="监控表.xlsx", data=offline.blank(draft),
        params={"kind": draft.kind, "profile": offline.profile(draft)},
    ),
    "evidence": evidence.attach_later(Actor(filer), draft, SimpleUploadedFile("台账.pdf", pdf)),
    "library": jobs.start(JobKind.LIBRARY, user=bureau),
}
print(json.dumps({kind: job.pk for kind, job in made.items()}))
"""

STATES = """
import json
from jixiao_web.models import Job, Evidence
print(json.dumps({
    "jobs": [[j.pk, j.kind, j.state, j.attempts, j.result is not None] for j in Job.objects.order_by("pk")],
    "evidence": sorted(Evidence.objects.values_list("name", flat=True)),
}))
"""


def _shell(data_dir: Path, code: str, env: dict[str, str]) -> Any:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            JIXIAO_CLI,
            "manage",
            "shell",
            "-v",
            "0",
            "-c",
            code,
            "--data-dir",
            str(data_dir),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else None


@pytest.fixture
def demo_dir(tmp_path: Path, worker_database: dict[str, str]) -> tuple[Path, dict[str, str]]:  # noqa: F811
    """The demo city in a data dir of its own (SQLite, or a PostgreSQL database of its own on a
    PostgreSQL run), without a worker: its publications' renderings wait in the queue."""
    env = child_env(
        tmp_path, **worker_database, JIXIAO_WORKER_LEASE_SECONDS="3", JIXIAO_WORKER_BEAT_SECONDS="0.5"
    )
    _shell(tmp_path, DEMO, env)
    return tmp_path, env


def _worker(data_dir: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", JIXIAO_CLI, "worker", *extra, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def test_every_kind_of_job_is_done_by_a_jixiao_worker_process(demo_dir: tuple[Path, dict[str, str]]) -> None:
    data_dir, env = demo_dir
    waiting = _shell(data_dir, STATES, env)["jobs"]
    assert {kind for _, kind, *_ in waiting} == {"render", "open_data"}  # from the demo's publications
    assert {state for _, _, state, *_ in waiting} == {"queued"}
    started = _shell(data_dir, START.replace("SEED", repr(str(SEED))), env)
    worked = _worker(data_dir, env, "--batch")
    assert worked.returncode == 0, worked.stderr[-3000:]
    states = _shell(data_dir, STATES, env)
    by_kind: dict[str, list[tuple[str, int, bool]]] = {}
    for _, kind, state, attempts, has_result in states["jobs"]:
        by_kind.setdefault(kind, []).append((state, attempts, has_result))
    assert set(by_kind) == {"render", "open_data", "read_table", "read_document", "evidence", "library"}
    assert all(done == ("done", 1, True) for done in functools.reduce(operator.iadd, by_kind.values(), [])), (
        by_kind
    )
    assert "台账.pdf" in states["evidence"]
    assert set(started) == {"read_table", "read_document", "evidence", "library"}
    verified = run_jixiao(
        data_dir, "audit", "verify", **{k: v for k, v in env.items() if k == "DATABASE_URL"}
    )
    assert verified.returncode == 0, verified.stderr
    assert "导出文件与记录一致" in verified.stdout


def _job_state(data_dir: Path, env: dict[str, str], pk: int) -> str:
    url = env.get("DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as db:
            row = db.execute("SELECT state FROM jixiao_web_job WHERE id = %s", [pk]).fetchone()
    else:
        with sqlite3.connect(data_dir / "jixiao.sqlite3", timeout=20) as db:
            row = db.execute("SELECT state FROM jixiao_web_job WHERE id = ?", [pk]).fetchone()
    assert row is not None
    return str(row[0])


def test_a_worker_killed_mid_task_leaves_it_to_another(demo_dir: tuple[Path, dict[str, str]]) -> None:
    data_dir, env = demo_dir
    assert _worker(data_dir, env, "--batch").returncode == 0  # the demo's renderings out of the way
    started = _shell(data_dir, START.replace("SEED", repr(str(SEED))), env)
    # Only the evidence job is left for the worker to be killed in: the others done first.
    for kind in ("read_table", "read_document", "library"):
        _shell(data_dir, f"from jixiao_web import jobs; jobs.perform({started[kind]})", env)
    pk = started["evidence"]
    first = subprocess.Popen(
        [sys.executable, "-c", JIXIAO_CLI, "worker", "--interval", "0.1", "--data-dir", str(data_dir)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while _job_state(data_dir, env, pk) != "running":
            assert time.monotonic() < deadline, "the worker never started the job"
            time.sleep(0.02)
        # Hold the document the job is about to store its file for, so that the worker is surely
        # mid-task when it is killed (it waits for the lock).
        url = env.get("DATABASE_URL")
        if url:
            import psycopg

            holder: Any = psycopg.connect(url)
            filing = holder.execute("SELECT filing_id FROM jixiao_web_job WHERE id = %s", [pk]).fetchone()[0]
            holder.execute("SELECT id FROM jixiao_web_filing WHERE id = %s FOR UPDATE", [filing])
        else:
            holder = sqlite3.connect(data_dir / "jixiao.sqlite3", timeout=20, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
        assert _job_state(data_dir, env, pk) == "running"
        time.sleep(1.5)  # the child has looked at the file; the worker now waits to store it
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        holder.rollback() if url else holder.execute("ROLLBACK")
        holder.close()
    finally:
        if first.poll() is None:
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
    states = _shell(data_dir, STATES, env)
    (job,) = [j for j in states["jobs"] if j[0] == pk]
    assert job[2:4] == ["running", 1]  # left RUNNING by the dead worker
    assert "台账.pdf" not in states["evidence"]
    time.sleep(3.5)  # the dead worker's lease (3 s here) runs out
    second = _worker(data_dir, env, "--batch")
    assert second.returncode == 0, second.stderr[-3000:]
    states = _shell(data_dir, STATES, env)
    (job,) = [j for j in states["jobs"] if j[0] == pk]
    assert job[2:4] == ["done", 2]  # picked up again, and done
    assert states["evidence"].count("台账.pdf") == 1
    verified = run_jixiao(
        data_dir, "audit", "verify", **{k: v for k, v in env.items() if k == "DATABASE_URL"}
    )
    assert verified.returncode == 0, verified.stderr


def test_downloads_and_open_data_wait_for_the_worker_after_publishing(
    queued: None,
    people: dict[str, User],
    department: Department,
    seed_table: TargetTable,
    actor: Callable[[str], Actor],
) -> None:
    filing = services.start_filing(actor("filer"), department, 2024, seed_table)
    services.submit(actor("filer"), filing)
    services.approve(actor("reviewer"), filing, "优")
    services.publish(actor("reviewer"), filing)  # enqueues the renderings and the open data
    assert sorted(Job.objects.values_list("kind", "state")) == [("open_data", "queued"), ("render", "queued")]
    reader = Client()
    pdf = reverse("public-download", args=[2024, department.code, "pdf"])
    waiting = reader.get(pdf)
    assert waiting.status_code == 503
    assert waiting["Retry-After"] == "3"
    assert "正在生成" in waiting.content.decode()
    assert '<meta http-equiv="refresh" content="3">' in waiting.content.decode()  # no script needed
    bundle = reverse("public-open-data", args=[2024])
    assert reader.get(bundle).status_code == 503
    api = login_api(people["filer"]).get(f"/api/tables/{filing.pk}/exports/pdf")
    assert (api.status_code, api.json()["code"]) == (503, "export-pending")
    assert Job.objects.count() == 2  # asking again starts nothing new while the work waits
    work_queue()
    assert reader.get(pdf).status_code == 200
    assert reader.get(bundle).status_code == 200


def login_api(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_storage_setting_that_cannot_work_is_refused_in_chinese(tmp_path: Path) -> None:
    unknown = run_jixiao(tmp_path, "worker", "--batch", JIXIAO_STORAGE="nfs")
    assert unknown.returncode == 2
    assert "JIXIAO_STORAGE 只能是 files（数据目录）、database（数据库）或 s3（对象存储）" in unknown.stderr
    s3 = run_jixiao(tmp_path, "worker", "--batch", JIXIAO_STORAGE="s3")
    assert s3.returncode == 2
    assert "django-storages" in s3.stderr or "JIXIAO_S3_BUCKET" in s3.stderr
