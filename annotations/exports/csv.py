"""CSV: one row per span, in two flavours.

The *spreadsheet* flavour starts with a UTF-8 byte-order mark (so Excel reads
UTF-8) and puts ``'`` before any cell that a spreadsheet would run as a formula.
The *exact* flavour changes no value: use it for pandas, R and scripts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING

from annotations.exports.context import TextContext
from annotations.exports.corpus import DocumentRow, ExportFilter, SpanRow, iter_corpus

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


def rows(
    documents: Iterable[DocumentRow],
    project_slug: str,
    cell: Callable[[str], str] | None = None,
) -> Iterator[tuple[str | int, ...]]:
    """Yield the CSV rows of the spans of these documents.

    ``cell`` (such as ``guard_cell``) is applied to every value that may hold text, once
    for values that repeat (title, tag and annotator names); numbers and timestamps
    cannot start a formula and pass as they are.
    """
    cell = cell or _same
    cached = _Cells(cell)
    slug = cell(project_slug)
    for document in documents:
        text = document.text
        locate = TextContext(text).locate
        document_id = document.id
        title = cell(document.title)
        for span in document.spans:
            if span.start is None:  # an orphan, exported on request: no place, its old words
                yield _orphan_row(span, slug, document_id, title, cell, cached)
                continue
            # Unpacked in one step: the loop runs once per span of the corpus.
            (
                span_id,
                start,
                end,
                tag,
                tag_slug,
                annotator,
                origin,
                note,
                is_reference,
                created_at,
                updated_at,
                anchor,
                _orphan_quote,
            ) = span
            sentence, paragraph = locate(start, end)
            yield (
                slug,
                document_id,
                title,
                span_id,
                start,
                end,
                cell(text[start:end]),
                cached[tag],
                cached[annotator],
                cached[origin],
                cell(note) if note else "",
                created_at,
                updated_at,
                cell(sentence),
                paragraph,
                cached[tag_slug],
                "true" if is_reference else "false",
                anchor,
            )


def _orphan_row(
    span: SpanRow,
    slug: str,
    document_id: int,
    title: str,
    cell: Callable[[str], str],
    cached: _Cells,
) -> tuple[str | int, ...]:
    """Return the row of an orphan: no offsets, sentence or paragraph, its old words."""
    return (
        slug,
        document_id,
        title,
        span.id,
        "",
        "",
        cell(span.orphan_quote),
        cached[span.tag],
        cached[span.annotator],
        cached[span.origin],
        cell(span.note) if span.note else "",
        span.created_at,
        span.updated_at,
        "",
        "",
        cached[span.tag_slug],
        "true" if span.is_reference else "false",
        span.anchor,
    )


def _same(value: str) -> str:
    return value


class _Cells(dict[str, str]):
    """The cells of values that repeat, each worked out once (a miss calls ``cell``)."""

    def __init__(self, cell: Callable[[str], str]) -> None:
        super().__init__()
        self.cell = cell

    def __missing__(self, value: str) -> str:
        done = self[value] = self.cell(value)
        return done


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
    documents = iter_corpus(project, export_filter, only_with_spans=True)
    all_rows = rows(documents, project.slug, None if exact else guard_cell)
    while chunk := list(islice(all_rows, batch)):
        # The csv module writes the numbers itself, faster than str() in Python.
        writer.writerows(chunk)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")
