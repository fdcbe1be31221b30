"""Plain text: the whole file is one document, titled after the file."""

from __future__ import annotations

from annotations.imports.base import ParsedDocument, title_from_name
from annotations.imports.encoding import decode_text


def parse(name: str, data: bytes) -> list[ParsedDocument]:
    decoded = decode_text(data)
    return [ParsedDocument(title=title_from_name(name), text=decoded.text, remark=decoded.remark)]
