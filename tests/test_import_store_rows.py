"""What an import stores, row by row, against the rows the import stored before it was made faster.

tests/data/imports/stored-rows.json holds the documents, first revisions and
spans that importing ``FILE`` stored then (through bulk_create and multi-row
INSERTs, on SQLite), ids and timestamps replaced by what they point at (a column
added to revisions since, ``lost_suggestions``, holds its default). On
PostgreSQL the import now streams the same rows with COPY: any difference in a
value, a default or a normalisation shows here.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import IntegrityError
from django.utils import timezone

from annotations.imports import IMPORTED
from annotations.imports.base import ParsedDocument, ParsedSpan
from annotations.models import Document, Revision, Role, Span
from annotations.sentences import text_breaks
from annotations.services import import_store
from annotations.services.documents import document_create
from annotations.services.imports import import_files
from tests import factories

GOLDEN = Path(__file__).parent / "data" / "imports" / "stored-rows.json"

#: Written for this test: NFD and CRLF to normalise (a text without spans), metadata in several shapes, a known
#: and an unknown annotator, a new tag, a reference span, an orphan, a note, a duplicate.
LINES = [
    {
        "title": "  Zoe\u0308 and the machine  ",
        "text": "Zo\u00eb talks to a machine.\nIt answers 🤖 at once.\n\nLater, it forgets.",
        "author": "A. Writer",
        "source": "https://example.org/zoe",
        "metadata": {"external_id": "z-1", "tags": ["a", "b"], "grade": 3, "nested": {"k": None}},
        "spans": [
            {"start": 0, "end": 3, "tag": "claim", "annotator": "{annotator}", "note": " why "},
            {
                "start": 27,
                "end": 28,
                "tag": "Robot",
                "annotator": "stranger",
                "origin": "suggestion",
            },
            {
                "start": 0,
                "end": 3,
                "tag": "claim",
                "is_reference": True,
                "annotator": "{annotator}",
            },
            {
                "start": None,
                "end": None,
                "tag": "claim",
                "anchor": "orphaned",
                "text": "Gone words",
            },
        ],
    },
    {
        "title": "Second",
        "text": "Plain text, one span.",
        "spans": [{"start": 0, "end": 5, "tag": "claim"}],
    },
    {"title": "Duplicate", "text": "Plain text, one span.", "spans": []},
    {
        "title": "Third",
        "text": "C\u0327a va.\r\nU\u0308ni\u0308code, no spans.",
        "metadata": {},
        "spans": [],
    },
]


def import_file(project, owner, annotator) -> None:
    data = "\n".join(json.dumps(line, ensure_ascii=False) for line in LINES)
    data = data.replace("{annotator}", annotator.username)
    [result] = import_files(project=project, user=owner, sources=[("x.jsonl", data.encode())])
    assert result.status == IMPORTED, result.message


def stored_rows(project, owner, annotator) -> dict[str, list[dict]]:
    """The stored rows, ids and times replaced by what they name."""
    documents = list(Document.with_trash.filter(project=project).order_by("pk"))
    names = {document.pk: f"document{n}" for n, document in enumerate(documents)}
    users = {owner.pk: "owner", annotator.pk: "annotator", None: None}
    now = timezone.now()

    def recent(value) -> bool:
        return value is not None and now - timedelta(minutes=5) < value <= now

    rows: dict[str, list[dict]] = {"documents": [], "revisions": [], "spans": []}
    for document in documents:
        row = Document.with_trash.filter(pk=document.pk).values().get()
        assert recent(row.pop("created_at"))
        assert recent(row.pop("updated_at"))
        row.pop("id"), row.pop("project_id")
        # Added since the golden rows were stored: the breaks of the text, as the model keeps them.
        assert bytes(row.pop("sentence_breaks")) == text_breaks(row["text"])
        row["deleted_by_id"], row["written_by_id"] = None, users[row["written_by_id"]]
        rows["documents"].append(row)
    for row in Revision.objects.filter(document__project=project).order_by("pk").values():
        assert row.pop("created_at") == Document.with_trash.get(pk=row["document_id"]).created_at
        row.pop("id")
        row["document_id"], row["created_by_id"] = (
            names[row["document_id"]],
            users[row["created_by_id"]],
        )
        rows["revisions"].append(row)
    spans = Span.everything.filter(document__project=project).order_by("pk")
    for row in spans.values():
        assert recent(row.pop("created_at"))
        assert recent(row.pop("updated_at"))
        row.pop("id")
        row["document_id"] = names[row["document_id"]]
        row["tag_id"] = project.tags.get(pk=row["tag_id"]).slug
        for field in ("author_id", "updated_by_id", "deleted_by_id"):
            row[field] = users[row[field]]
        rows["spans"].append(row)
    return json.loads(json.dumps(rows, default=str))


def test_an_import_stores_the_rows_it_stored_before(project, owner, monkeypatch):
    # Batches of two: the first revision and the spans of every batch, not only the first.
    monkeypatch.setattr(import_store, "IMPORT_BATCH", 2)
    annotator = factories.add_member(project, Role.ANNOTATOR)
    import_file(project, owner, annotator)
    assert stored_rows(project, owner, annotator) == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_a_document_added_after_an_import_gets_an_id_of_its_own(project, owner):
    annotator = factories.add_member(project, Role.ANNOTATOR)
    import_file(project, owner, annotator)
    imported = set(Document.objects.filter(project=project).values_list("pk", flat=True))
    later = document_create(project=project, title="Later", text="Written after the import.")
    assert later.pk not in imported
    assert later.pk > max(imported)
    assert Revision.objects.filter(document=later, number=1).exists()


def test_the_database_still_refuses_a_span_the_checks_let_through(project, owner, monkeypatch):
    # The rows go in as plain SQL: the constraints must still hold, and the error must be
    # Django's, as from any other write.
    monkeypatch.setattr(import_store, "check_span_fields", lambda **fields: None)
    empty = ParsedSpan(start=4, end=4, tag="claim")
    parsed = [
        ParsedDocument(title="First", text="Some words here."),
        ParsedDocument(title="Second", text="Other words here.", spans=[empty]),
    ]
    with pytest.raises(IntegrityError):
        import_store.documents_import(project=project, author=owner, documents=parsed)
    assert not Document.with_trash.filter(project=project).exists()
    assert not Revision.objects.filter(document__project=project).exists()
