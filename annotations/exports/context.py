"""Where a span sits in its text: its sentence and its paragraph (pure).

A small rule-based sentence splitter is enough here, and needs no trained
model: a sentence ends at ``.``, ``!``, ``?`` or ``…`` (with any closing quotes
or brackets) followed by white space, except after a common abbreviation or a
single initial; a paragraph break always ends a sentence. Paragraphs are the
same as on the annotate page, so ``paragraph_index`` names the paragraph a
reader sees there (counted from 0).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from annotations.rendering import paragraph_bounds

_ABBREVIATIONS = (
    *("mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "eg", "ie", "cf", "al"),
    *("fig", "no", "vol", "pp", "ch", "ed", "eds", "approx", "dept"),
)
# One pass of one expression finds every sentence end: a full stop counts only
# when it does not close a known abbreviation, a single initial ("J.") or a
# dotted one ("e.g."). Look-behinds must be fixed-width, so there is one per
# abbreviation length. The expression starts with the end mark itself, so the
# scan skips straight to the next one; the look-behinds only run there.
_BY_LENGTH: dict[int, list[str]] = {}
for _word in _ABBREVIATIONS:
    _BY_LENGTH.setdefault(len(_word), []).append(_word)
_NOT_ABBREVIATION = "".join(
    rf"(?<!\b(?:{'|'.join(words)})\.)" for _length, words in sorted(_BY_LENGTH.items())
)
_SENTENCE_END = re.compile(
    rf"[.!?…](?:(?<=\.)(?<!\b[^\W\d_]\.)(?<!\.[^\W\d_]\.){_NOT_ABBREVIATION}|(?<=[!?…]))"
    r"[.!?…]*[\"'”’»)\]]*(?=\s)",
    re.IGNORECASE,
)
_MATCH_END = re.Match.end


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """Return (start, end) of each sentence of text, white space around it excluded."""
    bounds: list[tuple[int, int]] = []
    for _gap, p_start, p_end in paragraph_bounds(text):
        start = p_start
        for match in _SENTENCE_END.finditer(text, p_start, p_end):
            _append(bounds, text, start, match.end())
            start = match.end()
        _append(bounds, text, start, p_end)
    return bounds


def _append(bounds: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        bounds.append((start, end))


@dataclass(frozen=True, slots=True)
class SpanContext:
    """The sentence(s) a span lies in and the index of its paragraph."""

    sentence: str
    paragraph_index: int


class TextContext:
    """Answer "which sentence, which paragraph" for many spans of one text."""

    def __init__(self, text: str) -> None:
        self.text = text
        paragraphs = paragraph_bounds(text)
        self._paragraph_starts = [start for _gap, start, _end in paragraphs]
        # Every place a sentence may begin or end: paragraph edges and sentence ends.
        # One scan of the whole text finds the same ends as one per paragraph (the
        # blank lines between paragraphs hold none); an end it finds just before a
        # paragraph break only repeats that paragraph's end, and ``locate`` reads values.
        breaks = list(map(_MATCH_END, _SENTENCE_END.finditer(text)))
        breaks += [edge for _gap, p_start, p_end in paragraphs for edge in (p_start, p_end)]
        breaks += (0, len(text))
        breaks.sort()
        self._breaks = breaks

    def for_span(self, start: int, end: int) -> SpanContext:
        """Return the context of [start, end); a span across sentences gets all of them.

        Offsets past the end of the text (a span written before its text was cut
        outside the revision path) are held to the text rather than failing the export.
        """
        return SpanContext(*self.locate(start, end))

    def locate(self, start: int, end: int) -> tuple[str, int]:
        """Return (sentence, paragraph index) of [start, end), as ``for_span`` does.

        The export calls this once per span: a tuple, not an object.
        """
        text = self.text
        if not 0 <= start <= end <= len(text):
            start, end = min(max(0, start), len(text)), min(max(0, end), len(text))
        breaks = self._breaks
        low = breaks[bisect_right(breaks, start) - 1]
        # The last break is len(text), so an end inside the text always finds one.
        high = breaks[bisect_left(breaks, end)]
        while low < start and text[low].isspace():
            low += 1
        while high > end and text[high - 1].isspace():
            high -= 1
        return text[low:high], max(0, bisect_right(self._paragraph_starts, start) - 1)
