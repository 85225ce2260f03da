"""Background jobs: the work a request used to do while a web worker waited (LibreOffice, WeasyPrint,
the limited reading child), done by ``jixiao worker`` instead.

- :func:`start` records a :class:`~jixiao_web.models.Job` (its input file in storage, its parameters)
  and enqueues :func:`jixiao_web.tasks.run_job` in the same transaction: the job exists exactly when
  its task does.  The request answers at once with the job's page (:func:`status`, polled by
  ``static/jixiao_web/job.js``); the page shows the result once the job is done.
- :func:`perform` runs a job (in the worker): its state goes 排队中 → 处理中 → 已完成; an exception
  makes it 失败，将重试 (enqueued again after :func:`jixiao_web.tasks.backoff`) until
  ``settings.JOB_ATTEMPTS`` attempts, then 失败 — shown to the person who started it (their job page,
  their home page) and in the admin (后台任务, and django-tasks' task results with the traceback).
  A refusal the person must act on (a file that is not what it says) is a result, not a failure.
- A job whose worker is killed mid-way is put back in the queue by the lease recovery
  (:func:`jixiao_web.tasks.recover`) and run again from the start: every handler is idempotent
  (exports: once per version and format; evidence: the same file is stored once).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Final

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from jixiao_web.models import Filing, Job, JobKind, JobState, User

log = logging.getLogger(__name__)

#: Files one person may have waiting to be read (or being read) at the same time: nobody fills
#: the queue for everyone else (with ``uploads.UPLOADS_PER_MINUTE``).
READING_PER_PERSON: Final = 3
READING_KINDS: Final = (JobKind.READ_TABLE, JobKind.READ_DOCUMENT, JobKind.EVIDENCE)
UNFINISHED: Final = (JobState.QUEUED, JobState.RUNNING, JobState.RETRYING)


def admit_reading(user: User) -> None:
    """Refuse (``uploads.TooManyUploads``) a file from ``user`` while they have
    :data:`READING_PER_PERSON` files not yet read."""
    from jixiao_web.uploads import TooManyUploads

    waiting = Job.objects.filter(user=user, kind__in=READING_KINDS, state__in=UNFINISHED).count()
    if waiting >= READING_PER_PERSON:
        raise TooManyUploads(f"您已有 {waiting} 个文件正在排队或读取，请等它们读完再上传。")


def start(
    kind: JobKind,
    *,
    user: User | None = None,
    filing: Filing | None = None,
    address: str | None = None,
    params: dict[str, Any] | None = None,
    name: str = "",
    data: bytes | None = None,
) -> Job:
    """Record a job and enqueue its task (in one transaction); ``data``: the uploaded file, kept in
    storage until the job is done."""
    from jixiao_web import tasks

    with transaction.atomic():
        job = Job.objects.create(
            kind=kind, user=user, filing=filing, address=address, params=params or {}, input_name=name[:200]
        )
        if data is not None:
            job.input_file = default_storage.save(f"jobs/{job.pk}-{uuid.uuid4().hex}.bin", ContentFile(data))
        if not settings.JOBS_INLINE:
            job.task_id = str(tasks.run_job.enqueue(job.pk).id)
        job.save(update_fields=["input_file", "task_id"])
    if settings.JOBS_INLINE:  # tests about something else: the work done now, in this process
        perform(job.pk)
        job.refresh_from_db()
    return job


def _input(job: Job) -> bytes:
    with default_storage.open(job.input_file, "rb") as handle:
        data: bytes = handle.read()
    return data


def _actor(job: Job) -> Any:
    from jixiao_web.audit import Actor

    return Actor(job.user, job.address) if job.user is not None else Actor(None, name="系统")


# ---------------------------------------------------------------------------------------------
# What each kind of job does: its result, as JSON


def _render(job: Job) -> dict[str, Any]:
    from jixiao_web import exports
    from jixiao_web.models import Version

    version = Version.objects.select_related("filing__department").get(pk=job.params["version"])
    if "formats" in job.params:  # one asked for by a download
        return {"formats": [exports.export(version, fmt).format for fmt in job.params["formats"]]}
    return {"formats": [made.format for made in exports.render_all(version)]}


def _read_table(job: Job) -> dict[str, Any]:
    from jixiao_web.uploads import read_upload

    read = read_upload(job.input_name, _input(job))
    return {"table": read.table.model_dump(mode="json") if read.table else None, "report": read.report}


def _read_document(job: Job) -> dict[str, Any]:
    from jixiao_web.uploads import read_document_upload

    read = read_document_upload(job.params["kind"], job.input_name, _input(job), job.params["profile"])
    return {"document": read.document, "report": read.report, "found": read.found}


def _evidence(job: Job) -> dict[str, Any]:
    from jixiao_web import evidence

    assert job.filing is not None
    try:
        item = evidence.attach_checked(_actor(job), job.filing, job.input_name, _input(job))
    except evidence.EvidenceError as error:
        return {"refused": str(error)}
    return {"evidence": item.pk, "name": item.name}


def _open_data(job: Job) -> dict[str, Any]:
    from jixiao_web import exports

    return exports.store_open_data(int(job.params["year"]))


def _library(job: Job) -> dict[str, Any]:
    from jixiao_web import services

    return services.rebuild_library(_actor(job))


HANDLERS: Final[dict[str, Callable[[Job], dict[str, Any]]]] = {
    JobKind.RENDER: _render,
    JobKind.READ_TABLE: _read_table,
    JobKind.READ_DOCUMENT: _read_document,
    JobKind.EVIDENCE: _evidence,
    JobKind.OPEN_DATA: _open_data,
    JobKind.LIBRARY: _library,
}


class JobFailed(Exception):
    """A job's attempt failed; the job says whether it will be tried again."""


def perform(pk: int) -> None:
    """Run job ``pk`` once (the worker's task): record its result, or its failure and what next."""
    from jixiao_web import tasks

    job = Job.objects.select_related("user", "filing").filter(pk=pk).first()
    if job is None or job.finished:
        return  # removed, or already done (run again after a recovery that came too late)
    job.state, job.attempts = JobState.RUNNING, job.attempts + 1
    job.save(update_fields=["state", "attempts", "updated_at"])
    try:
        result = HANDLERS[job.kind](job)
    except Exception as error:
        log.exception("job %s (%s) failed, attempt %s", job.pk, job.kind, job.attempts)
        job.error = f"{type(error).__name__}: {error}"[:2000]
        if job.attempts < settings.JOB_ATTEMPTS:
            job.state = JobState.RETRYING
            if not settings.JOBS_INLINE:
                again = tasks.run_job.using(run_after=timezone.now() + tasks.backoff(job.attempts))
                job.task_id = str(again.enqueue(job.pk).id)
        else:
            job.state, job.finished_at = JobState.FAILED, timezone.now()
            _drop_input(job)
        job.save(update_fields=["state", "error", "task_id", "finished_at", "input_file", "updated_at"])
        if not settings.JOBS_INLINE:
            raise JobFailed(f"{job}：{job.error}") from error
        return
    job.result, job.state, job.finished_at = result, JobState.DONE, timezone.now()
    _drop_input(job)
    job.save(update_fields=["result", "state", "finished_at", "input_file", "updated_at"])


def _drop_input(job: Job) -> None:
    if job.input_file:
        default_storage.delete(job.input_file)
        job.input_file = ""


# ---------------------------------------------------------------------------------------------
# What the person sees


def may_see(user: Any, job: Job) -> bool:
    """A job is its starter's (and an administrator's) to look at."""
    return bool(getattr(user, "is_authenticated", False)) and (job.user_id == user.pk or user.is_superuser)


def status(job: Job) -> dict[str, Any]:
    """The job page's poller reads this (``/jobs/<pk>/status``)."""
    message = ""
    if job.state == JobState.RETRYING:
        message = f"第{job.attempts}次处理失败，稍后自动重试（最多{settings.JOB_ATTEMPTS}次）。"
    elif job.state == JobState.FAILED:
        message = f"已尝试{job.attempts}次仍失败，请稍后重新操作；如仍失败请联系管理员。"
    return {
        "id": job.pk,
        "kind": job.kind,
        "state": job.state,
        "label": job.get_state_display(),
        "finished": job.finished,
        "message": message,
    }


def failed_for(user: User, days: int = 7) -> list[Job]:
    """What the person started lately that failed for good (their home page lists it)."""
    since = timezone.now() - timedelta(days=days)
    return list(Job.objects.filter(user=user, state=JobState.FAILED, finished_at__gte=since)[:10])
