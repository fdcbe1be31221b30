"""Where a span sits in its text: its sentence and its paragraph (pure).

The sentences are annotations.sentences's. Paragraphs are the same as on the
annotate page, so ``paragraph_index`` names the paragraph a reader sees there
(counted from 0).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from annotations.sentences import scan_breaks, stored_breaks


@dataclass(frozen=True, slots=True)
class SpanContext:
    """The sentence(s) a span lies in and the index of its paragraph."""

    sentence: str
    paragraph_index: int


class TextContext:
    """Answer "which sentence, which paragraph" for many spans of one text."""

    def __init__(self, text: str, stored: bytes | memoryview | None = None) -> None:
        """``stored``: the breaks the document keeps of this text (``sentences.text_breaks``).

        Without them, or with breaks of another text or version, the text is scanned.
        """
        self.text = text
        found = stored_breaks(stored, text) if stored is not None else None
        # Every place a sentence may begin or end, and where each paragraph starts.
        self._breaks, self._paragraph_starts = found or scan_breaks(text)

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
