"""CSV: one row per span, in two flavours.

The *spreadsheet* flavour starts with a UTF-8 byte-order mark (so Excel reads
UTF-8) and puts ``'`` before any cell that a spreadsheet would run as a formula.
The *exact* flavour changes no value: use it for pandas, R and scripts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from annotations.exports.context import TextContext
from annotations.exports.corpus import DocumentRow, ExportFilter, iter_corpus

if TYPE_CHECKING:
    from annotations.models import Project

COLUMNS = (
    "project",
    "document_id",
    "document_title",
    "span_id",
    "start",
    "end",
    "text",
    "tag",
    "annotator",
    "origin",
    "note",
    "created_at",
    "updated_at",
    "sentence",
    "paragraph_index",
    "tag_slug",
    "is_reference",
    "anchor",
)

#: Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def guard_cell(value: str) -> str:
    """Return value with a leading ``'`` if a spreadsheet would treat it as a formula."""
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def rows(documents: Iterable[DocumentRow], project_slug: str) -> Iterator[list[str]]:
    """Yield the CSV rows (as strings) of the spans of these documents."""
    for document in documents:
        context = TextContext(document.text)
        for span in document.spans:
            if span.start is None:  # an orphan, exported on request: no place, its old words
                sentence, paragraph, start, end = "", "", "", ""
            else:
                where = context.for_span(span.start, span.end)
                sentence, paragraph = where.sentence, str(where.paragraph_index)
                start, end = str(span.start), str(span.end)
            yield [
                project_slug,
                str(document.id),
                document.title,
                str(span.id),
                start,
                end,
                span.text_in(document.text),
                span.tag,
                span.annotator,
                span.origin,
                span.note,
                span.created_at,
                span.updated_at,
                sentence,
                paragraph,
                span.tag_slug,
                "true" if span.is_reference else "false",
                span.anchor,
            ]


def stream(
    project: Project,
    export_filter: ExportFilter = ExportFilter(),  # noqa: B008 - frozen, so a safe default
    *,
    exact: bool = False,
    batch: int = 500,
) -> Iterator[bytes]:
    """Yield the CSV as UTF-8 bytes, ``batch`` rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if not exact:
        buffer.write(BOM)
    writer.writerow(COLUMNS)
    pending = 0
    triggers = frozenset(FORMULA_TRIGGERS)
    for row in rows(iter_corpus(project, export_filter, only_with_spans=True), project.slug):
        if not exact:
            # guard_cell, inlined: this runs for every cell of every row.
            row = ["'" + cell if cell[:1] in triggers else cell for cell in row]
        writer.writerow(row)
        pending += 1
        if pending >= batch:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")
