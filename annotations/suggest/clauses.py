"""Sentences and clauses to suggest, and the cues that fall in each (pure)."""

from __future__ import annotations

from collections.abc import Iterator

from spacy.tokens import Doc, Span

from annotations.suggest.base import trimmed_bounds

#: Sentences longer than this (in tokens) are cut at semicolons and colons into clauses.
LONG_SENTENCE = 30
CLAUSE_BREAKS = {";", ":"}


def cues_by_sentence(doc: Doc, cues: list[Span]) -> Iterator[tuple[Span, list[Span]]]:
    """Yield each sentence that holds at least one cue, with those cues."""
    by_start: dict[int, list[Span]] = {}
    for cue in cues:
        by_start.setdefault(cue[0].sent.start, []).append(cue)
    for sentence in doc.sents:
        if sentence.start in by_start:
            yield sentence, by_start[sentence.start]


def clauses_of(
    sentence: Span, cues: list[Span]
) -> Iterator[tuple[tuple[int, int, Span], list[Span]]]:
    """Yield (start, end, sentence) of each clause with its cues; short sentences are one clause."""
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
    doc = sentence.doc
    for low, high in pieces:
        inside = [cue for cue in cues if low <= cue.start < high]
        bounds = trimmed_bounds(doc[low:high])
        if inside and bounds is not None:
            yield (bounds[0], bounds[1], sentence), inside
