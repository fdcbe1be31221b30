"""Sentences and clauses to suggest, and the cues that fall in each (pure)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator

import numpy
from spacy.attrs import SENT_START
from spacy.tokens import Doc, Span

from annotations.suggest.base import trimmed_bounds

#: Sentences longer than this (in tokens) are cut at semicolons and colons into clauses.
LONG_SENTENCE = 30
CLAUSE_BREAKS = {";", ":"}


def sentence_starts(doc: Doc) -> list[int]:
    """Return the token index of each sentence start, computed once per doc.

    Token.sent and Doc.sents walk the tokens in Python each time; one array read
    is many times faster on a long essay.
    """
    starts = doc.user_data.get("herlens_sentence_starts")
    if starts is None:
        flags = doc.to_array(SENT_START)
        starts = [0, *(i for i in numpy.flatnonzero(flags == 1).tolist() if i)]
        doc.user_data["herlens_sentence_starts"] = starts
    return starts


def cues_by_sentence(doc: Doc, cues: list[Span]) -> Iterator[tuple[Span, list[Span]]]:
    """Yield each sentence that holds at least one cue (in reading order), with those cues."""
    starts = sentence_starts(doc)
    by_sentence: dict[int, list[Span]] = {}
    for cue in cues:
        by_sentence.setdefault(bisect_right(starts, cue.start) - 1, []).append(cue)
    for number in sorted(by_sentence):
        end = starts[number + 1] if number + 1 < len(starts) else len(doc)
        yield doc[starts[number] : end], by_sentence[number]


def clauses_of(
    sentence: Span, cues: list[Span]
) -> Iterator[tuple[tuple[int, int, Span], list[Span]]]:
    """Yield (start, end, sentence) of each clause with its cues; short sentences are one clause."""
    for low, high, bounds in _clauses(sentence):
        inside = [cue for cue in cues if low <= cue.start < high]
        if inside and bounds is not None:
            yield (bounds[0], bounds[1], sentence), inside


def _clauses(sentence: Span) -> list[tuple[int, int, tuple[int, int] | None]]:
    """Token bounds and character bounds of each clause of a sentence, computed once per doc:
    the prediction and the claim rules both read them."""
    doc = sentence.doc
    cache = doc.user_data.setdefault("herlens_clauses", {})
    found = cache.get(sentence.start)
    if found is None:
        found = cache[sentence.start] = [
            (low, high, trimmed_bounds(doc[low:high])) for low, high in _pieces(sentence)
        ]
    return found


def _pieces(sentence: Span) -> list[tuple[int, int]]:
    """Token bounds of the clauses of a sentence: long ones are cut at semicolons and colons."""
    pieces: list[tuple[int, int]] = []
    if len(sentence) > LONG_SENTENCE:
        first = sentence.start
        for token in sentence:
            if token.text in CLAUSE_BREAKS and token.i > first:
                pieces.append((first, token.i + 1))
                first = token.i + 1
        pieces.append((first, sentence.end))
    else:
        pieces.append((sentence.start, sentence.end))
    return pieces


def units(doc: Doc) -> list[tuple[int, int]]:
    """Return the character bounds of every clause of the doc, the units claims are made of."""
    starts = sentence_starts(doc)
    found = []
    for number, start in enumerate(starts):
        end = starts[number + 1] if number + 1 < len(starts) else len(doc)
        for low, high in _pieces(doc[start:end]):
            bounds = trimmed_bounds(doc[low:high])
            if bounds is not None:
                found.append(bounds)
    return found
