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


# --- An older revision, asked for with ``revision=N`` --------------------------------

WORDS = [
    ("The voice 🎙️ in the machine", "film-reference"),
    ("Spike Jonze", "film-reference"),
    ("teh city listens", "claim"),
    ("The camera stays close to him.", "claim"),
    ("Rain runs down the window", "prediction"),
]


def web_export(client, project, fmt: str, **params) -> bytes:
    from django.urls import reverse

    url = reverse("annotations:export", kwargs={"slug": project.slug})
    response = client.get(url, {"format": fmt, **params})
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)


def command_export(project, fmt: str, *args: str) -> bytes:
    import tempfile
    from pathlib import Path

    from django.core.management import call_command

    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "export"
        call_command("export_corpus", project.slug, "--format", fmt, *args, "-o", str(target))
        return target.read_bytes()


def read_export(fmt: str, data: bytes) -> tuple[str | None, list[tuple]]:
    """Return (the text, [(start, end, words, anchor)]) of a one-document export."""
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
        return None, [
            (
                int(row["start"]) if row["start"] else None,
                int(row["end"]) if row["end"] else None,
                row["text"],
                row["anchor"],
            )
            for row in rows
        ]
    if fmt == "jsonl":
        (line,) = data.decode("utf-8").splitlines()
        document = json.loads(line)
        spans = [(s["start"], s["end"], s["text"], s["anchor"]) for s in document["spans"]]
        return document["text"], spans
    if fmt == "w3c":
        items = json.loads(data)["first"]["items"]
        found = []
        for item in items:
            quote, position = item["target"]["selector"]
            found.append((position["start"], position["end"], quote["exact"], None))
        return None, found
    (doc,) = DocBin().from_bytes(data).get_docs(spacy.blank("en").vocab)
    return doc.text, [
        (span.start_char, span.end_char, span.text, None) for span in doc.spans[SPAN_KEY]
    ]


@pytest.fixture
def history(project, owner, revised):
    """The revised document's texts, and the words each revision's spans stood on.

    Beside the fixture's spans: one made on revision 2 (so absent from revision 1),
    one made on revision 3 only, and one of revision 1's deleted while 3 is current
    (it stood on revisions 1 and 2, so their exports still hold it).
    """
    from annotations.models import Revision
    from annotations.services.spans import span_delete

    texts = {r.number: r.text for r in Revision.objects.filter(document=revised)}
    texts[3] = revised.text
    second = texts[2]
    made_on_two = second.index("A new first paragraph.")
    added = Span.objects.create(
        document=revised,
        start=made_on_two,
        end=made_on_two + len("A new first paragraph."),
        tag=project.tags.get(slug="claim"),
        author=owner,
        quote="A new first paragraph.",
    )
    # Revision 2's snapshot was written when revision 3 was made; add the span to it as
    # revising would have, had the span been made before that revision.
    two = Revision.objects.get(document=revised, number=2)
    two.spans_snapshot.append(
        {
            "id": added.pk,
            "start": made_on_two,
            "end": made_on_two + len("A new first paragraph."),
            "quote": "A new first paragraph.",
            "anchor": "exact",
            "tag": added.tag_id,
            "author": owner.pk,
            "note": "",
            "origin": "manual",
            "is_reference": False,
            "created_at": added.created_at.isoformat(),
        }
    )
    two.save(update_fields=["spans_snapshot"])
    start = revised.text.index("Theodore writes")
    factories.make_span(revised, start, start + len("Theodore writes"), owner, "claim")
    span_delete(span=Span.objects.get(document=revised, quote="Spike Jonze"), user=owner)
    return texts


def expected_words(texts: dict[int, str], number: int) -> list[tuple[int, int, str, str]]:
    """The spans of revision ``number`` worked out from its text alone."""
    text = texts[number]
    words = {
        1: [w for w, _tag in WORDS],
        2: [w.replace("teh city", "the city") for w, _tag in WORDS] + ["A new first paragraph."],
    }[number]
    found = []
    for word in words:
        start = text.index(word)
        assert text.count(word) == 1
        anchor = "changed" if number == 2 and word == "the city listens" else "exact"
        found.append((start, start + len(word), word, anchor))
    return sorted(found, key=lambda s: (s[0], -s[1]))


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "w3c", "spacy"])
@pytest.mark.parametrize("number", [1, 2])
def test_every_export_reads_an_older_revision_with_its_own_spans(
    client, owner, project, revised, history, fmt, number
):
    client.force_login(owner)
    expected = expected_words(history, number)
    assert history[number] != revised.text
    params = {"document": revised.pk, "revision": number}
    for data in (
        web_export(client, project, fmt, exact=1, **params),
        export(client, owner, project, fmt, exact=1, **params),
        command_export(
            project, fmt, "--exact", "--document", str(revised.pk), "--revision", str(number)
        ),
    ):
        text, spans = read_export(fmt, data)
        if text is not None:
            assert text == history[number]
        for start, end, words, _anchor in spans:
            assert history[number][start:end] == words
        if fmt in ("csv", "jsonl"):
            assert spans == expected
        elif fmt == "w3c":
            assert json.loads(data)["total"] == len(spans) == len(expected)
            assert [s[:3] for s in spans] == [s[:3] for s in expected]
        else:  # spaCy keeps the spans it can tokenise: every one here
            assert sorted(s[:3] for s in spans) == sorted(s[:3] for s in expected)


def test_an_older_revision_keeps_its_orphans_and_the_current_one_is_the_default(
    client, owner, project, revised, history
):
    """Revision 3 orphaned a claim: in revision 2 it is placed, in 3 an orphan."""
    client.force_login(owner)
    _text, on_two = read_export(
        "csv",
        web_export(client, project, "csv", exact=1, orphans=1, document=revised.pk, revision=2),
    )
    assert "The camera stays close to him." in {s[2] for s in on_two if s[0] is not None}
    text, current = read_export(
        "jsonl", web_export(client, project, "jsonl", document=revised.pk, revision=3)
    )
    assert text == revised.text
    assert (None, None, "The camera stays close to him.", "orphaned") in current
    assert "Theodore writes" in {s[2] for s in current}
    assert "Spike Jonze" not in {s[2] for s in current}  # in the trash now
    (line,) = web_export(client, project, "jsonl", document=revised.pk, revision=1).splitlines()
    assert json.loads(line)["revision"] == 1


def test_filters_apply_to_an_older_revision(client, owner, project, revised, history):
    client.force_login(owner)
    params = {"exact": 1, "document": revised.pk, "revision": 1}
    _text, claims = read_export("csv", web_export(client, project, "csv", tag="claim", **params))
    assert {s[2] for s in claims} == {"teh city listens", "The camera stays close to him."}
    _text, nobody = read_export(
        "csv", web_export(client, project, "csv", annotator="someone-else", **params)
    )
    assert nobody == []


def test_a_blind_student_exports_only_their_own_spans_of_an_older_revision(client, owner, project):
    from annotations.models import Role, Visibility

    project.visibility = Visibility.BLIND
    project.save()
    student = factories.add_member(project, Role.ANNOTATOR, factories.make_user("student"))
    document = factories.make_document(project, text=DRAFT, title="Blind")
    text = document.text
    for words, author in [("Spike Jonze", student), ("teh city listens", owner)]:
        start = text.index(words)
        factories.make_span(document, start, start + len(words), author)
    revisions.document_revise(document=document, text="Preface.\n\n" + text, user=owner)
    client.force_login(student)
    params = {"exact": 1, "document": document.pk, "revision": 1}
    _text, spans = read_export("csv", web_export(client, project, "csv", **params))
    assert [words for _start, _end, words, _anchor in spans] == ["Spike Jonze"]
    _text, spans = read_export("jsonl", export(client, student, project, "jsonl", **params))
    assert [words for _start, _end, words, _anchor in spans] == ["Spike Jonze"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"revision": 1}, "choose exactly one document"),
        ({"revision": 1, "document": ["1", "2"]}, "choose exactly one document"),
        ({"revision": 9}, "has no revision 9 (revisions 1 to 3)"),
        ({"revision": 0}, "has no revision 0"),
        ({"revision": "two"}, "must be a whole number"),
        ({"revision": "1", "document": "999999"}, "no document 999999"),
    ],
)
def test_a_revision_that_cannot_be_read_is_a_400_that_says_why(
    client, owner, project, revised, params, message
):
    from django.urls import reverse

    client.force_login(owner)
    if "document" not in params and params["revision"] != 1:
        params = params | {"document": revised.pk}
    if params.get("document") == ["1", "2"]:
        params["document"] = [revised.pk, revised.pk + 1]
    response = client.get(
        reverse("annotations:export", kwargs={"slug": project.slug}), {"format": "csv", **params}
    )
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_command_says_why_a_revision_cannot_be_read(project, revised):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="choose exactly one document"):
        command_export(project, "csv", "--revision", "1")


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("revision=1", 400, "choose exactly one document"),
        ("revision=7&document={pk}", 400, "has no revision 7 (revisions 1 to 3)"),
        ("revision=2&document=999999", 400, "no document 999999"),
        ("revision=two&document={pk}", 422, "revision"),
    ],
)
def test_the_api_says_why_a_revision_cannot_be_exported(
    client, owner, project, revised, query, status, message
):
    response = Api(client, owner).get(
        f"/projects/{project.slug}/export?format=jsonl&" + query.format(pk=revised.pk)
    )
    assert response.status_code == status
    assert message in response.json()["detail"]


def test_the_api_reads_the_same_older_revision_for_a_document_and_its_export(
    client, owner, project, revised, history
):
    api = Api(client, owner)
    document = api.get(f"/documents/{revised.pk}?revision=2").json()
    spans = api.get(f"/documents/{revised.pk}/spans?revision=2").json()
    text, exported = read_export(
        "jsonl", export(client, owner, project, "jsonl", document=revised.pk, revision=2)
    )
    assert text == document["text"] == history[2]
    assert sorted((s["start"], s["end"], s["text"], s["anchor"]) for s in spans) == sorted(exported)


def test_w3c_points_an_older_revisions_annotations_at_that_revisions_text(
    client, owner, project, revised, history
):
    client.force_login(owner)
    older = json.loads(web_export(client, project, "w3c", document=revised.pk, revision=1))
    current = json.loads(web_export(client, project, "w3c", document=revised.pk))
    base = f"http://testserver{project.get_absolute_url()}documents/{revised.pk}"
    assert {item["target"]["source"] for item in older["first"]["items"]} == {f"{base}/revisions/1"}
    assert {item["target"]["herlens:revision"] for item in older["first"]["items"]} == {1}
    assert {item["target"]["source"] for item in current["first"]["items"]} == {base}
    assert {item["target"]["herlens:revision"] for item in current["first"]["items"]} == {3}
    # The address leads to the text the offsets are into.
    response = client.get(f"{base}/revisions/1/".removeprefix("http://testserver"))
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Theodore writes letters for strangers and teh city listens." in page
