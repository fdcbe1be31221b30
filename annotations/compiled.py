"""Queries asked on nearly every request, turned into SQL once per connection.

Turning a queryset with joins into SQL costs the ORM about a millisecond, several
times what the database then takes to answer it; for the lookups every span
action makes, that was a large share of the request. ``CompiledQuery`` has the
ORM build the SQL once, with stand-in values, and runs it afterwards with the
real ones. The query stays the ORM's own (managers, joins, the database's
dialect, the fields' conversions of what comes back); only its compilation is
not repeated.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

#: Stand-in values, each of which must come back once among the SQL's values. Within the range of
#: a 32-bit column, or the ORM would find a comparison with them always false (or true) and drop
#: it; a real value equal to one does not matter, they are only looked for while compiling.
_FIRST_STAND_IN = 2_146_000_001
#: Text and moments have stand-ins of their own kind, which no real value takes either.
_TEXT_STAND_IN = "\x00stand-in {}\x00"
_FIRST_MOMENT = datetime(1901, 2, 3, 4, 5, 6, 789_001, tzinfo=UTC)


class CompiledQuery:
    """A values_list queryset of a fixed shape, compiled once and run with new values.

    ``build(**values)`` makes the queryset; every value must reach the SQL as a parameter
    of its own (ids compared with =), not be folded into the SQL's text or transformed.
    Values are integers, but those named in ``text`` (strings compared with =) and in
    ``moments`` (aware datetimes compared with a datetime column).
    """

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *names: str,
        text: tuple[str, ...] = (),
        moments: tuple[str, ...] = (),
    ) -> None:
        self._build = build
        self._names = (names, text, moments)
        # A compiler belongs to one connection, and a connection to one thread.
        self._local = threading.local()

    def rows(self, **values: Any) -> list[list[Any]]:
        connection = connections[DEFAULT_DB_ALIAS]
        compiled = getattr(self._local, "compiled", None)
        if compiled is None or compiled.connection is not connection:
            compiled = self._local.compiled = _Compiled(self._build, self._names, connection)
        return compiled.run(values)


class _Compiled:
    def __init__(
        self,
        build: Callable[..., QuerySet],
        names: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]],
        connection,
    ) -> None:
        numbers, text, moments = names
        stand_ins: dict[str, Any] = {name: _FIRST_STAND_IN + n for n, name in enumerate(numbers)}
        stand_ins |= {name: _TEXT_STAND_IN.format(n) for n, name in enumerate(text)}
        stand_ins |= {name: _FIRST_MOMENT + timedelta(days=n) for n, name in enumerate(moments)}
        compiler = build(**stand_ins).query.get_compiler(connection=connection)
        self.sql, params = compiler.as_sql()
        self.slots = [_slot(param, stand_ins, connection) for param in params]
        placed = sorted(name for name, _value in self.slots if name is not None)
        if placed != sorted(stand_ins):
            raise ValueError(
                f"Each of {sorted(stand_ins)} must be one parameter of the SQL: {self.sql}"
            )
        self.connection = connection
        self.compiler = compiler
        self.converters = compiler.get_converters(
            [column[0] for column in compiler.select[: compiler.col_count]]
        )

    def run(self, values: dict[str, Any]) -> list[list[Any]]:
        params = [value if name is None else value(values[name]) for name, value in self.slots]
        with self.connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if not self.converters:
            return [list(row) for row in rows]
        return list(self.compiler.apply_converters(rows, self.converters))


def _slot(param: Any, stand_ins: dict[str, Any], connection) -> tuple[str | None, Any]:
    """(None, the constant) or (the value's name, what turns a value into the parameter):
    the backend may wrap integers in a type of its own (psycopg's Int4 for 32-bit columns),
    and writes a datetime its own way (SQLite: as text, in UTC)."""
    adapt = connection.ops.adapt_datetimefield_value
    for name, stand_in in stand_ins.items():
        if isinstance(stand_in, int):
            if isinstance(param, int) and not isinstance(param, bool) and int(param) == stand_in:
                return name, type(param)
        elif isinstance(stand_in, str):
            if isinstance(param, str) and param == stand_in:
                return name, str
        elif type(param) is type(adapt(stand_in)) and param == adapt(stand_in):
            return name, adapt
    return None, param
