"""HTML: the visible text, one paragraph per block element; scripts and styles dropped.

The page is read by a small tokenizer that follows the HTML standard where it
matters for text (comments, declarations, raw-text elements such as
``<script>``, a tag or comment left open at the end of the file) and looks at
every character once: Python's ``html.parser`` rescans the rest of the page
for each unterminated ``<!--`` or ``<a``, so a hostile 100 KB page took minutes.
There is no DTD: only the fixed HTML character references (``&amp;``) are
expanded, never a declared entity, and nothing is fetched.
"""

from __future__ import annotations

import re
from html import unescape

from annotations.imports.base import ParsedDocument, Rejected, title_from_name
from annotations.imports.encoding import decode_text

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
#: Elements whose content is text up to their end tag, never markup (the standard's raw text).
RAW_TEXT = frozenset(
    {"script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext"}
)
#: Elements whose content is text with character references, up to their end tag.
ESCAPABLE_RAW_TEXT = frozenset({"title", "textarea"})
# Possessive quantifiers: a tag that never closes is found in one pass, without backtracking.
_START_TAG = re.compile(r"""<([a-zA-Z][^\s/>]*+)(?:[^>"']++|"[^"]*+"|'[^']*+')*+>""")
_END_TAG = re.compile(r"</([a-zA-Z][^\s/>]*+)[^>]*+>")
_SPACES = re.compile(r"[^\S\n]+")
NO_TEXT = "the page has no visible text"


class _TextExtractor:
    def __init__(self) -> None:
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

    def feed(self, page: str) -> None:
        """Read the whole page, calling the handlers in order; linear in its length."""
        position = 0
        length = len(page)
        while position < length:
            opening = page.find("<", position)
            if opening < 0:
                self.handle_data(unescape(page[position:]))
                return
            if opening > position:
                self.handle_data(unescape(page[position:opening]))
            position = self._markup(page, opening)

    def _markup(self, page: str, at: int) -> int:
        """Handle the markup starting at ``page[at] == "<"``; return where reading continues."""
        end_of_page = len(page)
        if page.startswith("<!--", at):
            close = page.find("-->", at + 4)
            return end_of_page if close < 0 else close + 3
        if page.startswith(("<!", "<?"), at):
            return _declaration_end(page, at)
        if page.startswith("</", at):
            match = _END_TAG.match(page, at)
            if match:
                self.handle_endtag(match.group(1).lower())
                return match.end()
            if at + 2 < end_of_page and page[at + 2].isalpha():
                return end_of_page  # a tag left open at the end of the file is dropped
            close = page.find(">", at)
            return end_of_page if close < 0 else close + 1  # "</ ...>" is a comment
        if at + 1 < end_of_page and page[at + 1].isalpha():
            match = _START_TAG.match(page, at)
            if not match:
                return end_of_page
            tag = match.group(1).lower()
            self.handle_starttag(tag, [])
            if tag in RAW_TEXT or tag in ESCAPABLE_RAW_TEXT:
                return self._raw_text(page, tag, match.end())
            return match.end()
        self.handle_data("<")
        return at + 1

    def _raw_text(self, page: str, tag: str, start: int) -> int:
        closing = re.compile(rf"</{re.escape(tag)}[\s/>]", re.IGNORECASE).search(page, start)
        stop = closing.start() if closing else len(page)
        content = page[start:stop]
        self.handle_data(unescape(content) if tag in ESCAPABLE_RAW_TEXT else content)
        if not closing:
            self.handle_endtag(tag)
            return stop
        match = _END_TAG.match(page, stop)
        self.handle_endtag(tag)
        return match.end() if match else len(page)

    def close(self) -> None:
        self._close_paragraph()


def _declaration_end(page: str, at: int) -> int:
    """Return where a ``<!...>`` or ``<?...>`` ends (the rest of the page if it never does).

    A DOCTYPE's internal subset (``[ <!ENTITY ...> ]``), which HTML never needs,
    is skipped whole so its declarations do not leak into the text.
    """
    close = page.find(">", at + 2)
    if page[at + 2 : at + 9].lower() == "doctype":
        bracket = page.find("[", at + 9)
        if 0 <= bracket < close or (close < 0 <= bracket):
            subset_end = page.find("]", bracket)
            close = -1 if subset_end < 0 else page.find(">", subset_end)
    return len(page) if close < 0 else close + 1


def extract(html_text: str) -> tuple[str, str]:
    """Return (title, visible text) of an HTML page; title may be empty."""
    parser = _TextExtractor()
    parser.feed(html_text)
    parser.close()
    title = " ".join("".join(parser.title_parts or parser.h1_parts).split())
    return title, "\n\n".join(parser.paragraphs)


def parse(name: str, data: bytes) -> list[ParsedDocument]:
    decoded = decode_text(data)
    title, text = extract(decoded.text)
    if not text.strip():
        raise Rejected(NO_TEXT)
    return [ParsedDocument(title=title or title_from_name(name), text=text, remark=decoded.remark)]
