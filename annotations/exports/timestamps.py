"""Timestamps as every export format writes them: ISO 8601 text in UTC.

The database writes each timestamp as text in the cheapest form that holds it
exactly (``PlainText``), and the export turns each distinct text into ISO 8601
once: reading two datetimes per row only to format them again cost a third of an
export's time, and formatting them in SQL (``IsoText``) cost PostgreSQL about as
much as the rest of the span query (20 ms per 20,000 spans), where the spans of
an import share one stamp.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.db.models import Func, QuerySet, TextField

from annotations.models import Span


def with_timestamp_text(spans: QuerySet[Span]) -> tuple[QuerySet[Span], Callable[[str], str]]:
    """Add the span's timestamps as created_text/updated_text; return the query and the finish.

    ``finish`` turns one of those values into ISO 8601 text in UTC, as
    ``datetime.isoformat`` writes it ("2026-12-01T06:40:00.123456+00:00",
    microseconds left out when they are 0); the export calls it once per distinct value.
    """
    finish = _plain_finish()
    expression = IsoText if finish is None else PlainText
    annotated = spans.annotate(
        created_text=expression("created_at"), updated_text=expression("updated_at")
    )
    return annotated, finish or str


def _plain_finish() -> Callable[[str], str] | None:
    """Return how to finish this database's plain text of a timestamp; None: write it in SQL.

    SQLite stores "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC (USE_TZ). PostgreSQL writes
    "YYYY-MM-DD HH:MM:SS[.f...]+00" when its DateStyle is ISO and its time zone UTC
    (Django sets UTC on its connections); the server reports both to the driver, so
    they are read without a query. Any other DateStyle or zone: ``IsoText``.
    """
    if connection.vendor == "sqlite":
        return _sqlite_finish
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        status = connection.connection.info.parameter_status
        if (status("DateStyle") or "").startswith("ISO") and status("TimeZone") in _UTC:
            return _postgresql_finish
    return None


_UTC = ("UTC", "Etc/UTC")


def _sqlite_finish(value: str) -> str:
    return value.replace(" ", "T") + "+00:00"


def _postgresql_finish(value: str) -> str:
    # PostgreSQL drops the fraction's trailing zeros ("06:40:00.1234+00"); isoformat keeps six.
    whole, dot, fraction = value[:-3].replace(" ", "T").partition(".")
    return f"{whole}.{fraction:0<6}+00:00" if dot else whole + "+00:00"


class PlainText(Func):
    """A timestamp as text the way the database writes it plainly (see ``_plain_finish``)."""

    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="CAST(%(expressions)s AS TEXT)", **extra_context
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="(%(expressions)s)::text", **extra_context
        )


class IsoText(Func):
    """A UTC timestamp as ISO 8601 text ("2026-12-01T06:40:00.123456+00:00"), in SQL.

    Microseconds are left out when they are 0, as ``datetime.isoformat`` does.
    """

    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite stores "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC (USE_TZ) already.
        return self.as_sql(
            compiler,
            connection,
            template="REPLACE(CAST(%(expressions)s AS TEXT), ' ', 'T') || '+00:00'",
            **extra_context,
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template=(
                "TO_CHAR(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
                "CASE WHEN MOD(DATE_PART('microseconds', %(expressions)s)::bigint, 1000000) = 0 "
                "THEN '' ELSE TO_CHAR(%(expressions)s AT TIME ZONE 'UTC', '.US') END || '+00:00'"
            ),
            **extra_context,
        )
