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
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

#: Stand-in values, each of which must come back once among the SQL's values. Within the range of
#: a 32-bit column, or the ORM would find a comparison with them always false (or true) and drop
#: it; a real value equal to one does not matter, they are only looked for while compiling.
_FIRST_STAND_IN = 2_146_000_001


class CompiledQuery:
    """A values_list queryset of a fixed shape, compiled once and run with new values.

    ``build(**values)`` makes the queryset; every value must reach the SQL as a parameter
    of its own (ids compared with =), not be folded into the SQL's text or transformed.
    """

    def __init__(self, build: Callable[..., QuerySet], *names: str) -> None:
        self._build = build
        self._names = names
        # A compiler belongs to one connection, and a connection to one thread.
        self._local = threading.local()

    def rows(self, **values: int) -> list[list[Any]]:
        connection = connections[DEFAULT_DB_ALIAS]
        compiled = getattr(self._local, "compiled", None)
        if compiled is None or compiled.connection is not connection:
            compiled = self._local.compiled = _Compiled(self._build, self._names, connection)
        return compiled.run(values)


class _Compiled:
    def __init__(self, build: Callable[..., QuerySet], names: tuple[str, ...], connection) -> None:
        stand_ins = {name: _FIRST_STAND_IN + n for n, name in enumerate(names)}
        compiler = build(**stand_ins).query.get_compiler(connection=connection)
        self.sql, params = compiler.as_sql()
        by_value = {value: name for name, value in stand_ins.items()}
        # Each value: (None, the constant) or (its name, the type to give it): the backend may
        # wrap integers in a type of its own (psycopg's Int4 for 32-bit columns).
        self.slots = [
            (by_value[int(param)], type(param))
            if isinstance(param, int) and not isinstance(param, bool) and int(param) in by_value
            else (None, param)
            for param in params
        ]
        placed = sorted(name for name, _value in self.slots if name is not None)
        if placed != sorted(names):
            raise ValueError(f"Each of {names} must be one parameter of the SQL: {self.sql}")
        self.connection = connection
        self.compiler = compiler
        self.converters = compiler.get_converters(
            [column[0] for column in compiler.select[: compiler.col_count]]
        )

    def run(self, values: dict[str, int]) -> list[list[Any]]:
        params = [value if name is None else value(values[name]) for name, value in self.slots]
        with self.connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if not self.converters:
            return [list(row) for row in rows]
        return list(self.compiler.apply_converters(rows, self.converters))
