"""The one error every service raises, and the messages more than one service uses.

A service that refuses a write raises ``DomainError`` whose text is meant for the
person who asked (views show it as it is, the API returns it as the detail); the
messages are module constants so tests can assert the words.
"""

from __future__ import annotations


class DomainError(ValueError):
    """A write that breaks a rule of the domain; str(error) is meant for the user."""


TAG_OF_OTHER_PROJECT = "The tag “{tag}” belongs to another project."
WHITESPACE_ONLY = "The selection holds only spaces or line breaks: select some words to tag."
EMPTY_TEXT = "The document has no text: paste or type the essay first."
EMPTY_TITLE = "Give the document a title."
NUL_CHARACTER = "The text holds the NUL character (\\u0000), which cannot be stored; remove it."
