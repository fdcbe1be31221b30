"""The sentence breaks a document stores of its text, and the export that reads them."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

from django.apps import apps
from django.db import connection

from annotations.exports import export_stream
from annotations.exports.context import TextContext
from annotations.models import Document
from annotations.sentences import BREAKS_VERSION, scan_breaks, stored_breaks, text_breaks
from annotations.services.revisions import document_revise
from tests import corpus, factories

TEXT = "First one. Second one.\n\nThird, e.g. here. Last!"


def stored(document: Document) -> bytes | None:
    documents = Document.with_trash.filter(pk=document.pk)
    value = documents.values_list("sentence_breaks", flat=True)[0]
    return None if value is None else bytes(value)  # PostgreSQL's driver may give a memoryview


def pack(*numbers: int) -> bytes:
    return b"".join(number.to_bytes(4, "little", signed=True) for number in numbers)


def test_breaks_are_the_scan_of_the_text_packed_with_its_length_and_version():
    breaks, paragraphs = scan_breaks(TEXT)
    assert paragraphs == [0, TEXT.index("Third")]
    assert TEXT.index(" Second") in breaks
    assert TEXT.index(" here") not in breaks  # after "e.g."
    packed = pack(BREAKS_VERSION, len(TEXT), len(breaks), *breaks, *paragraphs)
    assert text_breaks(TEXT) == packed
    assert stored_breaks(packed, TEXT) == (breaks, paragraphs)


def test_a_document_stores_the_breaks_of_its_normalised_text(project, owner):
    document = factories.make_document(project, text="Zoe\u0308 said no.\r\n\r\nThen yes.")
    assert document.text == "Zoë said no.\n\nThen yes."
    assert stored(document) == text_breaks(document.text)


def test_a_new_revision_stores_the_breaks_of_its_text(project, owner):
    document = factories.make_document(project, text=TEXT)
    document_revise(document=document, text="Only one sentence now", user=owner, suggest=False)
    assert stored(document) == text_breaks("Only one sentence now")


def test_saving_other_fields_keeps_the_breaks(project, owner):
    document = factories.make_document(project, text=TEXT)
    Document.objects.filter(pk=document.pk).update(sentence_breaks=b"kept")
    document.title = "Renamed"
    document.save(update_fields=["title"])
    assert stored(document) == b"kept"


def test_the_context_reads_breaks_made_for_its_text_and_no_others():
    start = TEXT.index("Second")
    assert TextContext(TEXT, text_breaks(TEXT)).locate(start, start + 6) == ("Second one.", 0)
    # Breaks that say the whole text is one sentence: read when they fit the text...
    whole = pack(BREAKS_VERSION, len(TEXT), 2, 0, len(TEXT), 0)
    assert TextContext(TEXT, whole).locate(start, start + 6) == (TEXT, 0)
    # ...and not when made for a text of another length or by other rules, or not breaks at all.
    stale = [
        pack(BREAKS_VERSION, len(TEXT) + 1, 2, 0, len(TEXT), 0),
        pack(BREAKS_VERSION + 1, len(TEXT), 2, 0, len(TEXT), 0),
        pack(BREAKS_VERSION),
        pack(BREAKS_VERSION, len(TEXT), 3, 0, len(TEXT)),
        whole[:-1],
        b"",
    ]
    for breaks in stale:
        assert stored_breaks(breaks, TEXT) is None
        assert TextContext(TEXT, breaks).locate(start, start + 6) == ("Second one.", 0)


def test_the_export_writes_the_same_bytes_with_or_without_stored_breaks(owner):
    project, _ = corpus.build(owner)
    assert all(breaks for breaks in project.documents.values_list("sentence_breaks", flat=True))
    read = b"".join(export_stream("csv", project))
    project.documents.update(sentence_breaks=None)
    assert b"".join(export_stream("csv", project)) == read
    # Breaks of another text (a text changed behind the model's back) are not read.
    project.documents.update(sentence_breaks=text_breaks("Some other text. Quite short."))
    assert b"".join(export_stream("csv", project)) == read


def test_the_migration_stores_the_breaks_of_documents_without_them(project, owner):
    documents = [factories.make_document(project, text=f"Essay {n}. Done.") for n in range(3)]
    Document.with_trash.filter(pk__in=[d.pk for d in documents]).update(sentence_breaks=None)
    migration = importlib.import_module("annotations.migrations.0018_document_sentence_breaks")
    migration.store_breaks(apps, SimpleNamespace(connection=connection))
    for document in documents:
        assert stored(document) == text_breaks(document.text)
