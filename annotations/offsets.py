"""Text normalisation and offset arithmetic (pure: no Django, no database).

Offsets everywhere in herlens are Unicode code points into the normalised text,
with ``end`` exclusive, so ``text[start:end]`` is a span's text in Python, in the
API and in every export. Browsers count UTF-16 code units: static/herlens.js
converts a selection to code points before it is sent, so no offset reaching
the server is in UTF-16.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

LINE_BREAKS = ("\r\n", "\r", "\u2028", "\u2029", "\x85")


class OffsetError(ValueError):
    """Offsets that do not describe a span of the text; the message says why."""


def normalise_text(text: str) -> str:
    """Return text in NFC with "\\n" line endings and no byte-order mark."""
    if text.startswith("\ufeff"):
        text = text[1:]
    for line_break in LINE_BREAKS:
        if line_break in text:
            text = text.replace(line_break, "\n")
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True, slots=True)
class Quote:
    """A TextQuoteSelector: the exact text with a little context either side."""

    exact: str
    prefix: str
    suffix: str


def quote_for(text: str, start: int, end: int, context: int = 32) -> Quote:
    """Return the quote of text[start:end] with up to ``context`` characters around it."""
    check_range(text, start, end)
    return Quote(
        exact=text[start:end],
        prefix=text[max(0, start - context) : start],
        suffix=text[end : end + context],
    )


def check_range(text: str, start: int, end: int) -> None:
    """Raise OffsetError unless 0 <= start < end <= len(text)."""
    if isinstance(start, bool) or isinstance(end, bool):
        raise OffsetError("offsets must be whole numbers")
    if start < 0:
        raise OffsetError(f"start {start} is negative")
    if end <= start:
        raise OffsetError(f"end {end} must be greater than start {start}")
    if end > len(text):
        raise OffsetError(f"end {end} is past the end of the document ({len(text)} characters)")


def check_quote(text: str, start: int, end: int, quote: str) -> None:
    """Raise OffsetError unless text[start:end] is exactly quote (after normalising it)."""
    check_range(text, start, end)
    actual = text[start:end]
    expected = normalise_text(quote)
    if actual != expected:
        raise OffsetError(
            f"the selected text does not match the document at {start}-{end}: "
            f"expected {_preview(expected)}, the document has {_preview(actual)}. "
            "Reload the page: the document may have changed."
        )


def _preview(value: str, limit: int = 40) -> str:
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return repr(value)
