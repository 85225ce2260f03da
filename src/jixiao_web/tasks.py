"""Background work: tasks on the database queue (django-tasks with django-tasks-db), run by
``jixiao worker`` (``jixiao serve`` starts one).

- A task is a function decorated with :func:`django_tasks.task`, enqueued with ``.enqueue(...)``
  (its arguments JSON: pass primary keys, not objects).  Enqueued inside a transaction, it is
  enqueued only if the transaction commits: the queue is a table of the same database.
- django-tasks runs each enqueued task once: a task that raises is marked FAILED with its
  traceback (the admin's 「后台任务 › 任务记录」 lists them) and is not run again by itself.  What must be
  tried again says so itself: :func:`retry_later` enqueues it anew after a growing wait
  (:data:`BACKOFF_SECONDS`), the task recording its attempts where it keeps its state.
- Background jobs a person waits for (:mod:`jixiao_web.jobs`) run as :func:`run_job`; the job
  records its own attempts and is enqueued again with :func:`backoff` until it succeeds or has used
  up ``settings.JOB_ATTEMPTS``.
- django-tasks-db never looks again at a task left RUNNING by a worker that died (SIGKILL, its
  machine gone): it would stay RUNNING for ever.  So every ``jixiao worker`` holds a lease
  (:class:`~jixiao_web.models.WorkerLease`), renewed every ``WORKER_BEAT_SECONDS`` by a thread of its
  own (:class:`Heartbeat`), which also runs :func:`recover`: a RUNNING task whose worker's lease is
  older than ``WORKER_LEASE_SECONDS`` is made READY again, for any worker to pick up.
- Periodic work re-enqueues itself (:func:`schedule`): the worker enqueues the reminder sweep when
  it starts, and each sweep the next one ``REMIND_SWEEP_MINUTES`` later.  A sweep is idempotent,
  so two workers scheduling one each do no harm.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult

log = logging.getLogger(__name__)

#: Waits before the 2nd, 3rd, … attempt of a task that failed (then the last one again).
BACKOFF_SECONDS = (60, 300, 900, 3600)


def backoff(attempt: int) -> timedelta:
    """How long to wait after failed attempt number ``attempt`` (1, 2, …)."""
    return timedelta(seconds=BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS)) - 1])


def retry_later(work: Task[Any, Any], attempt: int, *args: Any) -> None:
    """Enqueue ``work(*args)`` again after the wait for failed attempt ``attempt``."""
    work.using(run_after=timezone.now() + backoff(attempt)).enqueue(*args)


def waiting(work: Task[Any, Any]) -> bool:
    """Whether ``work`` is enqueued and not yet started."""
    return DBTaskResult.objects.filter(task_path=work.module_path, status="READY").exists()


def schedule(work: Task[Any, Any], after: timedelta = timedelta(0)) -> bool:
    """Enqueue ``work()`` to run after ``after`` unless it already waits; whether it was enqueued."""
    if waiting(work):
        return False
    work.using(run_after=timezone.now() + after).enqueue()
    return True


# ---------------------------------------------------------------------------------------------
# reminders: e-mail


@task()
def deliver_reminder(reminder_pk: int) -> bool:
    """Send one reminder e-mail; if the mail server refuses, try again later (then fail)."""
    from jixiao_web import reminders

    try:
        return reminders.deliver(reminder_pk)
    except reminders.MailFailed as failure:
        if failure.retry:
            retry_later(deliver_reminder, failure.reminder.attempts, reminder_pk)
        log.warning("%s（%s）", failure, "稍后重试" if failure.retry else "不再重试")
        raise


@task()
def sweep_reminders() -> int:
    """Write and enqueue the deadline reminders due now; enqueue the next sweep."""
    from jixiao_web import reminders

    try:
        return len(reminders.sweep())
    finally:
        schedule(sweep_reminders, timedelta(minutes=settings.REMIND_SWEEP_MINUTES))


# ---------------------------------------------------------------------------------------------
# queue: background jobs, and the workers' leases


@task()
def run_job(job_pk: int) -> None:
    """One attempt at a background job (:func:`jixiao_web.jobs.perform`)."""
    from jixiao_web import jobs

    jobs.perform(job_pk)


def beat(worker_id: str) -> None:
    """Renew ``worker_id``'s lease."""
    from jixiao_web.models import WorkerLease

    WorkerLease.objects.update_or_create(
        worker_id=worker_id,
        defaults={"host": socket.gethostname()[:200], "pid": os.getpid(), "beat_at": timezone.now()},
    )


def recover() -> list[str]:
    """Put back in the queue every task RUNNING under a worker whose lease ran out (or that never
    had one) and that started before the lease time; the ids of the tasks recovered."""
    from jixiao_web.models import Job, JobState, WorkerLease

    cutoff = timezone.now() - timedelta(seconds=settings.WORKER_LEASE_SECONDS)
    alive = set(WorkerLease.objects.filter(beat_at__gte=cutoff).values_list("worker_id", flat=True))
    recovered = []
    for result in DBTaskResult.objects.filter(status="RUNNING"):
        owner = result.worker_ids[-1] if result.worker_ids else None
        if owner in alive or (result.started_at is not None and result.started_at >= cutoff):
            continue
        # Only if nobody else recovered (or finished) it meanwhile.
        taken = DBTaskResult.objects.filter(pk=result.pk, status="RUNNING", started_at=result.started_at)
        if taken.update(status="READY", started_at=None):
            recovered.append(str(result.pk))
            log.warning(
                "task %s (%s) of worker %s, which is gone, queued again", result.pk, result.task_path, owner
            )
    if recovered:
        Job.objects.filter(task_id__in=recovered, state=JobState.RUNNING).update(state=JobState.QUEUED)
    WorkerLease.objects.filter(beat_at__lt=cutoff - timedelta(days=1)).delete()
    return recovered


class Heartbeat(threading.Thread):
    """A worker's lease renewed, and dead workers' tasks recovered, every ``WORKER_BEAT_SECONDS``."""

    def __init__(self, worker_id: str) -> None:
        super().__init__(name="jixiao-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                try:
                    beat(self.worker_id)
                    recover()
                except Exception:  # the database away for a moment: try again at the next beat
                    log.exception("worker heartbeat failed")
                    connection.close()
                self.stopping.wait(settings.WORKER_BEAT_SECONDS)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
