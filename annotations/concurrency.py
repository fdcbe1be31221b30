"""Writes that race: the answers a stale or vanished object gets, and If-Match parsing.

Every editable object carries a ``version`` that each edit increments. A client
sends the version it saw (a hidden field on the page, ``If-Match`` or ``version``
in the API); if the object moved on meanwhile the write is refused with
``EditConflict`` (409) and the current state, so the person can keep theirs or
apply their own on top. An object deleted meanwhile gives ``Gone`` (404).
"""

from __future__ import annotations

import re
from typing import Any

SPAN_GONE = "This span was deleted meanwhile, perhaps by someone else; nothing was saved."
COMMENT_GONE = "This comment was deleted meanwhile; nothing was saved."
SPAN_CHANGED = (
    "Someone else saved this span after you opened it; "
    "your change was not saved. Keep theirs, or use yours on top of it."
)
COMMENT_CHANGED = (
    "This comment was changed elsewhere after you opened it (another tab?); "
    "your change was not saved."
)
BAD_IF_MATCH = 'If-Match must be the span\'s version as an ETag, such as "3".'

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


class Gone(Exception):
    """The object was deleted by another request between reading and writing it."""


class EditConflict(Exception):
    """The object changed since the client read it; ``current`` is what is stored now."""

    def __init__(self, message: str, current: Any) -> None:
        super().__init__(message)
        self.current = current


def parse_version(raw: str | int | None) -> int | None:
    """Return the version a client sent (``3``, ``"3"``, ``W/"3"``), None if none; raise ValueError."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, int):
        if raw < 1:
            raise ValueError(BAD_IF_MATCH)
        return raw
    match = _ETAG.match(raw)
    if match is None or int(match.group(1)) < 1:
        raise ValueError(BAD_IF_MATCH)
    return int(match.group(1))


def etag(version: int) -> str:
    return f'"{version}"'
