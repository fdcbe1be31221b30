"""Reading numbers from query strings and forms: one home, one rule, one answer (400).

A number in a request is ASCII digits only and no larger than a database id
can be. ``str.isdigit`` is not that rule: it is true for "²" and "٣", which
``int()`` then refuses or reads, and an id past 2**63 - 1 makes PostgreSQL
fail the query; both were server errors. Every view reads its numbers here,
and ``middleware.BadParameterMiddleware`` turns a refusal into 400 with the message.
"""

from __future__ import annotations

from collections.abc import Mapping

#: The largest id a database row can have (PostgreSQL bigint).
MAX_ID = 2**63 - 1
NOT_A_NUMBER = "“{name}” must be a whole number written with the digits 0-9, not “{value}”."
TOO_LARGE = "“{name}” is too large: {value}."
MISSING = "“{name}” is missing."


class BadParameter(ValueError):
    """A request parameter that is not what the view needs; str(error) says why."""


def _number(name: str, raw: str, maximum: int) -> int:
    value = raw.strip()
    if not (value.isascii() and value.isdecimal()):
        raise BadParameter(NOT_A_NUMBER.format(name=name, value=_shown(value)))
    number = int(value)
    if number > maximum:
        raise BadParameter(TOO_LARGE.format(name=name, value=_shown(value)))
    return number


def _shown(value: str) -> str:
    return value if len(value) <= 40 else value[:39] + "…"


def optional_number(params: Mapping[str, str], name: str, *, maximum: int = MAX_ID) -> int | None:
    """Return the parameter as a number, None when absent or empty, or raise BadParameter."""
    raw = params.get(name, "")
    if raw is None or not str(raw).strip():
        return None
    return _number(name, str(raw), maximum)


def required_number(params: Mapping[str, str], name: str, *, maximum: int = MAX_ID) -> int:
    number = optional_number(params, name, maximum=maximum)
    if number is None:
        raise BadParameter(MISSING.format(name=name))
    return number


def number_list(params, name: str, *, maximum: int = MAX_ID) -> list[int]:
    """Return every value of a repeated parameter (``?students=1&students=2``) as numbers."""
    return [_number(name, raw, maximum) for raw in params.getlist(name) if raw.strip()]


def is_id(value: str) -> bool:
    """Whether value is written as an id is: ASCII digits, within a database id's range."""
    return value.isascii() and value.isdecimal() and int(value) <= MAX_ID
