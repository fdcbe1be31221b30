"""Plain text: the whole file is one document, titled after the file."""

from __future__ import annotations

from annotations.imports.base import ParsedDocument, title_from_name
from annotations.imports.encoding import decode


def parse(name: str, data: bytes) -> list[ParsedDocument]:
    return [ParsedDocument(title=title_from_name(name), text=decode(data))]
