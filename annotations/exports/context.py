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
from bisect import bisect_right
from dataclasses import dataclass

from annotations.rendering import paragraph_bounds

_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)")
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "eg", "ie", "cf", "al"}
    | {"fig", "no", "vol", "pp", "ch", "ed", "eds", "approx", "dept"}
)
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """Return (start, end) of each sentence of text, white space around it excluded."""
    bounds: list[tuple[int, int]] = []
    for _gap, p_start, p_end in paragraph_bounds(text):
        start = p_start
        for match in _SENTENCE_END.finditer(text, p_start, p_end):
            if _is_abbreviation(text, start, match.start(), match.group()):
                continue
            _append(bounds, text, start, match.end())
            start = match.end()
        _append(bounds, text, start, p_end)
    return bounds


def _is_abbreviation(text: str, sentence_start: int, stop: int, punctuation: str) -> bool:
    if punctuation != ".":
        return False
    word = _WORD_BEFORE.search(text, sentence_start, stop)
    if word is None:
        return False
    token = word.group(1).replace(".", "").lower()
    # "J." or "e.g." or "Dr.": not the end of a sentence.
    return len(token) == 1 or token in _ABBREVIATIONS or "." in word.group(1)


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
        self._sentences = sentence_bounds(text)
        self._sentence_starts = [start for start, _ in self._sentences]
        self._paragraph_starts = [start for _gap, start, _end in paragraph_bounds(text)]

    def for_span(self, start: int, end: int) -> SpanContext:
        """Return the context of [start, end); a span across sentences gets all of them."""
        first = max(0, bisect_right(self._sentence_starts, start) - 1)
        last = max(first, bisect_right(self._sentence_starts, max(start, end - 1)) - 1)
        if self._sentences:
            low = min(self._sentences[first][0], start)
            high = max(self._sentences[last][1], end)
        else:
            low, high = start, end
        paragraph = max(0, bisect_right(self._paragraph_starts, start) - 1)
        return SpanContext(sentence=self.text[low:high], paragraph_index=paragraph)
