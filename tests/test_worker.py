"""The task worker survives what happens to it: killed mid-task, database gone, a sibling lost."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import OperationalError, connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from annotations import worker as workers
from annotations.models import (
    ImportJob,
    ImportUpload,
    LearningRun,
    RunStatus,
    SuggestionRun,
    WorkerHeartbeat,
)
from annotations.tasks import import_job_run, suggest_document
from annotations.worker import MAX_ATTEMPTS, WORKER_LOST, ResilientWorker, sweep_orphans
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def db_tasks(settings):
    settings.TASKS = DB_BACKEND
    settings.HERLENS_WORKER_LEASE = 30


def _orphan(result_id: str, *, workers: list[str], started_ago: timedelta) -> DBTaskResult:
    """The fault: a task left "running" by a worker that was killed (kill -9) meanwhile."""
    DBTaskResult.objects.filter(pk=result_id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - started_ago,
        worker_ids=workers,
    )
    return DBTaskResult.objects.get(pk=result_id)


def _import_job(project, owner, files: dict[str, bytes]) -> ImportJob:
    job = ImportJob.objects.create(project=project, created_by=owner)
    for position, (name, data) in enumerate(files.items()):
        ImportUpload.objects.create(job=job, name=name, data=data, position=position)
    return job


def _worker(worker_id: str = "test-worker") -> ResilientWorker:
    """A worker that runs what is queued and returns (--batch)."""
    return ResilientWorker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def _run_queue() -> None:
    _worker().run()


@pytest.mark.django_db(transaction=True)
def test_an_import_whose_worker_was_killed_is_requeued_and_done_once(db_tasks, project, owner):
    job = _import_job(project, owner, {"a.txt": b"Essay A, written for this test."})
    result = import_job_run.enqueue(job.pk)
    # The killed worker had claimed the job and imported the file before it died.
    _orphan(result.id, workers=["killed"], started_ago=timedelta(minutes=5))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    factories.make_document(project, text="Essay A, written for this test.", title="a.txt")

    assert sweep_orphans() == (1, 0)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED  # the page says: waiting to start
    _run_queue()

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert project.documents.count() == 1  # done once in effect
    assert [r["status"] for r in job.results] == ["skipped"]
    assert not ImportUpload.objects.filter(job=job).exists()
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.SUCCESSFUL


@pytest.mark.django_db(transaction=True)
def test_a_task_that_keeps_losing_its_worker_is_failed_and_the_page_told(db_tasks, project, owner):
    job = _import_job(project, owner, {"a.txt": b"Essay A."})
    result = import_job_run.enqueue(job.pk)
    _orphan(
        result.id, workers=[f"w{n}" for n in range(MAX_ATTEMPTS)], started_ago=timedelta(hours=1)
    )
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)

    assert sweep_orphans() == (0, 1)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error == workers.IMPORT_WORKER_LOST
    assert not ImportUpload.objects.filter(job=job).exists()  # the upload does not linger
    task = DBTaskResult.objects.get(pk=result.id)
    assert task.status == TaskResultStatus.FAILED
    assert task.traceback == WORKER_LOST.format(attempts=MAX_ATTEMPTS)


@pytest.mark.django_db(transaction=True)
def test_a_suggestion_run_whose_worker_was_killed_is_requeued(db_tasks, document):
    SuggestionRun.objects.update_or_create(
        document=document, defaults={"status": RunStatus.RUNNING}
    )
    result = suggest_document.enqueue(document.pk)
    _orphan(result.id, workers=["killed"], started_ago=timedelta(minutes=2))

    assert sweep_orphans() == (1, 0)
    assert SuggestionRun.objects.get(document=document).status == RunStatus.QUEUED
    _run_queue()
    run = SuggestionRun.objects.get(document=document)
    assert run.status == RunStatus.DONE
    assert document.suggestions.count() == run.pending > 0


@pytest.mark.django_db(transaction=True)
def test_a_task_of_a_live_worker_is_left_alone(db_tasks, document):
    result = suggest_document.enqueue(document.pk)
    _orphan(result.id, workers=["alive"], started_ago=timedelta(minutes=20))
    WorkerHeartbeat.objects.create(worker_id="alive", task_id=result.id, seen_at=timezone.now())
    # Just claimed by a worker whose first heartbeat is still to come: not an orphan either.
    fresh = suggest_document.enqueue(document.pk)
    _orphan(fresh.id, workers=["new"], started_ago=timedelta(seconds=1))

    assert sweep_orphans() == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_a_task_its_live_worker_dropped_is_requeued(db_tasks, document):
    # The worker lost the database while saving the result and has moved on.
    result = suggest_document.enqueue(document.pk)
    _orphan(result.id, workers=["alive"], started_ago=timedelta(minutes=2))
    WorkerHeartbeat.objects.create(worker_id="alive", task_id="", seen_at=timezone.now())

    assert sweep_orphans() == (1, 0)


@pytest.mark.parametrize(
    "error",
    [
        "server closed the connection unexpectedly",  # PostgreSQL restarted
        "database is locked",  # SQLite: once killed the worker's thread under make run
    ],
)
@pytest.mark.django_db(transaction=True)
def test_the_worker_survives_a_database_outage(db_tasks, document, monkeypatch, error):
    from django_tasks_db.management.commands import db_worker

    suggest_document.enqueue(document.pk)
    calls = {"n": 0}
    real_run = db_worker.Worker.run

    def flaky_run(self):
        calls["n"] += 1
        if calls["n"] <= 2:  # the database restarts twice under the worker
            raise OperationalError(error)
        return real_run(self)

    monkeypatch.setattr(db_worker.Worker, "run", flaky_run)
    monkeypatch.setattr("annotations.worker.BACKOFF_FIRST", 0.01)
    _run_queue()
    assert calls["n"] == 3
    assert SuggestionRun.objects.get(document=document).status == RunStatus.DONE


@pytest.mark.django_db(transaction=True)
def test_the_worker_beats_and_clears_its_heartbeat(db_tasks):
    worker = _worker("beating")
    worker.current_task_id = "some-task"
    worker.beat()
    beat = WorkerHeartbeat.objects.get(worker_id="beating")
    assert beat.task_id == "some-task"
    assert beat.pid == os.getpid()
    worker.run()  # nothing queued: --batch returns at once
    assert not WorkerHeartbeat.objects.filter(worker_id="beating").exists()


@pytest.mark.django_db(transaction=True)
def test_the_worker_queues_a_training_between_beats_and_the_web_never_runs_it(
    db_tasks, document, owner, settings
):
    settings.HERLENS_LEARN_AFTER = 1
    settings.HERLENS_LEARN_QUIET_SECONDS = 0
    worker = _worker("sweeping")
    worker.chores()
    assert not LearningRun.objects.exists()  # nothing marked yet
    factories.make_span(document, 0, 5, owner, "claim")
    worker.chores()
    assert not LearningRun.objects.exists()  # the learning sweep is not due again yet
    worker._last_chores.clear()
    worker.chores()
    run = LearningRun.objects.get(project=document.project)
    # Queued, not trained: the training is a task that a worker takes from the queue.
    assert run.status == RunStatus.QUEUED
    _run_queue()
    run.refresh_from_db()
    assert run.status == RunStatus.DONE


# ---- the real thing: kill -9 a worker process in the middle of an import ----------------


def _manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _big_zip(files: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(files):
            words = " ".join(f"word{number}x{i}" for i in range(400))
            archive.writestr(f"essay-{number:04d}.txt", f"Essay {number}. {words}.")
    return buffer.getvalue()


SETUP = """
from django.contrib.auth import get_user_model
from annotations.services.documents import document_create
from annotations.services.projects import project_create
from annotations.services.suggestions import suggestion_run_enqueue, suggestion_runs_enqueue
from annotations.services.tokens import api_token_create
from annotations.models import ImportJob, ImportUpload
from annotations.tasks import import_job_run
owner = get_user_model().objects.create_user("owner", password="x-long-password")
project = project_create(name="Kill drill", owner=owner)
job = ImportJob.objects.create(project=project, created_by=owner)
ImportUpload.objects.create(job=job, name="essays.zip", data=open(ZIP, "rb").read())
import_job_run.enqueue(job.pk)
print(job.pk)
"""

STATE = """
from annotations.models import ImportJob, Document, ImportUpload
from django_tasks_db.models import DBTaskResult
job = ImportJob.objects.get()
texts = list(Document.objects.values_list("text", flat=True))
print(job.status, len(texts), len(set(texts)), ImportUpload.objects.count(),
      ",".join(sorted(set(DBTaskResult.objects.filter(task_path__endswith="import_job_run").values_list("status", flat=True)))))
"""


def _state(env: dict) -> list[str]:
    return _manage(env, "shell", "--no-imports", "-c", STATE).strip().splitlines()[-1].split(" ")


def _start_worker(env: dict, worker_id: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--interval", "0.2", "--no-startup-delay",
         "--no-reload", "--worker-id", worker_id],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.django_db
def test_kill_9_during_an_import_the_job_finishes_once_by_itself(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the drill on PostgreSQL is bench/faults.py")
    archive = tmp_path / "essays.zip"
    archive.write_bytes(_big_zip(1500))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'drill.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "herlens.settings",
        "DEBUG": "1",
        "HERLENS_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
        "HERLENS_WORKER_LEASE": "3",
    }
    _manage(env, "migrate", "--verbosity", "0")
    _manage(env, "shell", "--no-imports", "-c", f"ZIP = {str(archive)!r}\n{SETUP}")
    first = _start_worker(env, "first")
    second = None
    try:
        deadline = time.monotonic() + 60
        while _state(env)[0] != "running":
            assert time.monotonic() < deadline, "the import never started"
            time.sleep(0.2)
        first.kill()  # SIGKILL: no chance to clean up
        first.wait(timeout=10)
        status, documents, distinct, uploads, _tasks = _state(env)
        assert status == "running"  # the fault: left running by a dead worker
        second = _start_worker(env, "second")
        deadline = time.monotonic() + 90
        while (state := _state(env))[0] not in {"done", "failed"}:
            assert time.monotonic() < deadline, f"still {state} after the kill"
            time.sleep(0.5)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=20)
    status, documents, distinct, uploads, tasks = state
    assert (status, documents, distinct, uploads, tasks) == (
        "done",
        "1500",
        "1500",
        "0",
        "SUCCESSFUL",
    )


@pytest.mark.django_db
def test_a_request_while_the_database_is_down_gets_503_saying_so(client, owner, monkeypatch):
    from annotations.api import auth as api_auth
    from annotations.api import projects as api_projects
    from annotations.middleware import DATABASE_UNAVAILABLE
    from annotations.services.tokens import api_token_create

    _token, raw = api_token_create(user=owner, name="outage")

    def down(request):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    # The fault: the database goes away while the request is being served.
    monkeypatch.setattr(api_auth.BearerToken, "authenticate", lambda self, request, token: owner)
    monkeypatch.setattr(api_projects, "visible_projects", down)
    response = client.get("/api/v1/projects", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 503
    assert response.json() == {"detail": DATABASE_UNAVAILABLE}
    assert response["Retry-After"] == "5"


@pytest.mark.django_db
def test_a_page_whose_session_cannot_be_loaded_gets_503_not_the_login(owner, monkeypatch):
    from django.contrib.sessions.backends.db import SessionStore

    from annotations.middleware import DATABASE_UNAVAILABLE
    from tests.factories import client_for

    client = client_for(owner)
    client.raise_request_exception = False

    def down(self):
        raise OperationalError("the database system is shutting down")

    # The fault: PostgreSQL restarts while the session is read, before any view runs.
    monkeypatch.setattr(SessionStore, "load", down)
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 503
    assert response.text == DATABASE_UNAVAILABLE


@pytest.mark.django_db(transaction=True)
def test_a_requeued_import_keeps_the_results_made_at_upload(db_tasks, project, owner):
    job = _import_job(project, owner, {"essays.zip": b"not read in this test"})
    refused = {"name": "huge.pdf", "status": "rejected", "message": "Too large."}
    half_done = {"name": "essays.zip/one.txt", "status": "imported", "message": "1 text."}
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, results=[refused, half_done]
    )
    result = import_job_run.enqueue(job.pk)
    _orphan(result.id, workers=["killed"], started_ago=timedelta(minutes=5))

    assert sweep_orphans() == (1, 0)
    job.refresh_from_db()
    # The next run reports the zip's files again; what was refused at upload is not in it.
    assert (job.status, job.results) == (ImportJob.Status.QUEUED, [refused])
