"""What every export format reads of a document and its spans (pure: plain values)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple


class EachOnce(dict[str, str]):
    """``make`` of each value, worked out once (a miss calls it): for values that repeat
    down an export, such as a tag's cell or the timestamp shared by an import's spans."""

    def __init__(self, make: Callable[[str], str]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, value: str) -> str:
        done = self[value] = self.make(value)
        return done


class SpanRow(NamedTuple):
    """One span as every format reads it; a tuple, so the CSV unpacks it in one step."""

    id: int
    #: None for an orphan.
    start: int | None
    end: int | None
    tag: str
    tag_slug: str
    annotator: str
    origin: str
    note: str
    is_reference: bool
    #: ISO 8601 in UTC, as every format writes them.
    created_at: str
    updated_at: str
    #: exact, changed or orphaned (annotations.models.AnchorState).
    anchor: str = "exact"
    #: An orphan's words (it has no place in the text to slice them from); else "".
    orphan_quote: str = ""

    def text_in(self, text: str) -> str:
        """Return the span's words: text[start:end], or an orphan's old words."""
        return self.orphan_quote if self.start is None else text[self.start : self.end]


def span_fields(span: SpanRow) -> dict[str, Any]:
    """Return what JSON-shaped exports say of a span beyond its offsets and text."""
    return {
        "tag": span.tag,
        "tag_slug": span.tag_slug,
        "annotator": span.annotator,
        "origin": span.origin,
        "note": span.note,
        "is_reference": span.is_reference,
        "anchor": span.anchor,
    }


@dataclass(slots=True)
class DocumentRow:
    id: int
    title: str
    author: str
    source: str
    text: str
    metadata: dict[str, Any]
    #: None when read with ``text_only`` (as are author, source and metadata: empty).
    created_at: datetime | None
    #: The revision whose text this is.
    revision: int = 1
    spans: list[SpanRow] = field(default_factory=list)
    #: False for an older revision read from its snapshot (``ExportFilter.revision``).
    current: bool = True
    #: The breaks the document stores of its text (annotations.sentences), if read.
    sentence_breaks: bytes | memoryview | None = None
