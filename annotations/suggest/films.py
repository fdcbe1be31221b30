"""Film references: titles, characters, directors and actors (pure).

No list is needed: the cue rules (film_cues.py) look for cues around capitalised
words, and quoted or italic titles and the speakers of a script count too. A
name found once is then found again wherever it recurs in the same text. A
project's own list of names and the list of screen works (knowledge.py) add
matches; a capitalised common word ("Her") counts only where a cue or a list
says so, and never at the start of a sentence by itself.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from annotations.suggest import knowledge
from annotations.suggest.base import FILM_REFERENCE, Candidate, doc_text, quoted
from annotations.suggest.clauses import sentence_starts
from annotations.suggest.film_cues import from_cues
from annotations.suggest.runs import MAX_TITLE, TITLE_LINKS, Found

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
# Each pattern opens with its literal mark and looks behind it only then ("*(?<![\w*]\*)" is
# "(?<![\w*])*"): a pattern opening with a look-behind is tried at every character of the text.
QUOTE_RES = (
    (re.compile(r"\*(?<![\w*]\*)\*?([^*\n]{1,80}?)\*{1,2}(?![\w*])"), 0.85, "italic title"),
    (re.compile(r"_(?<![\w_]_)([^_\n]{1,80}?)_(?![\w_])"), 0.85, "italic title"),
    (re.compile(r"<(i|em|cite)>([^<\n]{1,80}?)</\1>", re.IGNORECASE), 0.85, "italic title"),
    (re.compile(r"“([^”\n]{1,80}?)”"), 0.6, "quoted title"),
    (re.compile(r"\"(?<!\w\")([^\"\n]{1,80}?)\"(?!\w)"), 0.6, "quoted title"),
    (re.compile(r"‘(?<!\w‘)([^’\n]{1,60}?)’(?!\w)"), 0.6, "quoted title"),
    (re.compile(r"'(?<!\w')([^'\n]{1,60}?)'(?!\w)"), 0.6, "quoted title"),
)
SPEECH_BEFORE = re.compile(
    r"(says|said|tells|told|asks|asked|replies|replied|writes|wrote|:)\s*[,]?\s*$"
)


def _speaker_labels(doc: Doc) -> list[Found]:
    """ "SAM: How long..." on two or more lines: the speakers of a script are characters."""
    text = doc_text(doc)
    if ":" not in text:
        return []
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


@lru_cache(maxsize=64)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    # Texts about the same film name the same people: compiling is most of the cost.
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, names)) + r")(?!\w)")


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
    for match in _names_pattern(tuple(sorted(wanted, key=len, reverse=True))).finditer(text):
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
    return knowledge.find(doc, known, _film_cue_sentences(doc, cues))


def find(
    doc: Doc,
    cues: list[Span],
    matcher: PhraseMatcher | None = None,
    known: knowledge.KnownWorks | None = None,
) -> list[Candidate]:
    """Return film references, the best-scored of overlapping candidates winning."""
    seeds = (
        from_cues(doc, cues)
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
    return [Candidate(f.start, f.end, FILM_REFERENCE, f.score, f.reason, f.rule) for f in taken]
