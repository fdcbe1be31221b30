"""JSON Lines: one document per line, as herlens's JSONL export writes them.

Each line is an object with ``title`` and ``text`` and optionally ``author``,
``source``, ``metadata`` and ``spans`` (each with ``start``/``end`` in code
points and ``tag``; ``note``, ``origin``, ``annotator`` and ``text`` may
follow). A span's ``text``, when given, must equal the document's text at its
offsets, so offsets counted in another unit are caught, not imported wrong.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import Any

from annotations.imports.base import ParsedDocument, ParsedSpan, Rejected
from annotations.imports.encoding import decode
from annotations.offsets import normalise_text

ORIGINS = ("manual", "suggestion")
ANCHORS = ("exact", "changed", "orphaned")


def parse(name: str, data: bytes) -> Iterator[ParsedDocument]:
    """Yield the documents line by line, so a large file is never held twice in memory."""
    found = False
    for number, line in _lines(data):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise Rejected(f"line {number} is not valid JSON ({error.msg})") from None
        found = True
        yield _document(item, number)
    if not found:
        raise Rejected("the file has no lines with documents")


def _lines(data: bytes) -> Iterator[tuple[int, str]]:
    """Yield (number, line) of the file, decoding UTF-8 one line at a time.

    Not normalised: offsets count into each text as written, so a text that
    normalising would change is caught per line instead.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = decode(data, normalise=False)
        for number, line in enumerate(text.split("\n"), start=1):
            yield number, line.removesuffix("\r")
        return
    position = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    number = 0
    while position <= len(data):
        end = data.find(b"\n", position)
        if end == -1:
            end = len(data)
        number += 1
        raw = data[position:end].removesuffix(b"\r")
        position = end + 1
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Rejected(f"line {number} is not UTF-8, which JSON Lines files must be") from None


def _document(item: Any, number: int) -> ParsedDocument:
    where = f"line {number}"
    if not isinstance(item, dict):
        raise Rejected(f"{where} is not a JSON object with a title and a text")
    title, text = item.get("title"), item.get("text")
    if not isinstance(title, str) or not title.strip():
        raise Rejected(f"{where} has no “title”")
    if not isinstance(text, str) or not text.strip():
        raise Rejected(f"{where} has no “text”")
    if "\x00" in text or "\x00" in title:
        raise Rejected(f"{where}: the text holds the NUL character (\\u0000); remove it")
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
    anchor = raw.get("anchor") or "exact"
    if anchor not in ANCHORS:
        raise Rejected(f"{where}: anchor must be exact, changed or orphaned, not {anchor!r}")
    if anchor == "orphaned":
        return _orphan(raw, tag, where)
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
        is_reference=raw.get("is_reference") is True,
        anchor=anchor,
    )


def _orphan(raw: dict, tag: Any, where: str) -> ParsedSpan:
    """An orphan of an exported revision: no offsets, its old words in ``text``."""
    if raw.get("start") is not None or raw.get("end") is not None:
        raise Rejected(f"{where}: an orphaned span has no start and end (null)")
    quoted = raw.get("text")
    if not isinstance(quoted, str) or not quoted.strip():
        raise Rejected(f"{where}: an orphaned span needs the words it had in “text”")
    if not isinstance(tag, str) or not tag.strip():
        raise Rejected(f"{where} has no “tag”")
    origin = raw.get("origin") or "manual"
    if origin not in ORIGINS:
        raise Rejected(f"{where}: origin must be “manual” or “suggestion”, not {origin!r}")
    return ParsedSpan(
        start=None,
        end=None,
        tag=tag.strip(),
        tag_slug=_string(raw.get("tag_slug")),
        note=_string(raw.get("note")),
        origin=origin,
        annotator=_string(raw.get("annotator")),
        is_reference=raw.get("is_reference") is True,
        anchor="orphaned",
        orphan_quote=normalise_text(quoted),
    )


def _string(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
