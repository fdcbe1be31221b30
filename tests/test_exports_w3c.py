from __future__ import annotations

import json

from annotations.exports import ExportFilter, export_stream
from annotations.models import Span
from tests import corpus


def collection(project, export_filter=ExportFilter(), base=""):  # noqa: B008
    return json.loads(b"".join(export_stream("w3c", project, export_filter, base=base)))


def test_collection_holds_one_annotation_per_span_with_both_selectors(owner):
    project, extra = corpus.build(owner)
    data = collection(project, base="https://example.org/")
    items = data["first"]["items"]
    assert data["type"] == "AnnotationCollection"
    assert data["total"] == len(items) == 7
    for item in items:
        span = Span.objects.select_related("document").get(pk=int(item["id"].rsplit("/", 1)[1]))
        quote, position = item["target"]["selector"]
        assert quote["type"] == "TextQuoteSelector"
        assert position == {"type": "TextPositionSelector", "start": span.start, "end": span.end}
        text = span.document.text
        assert quote["exact"] == text[span.start : span.end]
        assert text[: span.start].endswith(quote["prefix"])
        assert text[span.end :].startswith(quote["suffix"])
        assert item["target"]["source"] == f"https://example.org/documents/{span.document_id}"
        assert item["body"][0]["value"] == span.tag.name


def test_note_becomes_a_commenting_body(owner):
    project, _ = corpus.build(owner)
    items = collection(project, ExportFilter(origins=("suggestion",)))["first"]["items"]
    assert len(items) == 1
    assert items[0]["body"][1] == {
        "type": "TextualBody",
        "purpose": "commenting",
        "value": "+note that looks like a formula",
    }
    assert items[0]["id"].startswith("urn:herlens:corpus-tests:spans/")


def test_empty_export_is_valid_json(project):
    data = collection(project)
    assert data["total"] == 0
    assert data["first"]["items"] == []
