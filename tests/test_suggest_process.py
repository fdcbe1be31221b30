"""The suggestion pipeline in a child process that exits when idle (as the task worker runs it)."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import asdict

import pytest

from annotations.models import RunStatus, Suggestion, SuggestionRun
from annotations.services.documents import document_create
from annotations.services.suggestions import documents_suggest
from annotations.suggest.pipeline import get_suggester
from annotations.suggest_process import PipelineFailed, PipelineProcess, get_runner
from tests import factories

TEXTS = [
    "The film Her (2013) will age better than any other film of its decade.",
    "I think the ending is the weakest part. Audiences will soon forget it.",
]
FILMS = ("Her",)


@pytest.fixture(scope="module")
def child():
    runner = PipelineProcess("blank:en", idle_seconds=30)
    yield runner
    runner.close()


def fields(found) -> list[list[dict]]:
    return [[vars(item) for item in items] for items in found]


def wait_until(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_child_finds_what_the_worker_itself_finds(child):
    expected = list(get_suggester("blank:en").suggest_many(TEXTS, FILMS))
    assert any(expected)
    assert fields(child.suggest_many(TEXTS, FILMS)) == [
        [asdict(s) for s in found] for found in expected
    ]
    assert child.pid not in (None, os.getpid())


def test_child_exits_when_idle_and_the_next_request_starts_another():
    runner = PipelineProcess("blank:en", idle_seconds=0.3)
    try:
        first = fields(runner.suggest_many(TEXTS[:1]))
        wait_until(lambda: runner.pid is None)
        assert fields(runner.suggest_many(TEXTS[:1])) == first
    finally:
        runner.close()


def test_a_killed_child_is_replaced(child):
    first = fields(child.suggest_many(TEXTS))
    os.kill(child.pid, signal.SIGKILL)
    wait_until(lambda: child.pid is None)
    assert fields(child.suggest_many(TEXTS)) == first


def test_a_pipeline_that_cannot_load_fails_with_its_reason():
    runner = PipelineProcess("en_no_such_pipeline", idle_seconds=5)
    try:
        with pytest.raises(PipelineFailed, match="HERLENS_SPACY_MODEL='en_no_such_pipeline'"):
            runner.suggest_many(TEXTS)
    finally:
        runner.close()


def test_runner_is_the_worker_pipeline_when_idle_seconds_is_zero(settings):
    settings.HERLENS_PIPELINE_IDLE_SECONDS = 0
    assert get_runner("blank:en") is get_suggester("blank:en")
    settings.HERLENS_PIPELINE_IDLE_SECONDS = 30
    runner = get_runner("blank:en")
    assert isinstance(runner, PipelineProcess)
    assert get_runner("blank:en") is runner
    assert runner.pid is None  # started by the first request, not before


def test_task_stores_suggestions_computed_in_the_child(settings, project):
    settings.HERLENS_PIPELINE_IDLE_SECONDS = 30
    document = factories.make_document(project, text=" ".join(TEXTS), title="Two claims")
    try:
        counts = documents_suggest(document_ids=[document.pk], model="blank:en")
    finally:
        get_runner("blank:en").close()
    stored = Suggestion.objects.filter(document=document)
    assert counts[document.pk]["added"] == stored.count() > 0


def test_a_task_of_many_chunks_in_the_child_stores_what_the_worker_itself_stores(
    settings, project, owner
):
    # The child computes a chunk while the worker writes the one before.
    other = factories.make_project(owner, name="Other")
    texts = [f"{TEXTS[number % 2]} Essay {number}." for number in range(40)]
    documents = [
        document_create(
            project=project if number % 3 else other, title=str(number), text=text, suggest=False
        )
        for number, text in enumerate(texts)
    ]
    ids = [document.pk for document in documents]
    settings.HERLENS_PIPELINE_IDLE_SECONDS = 0
    in_worker = documents_suggest(document_ids=ids, model="blank:en")
    wanted = sorted(Suggestion.objects.values_list("document_id", "start", "end", "tag_id"))
    Suggestion.objects.all().delete()
    settings.HERLENS_PIPELINE_IDLE_SECONDS = 30
    try:
        in_child = documents_suggest(document_ids=ids, model="blank:en")
    finally:
        get_runner("blank:en").close()
    assert in_child == in_worker
    assert len(in_child) == 40
    assert sorted(Suggestion.objects.values_list("document_id", "start", "end", "tag_id")) == wanted
    assert {run.status for run in SuggestionRun.objects.filter(document_id__in=ids)} == {
        RunStatus.DONE
    }


def test_a_failing_chunk_fails_its_runs_and_the_one_started_after_it(
    settings, project, monkeypatch
):
    from annotations.services import suggestions

    documents = [
        document_create(
            project=project, title=str(number), text=f"{TEXTS[0]} Essay {number}.", suggest=False
        )
        for number in range(40)
    ]
    settings.HERLENS_PIPELINE_IDLE_SECONDS = 30
    real = suggestions._store_suggestions
    calls = []

    def store(pairs):
        calls.append(len(pairs))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(pairs)

    monkeypatch.setattr(suggestions, "_store_suggestions", store)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            documents_suggest(document_ids=[d.pk for d in documents], model="blank:en")
        # The child was left free: the next task gets its answers.
        monkeypatch.setattr(suggestions, "_store_suggestions", real)
        counts = documents_suggest(document_ids=[documents[-1].pk], model="blank:en")
    finally:
        get_runner("blank:en").close()
    assert counts[documents[-1].pk]["added"] > 0
    runs = dict(SuggestionRun.objects.values_list("document_id", "status"))
    assert [runs[d.pk] for d in documents[:16]] == [RunStatus.DONE] * 16
    # The second chunk failed to store; the third had been started meanwhile.
    assert [runs[d.pk] for d in documents[16:39]] == [RunStatus.FAILED] * 23


def test_child_applies_a_projects_learning_from_its_folder(child, tmp_path):
    from annotations.suggest.learning import learn
    from tests.test_suggest_learning import LABELS, lesson, rules

    teaching = lesson(
        "Listening to Her",
        "In Glass Orchard, the engineer Ilse Marquardt builds a voice.",
        {"Ilse Marquardt": "film-reference", "Glass Orchard": "film-reference"},
    )
    learned = learn([teaching], LABELS, rules)
    learned.to_disk(tmp_path / "v1")
    text = "Marquardt speaks of Glass Orchard. I think the film Her (2013) will age well."
    expected = list(get_suggester("blank:en").suggest_many([text], learned=learned))
    assert any(s.rule == "learned-name" for s in expected[0])
    assert fields(child.suggest_many([text], learned_dir=tmp_path / "v1")) == [
        [asdict(s) for s in found] for found in expected
    ]
    plain = fields(child.suggest_many([text]))
    assert not any(item["rule"] == "learned-name" for item in plain[0])
