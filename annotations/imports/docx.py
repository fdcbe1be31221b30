"""Word (.docx): the text of each paragraph, in document order.

A .docx is a zip of XML files. Its members are read with the same counted,
limited decompression as any zip, and the XML is parsed by defusedxml with
DTDs forbidden, so no entity is ever expanded and nothing is fetched.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from annotations.imports.archive import open_zip, read_member
from annotations.imports.base import ImportLimits, ParsedDocument, Rejected, title_from_name
from annotations.offsets import normalise_text

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
NOT_DOCX = "this is not a Word document (.docx) that can be opened"


def _xml(archive, name: str, limits: ImportLimits) -> Element | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    data = read_member(archive, info, limits.max_file_bytes)
    try:
        return SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise Rejected("the document holds XML declarations that are refused for safety") from None
    except SafeET.ParseError:
        raise Rejected(NOT_DOCX + " (its XML is damaged)") from None


def paragraph_text(paragraph: Element) -> str:
    parts: list[str] = []
    for node in paragraph.iter():
        if node.tag == f"{W}t" and node.text:
            parts.append(node.text)
        elif node.tag == f"{W}tab":
            parts.append("\t")
        elif node.tag in (f"{W}br", f"{W}cr"):
            parts.append("\n")
    return "".join(parts)


def parse(name: str, data: bytes, limits: ImportLimits | None = None) -> list[ParsedDocument]:
    limits = limits or ImportLimits.from_settings()
    archive = open_zip(data)
    body = _xml(archive, "word/document.xml", limits)
    if body is None:
        raise Rejected(NOT_DOCX)
    every = list(body.iter(f"{W}p"))
    # A text box holds paragraphs inside a paragraph; its text is read with the
    # outer paragraph, so the inner ones are not read a second time.
    nested = {id(inner) for outer in every for inner in outer.iter(f"{W}p") if inner is not outer}
    paragraphs = [paragraph_text(p) for p in every if id(p) not in nested]
    text = normalise_text("\n\n".join(p.strip() for p in paragraphs if p.strip()))
    if not text:
        raise Rejected("the document has no text")
    core = _xml(archive, "docProps/core.xml", limits)
    title_node = core.find(DC_TITLE) if core is not None else None
    title = (title_node.text or "").strip() if title_node is not None else ""
    return [ParsedDocument(title=title or title_from_name(name), text=text)]
