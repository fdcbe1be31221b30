"""HTML: the visible text, one paragraph per block element; scripts and styles dropped.

Python's HTMLParser reads HTML without any DTD, so there are no custom entities
to expand (only the fixed HTML character references, such as ``&amp;``), and
nothing is fetched.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from annotations.imports.base import ParsedDocument, Rejected, title_from_name
from annotations.imports.encoding import decode

#: Elements whose content a reader never sees.
HIDDEN = frozenset(
    {"script", "style", "template", "noscript", "head", "svg", "math", "iframe", "object"}
)
#: Elements that start and end a paragraph of their own.
BLOCKS = frozenset(
    {
        "p", "div", "section", "article", "main", "header", "footer", "aside", "nav",
        "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "blockquote", "pre",
        "figure", "figcaption", "table", "tr", "ul", "ol", "dl", "hr", "address", "body",
    }
)  # fmt: skip
VOID = frozenset(
    {"br", "hr", "img", "input", "meta", "link", "wbr", "area", "base", "col", "source"}
)
_DOCTYPE = re.compile(r"<!DOCTYPE[^\[>]*(\[.*?\])?\s*>", re.IGNORECASE | re.DOTALL)
_SPACES = re.compile(r"[^\S\n]+")
NO_TEXT = "the page has no visible text"


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.current: list[str] = []
        self.hidden_depth = 0
        self.pre_depth = 0
        self.title_parts: list[str] = []
        self.h1_parts: list[str] = []
        self.in_title = False
        self.in_h1 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
        if tag in HIDDEN and tag not in VOID:
            self.hidden_depth += 1
        elif tag == "br":
            self.current.append("\n")
        elif tag in BLOCKS:
            self._close_paragraph()
            if tag == "pre":
                self.pre_depth += 1
            if tag == "h1":
                self.in_h1 = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag in HIDDEN and tag not in VOID:
            self.hidden_depth = max(0, self.hidden_depth - 1)
        elif tag in BLOCKS:
            self._close_paragraph()
            if tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)
            if tag == "h1":
                self.in_h1 = False

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)
            return
        if self.hidden_depth:
            return
        if self.in_h1:
            self.h1_parts.append(data)
        self.current.append(data if self.pre_depth else data.replace("\n", " "))

    def _close_paragraph(self) -> None:
        raw = "".join(self.current)
        self.current = []
        if self.pre_depth:
            text = raw.strip("\n")
        else:
            text = "\n".join(_SPACES.sub(" ", line).strip() for line in raw.split("\n"))
            text = text.strip()
        if text.strip():
            self.paragraphs.append(text)

    def close(self) -> None:
        super().close()
        self._close_paragraph()


def extract(html_text: str) -> tuple[str, str]:
    """Return (title, visible text) of an HTML page; title may be empty."""
    parser = _TextExtractor()
    # HTMLParser reads a DOCTYPE only up to its first ">", so an internal subset
    # (which HTML never needs) would leak into the text; it is cut out whole.
    parser.feed(_DOCTYPE.sub("", html_text))
    parser.close()
    title = " ".join("".join(parser.title_parts or parser.h1_parts).split())
    return title, "\n\n".join(parser.paragraphs)


def parse(name: str, data: bytes) -> list[ParsedDocument]:
    title, text = extract(decode(data))
    if not text.strip():
        raise Rejected(NO_TEXT)
    return [ParsedDocument(title=title or title_from_name(name), text=text)]
