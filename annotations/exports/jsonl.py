"""JSON Lines: one document per line with its text and spans.

Offsets are code points into ``text``, as everywhere in herlens, and each span
repeats its ``text`` so a reader can check them. ``imports/jsonl.py`` reads
this format back without loss.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from annotations.exports.corpus import ExportFilter, iter_corpus
from annotations.exports.rows import DocumentRow, span_fields

if TYPE_CHECKING:
    from annotations.models import Project


def document_object(document: DocumentRow, project_slug: str) -> dict[str, Any]:
    """Return the JSON object of one document."""
    return {
        "project": project_slug,
        "id": document.id,
        "title": document.title,
        "author": document.author,
        "source": document.source,
        "metadata": document.metadata,
        "created_at": document.created_at.isoformat(),
        "revision": document.revision,
        "text": document.text,
        "spans": [
            {
                "id": span.id,
                "start": span.start,
                "end": span.end,
                "text": span.text_in(document.text),
                **span_fields(span),
                "created_at": span.created_at,
                "updated_at": span.updated_at,
            }
            for span in document.spans
        ],
    }


def stream(
    project: Project,
    export_filter: ExportFilter = ExportFilter(),  # noqa: B008 - frozen, so a safe default
) -> Iterator[bytes]:
    """Yield one UTF-8 line per document (orphaned spans included, marked by ``anchor``)."""
    export_filter = replace(export_filter, orphans=True)
    for document in iter_corpus(project, export_filter):
        line = json.dumps(document_object(document, project.slug), ensure_ascii=False)
        yield (line + "\n").encode("utf-8")
