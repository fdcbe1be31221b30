"""The one error every service raises, and the messages more than one service uses.

A service that refuses a write raises ``DomainError`` whose text is meant for the
person who asked (views show it as it is, the API returns it as the detail); the
messages are module constants so tests can assert the words.
"""

from __future__ import annotations

from typing import Any


class DomainError(ValueError):
    """A write that breaks a rule of the domain; str(error) is meant for the user."""


TAG_OF_OTHER_PROJECT = "The tag “{tag}” belongs to another project."
WHITESPACE_ONLY = "The selection holds only spaces or line breaks: select some words to tag."
EMPTY_TEXT = "The document has no text: paste or type the essay first."
EMPTY_TITLE = "Give the document a title."
NUL_CHARACTER = "The text holds the NUL character (\\u0000), which cannot be stored; remove it."


# Writes that race. Every editable object carries a ``version`` that each edit counts up; a
# client sends the version it saw, and if the object moved on meanwhile the write is refused
# with ``EditConflict`` (409) and the current state, so the person can keep theirs or apply
# their own on top. An object deleted meanwhile gives ``Gone`` (404).

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


class Gone(Exception):
    """The object was deleted by another request between reading and writing it."""


class EditConflict(Exception):
    """The object changed since the client read it; ``current`` is what is stored now."""

    def __init__(self, message: str, current: Any) -> None:
        super().__init__(message)
        self.current = current
