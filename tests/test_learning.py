"""Learning from a project: storage, the task, manage.py learn and the project page."""

from __future__ import annotations

import json
import random
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from annotations.models import LearningRun, RunStatus, SuggestionRun, Tag
from annotations.services.learned import project_learned, version_dir
from annotations.services.learning import (
    NOTHING_TO_LEARN,
    learning_due,
    learning_enqueue,
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


def test_imported_spans_teach_the_suggestions_of_a_new_essay(project, tmp_path):
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
    command("suggest", project.slug, "--document", str(new.pk), "--wait", "--timeout", "60")
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
