"""Bytes to text: UTF-8 (with or without BOM), UTF-16/32 with BOM, else a detected encoding.

The fallback for legacy files (Windows-1252, Latin-1, ...) is charset-normalizer.
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from annotations.imports.base import Rejected
from annotations.offsets import normalise_text

NOT_TEXT = "this is not text in an encoding herlens can read; save it as UTF-8 text and try again"
BINARY = "this looks like a binary file, not text"

CHAOS_MARGIN = 0.05
PREFERRED = frozenset({"cp1252", "latin_1", "iso8859_15"})

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    # UTF-32 first: its little-endian BOM starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(data: bytes, *, normalise: bool = True) -> str:
    """Return data as normalised text (NFC, "\\n"), or raise Rejected.

    ``normalise=False`` keeps the characters as they are, for formats whose
    offsets count into the text as written (JSONL).
    """
    text = _decode(data)
    if "\x00" in text:
        raise Rejected(BINARY)
    return normalise_text(text) if normalise else text


def _decode(data: bytes) -> str:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                name = codec.upper().removesuffix("-SIG")
                raise Rejected(f"the file starts like {name} but is not valid {name}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise Rejected(BINARY)
    matches = list(from_bytes(data))
    if not matches:
        raise Rejected(NOT_TEXT)
    # Several single-byte code pages decode the same bytes with little "chaos";
    # among those, the one whose letters look most like a language wins, and
    # on a tie the code page most Western word processors wrote (Windows-1252).
    least = min(match.chaos for match in matches)
    plausible = [match for match in matches if match.chaos <= least + CHAOS_MARGIN]
    best = max(plausible, key=lambda m: (round(m.coherence, 3), m.encoding in PREFERRED))
    return str(best)
