"""Learning from a project: storage, the task, manage.py learn and the project page."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from annotations.models import (
    LearningRun,
    RunStatus,
    Suggestion,
    SuggestionRun,
    SuggestionStatus,
    Tag,
)
from annotations.services.learned import project_learned, version_dir
from annotations.services.learning import (
    NOTHING_TO_LEARN,
    learning_due,
    learning_enqueue,
    learning_overview,
    learning_sweep,
)
from tests import factories

# on_commit must fire for the tasks to be enqueued, as it does outside tests.
pytestmark = pytest.mark.django_db(transaction=True)

ESSAYS = [
    "Ilse Marquardt made Glass Orchard in a rented barn. Critics argue that Marquardt never "
    "trusted machines. The engineer Oskar Wend builds a voice for his son.",
    "In Glass Orchard, Oskar Wend talks to the voice every night. I think the film is about "
    "grief. Wend forgets his son's birthday.",
    "Nobody expected Ilse Marquardt to follow Glass Orchard with a comedy. Marquardt will "
    "direct a series by 2030. The film feels older than it is.",
]
NEW_ESSAY = "Years later, Wend still hears the voice. Marquardt calls it her last film."
NAMES = ("Ilse Marquardt", "Glass Orchard", "Oskar Wend")


@pytest.fixture(autouse=True)
def var_dir(tmp_path):
    with override_settings(HERLENS_VAR_DIR=str(tmp_path)):
        yield tmp_path


def jsonl_with_spans(texts: list[str]) -> str:
    lines = []
    for number, text in enumerate(texts):
        spans, taken = [], []
        for name in NAMES:
            start = text.find(name)
            while start >= 0:
                end = start + len(name)
                if not any(s < end and start < e for s, e in taken):
                    taken.append((start, end))
                    spans.append({"start": start, "end": end, "tag": "film-reference"})
                start = text.find(name, end)
        lines.append(json.dumps({"title": f"Essay {number}", "text": text, "spans": spans}))
    return "\n".join(lines) + "\n"


def command(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.parametrize("idle_seconds", [0, 30], ids=["in-worker", "child-process"])
def test_imported_spans_teach_the_suggestions_of_a_new_essay(
    project, tmp_path, settings, idle_seconds
):
    # The worker runs the pipeline itself (0) or in a child process that loads the learning.
    settings.HERLENS_PIPELINE_IDLE_SECONDS = idle_seconds
    path = tmp_path / "essays.jsonl"
    path.write_text(jsonl_with_spans(ESSAYS), encoding="utf-8")
    command("import_documents", project.slug, str(path))
    out = command("learn", project.slug, "--wait", "--timeout", "60")
    assert "Training version 1" in out
    assert "film-reference:" in out
    run = LearningRun.objects.get(project=project)
    assert run.status == RunStatus.DONE
    assert (version_dir(project.pk, 1) / "meta.json").is_file()
    new = factories.make_document(project, text=NEW_ESSAY, title="New")
    try:
        command("suggest", project.slug, "--document", str(new.pk), "--wait", "--timeout", "60")
    finally:
        if idle_seconds:
            from annotations.suggest_process import get_runner

            get_runner(settings.HERLENS_SPACY_MODEL).close()
    learned = {
        (NEW_ESSAY[s.start : s.end], s.reason)
        for s in new.suggestions.filter(tag__slug="film-reference", rule="learned-name")
    }
    assert ("Wend", "short for “Oskar Wend”, marked as Film reference in “Essay 0”") in learned
    assert (
        "Marquardt",
        "short for “Ilse Marquardt”, marked as Film reference in “Essay 0”",
    ) in learned


def test_versions_are_kept_two_at_a_time_and_the_newest_is_used(project, owner):
    document = factories.make_document(project, text=ESSAYS[0])
    start = ESSAYS[0].index("Oskar Wend")
    factories.make_span(document, start, start + len("Oskar Wend"), owner, "film-reference")
    for _ in range(3):
        learning_enqueue(project=project)
    assert list(LearningRun.objects.filter(project=project).values_list("version", "status")) == [
        (3, RunStatus.DONE),
        (2, RunStatus.DONE),
        (1, RunStatus.DONE),
    ]
    assert not version_dir(project.pk, 1).exists()
    assert version_dir(project.pk, 2).is_dir()
    assert version_dir(project.pk, 3).is_dir()
    learned = project_learned(project.pk)
    assert learned is not None
    assert [n.form for n in learned.names][:1] == ["Oskar Wend"]


def test_a_project_with_nothing_to_learn_fails_with_a_clear_message(project):
    with pytest.raises(CommandError, match="Nothing to learn"):
        command("learn", project.slug, "--wait", "--timeout", "30")
    run = LearningRun.objects.get(project=project)
    assert run.status == RunStatus.FAILED
    assert run.error == NOTHING_TO_LEARN


def test_unknown_project_is_an_error():
    with pytest.raises(CommandError, match="There is no project"):
        command("learn", "no-such-project")


IMAGES = ["a mirror", "a cage", "a window", "a river", "a lantern", "a locked door", "an echo"]
SUBJECTS = ["The voice", "Her laughter", "The city", "Memory", "The phone", "The archive"]
PLAIN = ["The scene lasts four minutes.", "The camera stays on the table.",
         "She reads the letter twice.", "The train arrives late.", "They meet again in spring."]  # fmt: skip


def test_a_custom_tag_with_thirty_spans_gets_suggestions(project, owner):
    metaphor = Tag.objects.create(project=project, name="Metaphor", slug="metaphor", position=9)
    rng = random.Random(3)
    for number in range(8):
        sentences = [
            f"{rng.choice(SUBJECTS)} is {rng.choice(IMAGES)}." if i % 2 else rng.choice(PLAIN)
            for i in range(10)
        ]
        text = " ".join(sentences)
        document = factories.make_document(project, text=text, title=f"Class essay {number}")
        cursor = 0
        for sentence in sentences:
            start = text.index(sentence, cursor)
            cursor = start + len(sentence)
            if " is a" in sentence:
                factories.make_span(document, start, cursor, owner, metaphor.slug)
    learning_enqueue(project=project)
    run = LearningRun.objects.get(project=project)
    summary = run.summaries["metaphor"]
    assert summary["spans"] >= 30
    assert summary["trained"]
    new = factories.make_document(
        project, text="The archive is a lantern. The train arrives late.", title="New"
    )
    assert SuggestionRun.objects.get(document=new).status == RunStatus.DONE
    found = list(new.suggestions.filter(tag=metaphor).values_list("quote", "reason"))
    assert [quote for quote, _reason in found] == ["The archive is a lantern."]
    assert found[0][1].startswith("learned from the ")


def test_decisions_make_a_training_due(project, owner):
    document = factories.make_document(project, text=ESSAYS[0])
    with override_settings(HERLENS_LEARN_AFTER=2):
        assert not learning_due(project)
        for name in ("Oskar Wend", "Ilse Marquardt"):
            start = ESSAYS[0].index(name)
            factories.make_span(document, start, start + len(name), owner, "film-reference")
        assert learning_due(project)
        learning_enqueue(project=project)
        assert not learning_due(project)
    with override_settings(HERLENS_LEARN_AFTER=0):
        factories.make_span(document, 0, 4, owner, "claim")
        assert not learning_due(project)


def test_the_project_page_shows_per_tag_what_taught_it_and_learn_now_queues(project, owner):
    document = factories.make_document(project, text=ESSAYS[0])
    start = ESSAYS[0].index("Oskar Wend")
    factories.make_span(document, start, start + len("Oskar Wend"), owner, "film-reference")
    client = factories.client_for(owner)
    page = client.get(project.get_absolute_url()).content.decode()
    assert "Learning from this project" in page
    assert "Not trained yet" in page
    response = client.post(f"/projects/{project.slug}/learn/")
    assert response.status_code == 302
    assert LearningRun.objects.get(project=project).status == RunStatus.DONE
    page = client.get(project.get_absolute_url()).content.decode()
    assert "Version 1" in page
    assert "needs 10 spans to train a model, has 1" in page


def test_only_editors_and_owners_can_queue_a_training(project):
    annotator = factories.add_member(project, "annotator")
    response = factories.client_for(annotator).post(f"/projects/{project.slug}/learn/")
    assert response.status_code == 403
    assert not LearningRun.objects.filter(project=project).exists()


def _mark(document, owner, words: str, tag: str = "film-reference") -> None:
    start = document.text.index(words)
    factories.make_span(document, start, start + len(words), owner, tag)


def test_training_starts_by_itself_once_enough_decisions_came_in_and_the_project_paused(
    project, owner, settings
):
    settings.HERLENS_LEARN_AFTER = 3
    settings.HERLENS_LEARN_QUIET_SECONDS = 60
    document = factories.make_document(project, text=ESSAYS[0])
    other = factories.make_document(project, text=ESSAYS[2])
    _mark(document, owner, "Ilse Marquardt")
    _mark(document, owner, "Oskar Wend")
    assert learning_sweep(now=timezone.now() + timedelta(seconds=61)) == []  # two of three
    # A rejected suggestion is a decision too.
    start = ESSAYS[2].index("a comedy")
    Suggestion.objects.create(
        document=other,
        start=start,
        end=start + len("a comedy"),
        tag=Tag.objects.get(project=project, slug="film-reference"),
        score=0.5,
        reason="test",
        quote="a comedy",
        status=SuggestionStatus.REJECTED,
        decided_at=timezone.now(),
    )
    # Debounced: nothing while people are still marking, however many decisions.
    assert learning_sweep(now=timezone.now() + timedelta(seconds=30)) == []
    assert not LearningRun.objects.filter(project=project).exists()
    runs = learning_sweep(now=timezone.now() + timedelta(seconds=61))
    assert [run.version for run in runs] == [1]
    run = LearningRun.objects.get(project=project)
    assert run.status == RunStatus.DONE
    assert run.decisions == 3
    # Once: the next sweeps find nothing new.
    assert learning_sweep(now=timezone.now() + timedelta(seconds=600)) == []
    _mark(other, owner, "Marquardt will")
    assert learning_sweep(now=timezone.now() + timedelta(seconds=61)) == []  # one new decision
    _mark(other, owner, "Glass Orchard")
    _mark(other, owner, "Nobody expected", "claim")
    assert [run.version for run in learning_sweep(now=timezone.now() + timedelta(seconds=61))] == [
        2
    ]


def test_no_training_starts_by_itself_when_automatic_training_is_off(project, owner, settings):
    settings.HERLENS_LEARN_AFTER = 0
    settings.HERLENS_LEARN_QUIET_SECONDS = 0
    document = factories.make_document(project, text=ESSAYS[0])
    for name in NAMES:
        if name in ESSAYS[0]:
            _mark(document, owner, name)
    assert learning_sweep(now=timezone.now() + timedelta(seconds=1)) == []
    assert not LearningRun.objects.exists()


def test_a_failed_training_is_not_retried_until_new_decisions_come_in(project, owner, settings):
    settings.HERLENS_LEARN_AFTER = 1
    settings.HERLENS_LEARN_QUIET_SECONDS = 0
    document = factories.make_document(project, text=ESSAYS[0])
    _mark(document, owner, "Oskar Wend")
    LearningRun.objects.create(
        project=project, version=1, status=RunStatus.FAILED, queued_at=timezone.now()
    )
    assert learning_sweep(now=timezone.now() + timedelta(seconds=1)) == []
    _mark(document, owner, "Ilse Marquardt")
    assert [run.version for run in learning_sweep(now=timezone.now() + timedelta(seconds=1))] == [2]


KEPT = ["I think the film is a mirror.", "I think the film never ends."]
#: A rejected suggestion's words never come back in the project, so each essay has its own.
LATE = ["is late", "left early", "stop is cold", "is full", "broke down", "is slow",
        "stop moved", "is empty", "left late", "is loud", "stop is wet", "is old"]  # fmt: skip


def test_rejected_suggestions_teach_the_project_which_rule_suggestions_to_drop(project, owner):
    from annotations.services.decisions import suggestion_reject

    for number in range(4):
        unkept = [f"I think the bus {words}." for words in LATE[number * 3 : number * 3 + 3]]
        text = " ".join(KEPT + unkept)
        document = factories.make_document(project, text=text, title=f"Essay {number}")
        for sentence in KEPT:
            start = text.index(sentence)
            factories.make_span(document, start, start + len(sentence), owner, "claim")
        for suggestion in document.suggestions.filter(tag__slug="claim", quote__in=unkept):
            suggestion_reject(suggestion=suggestion, user=owner)
    assert Suggestion.objects.filter(status=SuggestionStatus.REJECTED).count() == 12
    learning_enqueue(project=project)
    run = LearningRun.objects.get(project=project)
    assert run.status == RunStatus.DONE
    assert run.summaries["claim"]["cut"] > 0
    meta = json.loads((version_dir(project.pk, 1) / "meta.json").read_text(encoding="utf-8"))
    assert set(meta["reranker"]["weights"]) == {"claim"}
    new = factories.make_document(
        project, text="I think the bus stop is late. I think the film is a lie.", title="New"
    )
    assert SuggestionRun.objects.get(document=new).status == RunStatus.DONE
    quotes = list(new.suggestions.filter(tag__slug="claim").values_list("quote", flat=True))
    assert quotes == ["I think the film is a lie."]
    row = next(r for r in learning_overview(project)["learning_rows"] if r["tag"].slug == "claim")
    assert row["model_used"]
