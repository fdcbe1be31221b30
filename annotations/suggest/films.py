"""Film references: titles, characters, directors and actors (pure).

No list is needed: the rules look for cues around capitalised words ("the film
X", "X (2014)", "directed by X", "X, played by Y", "Ava (Alicia Vikander)",
quoted or italic titles, "X's ending"). A name found once by a cue is then
found again wherever it recurs in the same text. A project's own list of names
adds matches; a capitalised common word ("Her") counts only where a cue or the
list says so, and never at the start of a sentence by itself.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token
from spacy.vocab import Vocab

from annotations.suggest import knowledge
from annotations.suggest.base import FILM_REFERENCE, Suggestion, doc_text, quoted
from annotations.suggest.clauses import sentence_starts

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
CHARACTER_VERBS = {"played", "portrayed", "voiced", "performed", "acted"}
POSSESSIVE_RE = re.compile(r"\w['’]s\b")
FILM_CUES = {"FILM_NOUN", "ROLE_NOUN", "PERSON_VERB", "WATCH_VERB", "POSSESSIVE_PART"}
#: Labels of notes and interviews, not characters of a script.
NOT_SPEAKERS = {
    "note", "update", "edit", "source", "spoiler", "spoilers", "warning", "ps", "p.s.", "host",
    "interviewer", "guest", "me", "you", "question", "answer", "moderator", "audience", "tl;dr",
    "verdict", "rating", "score", "cast", "director", "runtime", "genre", "bonus", "step",
}  # fmt: skip
#: "NAME: line" at the start of a line, in a script excerpt.
SPEAKER_RE = re.compile(
    r"^[ \t]*([A-Z][A-Za-z0-9'’.\-]*(?: [A-Z][A-Za-z0-9'’.\-]*){0,2}):[ \t]+\S", re.M
)
MAX_TITLE = 8
MAX_NAME = 4

QUOTE_RES = (
    (re.compile(r"(?<![\w*])\*{1,2}([^*\n]{1,80}?)\*{1,2}(?![\w*])"), 0.85, "italic title"),
    (re.compile(r"(?<![\w_])_([^_\n]{1,80}?)_(?![\w_])"), 0.85, "italic title"),
    (re.compile(r"<(i|em|cite)>([^<\n]{1,80}?)</\1>", re.IGNORECASE), 0.85, "italic title"),
    (re.compile(r"“([^”\n]{1,80}?)”"), 0.6, "quoted title"),
    (re.compile(r"(?<!\w)\"([^\"\n]{1,80}?)\"(?!\w)"), 0.6, "quoted title"),
    (re.compile(r"(?<!\w)‘([^’\n]{1,60}?)’(?!\w)"), 0.6, "quoted title"),
    (re.compile(r"(?<!\w)'([^'\n]{1,60}?)'(?!\w)"), 0.6, "quoted title"),
)
SPEECH_BEFORE = re.compile(
    r"(says|said|tells|told|asks|asked|replies|replied|writes|wrote|:)\s*[,]?\s*$"
)


@dataclass(frozen=True, slots=True)
class Found:
    start: int
    end: int
    score: float
    reason: str
    rule: str
    #: Whether single words of the name are worth finding again (people, characters).
    person: bool = False


def _capitalised(token: Token) -> bool:
    first = token.text[:1]
    return first.isupper() or (first.isdigit() and len(token.text) >= 2)


def _breaks(token: Token) -> bool:
    return token.is_space or "\n" in token.whitespace_


def run_forward(doc: Doc, i: int, *, title: bool) -> Span | None:
    """Return the capitalised run that starts at token i (a title or a name), or None."""
    if i >= len(doc) or not _capitalised(doc[i]) or doc[i].is_punct:
        return None
    links, limit = (TITLE_LINKS, MAX_TITLE) if title else (NAME_LINKS, MAX_NAME)
    end = i + 1
    j = i + 1
    while j < len(doc) and j - i < limit + 2:
        token = doc[j]
        if token.is_sent_start or doc[j - 1].whitespace_.count("\n"):
            break
        if _capitalised(token) and not token.is_punct:
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
    if j < 0 or not _capitalised(doc[j]) or doc[j].is_punct:
        return None
    links, limit = (TITLE_LINKS, MAX_TITLE) if title else (NAME_LINKS, MAX_NAME)
    start = j
    i = j - 1
    while i >= 0 and j - i < limit + 2:
        token = doc[i]
        if token.is_space or "\n" in token.whitespace_ or doc[i + 1].is_sent_start:
            break
        if _capitalised(token) and not token.is_punct:
            if token.is_sent_start and token.is_stop:
                break  # "When Theodore (...)": a capitalised function word opens the sentence
            start = i
        elif token.lower_ not in links:
            break
        i -= 1
    if j + 1 - start > limit:
        return None
    return doc[start : j + 1]


def _names_after(doc: Doc, i: int) -> list[Span]:
    """Return the names listed from token i: "Joaquin Phoenix, Amy Adams and Rooney Mara"."""
    names = []
    while True:
        name = run_forward(doc, i, title=False)
        if name is None:
            break
        names.append(name)
        i = name.end
        if i < len(doc) and doc[i].text == ",":
            i += 1
        if i < len(doc) and doc[i].lower_ == "and":
            i += 1
        if i >= len(doc) or not _capitalised(doc[i]):
            break
    return names


# Longer than most: one short branch per cue label, kept side by side so the rules read together.
def _from_cues(doc: Doc, cues: list[Span]) -> list[Found]:
    found: list[Found] = []

    def add(span: Span | None, score: float, reason: str, rule: str, person: bool = False) -> None:
        if span is not None and len(span.text.strip()) > 0:
            found.append(Found(span.start_char, span.end_char, score, reason, rule, person))

    for cue in cues:
        label = cue.label_
        if label == "FILM_NOUN":
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
            # "classics like X, Y and Z", "films such as X"
            if first > 0:
                for title in _titles_listed(doc, first):
                    reason = f"listed after {quoted(doc[cue.start : first].text)}"
                    add(title, 0.7, reason, "film-list")
            title = run_forward(doc, after, title=True)
            if set_off and title is not None and not _closed_off(doc, title):
                title = None  # "a podcast episode, Roose and..." names no title
            if after < len(doc) and doc[after].text not in {"'s", "’s"}:
                add(
                    title,
                    0.85,
                    f"after {quoted(cue.text)}",
                    "film-noun",
                )
            before = cue.start - 1
            if before >= 1 and doc[before].text in {"'s", "’s"}:
                owner = run_backward(doc, before - 1, title=False)
                reason = f"possessive before {quoted(cue.text)}"
                add(owner, 0.7, reason, "film-noun-owner", person=True)
            elif before >= 1 and _capitalised(doc[before]) and not doc[before].is_sent_start:
                name = run_backward(doc, before, title=False)
                if (
                    name is not None
                    and name.start > 0
                    and doc[name.start - 1].lower_ in {"the", "a", "an"}
                ):
                    add(
                        name,
                        0.75,
                        f"name before {quoted(cue.text)}",
                        "film-noun-director",
                        person=True,
                    )
        elif label == "WATCH_VERB":
            title = run_forward(doc, cue.end, title=True)
            add(title, 0.55, f"after {quoted(cue.text)}", "watch-verb")
        elif label == "ACTOR_VERB" and cue.start > 0:
            actor = run_backward(doc, cue.start - 1, title=False)
            if actor is not None and len(actor) >= 2:  # a full name: "Theodore plays" is the story
                add(actor, 0.7, f"name before {quoted(cue[0].text)}", "actor-verb", person=True)
        elif label == "ROLE_NOUN":
            _appositive(doc, cue, add)
            after = cue.end
            if after < len(doc) and doc[after].text == ",":
                after += 1
            add(
                run_forward(doc, after, title=False),
                0.7,
                f"after {quoted(cue.text)}",
                "role-noun",
                person=True,
            )
        elif label == "PERSON_VERB":
            for name in _names_after(doc, cue.end):
                add(name, 0.85, f"after {quoted(cue.text)}", "person-verb", person=True)
            if cue[0].lower_ in CHARACTER_VERBS:
                # "Samantha, played by", "Samantha (played by", "Samantha is played by"
                k = cue.start - 1
                if k >= 0 and doc[k].lower_ in {",", "(", "is", "was", "—"}:
                    character = run_backward(doc, k - 1, title=False)
                    reason = f"character before {quoted(cue.text)}"
                    add(character, 0.8, reason, "played-by", person=True)
    _parentheses(doc, cues, add)
    _possessives(doc, cues, add)
    return found


def _closed_off(doc: Doc, title: Span) -> bool:
    """A title set off after its noun is closed off too: "the film, Her, is"."""
    return title.end < len(doc) and doc[title.end].text in {",", "—", ")", ".", ";"}


def _titles_listed(doc: Doc, i: int) -> list[Span]:
    """Return the titles listed from token i: "Metropolis, Alphaville and Colossus"."""
    titles = []
    while i < len(doc):
        title = run_forward(doc, i, title=True)
        if title is None:
            break
        titles.append(title)
        i = title.end
        if i < len(doc) and doc[i].text == ",":
            i += 1
        if i < len(doc) and doc[i].lower_ in {"and", "or"}:
            i += 1
    return titles


def _speaker_labels(doc: Doc) -> list[Found]:
    """ "SAM: How long..." on two or more lines: the speakers of a script are characters."""
    text = doc_text(doc)
    labels: dict[str, list[tuple[int, int]]] = {}
    for match in SPEAKER_RE.finditer(text):
        labels.setdefault(match.group(1), []).append(match.span(1))
    if sum(len(places) for places in labels.values()) < 2:
        return []
    found = []
    for name, places in labels.items():
        if len(name) < 2 or name.lower() in NOT_SPEAKERS:
            continue
        for start, end in places:
            found.append(
                Found(start, end, 0.75, f"speaker {quoted(name)} in a script", "speaker", True)
            )
    return found


def _appositive(doc: Doc, cue: Span, add) -> None:
    """ "EVE, a sleek probe, ...": a name set off before "a/the [adjective] <role>"."""
    k = cue.start - 1
    if k >= 0 and doc[k].is_alpha and doc[k].lower_ not in {"a", "an", "the"}:
        k -= 1  # one adjective
    if k >= 1 and doc[k].lower_ in {"a", "an", "the"} and doc[k - 1].text == ",":
        name = run_backward(doc, k - 2, title=False)
        if name is not None:
            add(name, 0.65, f"name before {quoted(doc[k : cue.end].text)}", "role-appositive", True)


# Longer than most: the three shapes of a parenthesis share the scan that finds its inside.
def _parentheses(doc: Doc, cues: list[Span], add) -> None:
    """Titles before "(2014)" or "(Alex Garland, 2014)", and "Character (Actor Name)"."""
    for cue in cues:
        token = cue[0]
        if cue.label_ != "PAREN" or token.i == 0:
            continue
        inner = token.i + 1
        before = token.i - 1
        if (
            inner + 1 < len(doc)
            and re.fullmatch(r"(1[89]|20)\d\d", doc[inner].text)
            and doc[inner + 1].text == ")"
        ):
            title = _not_a_citation(doc, run_backward(doc, before, title=True), inner + 2)
            add(title, 0.9, f"year {quoted(doc[inner].text)} in brackets", "title-year")
            if title is not None and title.start >= 2 and doc[title.start - 1].text in {"'s", "’s"}:
                # "Fritz Lang's Metropolis (1927)": the owner of a dated title made it.
                owner = run_backward(doc, title.start - 2, title=False)
                reason = f"possessive before the title {quoted(title.text)}"
                add(owner, 0.75, reason, "title-owner", person=True)
            continue
        name = run_forward(doc, inner, title=False)
        if name is None or name.end >= len(doc):
            continue
        closing = doc[name.end]
        if (
            closing.text == ","
            and name.end + 2 < len(doc)
            and re.fullmatch(r"(1[89]|20)\d\d", doc[name.end + 1].text)
        ):
            add(
                run_backward(doc, before, title=True),
                0.9,
                "director and year in brackets",
                "title-year",
            )
            add(
                name,
                0.85,
                "director before the year in brackets",
                "title-year-director",
                person=True,
            )
        elif (
            closing.text == ")"
            and 2 <= len(name) <= 3
            and all(t.is_alpha or t.text in NAME_LINKS for t in name)
        ):
            character = run_backward(doc, before, title=False)
            if character is not None and len(character) <= 3:
                add(
                    character,
                    0.75,
                    f"character before the actor {quoted(name.text)}",
                    "character-actor",
                    person=True,
                )
                add(
                    name,
                    0.75,
                    f"actor in brackets after {quoted(character.text)}",
                    "character-actor",
                    person=True,
                )


#: Words around "Name (2004)" that make it a citation of a scholar, not a film.
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
    for match in POSSESSIVE_RE.finditer(text):
        # A regex over the text, not a walk over every token: this runs on every essay.
        span = doc.char_span(match.start() + 1, match.end())
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


def _quoted_titles(doc: Doc) -> list[Found]:
    text = doc_text(doc)
    found = []
    for pattern, score, what in QUOTE_RES:
        for match in pattern.finditer(text):
            group = match.lastindex or 1
            inner_start, inner_end = match.span(group)
            inner = text[inner_start:inner_end]
            stripped = inner.strip()
            if not stripped or not _title_like(stripped):
                continue
            if what == "quoted title" and SPEECH_BEFORE.search(
                text[max(0, match.start() - 20) : match.start()]
            ):
                continue
            lead = len(inner) - len(inner.lstrip())
            start = inner_start + lead
            found.append(Found(start, start + len(stripped), score, what, "quoted-title"))
    return found


def _title_like(words: str) -> bool:
    """A title has its first word capitalised, few words, no end punctuation, mostly capitals."""
    parts = words.split()
    if not parts or len(parts) > MAX_TITLE or not parts[0][:1].isupper():
        return False
    if words[-1] in ",.;!?" or words.endswith("…"):
        return False
    content = [p for p in parts[1:] if p.lower() not in TITLE_LINKS and len(p) > 2]
    return all(p[:1].isupper() or p[:1].isdigit() for p in content)


def list_matcher(vocab: Vocab, tokenizer, names: tuple[str, ...]) -> PhraseMatcher:
    """Build the case-sensitive matcher for a project's list of names."""
    matcher = PhraseMatcher(vocab, attr="ORTH")
    matcher.add("LIST", [tokenizer(name) for name in names if name.strip()])
    return matcher


def _from_list(doc: Doc, matcher: PhraseMatcher | None) -> list[Found]:
    if matcher is None:
        return []
    found = []
    for _id, start, end in matcher(doc):
        span = doc[start:end]
        if len(span) == 1 and span[0].is_sent_start and span[0].is_stop:
            continue
        reason = f"{quoted(span.text)} is on the project’s list"
        found.append(Found(span.start_char, span.end_char, 0.8, reason, "project-list"))
    return found


def _recurrences(doc: Doc, seeds: list[Found]) -> list[Found]:
    """Find again, elsewhere in the text, the names the cues found."""
    text = doc_text(doc)
    wanted: dict[str, Found] = {}
    for seed in seeds:
        name = text[seed.start : seed.end]
        wanted.setdefault(name, seed)
        if seed.person:
            for part in name.split():
                if len(part) > 2 and part[:1].isupper() and part.lower() not in {"the", "and"}:
                    wanted.setdefault(part, seed)
    found: list[Found] = []
    if not wanted:
        return found
    # One pass for every name, longest first: a regex per name made long essays slow.
    names = sorted(wanted, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, names)) + r")(?!\w)")
    for match in pattern.finditer(text):
        name = match.group()
        seed = wanted[name]
        span = doc.char_span(match.start(), match.end())
        if span is None:
            continue  # inside a token, not a word of its own
        token = span[0]
        if token.is_sent_start and token.is_stop and " " not in name:
            continue  # "Her voice..." opening a sentence is not the film
        origin = quoted(text[seed.start : seed.end])
        found.append(
            Found(
                match.start(),
                match.end(),
                0.6,
                f"named earlier: {origin} ({seed.reason})",
                "recurrence",
            )
        )
    return found


def _from_entities(doc: Doc, cues: list[Span]) -> list[Found]:
    """With a trained pipeline: PERSON and WORK_OF_ART entities in sentences with a film cue."""
    if not doc.has_annotation("ENT_IOB"):
        return []
    cue_sentences = {
        cue[0].sent.start for cue in cues if cue.label_ in {"FILM_NOUN", "ROLE_NOUN", "PERSON_VERB"}
    }
    return [
        Found(ent.start_char, ent.end_char, 0.6, f"{ent.label_} entity near a film cue", "entity")
        for ent in doc.ents
        if ent.label_ in {"PERSON", "WORK_OF_ART"} and ent.sent.start in cue_sentences
    ]


def _film_cue_sentences(doc: Doc, cues: list[Span]) -> set[int]:
    starts = sentence_starts(doc)
    return {starts[bisect_right(starts, cue.start) - 1] for cue in cues if cue.label_ in FILM_CUES}


def _from_knowledge(doc: Doc, cues: list[Span], known: knowledge.KnownWorks | None) -> list[Found]:
    if known is None:
        return []
    return [
        Found(m.start, m.end, m.score, m.reason, m.rule, person=m.rule != "known-title")
        for m in knowledge.find(doc, known, _film_cue_sentences(doc, cues))
    ]


def find(
    doc: Doc,
    cues: list[Span],
    matcher: PhraseMatcher | None = None,
    known: knowledge.KnownWorks | None = None,
) -> list[Suggestion]:
    """Return film references, the best-scored of overlapping candidates winning."""
    seeds = (
        _from_cues(doc, cues)
        + _quoted_titles(doc)
        + _from_entities(doc, cues)
        + _speaker_labels(doc)
        + _from_knowledge(doc, cues, known)
    )
    candidates = seeds + _from_list(doc, matcher) + _recurrences(doc, seeds)
    candidates.sort(key=lambda f: (-f.score, -(f.end - f.start), f.start))
    taken: list[Found] = []
    occupied: set[int] = set()
    for candidate in candidates:
        positions = set(range(candidate.start, candidate.end))
        if positions & occupied:
            continue
        occupied |= positions
        taken.append(candidate)
    return [Suggestion(f.start, f.end, FILM_REFERENCE, f.score, f.reason, f.rule) for f in taken]
