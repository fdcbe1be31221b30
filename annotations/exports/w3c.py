"""W3C Web Annotation (JSON-LD): one Annotation per span in an AnnotationCollection.

Each target carries a ``TextQuoteSelector`` (exact, prefix, suffix: it finds the
passage again even if offsets drift) and a ``TextPositionSelector`` (code
points, which is what the Web Annotation model counts).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from annotations.exports.corpus import ExportFilter, count_spans, iter_corpus
from annotations.exports.rows import DocumentRow, SpanRow
from annotations.offsets import quote_for

if TYPE_CHECKING:
    from annotations.models import Project

CONTEXT = "http://www.w3.org/ns/anno.jsonld"


def annotation(document: DocumentRow, span: SpanRow, base: str) -> dict[str, Any]:
    """Return the Web Annotation of one span."""
    quote = quote_for(document.text, span.start, span.end)
    bodies: list[dict[str, Any]] = [
        {
            "type": "TextualBody",
            "purpose": "tagging",
            "value": span.tag,
            "id": f"{base}tags/{span.tag_slug}",
        }
    ]
    if span.note:
        bodies.append({"type": "TextualBody", "purpose": "commenting", "value": span.note})
    return {
        "id": f"{base}spans/{span.id}",
        "type": "Annotation",
        "motivation": "tagging",
        "created": span.created_at,
        "modified": span.updated_at,
        "creator": {"type": "Person", "nickname": span.annotator},
        "generator": {"type": "Software", "name": "herlens"},
        "herlens:origin": span.origin,
        "herlens:isReference": span.is_reference,
        "body": bodies,
        "target": {
            # An older revision's offsets are into its own text, which has its own address.
            "source": f"{base}documents/{document.id}"
            + ("" if document.current else f"/revisions/{document.revision}"),
            "herlens:revision": document.revision,
            "selector": [
                {
                    "type": "TextQuoteSelector",
                    "exact": quote.exact,
                    "prefix": quote.prefix,
                    "suffix": quote.suffix,
                },
                {"type": "TextPositionSelector", "start": span.start, "end": span.end},
            ],
        },
    }


def stream(
    project: Project,
    export_filter: ExportFilter = ExportFilter(),  # noqa: B008 - frozen, so a safe default
    *,
    exact: bool = True,
    base: str = "",
) -> Iterator[bytes]:
    """Yield the collection as UTF-8 JSON, written piece by piece.

    ``base`` is the URL the ids hang from (the site's address); without one the
    ids are URNs that still name every object uniquely.
    """
    base = base or f"urn:herlens:{project.slug}:"
    # A Web Annotation needs a place in the text: orphans are never written here.
    export_filter = replace(export_filter, orphans=False)
    head = {
        "@context": [CONTEXT, {"herlens": "urn:herlens:terms:"}],
        "id": f"{base}export",
        "type": "AnnotationCollection",
        "label": project.name,
        "total": count_spans(project, export_filter),
    }
    opening = json.dumps(head, ensure_ascii=False)[:-1]
    yield (opening + ', "first": {"type": "AnnotationPage", "items": [\n').encode("utf-8")
    first = True
    for document in iter_corpus(project, export_filter, only_with_spans=True):
        parts = []
        for span in document.spans:
            item = json.dumps(annotation(document, span, base), ensure_ascii=False)
            parts.append(item if first else ",\n" + item)
            first = False
        yield "".join(parts).encode("utf-8")
    yield b"\n]}}\n"
