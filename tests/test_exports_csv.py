from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from annotations.exports import ExportFilter, count_spans, export_stream
from annotations.exports.csv import COLUMNS, guard_cell
from annotations.models import Span
from tests import corpus


def read(project, export_filter=ExportFilter(), exact=False) -> tuple[bytes, list[dict[str, str]]]:  # noqa: B008
    data = b"".join(export_stream("csv", project, export_filter, exact=exact))
    text = data.decode("utf-8-sig")
    return data, list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture
def built(owner):
    return corpus.build(owner)


def test_columns_come_first_in_the_documented_order(built):
    project, _ = built
    data, _ = read(project, exact=True)
    header = data.decode("utf-8").split("\r\n", 1)[0].split(",")
    assert header[:15] == [
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
    ]
    assert tuple(header) == COLUMNS


def test_exact_rows_match_the_text_at_their_code_point_offsets(built):
    project, _ = built
    data, rows = read(project, exact=True)
    assert not data.startswith(b"\xef\xbb\xbf")
    assert len(rows) == Span.objects.filter(document__project=project).count() == 7
    for row in rows:
        span = Span.objects.select_related("document").get(pk=row["span_id"])
        assert row["text"] == span.document.text[int(row["start"]) : int(row["end"])] == span.quote
        assert row["sentence"].find(row["text"]) >= 0 or row["text"] in row["sentence"]
    assert rows[0]["text"] == "Zoë"
    assert len(rows[0]["text"]) == 3
    assert any(row["text"].startswith("🎬") for row in rows)


def test_exact_flavour_keeps_formula_like_cells_as_they_are(built):
    project, _ = built
    _, rows = read(project, exact=True)
    formula = next(row for row in rows if row["origin"] == "suggestion")
    assert formula["text"] == "= a line"
    assert formula["note"] == "+note that looks like a formula"
    assert formula["document_title"] == "=cmd|' /C calc'!A0"


def test_spreadsheet_flavour_has_a_bom_and_guards_formulas(built):
    project, _ = built
    data, rows = read(project)
    assert data.startswith(b"\xef\xbb\xbf")
    formula = next(row for row in rows if row["origin"] == "suggestion")
    assert formula["text"] == "'= a line"
    assert formula["note"] == "'+note that looks like a formula"
    assert all(row["document_title"] != "=cmd|' /C calc'!A0" for row in rows)


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_guard_prefixes_every_formula_trigger(value):
    assert guard_cell(value) == "'" + value


def test_guard_leaves_ordinary_text_alone():
    assert guard_cell("A claim - with a dash") == "A claim - with a dash"


def test_rows_come_in_document_then_reading_order(built):
    project, _ = built
    _, rows = read(project, exact=True)
    keys = [
        (int(r["document_id"]), int(r["start"]), -int(r["end"]), int(r["span_id"])) for r in rows
    ]
    assert keys == sorted(keys)
    _, again = read(project, exact=True)
    assert again == rows


def test_paragraph_index_counts_from_zero(built):
    project, _ = built
    _, rows = read(project, exact=True)
    formula = next(row for row in rows if row["text"] == "= a line")
    assert formula["paragraph_index"] == "1"
    assert rows[0]["paragraph_index"] == "0"


@pytest.mark.parametrize(
    "export_filter",
    [
        ExportFilter(tags=("claim",)),
        ExportFilter(origins=("suggestion",)),
        ExportFilter(tags=("claim", "prediction"), origins=("manual",)),
        ExportFilter(tags=("no-such-tag",)),
    ],
)
def test_row_count_equals_the_spans_matching_the_filter(built, export_filter):
    project, _ = built
    _, rows = read(project, export_filter, exact=True)
    assert len(rows) == count_spans(project, export_filter)


def test_filter_by_annotator_and_document(built):
    project, extra = built
    annotator = extra["annotator"].username
    _, rows = read(project, ExportFilter(annotators=(annotator,)), exact=True)
    assert {row["annotator"] for row in rows} == {annotator}
    assert len(rows) == 3
    _, rows = read(project, ExportFilter(documents=(extra["two"].pk,)), exact=True)
    assert {row["document_title"] for row in rows} == {"Machines"}
    assert len(rows) == 2


def test_rows_cross_page_boundaries_without_loss(built, monkeypatch):
    project, _ = built
    from annotations.exports import corpus as exports

    monkeypatch.setattr(exports, "DOCUMENT_PAGE", 1)
    _, rows = read(project, exact=True)
    assert len(rows) == 7


def test_empty_project_exports_only_the_header(project):
    data, rows = read(project, exact=True)
    assert rows == []
    assert data.decode().startswith("project,document_id")


def test_timestamps_are_iso_8601_utc_exactly_as_stored(built):
    project, _ = built
    whole_second = Span.objects.filter(document__project=project).order_by("pk").first()
    Span.objects.filter(pk=whole_second.pk).update(
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    )
    _, rows = read(project, exact=True)
    for row in rows:
        span = Span.objects.get(pk=row["span_id"])
        assert row["created_at"] == span.created_at.astimezone(UTC).isoformat()
        assert row["updated_at"] == span.updated_at.astimezone(UTC).isoformat()
    assert next(r for r in rows if r["span_id"] == str(whole_second.pk))["created_at"] == (
        "2026-01-02T03:04:05+00:00"
    )


def test_timestamps_are_the_same_however_the_database_writes_dates(built):
    """PostgreSQL's plain text of a timestamp follows its DateStyle: any but ISO is
    written in SQL instead; SQLite always writes its stored text."""
    from django.db import connection

    from annotations.exports.timestamps import PlainText, with_timestamp_text

    project, _ = built
    Span.objects.filter(document__project=project).update(
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        updated_at=datetime(2026, 1, 2, 3, 4, 5, 250000, tzinfo=UTC),
    )
    iso, _ = read(project)
    assert b",2026-01-02T03:04:05+00:00,2026-01-02T03:04:05.250000+00:00," in iso
    query, finish = with_timestamp_text(Span.objects.all())
    plain = isinstance(query.query.annotations["created_text"], PlainText)
    assert plain == (connection.vendor in ("sqlite", "postgresql"))
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for style in ("SQL, DMY", "Postgres, MDY", "German"):
            cursor.execute(f"SET DateStyle = '{style}'")
            query, finish = with_timestamp_text(Span.objects.all())
            assert not isinstance(query.query.annotations["created_text"], PlainText)
            assert read(project)[0] == iso, style
        cursor.execute("SET DateStyle = 'ISO, MDY'")
