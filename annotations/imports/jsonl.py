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
from annotations.imports.encoding import decode, repair_controls
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
    try:
        # One character for one: the span offsets still point at the same places.
        text, remark = repair_controls(text)
        title, _ = repair_controls(title)
    except Rejected as error:
        raise Rejected(f"{where}: {error}") from None
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
    spans = [_span(raw, text, where, index) for index, raw in enumerate(raw_spans, 1)]
    if remark:
        remark = f"{where}: {remark}"
    return ParsedDocument(
        title=title.strip(),
        text=text,
        author=_string(item.get("author")),
        source=_string(item.get("source")),
        metadata=metadata,
        spans=spans,
        remark=remark,
    )


def _span(raw: Any, text: str, line: str, index: int) -> ParsedSpan:
    # Runs for every span of a file: the checks come first in their cheapest form, and
    # the words of an error message are only put together when there is one.
    if type(raw) is not dict:
        raise Rejected(f"{line}, span {index} is not an object with start, end and tag")
    start, end = raw.get("start"), raw.get("end")
    tag = raw.get("tag") or raw.get("tag_slug")
    anchor = raw.get("anchor") or "exact"
    if anchor not in ANCHORS:
        raise Rejected(
            f"{line}, span {index}: anchor must be exact, changed or orphaned, not {anchor!r}"
        )
    if anchor == "orphaned":
        return _orphan(raw, tag, f"{line}, span {index}")
    if type(start) is not int or type(end) is not int:  # True and False are not offsets either
        key = "start" if type(start) is not int else "end"
        raise Rejected(
            f"{line}, span {index}: “{key}” must be a whole number (a code-point offset)"
        )
    if type(tag) is not str or not (tag := tag.strip()):
        raise Rejected(f"{line}, span {index} has no “tag”")
    quoted = raw.get("text")
    # The words as quoted nearly always equal the text's, and the text has had its controls
    # repaired: a quote equal to it has none left to repair, and needs no second look.
    if type(quoted) is str and 0 <= start < end <= len(text) and text[start:end] != quoted:
        quoted = repair_controls(quoted)[0]
    if type(quoted) is str and 0 <= start < end <= len(text) and text[start:end] != quoted:
        raise Rejected(
            f"{line}, span {index}: the text at {start}-{end} is {text[start:end][:40]!r}, "
            f"not {quoted[:40]!r}; are the offsets counted in code points?"
        )
    origin = raw.get("origin") or "manual"
    if origin not in ORIGINS:
        raise Rejected(
            f"{line}, span {index}: origin must be “manual” or “suggestion”, not {origin!r}"
        )
    return ParsedSpan(
        start,
        end,
        tag,
        _string(raw.get("tag_slug")),
        _string(raw.get("note")),
        origin,
        _string(raw.get("annotator")),
        raw.get("is_reference") is True,
        anchor,
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
    return value.strip() if type(value) is str else ""
