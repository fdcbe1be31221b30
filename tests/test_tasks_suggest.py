"""The suggestion task: with the immediate backend, and with a real db_worker process."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from annotations.models import RunStatus, SuggestionRun
from annotations.services import suggestions
from annotations.services.documents import document_create
from annotations.services.suggestions import (
    SUGGEST_CHUNK,
    suggestion_runs_enqueue,
    suggestion_runs_enqueue_new,
)
from annotations.tasks import suggest_document
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
TEXT = "The film Her (2013) will age well. Critics argue that Samantha, played by Scarlett Johansson, is kind."


def test_task_computes_suggestions_and_returns_counts(project):
    document = factories.make_document(project, text=TEXT)
    result = suggest_document.enqueue(document.pk)
    assert result.status == "SUCCESSFUL"
    assert result.return_value == {
        "added": document.suggestions.count(),
        "pending": document.suggestions.count(),
    }
    assert SuggestionRun.objects.get(document=document).status == RunStatus.DONE


def test_project_task_suggests_many_documents_in_batches(
    project, django_capture_on_commit_callbacks
):
    documents = [
        document_create(project=project, title=f"E{i}", text=TEXT, suggest=False)
        for i in range(SUGGEST_CHUNK + 3)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert suggestion_runs_enqueue(documents=documents) == len(documents)
    runs = SuggestionRun.objects.filter(document__in=documents)
    assert set(runs.values_list("status", flat=True)) == {RunStatus.DONE}
    assert len({run.task_id for run in runs}) == 1
    counts = {document.suggestions.count() for document in documents}
    assert len(counts) == 1
    assert counts.pop() > 0


def test_queueing_new_documents_leaves_those_with_a_run_alone(
    project, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(suggestions, "TASK_DOCUMENTS", 2)
    documents = [
        document_create(project=project, title=f"E{i}", text=f"{TEXT} ({i})", suggest=False)
        for i in range(4)
    ]
    earlier = SuggestionRun.objects.create(
        document=documents[0], status=RunStatus.FAILED, error="Earlier.", task_id="earlier"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert suggestion_runs_enqueue_new(project=project) == 3
    earlier.refresh_from_db()
    assert (earlier.status, earlier.error, earlier.task_id) == (
        RunStatus.FAILED,
        "Earlier.",
        "earlier",
    )
    runs = SuggestionRun.objects.filter(document__in=documents[1:])
    # The tests' immediate backend ran the tasks at once: three documents, two per task.
    assert sorted(runs.values_list("status", flat=True)) == [RunStatus.DONE] * 3
    assert len({run.task_id for run in runs}) == 2
    assert all(run.queued_at is not None for run in runs)
    assert suggestion_runs_enqueue_new(project=project) == 0


def test_task_for_a_deleted_document_does_nothing(project):
    document = factories.make_document(project, text=TEXT)
    document_id = document.pk
    document.delete()
    assert suggest_document.enqueue(document_id).return_value == {"added": 0, "pending": 0}
    assert not SuggestionRun.objects.filter(document_id=document_id).exists()


# --- A real worker process ---------------------------------------------------------------------

SETUP = """
from django.contrib.auth import get_user_model
from annotations.models import Document
user = get_user_model().objects.create_user("worker-test")
from annotations.services.documents import document_create
from annotations.services.projects import project_create
from annotations.services.suggestions import suggestion_run_enqueue
project = project_create(name="Worker test", owner=user)
for number in range(3):
    document_create(project=project, title=f"Essay {number}", text=TEXT)
# Delivered twice before any worker runs: at-least-once delivery must not duplicate anything.
suggestion_run_enqueue(document=Document.objects.first())
"""

CHECK = """
from django.db.models import Count
from django_tasks_db.models import DBTaskResult
from annotations.models import Document, Suggestion, SuggestionRun
documents = Document.objects.count()
runs = list(SuggestionRun.objects.values_list("status", flat=True))
suggestions = Suggestion.objects.count()
duplicates = Suggestion.objects.values("document", "start", "end", "tag").annotate(n=Count("id")).filter(n__gt=1).count()
per_document = set(Document.objects.annotate(n=Count("suggestions")).values_list("n", flat=True))
statuses = sorted(set(DBTaskResult.objects.values_list("status", flat=True)))
print(documents, sorted(set(runs)), len(runs), suggestions, duplicates, sorted(per_document), statuses)
"""


def _manage(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    completed = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout


def _postgres_database(base_url: str):
    """Create a throwaway database beside the one under test; return its URL and a dropper."""
    import psycopg

    name = f"herlens_worker_{uuid.uuid4().hex[:8]}"
    server = base_url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0]
    admin_url = server + "/postgres"  # the maintenance database always exists
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return base_url.rsplit("/", 1)[0] + "/" + name, drop


@pytest.mark.django_db
def test_real_db_worker_processes_queued_suggestions_exactly_once(tmp_path):
    # Runs against the kind of database under test: SQLite in the first pass of
    # scripts/test.sh, PostgreSQL (a throwaway database beside it) in the second.
    drop = None
    if connection.vendor == "sqlite":
        url = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    else:
        url, drop = _postgres_database(os.environ["DATABASE_URL"])
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "herlens.settings",
        "DEBUG": "1",
        "HERLENS_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
        "HERLENS_SPACY_MODEL": "blank:en",
    }
    worker = None
    try:
        _manage(env, "migrate", "--verbosity", "0")
        _manage(env, "shell", "--no-imports", "-c", f"TEXT = {TEXT!r}\n{SETUP}")
        worker = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--interval",
                "0.2",
                "--no-startup-delay",
                "--no-reload",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Queue everything once more and wait for the worker to finish it all.
        out = _manage(env, "suggest", "worker-test", "--wait", "--timeout", "90")
        assert "Queued suggestions for 3 document(s)" in out
        assert "Done:" in out
        checked = _manage(env, "shell", "--no-imports", "-c", CHECK).strip().splitlines()[-1]
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        if drop is not None:
            drop()
    # documents, run states, runs, suggestions, duplicates, suggestions per document, task states
    documents, states, runs, suggestions, duplicates, per_document, tasks = checked.split(" ")
    assert (documents, states, runs, duplicates, tasks) == (
        "3",
        "['done']",
        "3",
        "0",
        "['SUCCESSFUL']",
    )
    # The same text gives the same suggestions in every document, however often it was queued.
    assert per_document == f"[{int(suggestions) // 3}]"
    assert int(suggestions) > 0
