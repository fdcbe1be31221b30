"""A small corpus for import and export tests: emoji, combining marks, overlapping spans."""

from __future__ import annotations

from annotations.models import Document, Origin, Project, Role
from tests import factories

#: Written for these tests. "Zoë" is spelt with a combining diaeresis (NFD) on purpose:
#: documents are stored in NFC, so offsets must count the composed character.
TEXT_ONE = (
    "Zoe\u0308 thinks the film is tender. 🎬 It will be watched in 2050!\n\n"
    "= a line that looks like a formula, and a note -1.\n"
    "Dr. Okafor says the ending is sad. Is it?"
)
TEXT_TWO = "Short piece 🤖🤖 about machines that talk.\n\nThey listen, too."


def build(owner) -> tuple[Project, dict[str, object]]:
    """Return a project with two documents, an annotator and spans (some overlapping)."""
    project = factories.make_project(owner=owner, name="Corpus tests")
    annotator = factories.add_member(project, Role.ANNOTATOR)
    one = factories.make_document(project, text=TEXT_ONE, title="=cmd|' /C calc'!A0")
    two = factories.make_document(project, text=TEXT_TWO, title="Machines")
    text = one.text
    film = text.index("film")
    factories.make_span(one, 0, 3, owner, "claim")  # "Zoë" (3 code points after NFC)
    factories.make_span(one, film - 4, text.index("tender") + 6, owner, "claim")
    factories.make_span(one, film, film + 4, annotator, "film-reference")  # inside the claim
    emoji = text.index("🎬")
    factories.make_span(one, emoji, text.index("2050!") + 5, annotator, "prediction")
    formula = text.index("= a line")
    span = factories.make_span(one, formula, formula + 8, owner, "claim")
    span.note = "+note that looks like a formula"
    span.origin = Origin.SUGGESTION
    span.save()
    robots = text_index(two, "🤖🤖")
    factories.make_span(two, robots, robots + 2, annotator, "claim")
    factories.make_span(two, 0, text_index(two, " about"), owner, "claim")
    return project, {"one": one, "two": two, "annotator": annotator}


def text_index(document: Document, needle: str) -> int:
    return document.text.index(needle)
