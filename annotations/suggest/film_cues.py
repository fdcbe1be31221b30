"""Film references found by cues: "the film X", "X (2014)", "directed by X", "X, played
by Y", "Ava (Alicia Vikander)", "X's ending" (pure).

Each rule reads the capitalised run (runs.py) beside the cue the cue ruler
marked, and hands what it found to ``add``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from spacy.tokens import Doc, Span

from annotations.suggest.base import doc_text, quoted
from annotations.suggest.runs import (
    NAME_LINKS,
    TITLE_LINKS,
    Found,
    capitalised,
    listed,
    run_backward,
    run_forward,
)

CHARACTER_VERBS = {"played", "portrayed", "voiced", "performed", "acted"}
#: "\w['’]s\b" looked for from the apostrophe: a pattern opening with \w is tried at every letter.
POSSESSIVE_RE = re.compile(r"['’](?<=\w['’])s\b")
YEAR_RE = re.compile(r"(1[89]|20)\d\d")
POSSESSIVE = {"'s", "’s"}

Add = Callable[..., None]


def from_cues(doc: Doc, cues: list[Span]) -> list[Found]:
    """Every film reference the cues point at, in the order the rules find them."""
    found: list[Found] = []

    def add(span: Span | None, score: float, reason: str, rule: str, person: bool = False) -> None:
        if span is not None and len(span.text.strip()) > 0:
            found.append(Found(span.start_char, span.end_char, score, reason, rule, person))

    for cue in cues:
        rule = CUE_RULES.get(cue.label_)
        if rule is not None:
            rule(doc, cue, add)
    _parentheses(doc, cues, add)
    _possessives(doc, cues, add)
    return found


def _film_noun(doc: Doc, cue: Span, add: Add) -> None:
    """ "the film Her", "the film, Her, ...", "films such as X and Y", "Jonze's film"."""
    after = cue.end
    set_off = after < len(doc) and doc[after].text in {",", "—"}
    if set_off:
        after += 1
    opener = doc[after].lower_ if after < len(doc) else ""
    first = -1
    if opener in {"like", "including"}:
        first = after + 1
    elif opener == "such" and after + 1 < len(doc) and doc[after + 1].lower_ == "as":
        first = after + 2
    if first > 0:  # "classics like X, Y and Z", "films such as X"
        for title in listed(doc, first, title=True):
            add(title, 0.7, f"listed after {quoted(doc[cue.start : first].text)}", "film-list")
    title = run_forward(doc, after, title=True)
    if set_off and title is not None and not _closed_off(doc, title):
        title = None  # "a podcast episode, Roose and..." names no title
    if after < len(doc) and doc[after].text not in POSSESSIVE:
        add(title, 0.85, f"after {quoted(cue.text)}", "film-noun")
    _film_noun_owner(doc, cue, add)


def _film_noun_owner(doc: Doc, cue: Span, add: Add) -> None:
    """ "Jonze's film", "the Garland film": the maker named before the noun."""
    before = cue.start - 1
    if before >= 1 and doc[before].text in POSSESSIVE:
        owner = run_backward(doc, before - 1, title=False)
        add(owner, 0.7, f"possessive before {quoted(cue.text)}", "film-noun-owner", person=True)
    elif before >= 1 and capitalised(doc[before]) and not doc[before].is_sent_start:
        name = run_backward(doc, before, title=False)
        if name is not None and name.start > 0 and doc[name.start - 1].lower_ in {"the", "a", "an"}:
            reason = f"name before {quoted(cue.text)}"
            add(name, 0.75, reason, "film-noun-director", person=True)


def _watch_verb(doc: Doc, cue: Span, add: Add) -> None:
    add(run_forward(doc, cue.end, title=True), 0.55, f"after {quoted(cue.text)}", "watch-verb")


def _actor_verb(doc: Doc, cue: Span, add: Add) -> None:
    if cue.start > 0:
        actor = run_backward(doc, cue.start - 1, title=False)
        if actor is not None and len(actor) >= 2:  # a full name: "Theodore plays" is the story
            add(actor, 0.7, f"name before {quoted(cue[0].text)}", "actor-verb", person=True)


def _role_noun(doc: Doc, cue: Span, add: Add) -> None:
    _appositive(doc, cue, add)
    after = cue.end
    if after < len(doc) and doc[after].text == ",":
        after += 1
    name = run_forward(doc, after, title=False)
    add(name, 0.7, f"after {quoted(cue.text)}", "role-noun", person=True)


def _person_verb(doc: Doc, cue: Span, add: Add) -> None:
    for name in listed(doc, cue.end, title=False):
        add(name, 0.85, f"after {quoted(cue.text)}", "person-verb", person=True)
    if cue[0].lower_ in CHARACTER_VERBS:
        # "Samantha, played by", "Samantha (played by", "Samantha is played by"
        k = cue.start - 1
        if k >= 0 and doc[k].lower_ in {",", "(", "is", "was", "—"}:
            character = run_backward(doc, k - 1, title=False)
            reason = f"character before {quoted(cue.text)}"
            add(character, 0.8, reason, "played-by", person=True)


CUE_RULES: dict[str, Callable[[Doc, Span, Add], None]] = {
    "FILM_NOUN": _film_noun,
    "WATCH_VERB": _watch_verb,
    "ACTOR_VERB": _actor_verb,
    "ROLE_NOUN": _role_noun,
    "PERSON_VERB": _person_verb,
}


def _closed_off(doc: Doc, title: Span) -> bool:
    """A title set off after its noun is closed off too: "the film, Her, is"."""
    return title.end < len(doc) and doc[title.end].text in {",", "—", ")", ".", ";"}


def _appositive(doc: Doc, cue: Span, add: Add) -> None:
    """ "EVE, a sleek probe, ...": a name set off before "a/the [adjective] <role>"."""
    k = cue.start - 1
    if k >= 0 and doc[k].is_alpha and doc[k].lower_ not in {"a", "an", "the"}:
        k -= 1  # one adjective
    if k >= 1 and doc[k].lower_ in {"a", "an", "the"} and doc[k - 1].text == ",":
        name = run_backward(doc, k - 2, title=False)
        if name is not None:
            add(name, 0.65, f"name before {quoted(doc[k : cue.end].text)}", "role-appositive", True)


def _parentheses(doc: Doc, cues: list[Span], add: Add) -> None:
    """Titles before "(2014)" or "(Alex Garland, 2014)", and "Character (Actor Name)"."""
    for cue in cues:
        if cue.label_ != "PAREN" or cue.start == 0:
            continue  # most cues: no token read
        token = cue[0]
        inner = token.i + 1
        if (
            inner + 1 < len(doc)
            and YEAR_RE.fullmatch(doc[inner].text)
            and doc[inner + 1].text == ")"
        ):
            _year_in_brackets(doc, token.i - 1, inner, add)
            continue
        name = run_forward(doc, inner, title=False)
        if name is not None and name.end < len(doc):
            _name_in_brackets(doc, token.i - 1, name, add)


def _year_in_brackets(doc: Doc, before: int, inner: int, add: Add) -> None:
    """ "Her (2013)", and "Fritz Lang's Metropolis (1927)": the owner of a dated title made it."""
    title = _not_a_citation(doc, run_backward(doc, before, title=True), inner + 2)
    add(title, 0.9, f"year {quoted(doc[inner].text)} in brackets", "title-year")
    if title is not None and title.start >= 2 and doc[title.start - 1].text in POSSESSIVE:
        owner = run_backward(doc, title.start - 2, title=False)
        reason = f"possessive before the title {quoted(title.text)}"
        add(owner, 0.75, reason, "title-owner", person=True)


def _name_in_brackets(doc: Doc, before: int, name: Span, add: Add) -> None:
    """ "Her (Spike Jonze, 2013)": title and director; "Ava (Alicia Vikander)": a character
    and the actor who plays it."""
    closing = doc[name.end]
    if (
        closing.text == ","
        and name.end + 2 < len(doc)
        and YEAR_RE.fullmatch(doc[name.end + 1].text)
    ):
        title = run_backward(doc, before, title=True)
        add(title, 0.9, "director and year in brackets", "title-year")
        reason = "director before the year in brackets"
        add(name, 0.85, reason, "title-year-director", person=True)
    elif (
        closing.text == ")"
        and 2 <= len(name) <= 3
        and all(t.is_alpha or t.text in NAME_LINKS for t in name)
    ):
        character = run_backward(doc, before, title=False)
        if character is not None and len(character) <= 3:
            reason = f"character before the actor {quoted(name.text)}"
            add(character, 0.75, reason, "character-actor", person=True)
            reason = f"actor in brackets after {quoted(character.text)}"
            add(name, 0.75, reason, "character-actor", person=True)


CITING_BEFORE = {"according", "to", "as", "see", "cf", "cf.", "by", "in"}
CITING_AFTER = {"argues", "argued", "writes", "wrote", "notes", "noted", "shows", "showed",
                "claims", "claimed", "suggests", "suggested", "observes", "observed", "calls",
                "called", "describes", "described", "puts", "put", "defines", "defined"}  # fmt: skip


def _not_a_citation(doc: Doc, title: Span | None, after: int) -> Span | None:
    """ "According to Sobchack (2004)", "Sobchack (2004) argues", "Sobchack, V. (2004)":
    an author and a year in brackets, as in academic writing."""
    if title is None:
        return None
    if title[0].lower_ in CITING_BEFORE:
        title = title[1:]
        while len(title) and title[0].lower_ in TITLE_LINKS | CITING_BEFORE:
            title = title[1:]
        if not len(title):
            return None
    if len(title) == 1 and len(title.text.rstrip(".")) <= 2:
        return None  # an initial: "V. (2004)"
    before = doc[title.start - 1].lower_ if title.start else ""
    following = doc[after].lower_ if after < len(doc) else ""
    if len(title) == 1 and (before in CITING_BEFORE or following in CITING_AFTER):
        return None
    return title


def _possessives(doc: Doc, cues: list[Span], add) -> None:
    """ "Her's ending": a possessive before a part of a film (the cue ruler finds the pair)."""
    for cue in cues:
        if cue.label_ == "POSSESSIVE_PART" and cue.start > 0:
            title = run_backward(doc, cue.start - 1, title=True)
            add(title, 0.7, f"possessive before {quoted(cue[1].text)}", "possessive-film-part")
    _maker_possessives(doc, add)


def _maker_possessives(doc: Doc, add) -> None:
    """ "...as in Spike Jonze's Her." A full name's possessive, then a capitalised run that
    ends the clause: a maker and their work."""
    text = doc_text(doc)
    taken = 0  # the letter before a match is part of it: matches never share it
    for match in POSSESSIVE_RE.finditer(text):
        # A regex over the text, not a walk over every token: this runs on every essay.
        if match.start() - 1 < taken:
            continue
        taken = match.end()
        span = doc.char_span(match.start(), match.end())
        if span is None or span.start < 2:
            continue
        token = span[0]
        owner = run_backward(doc, token.i - 1, title=False)
        if owner is None or len(owner) < 2 or any(t.is_stop for t in owner):
            continue
        title = run_forward(doc, token.i + 1, title=True)
        if title is None or title.end >= len(doc):
            continue
        if doc[title.end].text not in {".", ",", ";", ":", "!", "?", ")"}:
            continue  # "Jonze's Her voice..." is not the end of a title
        add(title, 0.6, f"after the possessive {quoted(owner.text + token.text)}", "maker-title")
        add(owner, 0.6, f"possessive before the title {quoted(title.text)}", "maker-title", True)
