"""JSON Lines: one document per line, as herlens's JSONL export writes them.

Each line is an object with ``title`` and ``text`` and optionally ``author``,
``source``, ``metadata`` and ``spans`` (each with ``start``/``end`` in code
points and ``tag``; ``note``, ``origin``, ``annotator`` and ``text`` may
follow). A span's ``text``, when given, must equal the document's text at its
offsets, so offsets counted in another unit are caught, not imported wrong.
"""

from __future__ import annotations

import json
from typing import Any

from annotations.imports.base import ParsedDocument, ParsedSpan, Rejected
from annotations.imports.encoding import decode
from annotations.offsets import normalise_text

ORIGINS = ("manual", "suggestion")


def parse(name: str, data: bytes) -> list[ParsedDocument]:
    # Not normalised here: offsets count into each text as written, so a text
    # that normalising would change is caught per line below.
    text = decode(data, normalise=False)
    documents = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise Rejected(f"line {number} is not valid JSON ({error.msg})") from None
        documents.append(_document(item, number))
    if not documents:
        raise Rejected("the file has no lines with documents")
    return documents


def _document(item: Any, number: int) -> ParsedDocument:
    where = f"line {number}"
    if not isinstance(item, dict):
        raise Rejected(f"{where} is not a JSON object with a title and a text")
    title, text = item.get("title"), item.get("text")
    if not isinstance(title, str) or not title.strip():
        raise Rejected(f"{where} has no “title”")
    if not isinstance(text, str) or not text.strip():
        raise Rejected(f"{where} has no “text”")
    metadata = item.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise Rejected(f"{where}: “metadata” must be an object")
    raw_spans = item.get("spans") or []
    if not isinstance(raw_spans, list):
        raise Rejected(f"{where}: “spans” must be a list")
    if raw_spans and normalise_text(text) != text:
        raise Rejected(
            f"{where}: the text is not in the normal form herlens stores (Unicode NFC with "
            "\\n line breaks), so the span offsets would point at the wrong characters; "
            "normalise the text and its offsets first"
        )
    spans = [_span(raw, text, f"{where}, span {index}") for index, raw in enumerate(raw_spans, 1)]
    return ParsedDocument(
        title=title.strip(),
        text=text,
        author=_string(item.get("author")),
        source=_string(item.get("source")),
        metadata=metadata,
        spans=spans,
    )


def _span(raw: Any, text: str, where: str) -> ParsedSpan:
    if not isinstance(raw, dict):
        raise Rejected(f"{where} is not an object with start, end and tag")
    start, end = raw.get("start"), raw.get("end")
    tag = raw.get("tag") or raw.get("tag_slug")
    for key, value in (("start", start), ("end", end)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise Rejected(f"{where}: “{key}” must be a whole number (a code-point offset)")
    if not isinstance(tag, str) or not tag.strip():
        raise Rejected(f"{where} has no “tag”")
    quoted = raw.get("text")
    if isinstance(quoted, str) and 0 <= start < end <= len(text) and text[start:end] != quoted:
        raise Rejected(
            f"{where}: the text at {start}-{end} is {text[start:end][:40]!r}, not {quoted[:40]!r}; "
            "are the offsets counted in code points?"
        )
    origin = raw.get("origin") or "manual"
    if origin not in ORIGINS:
        raise Rejected(f"{where}: origin must be “manual” or “suggestion”, not {origin!r}")
    return ParsedSpan(
        start=start,
        end=end,
        tag=tag.strip(),
        tag_slug=_string(raw.get("tag_slug")),
        note=_string(raw.get("note")),
        origin=origin,
        annotator=_string(raw.get("annotator")),
    )


def _string(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
