"""Runs of capitalised words around a cue: the titles and names the film rules read (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

TITLE_LINKS = {
    "of",
    "the",
    "a",
    "an",
    "and",
    "in",
    "on",
    "to",
    "for",
    "from",
    "with",
    "at",
    ":",
    "-",
    "&",
}
NAME_LINKS = {"de", "van", "von", "del", "da", "di", "le", "la", "-", "."}
MAX_TITLE = 8
MAX_NAME = 4


@dataclass(frozen=True, slots=True)
class Found:
    start: int
    end: int
    score: float
    reason: str
    rule: str
    #: Whether single words of the name are worth finding again (people, characters).
    person: bool = False


def capitalised(token: Token) -> bool:
    first = token.text[:1]
    return first.isupper() or (first.isdigit() and len(token.text) >= 2)


def _breaks(token: Token) -> bool:
    return token.is_space or "\n" in token.whitespace_


def run_forward(doc: Doc, i: int, *, title: bool) -> Span | None:
    """Return the capitalised run that starts at token i (a title or a name), or None."""
    if i >= len(doc) or not capitalised(doc[i]) or doc[i].is_punct:
        return None
    links, limit = (TITLE_LINKS, MAX_TITLE) if title else (NAME_LINKS, MAX_NAME)
    end = i + 1
    j = i + 1
    while j < len(doc) and j - i < limit + 2:
        token = doc[j]
        if token.is_sent_start or doc[j - 1].whitespace_.count("\n"):
            break
        if capitalised(token) and not token.is_punct:
            end = j + 1
        elif token.lower_ not in links:
            break
        j += 1
    if end - i > limit:
        return None
    if not title and end - i == 1 and doc[i].is_stop:
        return None  # "The Machine With a ...": a capitalised function word is not a name
    return doc[i:end]


def run_backward(doc: Doc, j: int, *, title: bool) -> Span | None:
    """Return the capitalised run that ends at token j, or None."""
    if j < 0 or not capitalised(doc[j]) or doc[j].is_punct:
        return None
    links, limit = (TITLE_LINKS, MAX_TITLE) if title else (NAME_LINKS, MAX_NAME)
    start = j
    i = j - 1
    while i >= 0 and j - i < limit + 2:
        token = doc[i]
        if token.is_space or "\n" in token.whitespace_ or doc[i + 1].is_sent_start:
            break
        if capitalised(token) and not token.is_punct:
            if token.is_sent_start and token.is_stop:
                break  # "When Theodore (...)": a capitalised function word opens the sentence
            start = i
        elif token.lower_ not in links:
            break
        i -= 1
    if j + 1 - start > limit:
        return None
    return doc[start : j + 1]


def listed(doc: Doc, i: int, *, title: bool) -> list[Span]:
    """Return the runs listed from token i: "Metropolis, Alphaville and Colossus" (titles,
    joined by "and" or "or") or "Joaquin Phoenix, Amy Adams and Rooney Mara" (names)."""
    joiners = {"and", "or"} if title else {"and"}
    runs = []
    while i < len(doc):
        run = run_forward(doc, i, title=title)
        if run is None:
            break
        runs.append(run)
        i = run.end
        if i < len(doc) and doc[i].text == ",":
            i += 1
        if i < len(doc) and doc[i].lower_ in joiners:
            i += 1
        if not title and (i >= len(doc) or not capitalised(doc[i])):
            break
    return runs
