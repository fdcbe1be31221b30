"""After revisions, all four exports and the API agree with the text and with each other."""

from __future__ import annotations

import csv
import io
import json

import pytest
import spacy
from spacy.tokens import DocBin

from annotations.exports.spacy import SPAN_KEY
from annotations.models import Span
from annotations.services import revisions
from tests import factories
from tests.test_api import Api

pytestmark = pytest.mark.django_db

DRAFT = (
    "The voice 🎙️ in the machine is lonely; Spike Jonze lets it be.\r\n\r\n"
    "Theodore writes letters for strangers and teh city listens.\n\n"
    "The camera stays close to him. Rain runs down the window, café-warm."
)


@pytest.fixture
def revised(project, owner):
    """A document with spans, revised twice: moved, changed and orphaned spans."""
    document = factories.make_document(project, text=DRAFT, title="Draft")
    text = document.text
    for words, tag in [
        ("The voice 🎙️ in the machine", "film-reference"),
        ("Spike Jonze", "film-reference"),
        ("teh city listens", "claim"),
        ("The camera stays close to him.", "claim"),
        ("Rain runs down the window", "prediction"),
    ]:
        start = text.index(words)
        factories.make_span(document, start, start + len(words), owner, tag)
    second = "A new first paragraph.\n\n" + text.replace("teh city", "the city")
    revisions.document_revise(document=document, text=second, user=owner)
    third = second.replace("The camera stays close to him. ", "")
    revisions.document_revise(document=document, text=third, user=owner)
    document.refresh_from_db()
    return document


def export(client, owner, project, fmt: str, **params) -> bytes:
    query = "&".join([f"format={fmt}", *(f"{k}={v}" for k, v in params.items())])
    response = Api(client, owner).get(f"/projects/{project.slug}/export?{query}")
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_every_export_and_the_api_hold_the_live_spans_on_the_current_text(
    client, owner, project, revised
):
    text = revised.text
    live = {span.pk: span for span in Span.objects.filter(document=revised)}
    assert len(live) == 4
    assert Span.everything.filter(document=revised).count() == 5
    for span in live.values():
        assert text[span.start : span.end] == span.quote

    rows = list(
        csv.DictReader(io.StringIO(export(client, owner, project, "csv", exact=1).decode()))
    )
    assert {int(row["span_id"]) for row in rows} == set(live)
    for row in rows:
        assert text[int(row["start"]) : int(row["end"])] == row["text"]

    with_orphans = list(
        csv.DictReader(
            io.StringIO(export(client, owner, project, "csv", exact=1, orphans=1).decode())
        )
    )
    assert len(with_orphans) == 5
    orphan_row = next(row for row in with_orphans if row["anchor"] == "orphaned")
    assert (orphan_row["start"], orphan_row["end"]) == ("", "")
    assert orphan_row["text"] == "The camera stays close to him."

    (line,) = export(client, owner, project, "jsonl").decode().splitlines()
    document = json.loads(line)
    assert document["text"] == text
    assert document["revision"] == 3
    placed = [s for s in document["spans"] if s["anchor"] != "orphaned"]
    assert {s["id"] for s in placed} == set(live)
    for span in placed:
        assert text[span["start"] : span["end"]] == span["text"]
    assert [s["anchor"] for s in document["spans"]].count("changed") == 1
    (orphan,) = [s for s in document["spans"] if s["anchor"] == "orphaned"]
    assert (orphan["start"], orphan["end"], orphan["text"]) == (
        None,
        None,
        "The camera stays close to him.",
    )

    collection = json.loads(export(client, owner, project, "w3c"))
    items = collection["first"]["items"]
    assert collection["total"] == len(items) == len(live)
    for item in items:
        quote, position = item["target"]["selector"]
        assert text[position["start"] : position["end"]] == quote["exact"]

    docs = list(
        DocBin()
        .from_bytes(export(client, owner, project, "spacy"))
        .get_docs(spacy.blank("en").vocab)
    )
    assert docs[0].text == text
    assert len(docs[0].spans[SPAN_KEY]) == len(live)

    api_spans = Api(client, owner).get(f"/documents/{revised.pk}/spans").json()
    assert len(api_spans) == 5
    assert sum(1 for s in api_spans if s["anchor"] != "orphaned") == len(live)


def test_jsonl_with_orphans_reimports_them_as_orphans(client, owner, project, revised):
    from annotations.imports import IMPORTED
    from annotations.services.imports import import_files
    from annotations.services.projects import project_create

    exported = export(client, owner, project, "jsonl")
    target = project_create(name="Copy", owner=owner)
    [result] = import_files(project=target, user=owner, sources=[("c.jsonl", exported)])
    assert result.status == IMPORTED, result.message
    copied = Span.everything.filter(document__project=target)
    assert copied.count() == 5
    orphan = copied.get(anchor="orphaned")
    assert (orphan.start, orphan.end, orphan.quote) == (
        None,
        None,
        "The camera stays close to him.",
    )
    assert copied.filter(anchor="changed").count() == 1
    document = copied.first().document
    for span in copied.exclude(anchor="orphaned"):
        assert document.text[span.start : span.end] == span.quote
