"""What every rule produces, and the small helpers the rules share (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Doc, Span

CLAIM = "claim"
PREDICTION = "prediction"
FILM_REFERENCE = "film-reference"

#: The tag slugs the pipeline can suggest; a project without one of them gets none of that tag.
TAG_SLUGS: tuple[str, ...] = (CLAIM, PREDICTION, FILM_REFERENCE)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One suggested span: code-point offsets into the text, end exclusive."""

    start: int
    end: int
    tag: str
    score: float
    #: Shown to the reviewer: names the cue that fired, quoting the words.
    reason: str
    #: A stable name of the rule, so the project page can count what each rule earns.
    rule: str

    def as_dict(self, text: str) -> dict[str, object]:
        return {
            "start": self.start,
            "end": self.end,
            "tag": self.tag,
            "text": text[self.start : self.end],
            "score": round(self.score, 2),
            "reason": self.reason,
            "rule": self.rule,
        }


def quoted(words: str) -> str:
    """Quote the cue's words for a reason, collapsing whitespace."""
    return "“" + " ".join(words.split()) + "”"


def trimmed_bounds(span: Span) -> tuple[int, int] | None:
    """Return the character bounds of a span without surrounding whitespace tokens."""
    doc = span.doc
    start, end = span.start, span.end
    # Only the ends can be whitespace worth trimming: walk inwards, never through the middle.
    while start < end and doc[start].is_space:
        start += 1
    while end > start and doc[end - 1].is_space:
        end -= 1
    if start == end:
        return None
    last = doc[end - 1]
    return doc[start].idx, last.idx + len(last.text)


def joined_to_a_name(span: Span) -> bool:
    """Whether a capitalised word sits right before or after the span on its line: the
    span is then part of a longer name ("Rooney" of "Mickey Rooney"), not a name alone."""
    doc = span.doc
    before = doc[span.start - 1] if span.start else None
    after = doc[span.end] if span.end < len(doc) else None
    return bool(
        (
            before is not None
            and before.is_alpha
            and before.text[:1].isupper()
            and not before.is_sent_start
            and "\n" not in before.whitespace_
        )
        or (after is not None and after.is_alpha and after.text[:1].isupper())
    )


def doc_text(doc: Doc) -> str:
    """Return the doc's text, built once: Doc.text joins every token anew on each call."""
    text = doc.user_data.get("herlens_text")
    if text is None:
        text = doc.user_data["herlens_text"] = doc.text
    return text


#: A passage between quotation marks; it is speech when it holds four words or more.
QUOTED = re.compile(r"“[^”\n]{1,600}”|\"[^\"\n]{1,600}\"")
SPEECH_WORDS = 4
#: A line of a script: "NAME: what they say".
SCRIPT_LINE = re.compile(
    r"^[ \t]*[A-Z][A-Za-z0-9'’.\-]*(?: [A-Z][A-Za-z0-9'’.\-]*){0,2}:[ \t]+\S.*$", re.M
)


def dialogue_ranges(text: str) -> list[tuple[int, int]]:
    """Return the character ranges of quoted speech and script lines: what characters say
    is neither the writer's claim nor their prediction."""
    ranges = [m.span() for m in QUOTED.finditer(text) if len(m.group().split()) >= SPEECH_WORDS]
    script = [m.span() for m in SCRIPT_LINE.finditer(text)] if ":" in text else []
    if len(script) >= 2:  # one "Note: ..." line is not a script
        ranges.extend(script)
    return ranges
