"""Background work: tasks on the database queue (django-tasks with django-tasks-db), run by
``jixiao worker`` (``jixiao serve`` starts one).

- A task is a function decorated with :func:`django_tasks.task`, enqueued with ``.enqueue(...)``
  (its arguments JSON: pass primary keys, not objects).  Enqueued inside a transaction, it is
  enqueued only if the transaction commits: the queue is a table of the same database.
- django-tasks runs each enqueued task once: a task that raises is marked FAILED with its
  traceback (the admin's 「后台任务 › 任务记录」 lists them) and is not run again by itself.  What must be
  tried again says so itself: :func:`retry_later` enqueues it anew after a growing wait
  (:data:`BACKOFF_SECONDS`), the task recording its attempts where it keeps its state.
- Periodic work re-enqueues itself (:func:`schedule`): the worker enqueues the reminder sweep when
  it starts, and each sweep the next one ``REMIND_SWEEP_MINUTES`` later.  A sweep is idempotent,
  so two workers scheduling one each do no harm.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
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
