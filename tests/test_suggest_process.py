"""The suggestion pipeline in a child process that exits when idle (as the task worker runs it)."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import asdict

import pytest

from annotations.models import Suggestion
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


def test_child_applies_a_projects_learning_from_its_folder(child, tmp_path):
    from annotations.suggest.learning import learn
    from tests.test_suggest_learning import LABELS, lesson, rules

    teaching = lesson(
        "Listening to Her",
        "In Glass Orchard, the engineer Ilse Marquardt builds a voice.",
        {"Ilse Marquardt": "film-reference"},
    )
    learned = learn([teaching], LABELS, rules)
    learned.to_disk(tmp_path / "v1")
    text = "Marquardt speaks. I think the film Her (2013) will age well."
    expected = list(get_suggester("blank:en").suggest_many([text], learned=learned))
    assert any(s.rule == "learned-name" for s in expected[0])
    assert fields(child.suggest_many([text], learned_dir=tmp_path / "v1")) == [
        [asdict(s) for s in found] for found in expected
    ]
    plain = fields(child.suggest_many([text]))
    assert not any(item["rule"] == "learned-name" for item in plain[0])
