"""The CSV rows are written by hand, not by the csv module: they must be the module's bytes.

Each cell, and then a whole export full of hostile values (formula triggers, quotes,
commas, line ends, emoji, control characters), is compared with what ``csv.writer``
writes for the same values.
"""

from __future__ import annotations

import csv
import io

import pytest

from annotations.exports import ExportFilter, export_stream
from annotations.exports.context import TextContext
from annotations.exports.csv import BOM, COLUMNS, guard_cell, quote_cell, spreadsheet_cell
from annotations.models import Origin, Role, Span
from tests import factories

HOSTILE = [
    "=SUM(A1:A2)",
    "+cmd",
    "-2+3",
    "@user",
    "\tstarts with a tab",
    "\rstarts with CR",
    'a "quoted" word',
    '"',
    '""',
    "comma, inside",
    ",",
    "line\nbreak",
    "carriage\rreturn",
    "windows\r\nline",
    "trailing newline\n",
    "emoji 🎬🤖 and é",
    "control \x01\x07\x08\x0b\x0c\x1b\x1f\x7f characters",
    "\u2028line and paragraph separators\u2029",
    "zero\u200bwidth",
    " leading space",
    "trailing space ",
    "'already quoted",
    "=",
    "-",
    "plain",
    "",
    'everything: =, "quote", \r\n and 🎬',
]


def written_by_csv_module(row: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(row)
    return out.getvalue()


@pytest.mark.parametrize("value", HOSTILE)
def test_a_quoted_cell_is_what_the_csv_module_writes(value):
    assert f"{quote_cell(value)},x\r\n" == written_by_csv_module([value, "x"])


@pytest.mark.parametrize("value", HOSTILE)
def test_a_spreadsheet_cell_is_guarded_then_quoted_as_the_csv_module_does(value):
    assert f"{spreadsheet_cell(value)},x\r\n" == written_by_csv_module([guard_cell(value), "x"])


@pytest.mark.parametrize("value", ["=1", "+1", "-1", "@a", "\tx", "\rx"])
def test_a_spreadsheet_cell_never_starts_a_formula(value):
    cell = spreadsheet_cell(value)
    unquoted = next(csv.reader(io.StringIO(cell, newline="")))[0] if cell.startswith('"') else cell
    assert unquoted == "'" + value


@pytest.fixture
def hostile_project(owner):
    """Titles, tag names, usernames, notes and span words that need guarding or quoting."""
    project = factories.make_project(owner=owner, name="Hostile cells")
    tag = factories.tag(project, "claim")
    tag.name = '=HYPERLINK("x"), with "quotes"\nand a line'
    tag.save()
    annotator = factories.add_member(project, Role.ANNOTATOR, factories.make_user("+mallory@x"))
    words = [value or "x" for value in HOSTILE]
    text = " ".join(f"{word}." for word in words) + "\n\n" + " ".join(words)
    document = factories.make_document(project, text=text, title='-"title", with\r\na line')
    other = factories.make_document(project, text="@start. Then a sentence, quietly!", title="=1+1")
    position = 0
    for number, word in enumerate(words):
        start = text.index(word, position)
        position = start + len(word)
        author = annotator if number % 2 else owner
        span = factories.make_span(document, start, position, author, "claim")
        span.note = HOSTILE[(number + 3) % len(HOSTILE)]
        span.origin = Origin.SUGGESTION if number % 3 else Origin.MANUAL
        span.save()
    factories.make_span(other, 0, 6, owner, "prediction")
    factories.make_span(other, 0, len(other.text), annotator, "claim")
    return project


def expected_export(project, *, exact: bool) -> bytes:
    """The export written by the csv module, row by row, from the stored values."""
    cell = (lambda value: value) if exact else guard_cell
    out = io.StringIO()
    if not exact:
        out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    spans = Span.objects.filter(document__project=project).select_related(
        "document", "tag", "author"
    )
    for span in spans.order_by("document_id", "start", "-end", "id"):
        text = span.document.text
        sentence, paragraph = TextContext(text).locate(span.start, span.end)
        writer.writerow(
            [
                cell(project.slug),
                span.document_id,
                cell(span.document.title),
                span.pk,
                span.start,
                span.end,
                cell(text[span.start : span.end]),
                cell(span.tag.name),
                cell(span.author.username),
                cell(span.origin),
                cell(span.note),
                span.created_at.isoformat(),
                span.updated_at.isoformat(),
                cell(sentence),
                paragraph,
                cell(span.tag.slug),
                "true" if span.is_reference else "false",
                span.anchor,
            ]
        )
    return out.getvalue().encode("utf-8")


@pytest.mark.parametrize("exact", [False, True], ids=["spreadsheet", "exact"])
def test_an_export_of_hostile_values_is_what_the_csv_module_writes(hostile_project, exact):
    data = b"".join(export_stream("csv", hostile_project, ExportFilter(), exact=exact))
    assert data == expected_export(hostile_project, exact=exact)
    assert data.count(b"\r\n") > len(HOSTILE)  # line ends inside cells stay inside them


def test_rows_split_into_chunks_join_to_the_same_bytes(hostile_project):
    from annotations.exports import csv as csv_export

    whole = b"".join(csv_export.stream(hostile_project))
    chunks = list(csv_export.stream(hostile_project, batch=1))
    assert len(chunks) > 1
    assert b"".join(chunks) == whole == expected_export(hostile_project, exact=False)


def test_reading_only_the_texts_gives_the_same_documents_and_spans(hostile_project):
    from annotations.exports import iter_corpus

    full = list(iter_corpus(hostile_project, only_with_spans=True))
    light = list(iter_corpus(hostile_project, only_with_spans=True, text_only=True))
    assert [(d.id, d.title, d.text, d.spans) for d in light] == [
        (d.id, d.title, d.text, d.spans) for d in full
    ]
    assert all(d.created_at is None and d.metadata == {} for d in light)
    assert all(d.created_at is not None for d in full)
