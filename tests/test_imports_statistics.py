"""After an import, PostgreSQL's planner statistics are refreshed when they are out of date.

Out of date by autovacuum's own rule: the rows added since the last ANALYZE beyond a
threshold plus a share of the rows the statistics know. A small import into a large
table is left to that rule; the first import, or a large one, is analyzed at once.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import Document, Span
from annotations.services import imports
from annotations.services.imports import import_files, stale_tables, statistics_out_of_date

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="planner statistics are PostgreSQL's"
)


@pytest.mark.parametrize(
    ("known", "changed", "out_of_date"),
    [
        (-1, 1, True),  # never analyzed
        (100_000, 1_000, False),  # 1% more rows: no plan changes
        (100_000, 10_050, False),  # exactly at the threshold
        (100_000, 10_051, True),
        (0, 51, True),  # analyzed empty, now holds rows
        (0, 10, False),  # a handful of rows: autovacuum would wait too
    ],
)
def test_statistics_are_out_of_date_by_autovacuum_s_rule(known, changed, out_of_date):
    assert statistics_out_of_date(known, changed, threshold=50, share=0.1) is out_of_date


@on_postgresql
@pytest.mark.django_db
def test_an_import_far_beyond_the_known_rows_makes_both_tables_stale():
    assert stale_tables({Document: 10**9, Span: 10**9}) == {Document, Span}


def _import(project, owner, tmp_path, name: str) -> list[str]:
    (tmp_path / name).write_text("An essay about a film.", "utf-8")
    with CaptureQueriesContext(connection) as queries:
        [result] = import_files(
            project=project,
            user=owner,
            sources=[(name, (tmp_path / name).read_bytes())],
        )
    assert result.documents == 1
    return [query["sql"] for query in queries if query["sql"].startswith("ANALYZE")]


@on_postgresql
def test_only_the_stale_tables_are_analyzed(project, owner, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "stale_tables", lambda added: {Span})
    [analyze] = _import(project, owner, tmp_path, "a.txt")
    assert '"annotations_span"' in analyze
    assert '"annotations_document"' not in analyze


@on_postgresql
def test_nothing_is_analyzed_while_the_statistics_are_close_enough(
    project, owner, tmp_path, monkeypatch
):
    seen = {}

    def nothing_stale(added):
        seen.update(added)
        return set()

    monkeypatch.setattr(imports, "stale_tables", nothing_stale)
    assert _import(project, owner, tmp_path, "b.txt") == []
    assert seen == {Document: 1, Span: 0}  # what the import added, table by table
