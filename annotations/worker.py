"""The background worker: django-tasks-db's loop, made to survive what happens to it in use.

``manage.py db_worker`` on its own dies when the database restarts (the loop
raises the connection error) and, if it is killed, leaves the task it was
running marked "running" for ever. ``manage.py worker`` runs the same loop
with three additions:

* database errors outside a task end in a reconnect with backoff, not an exit;
* a heartbeat row per worker, written every few seconds by a thread, says which
  task it is running (its lease);
* every worker sweeps: a task marked running whose worker has not beaten for
  ``HERLENS_WORKER_LEASE`` seconds, or that its worker no longer runs, is an orphan. It goes
  back to the queue (up to ``MAX_ATTEMPTS`` runs in all), else it is marked
  failed; either way the page that waits on it is told (``ORPHAN_HANDLERS``);
* every worker also looks for projects due a training (``services.learning.learning_sweep``)
  and queues it, so the suggester learns without anyone asking, never in the web process.

Every task of herlens is safe to run twice (imports skip texts already stored,
suggestions are inserted with ON CONFLICT DO NOTHING), so a requeued task is
done once in effect.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
    transaction,
)
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import is_locked_database_exception

from annotations.models import (
    ImportJob,
    ImportUpload,
    RunStatus,
    SuggestionRun,
    WorkerHeartbeat,
)
from annotations.services.learning import learning_sweep

logger = logging.getLogger("herlens.worker")


def lease() -> timedelta:
    """How long a silent worker is given before it is taken for dead (HERLENS_WORKER_LEASE)."""
    return timedelta(seconds=settings.HERLENS_WORKER_LEASE)


def heartbeat_every() -> float:
    """Seconds between two heartbeats: six to a lease, so a busy database cannot miss one."""
    return settings.HERLENS_WORKER_LEASE / 6


def sweep_every() -> float:
    """Seconds between two sweeps for orphans, by each worker."""
    return settings.HERLENS_WORKER_LEASE / 3


def learn_sweep_every() -> float:
    """Seconds between two looks for projects due a training (HERLENS_LEARN_SWEEP_SECONDS)."""
    return settings.HERLENS_LEARN_SWEEP_SECONDS


#: Runs of one task before an orphan is failed instead of requeued (a task that kills
#: its worker every time must not take the queue down with it).
MAX_ATTEMPTS = 3
#: Reconnect backoff after a database error, in seconds (doubling, with jitter).
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 10.0

WORKER_LOST = (
    "The task stopped {attempts} times because its worker was stopped or lost "
    "(killed, restarted or out of memory); it was not tried again."
)
WORKER_LOST_CLASS = "annotations.worker.WorkerLost"


class WorkerLost(Exception):
    """Recorded as the error of a task given up after its worker was lost too often."""


def _database_is_down(error: BaseException) -> bool:
    return isinstance(error, InterfaceError | OperationalError | DatabaseError)


# --------------------------------------------------------------------------- orphans

# What an orphaned task's own records become when it is requeued or failed: the page that
# waits on a task polls these records, not the queue, so a job left "running" by a killed
# worker would keep its page polling for ever.

IMPORT_WORKER_LOST = (
    "The import stopped because the worker running it was stopped or lost several times. "
    "Texts imported before that are in the project; upload the files again to import "
    "the rest (texts already in the project are left out)."
)
SUGGEST_WORKER_LOST = (
    "Suggestions stopped because the worker computing them was stopped or lost several "
    "times; run Suggest again."
)


def import_job_orphaned(args: list, requeued: bool) -> None:
    (job_id,) = args
    job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.status != ImportJob.Status.RUNNING:
        return
    if requeued:
        # The next run reads every upload again and reports texts the lost run stored as
        # already in the project; its own results go, the ones made at upload (files refused
        # before any upload was stored) stay.
        uploads = list(ImportUpload.objects.filter(job_id=job_id).values_list("name", flat=True))
        job.results = [
            result
            for result in job.results
            if not any(
                result["name"] == name or result["name"].startswith(name + "/") for name in uploads
            )
        ]
        job.status = ImportJob.Status.QUEUED
        job.save(update_fields=["status", "results"])
    else:
        job.status = ImportJob.Status.FAILED
        job.error = IMPORT_WORKER_LOST
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        ImportUpload.objects.filter(job_id=job_id).delete()


def _suggestion_runs_orphaned(document_ids: list[int], requeued: bool) -> None:
    runs = SuggestionRun.objects.filter(
        document_id__in=document_ids, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    )
    if requeued:
        runs.update(status=RunStatus.QUEUED, queued_at=timezone.now())
    else:
        runs.update(status=RunStatus.FAILED, error=SUGGEST_WORKER_LOST, finished_at=timezone.now())


def suggest_document_orphaned(args: list, requeued: bool) -> None:
    _suggestion_runs_orphaned([args[0]], requeued)


def suggest_documents_orphaned(args: list, requeued: bool) -> None:
    _suggestion_runs_orphaned(list(args[0]), requeued)


#: task name -> handler(args, requeued) that puts the task's own records right.
OrphanHandler = Callable[[list, bool], None]
#: By the task's name: the module that defines a task may move, its name stays.
ORPHAN_HANDLERS: dict[str, OrphanHandler] = {
    "import_job_run": import_job_orphaned,
    "suggest_document": suggest_document_orphaned,
    "suggest_documents": suggest_documents_orphaned,
}


def sweep_orphans(*, now=None) -> tuple[int, int]:
    """Requeue or fail the tasks whose worker is gone; return (requeued, failed).

    Safe to run from several workers at once: each orphan row is locked
    (skip_locked) while it is handled, and the handling is one transaction.
    """
    now = now or timezone.now()
    lease_ = lease()
    alive = dict(
        WorkerHeartbeat.objects.filter(seen_at__gte=now - lease_).values_list(
            "worker_id", "task_id"
        )
    )
    requeued = failed = 0
    candidates = DBTaskResult.objects.running().values_list("id", "worker_ids", "started_at")
    for task_id, worker_ids, started_at in list(candidates):
        if not _lost_its_worker(task_id, worker_ids, started_at, alive, now, lease_):
            continue
        with transaction.atomic():
            task = (
                DBTaskResult.objects.running()
                .select_for_update(skip_locked=True)
                .filter(pk=task_id)
                .first()
            )
            if task is None or task.worker_ids != worker_ids:
                continue  # finished, or handled by another sweeper meanwhile
            if _requeue_or_fail(task, now):
                requeued += 1
            else:
                failed += 1
    # Heartbeats of workers long gone are only clutter.
    WorkerHeartbeat.objects.filter(seen_at__lt=now - 20 * lease_).delete()
    return requeued, failed


def _lost_its_worker(
    task_id, worker_ids: list[str], started_at, alive: dict[str, str], now, lease_: timedelta
) -> bool:
    """Whether a running task's last worker is gone or has moved on; ``alive`` maps the
    workers with a fresh heartbeat to the task they are running."""
    if started_at is not None and now - started_at < lease_:
        # Just claimed: its worker may not have sent a heartbeat naming it (or any) yet.
        return False
    last_worker = worker_ids[-1] if worker_ids else None
    # A live worker that has moved on to another task (or to none) has lost this one, for
    # example to a database error while saving its result.
    return last_worker not in alive or alive[last_worker] != str(task_id)


def _requeue_or_fail(task: DBTaskResult, now) -> bool:
    """Queue an orphaned task again, or fail it after MAX_ATTEMPTS runs, and let its handler
    update what the task's records show; return whether it was queued again."""
    handler = ORPHAN_HANDLERS.get(task.task_path.rpartition(".")[2])
    args = task.args_kwargs.get("args", [])
    if len(task.worker_ids) >= MAX_ATTEMPTS:
        message = WORKER_LOST.format(attempts=len(task.worker_ids))
        task.status = TaskResultStatus.FAILED
        task.finished_at = now
        task.exception_class_path = WORKER_LOST_CLASS
        task.traceback = message
        task.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
        if handler is not None:
            handler(args, False)
        logger.warning("Task %s (%s) failed: %s", task.pk, task.task_path, message)
        return False
    task.status = TaskResultStatus.READY
    task.started_at = None
    task.save(update_fields=["status", "started_at"])
    if handler is not None:
        handler(args, True)
    logger.warning(
        "Task %s (%s) lost its worker %s; queued again (run %d of at most %d).",
        task.pk,
        task.task_path,
        task.worker_ids[-1] if task.worker_ids else None,
        len(task.worker_ids) + 1,
        MAX_ATTEMPTS,
    )
    return True


# --------------------------------------------------------------------------- the worker


class ResilientWorker(Worker):
    """django-tasks-db's worker with a heartbeat, a sweeper and reconnects."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.current_task_id = ""
        self._stop = threading.Event()
        self._beats = 0
        self._last_chores: dict[str, float] = {}

    # The loop ------------------------------------------------------------------

    def run(self) -> None:
        beater = threading.Thread(target=self._heartbeat_loop, name="heartbeat", daemon=True)
        beater.start()
        backoff = BACKOFF_FIRST
        try:
            while self.running:
                try:
                    super().run()
                    return  # --batch or --max-tasks said stop, or a signal
                except Exception as error:
                    if not _database_is_down(error):
                        raise
                    self.current_task_id = ""
                    self._forget_connections()
                    delay = min(BACKOFF_MAX, backoff) * (0.75 + random.random() / 2)  # noqa: S311
                    if isinstance(error, OperationalError) and is_locked_database_exception(error):
                        delay = min(delay, 1.0)
                    logger.warning(
                        "Database unavailable (%s: %s); trying again in %.1f s.",
                        type(error).__name__,
                        str(error).strip().splitlines()[0] if str(error).strip() else "",
                        delay,
                    )
                    time.sleep(delay)
                    backoff = min(BACKOFF_MAX, backoff * 2)
        finally:
            self._stop.set()
            beater.join(timeout=heartbeat_every() + 1)
            # If the database is down, the sweepers let the heartbeat expire instead.
            with contextlib.suppress(DatabaseError):
                WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()

    def run_task(self, db_task_result: DBTaskResult) -> None:
        self.current_task_id = str(db_task_result.pk)
        try:
            super().run_task(db_task_result)
        finally:
            self.current_task_id = ""

    @staticmethod
    def _forget_connections() -> None:
        for connection in connections.all(initialized_only=True):
            try:
                connection.close()
            except DatabaseError:
                connection.connection = None
        close_old_connections()

    # The heartbeat thread --------------------------------------------------------

    def _heartbeat_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.beat()
                self.chores()
            except Exception as error:  # the thread must outlive any database outage
                logger.info("Heartbeat not written (%s); trying again.", type(error).__name__)
                self._forget_connections()
            self._stop.wait(heartbeat_every())
        connections.close_all()

    def chores(self) -> None:
        """Between beats, the sweeps that are due: orphaned tasks, and projects whose new
        decisions call for a training (queued here, trained by whichever worker takes it)."""
        now = time.monotonic()
        for name, every, chore in (
            ("orphans", sweep_every(), sweep_orphans),
            ("learning", learn_sweep_every(), learning_sweep),
        ):
            if now - self._last_chores.get(name, float("-inf")) >= every:
                self._last_chores[name] = now
                chore()

    def beat(self) -> None:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={
                "task_id": self.current_task_id,
                "seen_at": timezone.now(),
                "host": socket.gethostname()[:100],
                "pid": os.getpid(),
            },
        )
        self._beats += 1
