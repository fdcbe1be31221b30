"""Importing files into a project: one result per file, each file whole or not at all."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from annotations.imports import IMPORTED, PARSERS, REJECTED, SKIPPED
from annotations.imports.base import ImportLimits, ParsedDocument, ParsedSpan
from annotations.models import Document, Membership, Origin, Role, Span, Tag
from annotations.services import import_store
from annotations.services.errors import DomainError
from annotations.services.imports import INTERNAL_ERROR, documents_import, import_files
from tests import factories


def run(project, user, files, limits=None):
    return import_files(project=project, user=user, sources=list(files.items()), limits=limits)


def test_each_file_gets_a_result_and_a_bad_file_does_not_stop_the_others(project, owner):
    results = run(
        project,
        owner,
        {
            "one.txt": b"First essay text.",
            "bad.pdf": b"%PDF-1.4",
            "two.md": b"# Second\n\nSecond essay text.",
            "broken.jsonl": b'{"title": "x"',
        },
    )
    assert [(r.name, r.status) for r in results] == [
        ("one.txt", IMPORTED),
        ("bad.pdf", REJECTED),
        ("two.md", IMPORTED),
        ("broken.jsonl", REJECTED),
    ]
    assert results[1].message == (
        "Only .txt, .md, .html, .docx, .csv, .jsonl, .zip files can be imported; .pdf is not one."
    )
    assert results[3].message.startswith("Line 1 is not valid JSON")
    assert set(project.documents.values_list("title", flat=True)) == {"one", "Second"}


def test_text_already_in_the_project_is_skipped(project, owner):
    factories.make_document(project, text="Same text.\n", title="Existing")
    results = run(project, owner, {"a.txt": b"Same text.\r\n", "b.txt": b"Same text.\n"})
    assert [r.status for r in results] == [SKIPPED, SKIPPED]
    assert results[0].message == "Skipped: the same text is already in the project."
    assert project.documents.count() == 1


def test_the_same_text_twice_in_one_import_is_kept_once(project, owner):
    results = run(project, owner, {"a.txt": b"Twin text.", "b.txt": b"Twin text."})
    assert [r.status for r in results] == [IMPORTED, SKIPPED]


def test_a_file_with_one_bad_span_leaves_nothing_behind(project, owner):
    lines = [
        {
            "title": "Good",
            "text": "A good text.",
            "spans": [{"start": 2, "end": 6, "tag": "claim"}],
        },
        {"title": "Bad", "text": "Short.", "spans": [{"start": 0, "end": 50, "tag": "New tag"}]},
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    [result] = run(project, owner, {"x.jsonl": data})
    assert result.status == REJECTED
    assert result.message == (
        "“Bad”, span 1: End 50 is past the end of the document (6 characters)."
    )
    assert project.documents.count() == 0
    assert Span.objects.count() == 0
    assert not project.tags.filter(name="New tag").exists()


def test_jsonl_spans_keep_tags_annotators_origin_and_notes(project, owner):
    annotator = factories.add_member(project, Role.ANNOTATOR)
    line = {
        "title": "T",
        "text": "Zoë saw 🎬 it twice.",
        "spans": [
            {
                "start": 8,
                "end": 9,
                "tag": "Film reference",
                "annotator": annotator.username,
                "origin": "suggestion",
                "note": "the clapper",
            },
            {"start": 0, "end": 3, "tag": "Irony", "annotator": "not-a-member"},
            {"start": 0, "end": 3, "tag": "Irony", "annotator": "not-a-member"},
        ],
    }
    [result] = run(project, owner, {"x.jsonl": json.dumps(line).encode()})
    assert result.status == IMPORTED
    assert result.message == (
        "Imported 1 document with 2 spans; new tags: Irony; "
        "2 spans credited to you because their annotator is not a member of this project."
    )
    film, irony = Span.objects.order_by("-start")
    assert (film.quote, film.tag.slug, film.author, film.origin, film.note) == (
        "🎬",
        "film-reference",
        annotator,
        Origin.SUGGESTION,
        "the clapper",
    )
    assert (irony.quote, irony.tag.name, irony.author) == ("Zoë", "Irony", owner)


def test_csv_metadata_is_stored_on_the_document(project, owner):
    run(project, owner, {"c.csv": b"title,text,grade\nOne,Essay one.,B\n"})
    assert Document.objects.get().metadata == {"grade": "B"}


def test_zip_files_are_listed_one_by_one(project, owner):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("essays/a.txt", "Essay A.")
        archive.writestr("essays/b.exe", "MZ")
    results = run(project, owner, {"class.zip": buffer.getvalue()})
    assert [(r.name, r.status) for r in results] == [
        ("class.zip/essays/a.txt", IMPORTED),
        ("class.zip/essays/b.exe", REJECTED),
    ]


def test_files_beyond_the_count_limit_are_rejected(project, owner):
    files = {f"{i}.txt": f"Essay {i}.".encode() for i in range(3)}
    results = run(project, owner, files, ImportLimits(max_files=2))
    assert [r.status for r in results] == [IMPORTED, IMPORTED, REJECTED]
    assert "at most 2 files" in results[2].message


def test_file_over_the_size_limit_is_rejected(project, owner):
    [result] = run(project, owner, {"big.txt": b"x" * 2000}, ImportLimits(max_file_bytes=1000))
    assert result.message == "The file is 2 KB; the limit is 1000 bytes."


def test_an_unexpected_error_is_reported_and_the_rest_go_on(project, owner, monkeypatch):
    def explode(name, data):
        raise RuntimeError("boom")

    monkeypatch.setitem(PARSERS, "txt", explode)
    results = run(project, owner, {"a.txt": b"x", "b.md": b"Fine text."})
    assert (results[0].status, results[0].message) == (REJECTED, INTERNAL_ERROR)
    assert results[1].status == IMPORTED


def test_documents_import_checks_titles_and_texts(project, owner):
    with pytest.raises(DomainError, match="Give the document a title"):
        documents_import(
            project=project, author=owner, documents=[ParsedDocument(title=" ", text="x")]
        )
    with pytest.raises(DomainError, match="no text"):
        documents_import(
            project=project, author=owner, documents=[ParsedDocument(title="T", text=" \n")]
        )


def test_documents_import_refuses_whitespace_only_spans(project, owner):
    document = ParsedDocument(title="T", text="a   b", spans=[ParsedSpan(1, 4, "claim")])
    with pytest.raises(DomainError, match="only spaces"):
        documents_import(project=project, author=owner, documents=[document])


def test_documents_import_creates_documents_and_spans_in_bulk(project, owner):
    documents = [
        ParsedDocument(
            title=f"T{i}", text=f"Essay number {i} 🎬.", spans=[ParsedSpan(0, 5, "claim")]
        )
        for i in range(30)
    ]
    outcome = documents_import(project=project, author=owner, documents=documents)
    assert (outcome.documents, outcome.spans, outcome.duplicates) == (30, 30, 0)
    assert all(span.quote == "Essay" for span in Span.objects.all())
    assert Tag.objects.filter(project=project).count() == 3
    assert Membership.objects.filter(project=project).count() == 1


def test_a_late_error_rolls_back_batches_already_stored(project, owner, monkeypatch):
    monkeypatch.setattr(import_store, "IMPORT_BATCH", 2)
    lines = [json.dumps({"title": f"T{i}", "text": f"Essay {i}."}) for i in range(5)]
    lines.append('{"title": "broken"')
    [result] = run(project, owner, {"x.jsonl": "\n".join(lines).encode()})
    assert result.status == REJECTED
    assert result.message.startswith("Line 6 is not valid JSON")
    assert project.documents.count() == 0


def test_batches_store_every_document(project, owner, monkeypatch):
    monkeypatch.setattr(import_store, "IMPORT_BATCH", 2)
    lines = [
        json.dumps(
            {
                "title": f"T{i}",
                "text": f"Essay {i}.",
                "spans": [{"start": 0, "end": 5, "tag": "claim"}],
            }
        )
        for i in range(5)
    ]
    [result] = run(project, owner, {"x.jsonl": "\n".join(lines).encode()})
    assert (result.documents, result.spans) == (5, 5)
    assert Span.objects.filter(quote="Essay").count() == 5
