"""Markdown: kept exactly as written; the first level-one heading, if any, is the title.

The heading is found in markdown-it's token stream (ATX ``# Title`` or setext
``Title`` over ``===``), whose parser is linear in the length of the text; a
hand-written heading pattern backtracked on long runs of ``#`` and spaces and
took tens of seconds on a 60 KB file. Only the beginning of the text is
searched: a title comes first, and tokenising a long file of headings takes
seconds that the worker owes to other imports.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token

from annotations.imports.base import ParsedDocument, title_from_name
from annotations.imports.encoding import decode_text

# Only the block structure is needed to find headings; inline parsing runs on the title alone.
_BLOCKS = MarkdownIt("commonmark").disable("inline")
_INLINE = MarkdownIt("commonmark")
#: How much of the text (in characters, cut at a line break) is searched for the title.
TITLE_SEARCH_CHARS = 64 * 1024


def parse(name: str, data: bytes) -> list[ParsedDocument]:
    decoded = decode_text(data)
    title = first_heading(decoded.text) or title_from_name(name)
    return [ParsedDocument(title=title, text=decoded.text, remark=decoded.remark)]


def first_heading(text: str) -> str:
    """Return the plain text of the first level-one heading, or "" if there is none.

    Cutting the text can hide a heading (a setext underline past the cut) but
    never make one, so the first heading found before the cut is the text's.
    """
    beginning = text[:TITLE_SEARCH_CHARS]
    tokens = _BLOCKS.parse(beginning[: beginning.rfind("\n") + 1] if beginning != text else text)
    for index, token in enumerate(tokens[:-1]):
        if token.type == "heading_open" and token.tag == "h1":
            return " ".join(_plain(_INLINE.parseInline(tokens[index + 1].content)).split())
    return ""


def _plain(tokens: list[Token]) -> str:
    parts: list[str] = []
    for token in tokens:
        if token.children:
            parts.append(_plain(token.children))
        elif token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)
