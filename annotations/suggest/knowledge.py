"""Film references from a list of widely discussed screen works (pure).

``data/screen_works.tsv`` names films, series and episodes about technology, AI
and the future with their makers, cast and characters. A text that names a work
by its full title, or a maker or actor by full name, gets a suggestion there;
the weaker forms need more:

- a title that is an ordinary word ("Her", "Moon") counts only with a capital
  mid-sentence, and only where the text names another person of that work, a
  film cue sits in the same sentence, or another known title stands beside it
  in a list ("classics like Alphaville and Her");
- a character's name, or a surname or first name alone, counts only in a text
  that names the work or one of its people in full;
- a title in lower case counts only where the same text also writes it with
  capitals (a headline in capitals, then "black mirror" in the prose).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from annotations.suggest.base import doc_text, joined_to_a_name
from annotations.suggest.clauses import sentence_starts
from annotations.suggest.runs import Found

DATA = Path(__file__).with_name("data") / "screen_works.tsv"

TITLE, PERSON, CHARACTER, SHORT = "title", "person", "character", "short"
#: Words that open or join names but are not a name on their own.
NOT_SHORT_FORMS = {"the", "of", "and", "dr.", "mr.", "mrs.", "jr.", "van", "von", "de", "da", "le"}
#: Surnames and first names too common in other writing to count alone, even in context.
COMMON_SHORT_FORMS = {
    "Smith", "Jones", "Scott", "Lee", "Miller", "Brown", "Davis", "Hall", "Williams", "Wright",
    "James", "Young", "King", "Kim", "Martin", "Clark", "Harris", "Stone", "Bird", "Moore",
    "Love", "Will", "Grant", "Frank", "Mark", "Joe", "Jack", "Tom", "John", "David", "Michael",
    "Paul", "Chris", "Daniel", "Robert", "Richard", "Peter", "George", "Max", "Amy", "Ann",
    "Anne", "Sam", "Alex", "Ben", "Dan", "Hugh", "Ryan", "Matt", "Kate", "Emma", "Jake",
    "Lucy", "Mia", "Nora", "Iris", "Harry", "Ian", "Ed", "Kit", "Chan", "Song", "Day", "Mara",
    "Moss", "Law", "Hill", "Field", "Rain", "Reese", "Cole", "Pace", "Gale",
}  # fmt: skip
SOURCE_NOTE = "list of screen works"


@dataclass(frozen=True, slots=True)
class Work:
    kind: str
    title: str
    year: str
    makers: tuple[str, ...]
    cast: tuple[str, ...]
    characters: tuple[str, ...]
    #: The title is an ordinary word or phrase: matched only with more evidence.
    common: bool

    @property
    def label(self) -> str:
        return f"{self.kind} “{self.title}” ({self.year})"


@dataclass(frozen=True, slots=True)
class Form:
    """One way a text can name a work: its title, a person of it, a character, a short form."""

    text: str
    role: str
    work: int
    #: For a short form: the full name it stands for.
    full: str = ""
    #: For a person: "director" or "cast".
    job: str = ""


def _split(column: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in column.split(";") if part.strip())


@lru_cache(maxsize=1)
def works() -> tuple[Work, ...]:
    """Read the list of screen works once per process."""
    found: list[Work] = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, title, year, makers, cast, characters, _source = line.split("\t")
        common = title.startswith("*")
        found.append(
            Work(
                kind,
                title.lstrip("*"),
                year,
                _split(makers),
                _split(cast),
                _split(characters),
                common,
            )
        )
    return tuple(found)


def _short_forms(name: str) -> list[str]:
    parts = [p for p in name.split() if p.lower() not in NOT_SHORT_FORMS]
    if len(parts) < 2:
        return []
    forms = [parts[-1], parts[0]]
    return [f for f in forms if len(f) > 2 and f[:1].isupper() and f not in COMMON_SHORT_FORMS]


@lru_cache(maxsize=1)
def forms() -> dict[str, list[Form]]:
    """Every form of every work, keyed by its lower-case text."""
    table: dict[str, list[Form]] = {}

    def add(form: Form) -> None:
        table.setdefault(form.text.lower(), []).append(form)

    for number, work in enumerate(works()):
        add(Form(work.title, TITLE, number))
        if work.title.startswith("The "):
            # "Terminator", "Matrix": the title without its article, a short form like a surname
            add(Form(work.title[4:], SHORT, number, full=work.title, job="title"))
        for job, people in (("director", work.makers), ("cast", work.cast)):
            for person in people:
                add(Form(person, PERSON, number, job=job))
                for short in _short_forms(person):
                    add(Form(short, SHORT, number, full=person, job=job))
        for character in work.characters:
            add(Form(character, CHARACTER, number))
            for short in _short_forms(character):
                add(Form(short, SHORT, number, full=character, job="character"))
    return table


class KnownWorks:
    """Matchers for the forms: as written (and in capitals), and titles in any case.

    Matching every form case-insensitively would also match "robot" and "forest"
    in every essay; only titles of two words or more can be meant in lower case.
    """

    def __init__(self, vocab, tokenizer) -> None:
        self.exact = PhraseMatcher(vocab, attr="ORTH")
        self.any_case = PhraseMatcher(vocab, attr="LOWER")
        for number, (key, options) in enumerate(sorted(forms().items())):
            written = {form.text for form in options}
            variants = set(written)
            variants |= {text.upper() for text in written}
            variants |= {"the " + text[4:] for text in written if text.startswith("The ")}
            self.exact.add(f"herlens_work_{number}", [tokenizer(v) for v in sorted(variants)])
            if any(f.role == TITLE and len(key.split()) > 1 for f in options):
                self.any_case.add(f"herlens_work_{number}", [tokenizer(key)])

    def __call__(self, doc: Doc) -> list[tuple[int, int]]:
        found = {(start, end) for _id, start, end in self.exact(doc)}
        found |= {(start, end) for _id, start, end in self.any_case(doc)}
        return sorted(found)


def build_matcher(vocab, tokenizer) -> KnownWorks:
    return KnownWorks(vocab, tokenizer)


def _case_ok(
    written: str, form: Form, capitalised_elsewhere: set[str], cue_nearby: bool = False
) -> bool:
    if written == form.text:
        return True
    if written.isupper() and len(written) > 3:
        return True  # a headline in capitals, a speaker label "GERTY:"
    if form.role == TITLE:
        words, wanted = written.split(), form.text.split()
        # "the Matrix" in running prose for "The Matrix"
        if words[1:] == wanted[1:] and words[0].lower() == wanted[0].lower() and len(words) > 1:
            return True
        if (
            written.islower()
            and len(words) > 1
            and (form.text.lower() in capitalised_elsewhere or cue_nearby)
        ):
            return True  # "black mirror" after BLACK MIRROR; "just rewatched ex machina"
    return False


def _sentence_start(span: Span) -> bool:
    token = span[0]
    if token.is_sent_start or token.i == 0:
        return True
    before = span.doc[token.i - 1]
    return before.is_space or "\n" in before.whitespace_ or before.text in {"“", '"', "("}


def _in_list_with(span: Span, accepted: list[Span]) -> bool:
    """Whether another accepted title stands beside this one in a list ("X, Y and Z")."""
    doc = span.doc
    for other in accepted:
        if other.start >= span.end:
            gap = doc[span.end : other.start]
        elif other.end <= span.start:
            gap = doc[other.end : span.start]
        else:
            continue
        if 0 < len(gap) <= 2 and all(t.text in {",", "and", "or", "&"} for t in gap):
            return True
    return False


class _Match(NamedTuple):
    """A place the matchers found, with what the rules read of it more than once."""

    span: Span
    #: The words as written (Span.text joins the tokens anew on every call).
    text: str
    #: The token index of its sentence's start.
    sentence: int
    options: list[Form]


def _matches(
    doc: Doc, matcher: KnownWorks, film_cue_sentences: set[int]
) -> tuple[list[_Match], set[str]]:
    """The places worth judging, and the lower-cased forms written with capitals somewhere."""
    text = doc_text(doc)
    spans = [doc[start:end] for start, end in matcher(doc)]
    matched = [(span, text[span.start_char : span.end_char]) for span in spans]
    capitalised_elsewhere = {written.lower() for _span, written in matched if not written.islower()}
    starts = sentence_starts(doc)
    table = forms()
    candidates = []
    for span, written in matched:
        sentence = starts[bisect_right(starts, span.start) - 1]
        # Lower-case words ("robot", "forest") are most matches and can only be a title written
        # in capitals elsewhere in the text: drop the rest before judging anything.
        if written.islower() and not (
            len(span) > 1 and (written in capitalised_elsewhere or sentence in film_cue_sentences)
        ):
            continue
        candidates.append(_Match(span, written, sentence, table.get(written.lower(), [])))
    return candidates, capitalised_elsewhere


def find(doc: Doc, matcher: KnownWorks, film_cue_sentences: set[int]) -> list[Found]:
    """Return the mentions of known works in the doc, judged by the rules in the module doc."""
    catalogue = works()
    candidates, capitalised_elsewhere = _matches(doc, matcher, film_cue_sentences)
    # First pass: the strong forms name works for certain and give the text its context.
    strong: dict[tuple[int, int], tuple[Span, Form]] = {}
    context: set[int] = set()
    # Titles first, so that a person in several works is credited to the one the text names.
    for role in (TITLE, PERSON):
        for match in candidates:
            if (match.span.start, match.span.end) not in strong:
                cue_nearby = match.sentence in film_cue_sentences
                _strong_form(
                    match, role, catalogue, capitalised_elsewhere, strong, context, cue_nearby
                )
    accepted: list[Span] = [span for span, _form in strong.values()]
    found: list[Found] = [_mention(span, form, catalogue) for span, form in strong.values()]
    pending = [m for m in candidates if (m.span.start, m.span.end) not in strong]
    found += _weak_pass(pending, accepted, context, capitalised_elsewhere, film_cue_sentences)
    return found


def _weak_pass(
    pending: list[_Match],
    accepted: list[Span],
    context: set[int],
    capitalised_elsewhere: set[str],
    film_cue_sentences: set[int],
) -> list[Found]:
    """The second pass: the weak forms, which need the context or a cue."""
    catalogue = works()
    found: list[Found] = []
    for _round in range(2):  # a title accepted by a list can vouch for its neighbour
        rest = []
        for match in pending:
            chosen = _weak_choice(
                match, catalogue, context, capitalised_elsewhere, film_cue_sentences
            ) or _listed_common_title(match, catalogue, accepted)
            if chosen is None:
                rest.append(match)
                continue
            accepted.append(match.span)
            context.add(chosen.work)
            found.append(_mention(match.span, chosen, catalogue))
        if len(rest) == len(pending):
            break
        pending = rest
    return found


def _listed_common_title(
    match: _Match, catalogue: tuple[Work, ...], accepted: list[Span]
) -> Form | None:
    """ "classics like Alphaville and Her": a common-word title beside an accepted one."""
    span, options = match.span, match.options
    if not any(f.role == TITLE and catalogue[f.work].common for f in options):
        return None
    title = next(f for f in options if f.role == TITLE)
    if match.text == title.text and not _sentence_start(span) and _in_list_with(span, accepted):
        return title
    return None


def _strong_form(
    match: _Match,
    role: str,
    catalogue: tuple[Work, ...],
    capitalised_elsewhere: set[str],
    strong: dict[tuple[int, int], tuple[Span, Form]],
    context: set[int],
    cue_nearby: bool = False,
) -> None:
    """Record a full title or a full name as a sure mention, and its work as named."""
    span = match.span
    wanted = [
        f
        for f in match.options
        if f.role == role
        and _case_ok(match.text, f, capitalised_elsewhere, cue_nearby)
        and not (role == TITLE and catalogue[f.work].common)
        and not (role == PERSON and len(f.text.split()) < 2)  # "Kogonada" needs context
    ]
    if not wanted:
        return
    wanted.sort(key=lambda f: f.work not in context)
    form = wanted[0]
    strong[(span.start, span.end)] = (span, form)
    # An actor in several works vouches for none of them alone.
    if role == TITLE or len({f.work for f in wanted}) == 1:
        context.add(form.work)


def _weak_choice(
    match: _Match,
    catalogue: tuple[Work, ...],
    context: set[int],
    capitalised_elsewhere: set[str],
    film_cue_sentences: set[int],
) -> Form | None:
    span = match.span
    in_context = sorted(match.options, key=lambda f: f.work not in context)
    for form in in_context:
        if not _case_ok(match.text, form, capitalised_elsewhere):
            continue
        work = catalogue[form.work]
        if form.role == TITLE and work.common:
            if _sentence_start(span) or match.text != form.text:
                continue
            before = span.doc[span.start - 1].lower_ if span.start else ""
            if before in {"the", "a", "an"}:
                continue  # "the Moon", "a Contact"
            if form.work in context or match.sentence in film_cue_sentences:
                return form
            continue
        if form.work not in context:
            continue
        if form.role in {SHORT, CHARACTER, PERSON}:
            if len(span) == 1 and span[0].is_stop and _sentence_start(span):
                continue
            if form.role == SHORT and joined_to_a_name(span):
                continue  # part of another person's full name
            return form
        if form.role == TITLE:
            return form
    return None


def _mention(span: Span, form: Form, catalogue: tuple[Work, ...]) -> Found:
    work = catalogue[form.work]
    if form.role == TITLE:
        reason, score, rule = f"title of the {work.label} on the {SOURCE_NOTE}", 0.8, "known-title"
    elif form.role == PERSON:
        job = "director" if form.job == "director" else "cast member"
        reason, score, rule = f"{job} of the {work.label} on the {SOURCE_NOTE}", 0.8, "known-person"
    elif form.role == CHARACTER:
        reason, score, rule = (
            f"character in the {work.label}, named in this text",
            0.7,
            "known-character",
        )
    elif form.job == "title":
        reason = f"short for the {work.label}, named in this text"
        score, rule = 0.65, "known-short-form"
    else:
        reason = f"short for “{form.full}” of the {work.label}, named in this text"
        score, rule = 0.65, "known-short-form"
    return Found(span.start_char, span.end_char, score, reason, rule, person=form.role != TITLE)
