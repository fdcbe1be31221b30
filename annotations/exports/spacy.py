"""spaCy: a ``.spacy`` DocBin, one Doc per document.

Spans go into ``doc.spans["herlens"]`` with their tag as label; where spans do
not overlap they are also the Doc's entities. spaCy spans cover whole tokens,
so a span that starts or ends inside a token is widened to the token; the
exact code-point offsets stay in ``doc.user_data["herlens"]``.

A DocBin is one compressed blob, so this format is built in memory (about the
size of the tokenised corpus), unlike the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

import spacy
from spacy.tokens import Doc, DocBin, Span

from annotations.exports.corpus import ExportFilter, iter_corpus
from annotations.exports.rows import DocumentRow, span_fields

if TYPE_CHECKING:
    from annotations.models import Project

SPAN_KEY = "herlens"


def to_doc(nlp: spacy.Language, document: DocumentRow) -> Doc:
    """Return the Doc of one document with its spans."""
    doc = nlp.make_doc(document.text)
    spans = []
    for span in document.spans:
        piece = doc.char_span(span.start, span.end, label=span.tag_slug, alignment_mode="expand")
        if piece is not None:
            spans.append(piece)
    doc.spans[SPAN_KEY] = spans
    doc.ents = lone_spans(spans)
    doc.user_data[SPAN_KEY] = {
        "document_id": document.id,
        "title": document.title,
        "spans": [
            {
                "id": span.id,
                "start": span.start,
                "end": span.end,
                **span_fields(span),
            }
            for span in document.spans
        ],
    }
    return doc


def lone_spans(spans: list[Span]) -> list[Span]:
    """Return the spans that overlap no other span (identical ones count once)."""
    unique = sorted({(span.start, span.end, span.label_): span for span in spans}.values())
    lone = []
    for index, span in enumerate(unique):
        before = unique[index - 1] if index else None
        after = unique[index + 1] if index + 1 < len(unique) else None
        clear_before = before is None or before.end <= span.start
        if clear_before and (after is None or span.end <= after.start):
            lone.append(span)
    return lone


def stream(
    project: Project,
    export_filter: ExportFilter = ExportFilter(),  # noqa: B008 - frozen, so a safe default
) -> Iterator[bytes]:
    """Yield the DocBin's bytes (one piece: the format cannot be written in parts)."""
    # spaCy spans are token ranges of the text: orphans have none.
    export_filter = replace(export_filter, orphans=False)
    nlp = spacy.blank("en")
    doc_bin = DocBin(attrs=["ORTH", "SPACY", "ENT_IOB", "ENT_TYPE"], store_user_data=True)
    for document in iter_corpus(project, export_filter):
        doc_bin.add(to_doc(nlp, document))
    yield doc_bin.to_bytes()
