"""Names a project marked: which tags hold names, and the short forms to find again (pure).

A span of a name-like tag (a film reference, or any tag whose spans are short
and capitalised) that a person marked or accepted is suggested wherever it
recurs in the project, with its short forms: a person's surname or first name,
a title without its article. A one-word name ("Maria", "Wend") counts in a text
only beside another name of a document it was marked in (``Learned.from_names``):
alone it is too often someone else. A rejected suggestion never comes back.
"""

from __future__ import annotations

from collections.abc import Sequence

from annotations.suggest.base import FILM_REFERENCE
from annotations.suggest.learned import Lesson, Name, Taught

#: A tag is name-like when most of its spans are this short and start with a capital.
NAME_WORDS = 5
NAME_SHARE = 0.6
ARTICLES = {"The", "A", "An"}
#: Words that join a name but never stand for it alone.
NOT_A_SHORT_FORM = {
    "the",
    "a",
    "an",
    "of",
    "and",
    "de",
    "van",
    "von",
    "da",
    "le",
    "la",
    "dr.",
    "mr.",
}


def name_like_tags(lessons: Sequence[Lesson]) -> set[str]:
    """Tags whose spans are names: film references, and any tag of short capitalised spans."""
    by_tag: dict[str, list[str]] = {}
    for lesson in lessons:
        for span in lesson.spans:
            by_tag.setdefault(span.tag, []).append(lesson.text[span.start : span.end])
    found = {FILM_REFERENCE}
    for tag, texts in by_tag.items():
        short = [
            t
            for t in texts
            if len(t.split()) <= NAME_WORDS and t[:1].isupper() and t.rstrip()[-1:] not in ".!?"
        ]
        if texts and len(short) >= NAME_SHARE * len(texts):
            found.add(tag)
    return found


def short_forms(name: str) -> list[str]:
    """ "Theodore Twombly" -> Twombly, Theodore; "The Matrix" -> Matrix."""
    words = name.split()
    if len(words) >= 2 and words[0] in ARTICLES:
        rest = " ".join(words[1:])
        return [rest] if rest[:1].isupper() else []
    if not 2 <= len(words) <= 4 or not all(
        w[:1].isupper() or w.lower() in NOT_A_SHORT_FORM for w in words
    ):
        return []
    forms = []
    for word in (words[-1], words[0]):
        clean = word.rstrip(".,")
        if len(clean) > 2 and clean.lower() not in NOT_A_SHORT_FORM and clean[:1].isupper():
            forms.append(clean)
    return forms


def learn_names(
    lessons: Sequence[Lesson], name_tags: set[str]
) -> tuple[list[Name], set[tuple[str, str]]]:
    """Return the names to find again, and the (text, tag) pairs people rejected."""
    rejected = {
        (lesson.text[r.start : r.end], r.tag) for lesson in lessons for r in lesson.rejected
    }
    marked_in: dict[tuple[str, str], list[str]] = {}
    firsts: dict[tuple[str, str], Taught] = {}
    for lesson in lessons:
        for span in lesson.spans:
            if span.tag not in name_tags:
                continue
            text = lesson.text[span.start : span.end].strip()
            if not text or "\n" in text or len(text) > 80 or (text, span.tag) in rejected:
                continue
            documents = marked_in.setdefault((text, span.tag), [])
            if lesson.name not in documents:
                documents.append(lesson.name)
            firsts.setdefault((text, span.tag), span)
    fulls = [
        Name(text, tag, text, documents[0], firsts[(text, tag)].how, tuple(documents))
        for (text, tag), documents in marked_in.items()
    ]
    names = list(fulls)
    seen = set(marked_in)
    full_texts = {n.form for n in fulls}
    for full in fulls:
        for form in short_forms(full.form):
            if (form, full.tag) in seen or (form, full.tag) in rejected or form in full_texts:
                continue
            seen.add((form, full.tag))
            names.append(Name(form, full.tag, full.form, full.origin, full.how, full.seen_in))
    return names, rejected
