"""The CSV export byte for byte, against a file the export wrote before it was made faster.

tests/data/exports/corpus-*.csv hold the export of ``tests.corpus`` (with an
orphan and fixed timestamps) as written then, ids and usernames replaced by
``{placeholders}``: any change in a cell, its quoting, the order of rows or the
line endings shows here, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from annotations.exports import ExportFilter, export_stream
from annotations.models import Span
from annotations.services.revisions import document_revise
from tests import corpus, factories

GOLDEN = Path(__file__).parent / "data" / "exports"


def build(owner):
    """The test corpus, one span of the second text orphaned by a revision, fixed times."""
    project, parts = corpus.build(owner)
    two = parts["two"]
    listen = two.text.index("They listen")
    factories.make_span(two, listen, listen + len("They listen"), parts["annotator"], "claim")
    document_revise(document=two, text=two.text[:listen].rstrip(), user=owner, message="Cut")
    spans = Span.everything.filter(document__project=project)
    spans.update(
        created_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        updated_at=datetime(2026, 3, 2, tzinfo=UTC),
    )
    # One timestamp with microseconds, the others on the second (written without them).
    spans.filter(pk=spans.order_by("pk").first().pk).update(
        updated_at=datetime(2026, 3, 2, 10, 0, 0, 250, tzinfo=UTC)
    )
    return project


def placeholders(project, owner) -> dict[str, dict[str, str]]:
    """For each varying column, a name for each value: by order of creation, or the role."""
    documents = project.documents.order_by("pk").values_list("pk", flat=True)
    spans = Span.everything.filter(document__project=project).order_by("pk")
    authors = spans.values_list("author__username", flat=True).distinct()
    return {
        "project": {project.slug: "{project}"},
        "document_id": {str(pk): f"{{document{n}}}" for n, pk in enumerate(documents)},
        "span_id": {
            str(pk): f"{{span{n}}}" for n, pk in enumerate(spans.values_list("pk", flat=True))
        },
        "annotator": {
            name: "{owner}" if name == owner.username else "{annotator}" for name in authors
        },
    }


def export(project, exact: bool) -> bytes:
    return b"".join(export_stream("csv", project, ExportFilter(orphans=True), exact=exact))


def rewrite(data: bytes, names: dict[str, dict[str, str]] | None) -> bytes:
    """Write the CSV again, the varying cells renamed (None: kept), every other cell as it was."""
    text = data.decode("utf-8")
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    rows = list(csv.reader(io.StringIO(text[len(bom) :], newline="")))
    out = io.StringIO()
    out.write(bom)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(rows[0])
    for row in rows[1:]:
        for column, renamed in (names or {}).items():
            index = rows[0].index(column)
            row[index] = renamed[row[index]]
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


@pytest.mark.parametrize("flavour", ["spreadsheet", "exact"])
def test_the_export_is_byte_for_byte_what_it_was(owner, flavour):
    project = build(owner)
    data = export(project, exact=flavour == "exact")
    # Written back unrenamed, the rows give the same bytes: the comparison below is of
    # the export itself, not of a re-quoted copy.
    assert rewrite(data, None) == data
    assert b"orphaned" in data
    expected = (GOLDEN / f"corpus-{flavour}.csv").read_bytes()
    assert rewrite(data, placeholders(project, owner)) == expected
