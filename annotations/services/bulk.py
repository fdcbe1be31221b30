"""Writing many rows at once with plain SQL, for the writes that move thousands of them.

A revision moves every span of a document and records each move; Django's
bulk_update (CASE expressions) and bulk_create (an object per row) cost several
times more than one executemany of a plain statement.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import F

#: Added to offsets while rows are moved, so no two rows ever share a place mid-update.
_PARKING_OFFSET = 1 << 30


def insert_rows(model: type, rows: list[dict]) -> None:
    """INSERT rows (field name -> value) with one executemany; bulk_create builds far
    more per row, and a revision writes a history row for every span it moves."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in rows[0]]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"
    params = [
        [field.get_db_prep_save(row[field.name], connection) for field in fields] for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def write_rows(model: type, rows: list, fields: list[str]) -> None:
    """UPDATE each row's fields, in two passes so that no unique place is shared midway.

    Rows are first moved out of the way (offsets far past any text), then to their
    places. executemany of one plain UPDATE is many times quicker than bulk_update's
    CASE expressions for thousands of rows.
    """
    if not rows:
        return
    ids = [row.pk for row in rows]
    for batch in range(0, len(ids), 500):
        model._base_manager.filter(pk__in=ids[batch : batch + 500]).exclude(start=None).update(
            start=F("start") + _PARKING_OFFSET, end=F("end") + _PARKING_OFFSET
        )
    model_fields = [model._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in model_fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"
    params = [
        [field.get_db_prep_save(getattr(row, field.attname), connection) for field in model_fields]
        + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
