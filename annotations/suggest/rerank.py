"""A project's re-ranker of the rules' suggestions (pure: texts, spans and candidates in).

The rules are written for everyone; a project keeps some of their suggestions and not
others. For each tag, a small logistic regression learns from the rules' hits on the
project's annotated documents: a hit that matches a human span of its tag is kept, one
a person rejected, or never marked in a document they annotated for that tag, is not.
It reads what the rule was (its name and score), the cues inside the span, the other
tags' hits on it, where it stands in the text and its words. A hit it scores below the
tag's cut is dropped; the cut is chosen on held-out documents (heldout.py), and a tag
keeps every hit (cut 0) unless dropping some did better there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy

from annotations.suggest.base import Candidate
from annotations.suggest.evaluation import matches
from annotations.suggest.pipeline import CUES_KEY

#: A tag's re-ranker needs this many kept and this many dropped hits to learn from.
MIN_EACH = 3
#: L2 penalty on the weights: with a few hundred hits, words are rare features and would
#: otherwise decide alone.
PENALTY = 1.0
STEPS = 300
RATE = 0.5
#: Cuts tried on the held-out documents; 0 keeps every hit.
CUTS = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9)
#: Words of a writer speaking for themselves or to the reader, rare in plot summary.
PERSONAL = frozenset(["i", "me", "my", "we", "us", "our", "you", "your", "i'm", "i've", "we're"])
#: Capitalised openings that are not names.
COMMON = frozenset(
    [
        "the",
        "a",
        "an",
        "in",
        "it",
        "this",
        "that",
        "there",
        "he",
        "she",
        "they",
        "his",
        "her",
        "its",
        "as",
        "when",
        "then",
        "if",
        "but",
        "and",
        "so",
    ]
)
PUNCTUATION = ".,;:!?()\"“”'‘’"


def _bucket(value: int, edges: Sequence[int]) -> int:
    return next((i for i, edge in enumerate(edges) if value < edge), len(edges))


def features(text: str, hit: Candidate, cues: list, hits: Sequence[Candidate]) -> list[str]:
    """What the re-ranker reads of one hit: the rule, cues, neighbours, place and words."""
    words = text[hit.start : hit.end].split()
    before = text[max(0, hit.start - 30) : hit.start].split()
    paragraph_start = text.rfind("\n", 0, hit.start) + 1
    found = [
        f"rule={hit.rule}",
        f"score={round(hit.score, 1)}",
        f"length={_bucket(len(words), (2, 4, 8, 15, 25))}",
        f"paragraph={_bucket(text.count(chr(10), 0, hit.start), (1, 3))}",
        f"opens={hit.start == paragraph_start}",
        f"last={not text[hit.end :].strip()}",
        f"question={text[hit.start : hit.end].rstrip().endswith('?')}",
        f"before={before[-1].lower().strip('.,;:') if before else ''}",
    ]
    lower = {w.lower().strip(PUNCTUATION) for w in words}
    opening = words[0].strip(PUNCTUATION) if words else ""
    found += [
        f"person={bool(lower & PERSONAL)}",
        f"digits={any(c.isdigit() for c in text[hit.start : hit.end])}",
        f"named={opening[:1].isupper() and opening.lower() not in COMMON}",
    ]
    found += {f"cue={c.label_}" for c in cues if hit.start <= c.start_char < hit.end}
    found += {
        f"also={h.tag}:{h.rule}"
        for h in hits
        if h is not hit and h.tag != hit.tag and matches(h.start, h.end, hit.start, hit.end)
    }
    found += {f"word={w.lower().strip(PUNCTUATION)}" for w in words[:40]}
    return found


@dataclass
class Reranker:
    """Per tag: feature weights and a bias; a tag without them keeps every hit."""

    weights: dict[str, dict[str, float]] = field(default_factory=dict)
    bias: dict[str, float] = field(default_factory=dict)

    def scores(self, doc, text: str, hits: Sequence[Candidate]) -> list[float]:
        """The probability, per hit, that the project keeps it (1.0 for a tag not learned)."""
        cues = list(doc.spans[CUES_KEY]) if CUES_KEY in doc.spans else []
        found = []
        for hit in hits:
            weights = self.weights.get(hit.tag)
            if weights is None:
                found.append(1.0)
                continue
            total = self.bias[hit.tag] + sum(
                weights.get(f, 0.0) for f in features(text, hit, cues, hits)
            )
            found.append(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, total)))))
        return found

    def keep(
        self, doc, text: str, hits: list[Candidate], cuts: dict[str, float]
    ) -> list[Candidate]:
        """The hits scored at or above their tag's cut."""
        if not any(cuts.values()) or not self.weights:
            return hits
        scored = self.scores(doc, text, hits)
        return [h for h, p in zip(hits, scored, strict=True) if p >= cuts.get(h.tag, 0.0)]

    def as_json(self) -> dict[str, object]:
        return {"weights": self.weights, "bias": self.bias}

    @classmethod
    def from_json(cls, data: dict) -> Reranker:
        return cls(weights=data.get("weights", {}), bias=data.get("bias", {}))


def labelled_hits(lessons: Sequence, rules) -> dict[str, list[tuple[list[str], int]]]:
    """Per tag, each rule hit's features and whether the project kept it (1) or not (0).

    Only documents with a human span of the tag, or a rejected suggestion of it, count for
    the tag: a document nobody annotated for claims says nothing about the claim rules.
    """
    found: dict[str, list[tuple[list[str], int]]] = {}
    for lesson in lessons:
        doc, hits = rules(lesson.text)
        cues = list(doc.spans[CUES_KEY]) if CUES_KEY in doc.spans else []
        judged = {s.tag for s in lesson.spans} | {s.tag for s in lesson.rejected}
        for hit in hits:
            if hit.tag not in judged:
                continue
            kept = any(
                s.tag == hit.tag and matches(s.start, s.end, hit.start, hit.end)
                for s in lesson.spans
            )
            found.setdefault(hit.tag, []).append(
                (features(lesson.text, hit, cues, hits), int(kept))
            )
    return found


def _fit(rows: list[tuple[list[str], int]]) -> tuple[dict[str, float], float]:
    """Logistic regression by gradient descent on binary features, L2 on the weights."""
    names = sorted({f for row, _label in rows for f in row})
    index = {name: i for i, name in enumerate(names)}
    x = numpy.zeros((len(rows), len(names)))
    for i, (row, _label) in enumerate(rows):
        x[i, [index[f] for f in row]] = 1.0
    y = numpy.array([label for _row, label in rows], dtype=float)
    w, b = numpy.zeros(len(names)), 0.0
    for _step in range(STEPS):
        p = 1.0 / (1.0 + numpy.exp(-(x @ w + b)))
        error = p - y
        w -= RATE * (x.T @ error / len(rows) + PENALTY * w / len(rows))
        b -= RATE * float(error.mean())
    return {n: round(float(v), 4) for n, v in zip(names, w, strict=True) if abs(v) > 1e-4}, b


def train_reranker(lessons: Sequence, rules) -> Reranker | None:
    """A re-ranker for each tag with at least ``MIN_EACH`` kept and dropped hits."""
    reranker = Reranker()
    for tag, rows in labelled_hits(lessons, rules).items():
        kept = sum(label for _row, label in rows)
        if kept < MIN_EACH or len(rows) - kept < MIN_EACH:
            continue
        reranker.weights[tag], reranker.bias[tag] = _fit(rows)
    return reranker if reranker.weights else None
