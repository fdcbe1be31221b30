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


# ---- grapheme boundaries (what a reader sees as one character) ---------------------------
# The rules of Unicode's extended grapheme clusters (UAX #29) that decide the text people
# annotate: combining marks, emoji modifiers and ZWJ sequences, flags (regional indicator
# pairs), CR LF and Hangul jamo. The browser snaps a selection with Intl.Segmenter; the API
# refuses a span that a reader could not have selected.
SPLITS_A_CHARACTER = (
    "the span {side} inside the character {character}: offsets must fall between characters "
    "as a reader sees them (a flag, an emoji with its skin tone or an accented letter is one)"
)
_ZWJ = "\u200d"
_EMOJI_MODIFIERS = range(0x1F3FB, 0x1F400)
_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)
_HANGUL_L, _HANGUL_V, _HANGUL_T = (
    range(0x1100, 0x1160),
    range(0x1160, 0x11A8),
    range(0x11A8, 0x1200),
)
_HANGUL_SYLLABLES = range(0xAC00, 0xD7A4)
#: The first code point that can join a neighbour into one character (U+0300, a combining
#: accent); every rule below concerns code points from here on.
_FIRST_JOINING = "\u0300"


def _extends(char: str) -> bool:
    """Whether char attaches to the character before it (Extend, SpacingMark or ZWJ)."""
    code = ord(char)
    return (
        char == _ZWJ
        or unicodedata.category(char) in ("Mn", "Me", "Mc")
        or code in _EMOJI_MODIFIERS
        or 0xE0020 <= code <= 0xE007F  # emoji tag sequences (subdivision flags)
    )


def _hangul_joins(before: str, after: str) -> bool:
    b, a = ord(before), ord(after)
    lv = b in _HANGUL_SYLLABLES and (b - 0xAC00) % 28 == 0
    lvt = b in _HANGUL_SYLLABLES and not lv
    if b in _HANGUL_L:
        return a in _HANGUL_L or a in _HANGUL_V or a in _HANGUL_SYLLABLES
    if lv or b in _HANGUL_V:
        return a in _HANGUL_V or a in _HANGUL_T
    if lvt or b in _HANGUL_T:
        return a in _HANGUL_T
    return False


def is_grapheme_boundary(text: str, index: int) -> bool:
    """Return whether a reader's cursor can stand at code point ``index`` of text."""
    if index <= 0 or index >= len(text):
        return True
    before, after = text[index - 1], text[index]
    if before == "\r" and after == "\n":
        return False
    if before in "\r\n" or after in "\r\n":
        return True
    if before < _FIRST_JOINING and after < _FIRST_JOINING:
        return True  # most text: nothing below U+0300 joins what is beside it
    if _extends(after):
        return False
    if before == _ZWJ:
        return False  # emoji ZWJ sequences (family, profession) are one character
    if _hangul_joins(before, after):
        return False
    if ord(before) in _REGIONAL_INDICATORS and ord(after) in _REGIONAL_INDICATORS:
        run = 0
        while index - run - 1 >= 0 and ord(text[index - run - 1]) in _REGIONAL_INDICATORS:
            run += 1
        return run % 2 == 0  # flags pair up from the start of the run
    return True


def is_plain_span(text: str, start: int, end: int) -> bool:
    """Return whether [start, end) surely passes check_range, check_graphemes and is not blank.

    The quick test an import runs on each of thousands of spans: whole-number offsets
    in order inside the text, each end between two characters below U+0300 (which
    never join), the words not all whitespace. False only means "not surely": the full
    checks then decide, and word the error.
    """
    if not (type(start) is int and type(end) is int and 0 <= start < end <= len(text)):
        return False
    around_start = text[start - 1 : start + 1] if start else ""
    around_end = text[end - 1 : end + 1]
    return (
        (not around_start or max(around_start) < _FIRST_JOINING)
        and max(around_end) < _FIRST_JOINING
        and "\r\n" not in (around_start, around_end)
        and not text[start:end].isspace()
    )


def check_graphemes(text: str, start: int, end: int) -> None:
    """Raise OffsetError if start or end falls inside a character as a reader sees it."""
    for side, offset in (("starts", start), ("ends", end)):
        if not is_grapheme_boundary(text, offset):
            raise OffsetError(
                SPLITS_A_CHARACTER.format(side=side, character=repr(_cluster_at(text, offset)))
            )


def _cluster_at(text: str, offset: int) -> str:
    first = offset
    while first > 0 and not is_grapheme_boundary(text, first):
        first -= 1
    last = offset
    while last < len(text) and not is_grapheme_boundary(text, last):
        last += 1
    return text[first:last]
