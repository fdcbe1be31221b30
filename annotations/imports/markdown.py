"""Markdown: kept exactly as written; the first level-one heading, if any, is the title."""

from __future__ import annotations

import re

from annotations.imports.base import ParsedDocument, title_from_name
from annotations.imports.encoding import decode

_HEADING = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def parse(name: str, data: bytes) -> list[ParsedDocument]:
    text = decode(data)
    heading = _HEADING.search(text)
    title = heading.group(1).strip() if heading else title_from_name(name)
    return [ParsedDocument(title=title or title_from_name(name), text=text)]
