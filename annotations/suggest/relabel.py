"""Where a project draws the line between two tags the rules confuse (pure).

The rules call a sentence about the future a prediction; some projects' people mark a
conditional or evaluative sentence with a "will" in it as a claim instead, and the
other way round. For each such pair of tags, a small logistic regression learns from
the rules' hits of the first tag on the project's annotated documents: a hit that
people marked with the other tag, and not with its own, is one to switch. It reads
what the re-ranker reads (rerank.py) but the words themselves: with a handful of
switched hits, words would name the essays, not the convention.

A hit scored at or above its pair's cut is suggested under the other tag, its reason
naming the documents the switch was learned from. The cut is chosen on held-out
documents (heldout.py); a pair stays off unless switching did better there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from annotations.suggest.base import CLAIM, PREDICTION, Candidate, quoted
from annotations.suggest.evaluation import matches
from annotations.suggest.pipeline import CUES_KEY
from annotations.suggest.rerank import features, fit_logistic

#: (from, to): the rules' tag and the tag a project may mark the same sentence with.
PAIRS: tuple[tuple[str, str], ...] = ((PREDICTION, CLAIM), (CLAIM, PREDICTION))
#: A pair is learned only from this many switched hits, and this many kept.
MIN_SWITCHED = 3
MIN_KEPT = 3
#: Cuts tried on the held-out documents; a pair without a chosen cut switches nothing.
CUTS = (0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7)
OFF = 1.01
RULE = "learned-tag"
#: Documents named in a reason, at most.
NAMED = 3


def pair_key(source: str, target: str) -> str:
    return f"{source}>{target}"


#: The score of a hit no pair can switch.
NO_SWITCH = ("", 0.0)


def switches_at(hit: Candidate, score: tuple[str, float], cuts: dict[str, float]) -> bool:
    """Whether a hit with this (other tag, probability) switches at these cuts."""
    target, probability = score
    return bool(target) and probability >= cuts.get(pair_key(hit.tag, target), OFF)


def _features(text: str, hit: Candidate, cues: list, hits: Sequence[Candidate]) -> list[str]:
    return [f for f in features(text, hit, cues, hits) if not f.startswith("word=")]


def _cues(doc) -> list:
    return list(doc.spans[CUES_KEY]) if CUES_KEY in doc.spans else []


@dataclass
class Relabeller:
    """Per pair ("prediction>claim"): feature weights, a bias, the documents the switch
    was seen in and the cut chosen on held-out documents (``OFF``: none)."""

    weights: dict[str, dict[str, float]] = field(default_factory=dict)
    bias: dict[str, float] = field(default_factory=dict)
    seen_in: dict[str, list[str]] = field(default_factory=dict)
    switched: dict[str, int] = field(default_factory=dict)
    cuts: dict[str, float] = field(default_factory=dict)

    def scores(self, doc, text: str, hits: Sequence[Candidate]) -> list[tuple[str, float]]:
        """Per hit, the tag it may switch to and the probability it should ("", 0.0: none)."""
        cues = _cues(doc)
        found = []
        for hit in hits:
            best = NO_SWITCH
            for source, target in PAIRS:
                key = pair_key(source, target)
                if hit.tag != source or key not in self.weights:
                    continue
                total = self.bias[key] + sum(
                    self.weights[key].get(f, 0.0) for f in _features(text, hit, cues, hits)
                )
                probability = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, total))))
                if probability > best[1]:
                    best = (target, probability)
            found.append(best)
        return found

    def switch(
        self,
        hits: list[Candidate],
        scores: Sequence[tuple[str, float]],
        cuts: dict[str, float],
        labels: dict[str, str],
    ) -> list[Candidate]:
        """The hits, each scored at or above its pair's cut under the other tag; one the
        other tag already has a hit on is dropped rather than suggested twice."""
        switched, kept = [], []
        for hit, (target, probability) in zip(hits, scores, strict=True):
            if switches_at(hit, (target, probability), cuts):
                switched.append(self._switched(hit, target, probability, labels))
            else:
                kept.append(hit)
        for hit in switched:
            if not any(
                h.tag == hit.tag and matches(h.start, h.end, hit.start, hit.end) for h in kept
            ):
                kept.append(hit)
        return sorted(kept, key=lambda s: (s.start, -s.end, s.tag))

    def active(self) -> bool:
        """Whether the held-out documents chose a cut for any pair."""
        return any(cut < OFF for cut in self.cuts.values())

    def _switched(
        self, hit: Candidate, target: str, probability: float, labels: dict[str, str]
    ) -> Candidate:
        key = pair_key(hit.tag, target)
        documents = ", ".join(quoted(name) for name in self.seen_in.get(key, [])[:NAMED])
        reason = (
            f"{hit.reason}; this project marks sentences like this as "
            f"{labels.get(target, target)}, not {labels.get(hit.tag, hit.tag)} "
            f"({self.switched.get(key, 0)} times, in {documents}; {probability:.0%} alike)"
        )
        return Candidate(hit.start, hit.end, target, hit.score, reason, RULE)

    def as_json(self) -> dict[str, object]:
        return {
            "weights": self.weights,
            "bias": self.bias,
            "seen_in": self.seen_in,
            "switched": self.switched,
            "cuts": self.cuts,
        }

    @classmethod
    def from_json(cls, data: dict) -> Relabeller:
        return cls(**{key: data.get(key, {}) for key in cls.__dataclass_fields__})


def switched_hits(lessons: Sequence, rules, source: str, target: str):
    """Each of the rules' ``source`` hits on documents judged for both tags, its features
    and whether people marked it ``target`` and not ``source`` (1), with the documents."""
    rows: list[tuple[list[str], int]] = []
    seen: list[str] = []
    for lesson in lessons:
        judged = {s.tag for s in lesson.spans} | {s.tag for s in lesson.rejected}
        if not {source, target} <= judged:
            continue
        doc, hits = rules(lesson.text)
        cues = _cues(doc)
        for hit in hits:
            if hit.tag != source:
                continue
            marked = {s.tag for s in lesson.spans if matches(s.start, s.end, hit.start, hit.end)}
            label = int(target in marked and source not in marked)
            rows.append((_features(lesson.text, hit, cues, hits), label))
            if label and lesson.name not in seen:
                seen.append(lesson.name)
    return rows, seen


def train_relabeller(lessons: Sequence, rules) -> Relabeller | None:
    """A model for each pair with at least ``MIN_SWITCHED`` switched and ``MIN_KEPT`` other
    hits; every cut starts off until the held-out documents choose one."""
    relabeller = Relabeller()
    for source, target in PAIRS:
        rows, seen = switched_hits(lessons, rules, source, target)
        switched = sum(label for _row, label in rows)
        if switched < MIN_SWITCHED or len(rows) - switched < MIN_KEPT:
            continue
        key = pair_key(source, target)
        relabeller.weights[key], relabeller.bias[key] = fit_logistic(rows)
        relabeller.seen_in[key], relabeller.switched[key] = seen, switched
        relabeller.cuts[key] = OFF
    return relabeller if relabeller.weights else None
