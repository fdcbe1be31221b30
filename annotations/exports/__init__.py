"""Export a project's corpus: one small module per format, all fed by ``corpus.iter_corpus``.

A format module turns documents and their spans into lines or bytes; the reading
(filters, pages, pseudonyms) is corpus.py's. Nothing here imports the services.
"""

from __future__ import annotations

from collections.abc import Iterator

from annotations.exports.corpus import (
    DOCUMENT_PAGE,
    FORMATS,
    MAX_ID,
    ExportError,
    ExportFilter,
    count_spans,
    iter_corpus,
)
from annotations.exports.rows import DocumentRow, SpanRow, span_fields
from annotations.models import Project

__all__ = [
    "CONTENT_TYPES",
    "DOCUMENT_PAGE",
    "FORMATS",
    "MAX_ID",
    "DocumentRow",
    "ExportError",
    "ExportFilter",
    "SpanRow",
    "count_spans",
    "export_filename",
    "export_stream",
    "iter_corpus",
    "span_fields",
]


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "spacy": "application/octet-stream",
    "w3c": "application/ld+json; charset=utf-8",
}
EXTENSIONS = {"csv": "csv", "jsonl": "jsonl", "spacy": "spacy", "w3c": "jsonld"}


def export_stream(
    fmt: str,
    project: Project,
    export_filter: ExportFilter = ExportFilter(),  # noqa: B008 - frozen, so a safe default
    *,
    exact: bool = False,
    base: str = "",
) -> Iterator[bytes]:
    """Return the byte chunks of an export in format ``fmt`` (one of FORMATS).

    Raises ExportError at once (before any byte is made) when the filter asks for
    a revision that cannot be read.
    """
    export_filter.older_revision(project)
    # Imported here: the spaCy module pulls in spaCy, which only its format needs.
    if fmt == "csv":
        from annotations.exports import csv

        return csv.stream(project, export_filter, exact=exact)
    if fmt == "jsonl":
        from annotations.exports import jsonl

        return jsonl.stream(project, export_filter)
    if fmt == "spacy":
        from annotations.exports import spacy

        return spacy.stream(project, export_filter)
    if fmt == "w3c":
        from annotations.exports import w3c

        return w3c.stream(project, export_filter, base=base)
    raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")


def export_filename(project: Project, fmt: str) -> str:
    return f"{project.slug}.{EXTENSIONS[fmt]}"
