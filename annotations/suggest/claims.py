"""Claims: arguable assertions by the author or reported by them (pure)."""

from __future__ import annotations

from spacy.tokens import Doc, Span

from annotations.suggest.base import CLAIM, Suggestion, quoted
from annotations.suggest.clauses import clauses_of, cues_by_sentence

#: How much each kind of cue says "this is arguable", alone.
WEIGHTS = {"REPORT": 0.6, "STANCE": 0.6, "CONSENSUS": 0.6, "EVALUATIVE": 0.5, "HEDGE": 0.35}
NAMES = {
    "REPORT": "argument verb",
    "STANCE": "stance marker",
    "CONSENSUS": "consensus",
    "EVALUATIVE": "evaluative statement",
    "HEDGE": "hedge",
}
THRESHOLD = 0.45


def find(doc: Doc, cues: list[Span], predicted: set[tuple[int, int]]) -> list[Suggestion]:
    """Suggest each clause with enough stance, skipping clauses suggested as predictions."""
    found: list[Suggestion] = []
    relevant = [cue for cue in cues if cue.label_ in WEIGHTS]
    for sentence, sentence_cues in cues_by_sentence(doc, relevant):
        for (start, end, _sentence), clause_cues in clauses_of(sentence, sentence_cues):
            if (start, end) in predicted:
                continue
            labels: dict[str, Span] = {}
            for cue in clause_cues:
                labels.setdefault(cue.label_, cue)
            ordered = sorted(labels.items(), key=lambda item: -WEIGHTS[item[0]])
            score = WEIGHTS[ordered[0][0]] + 0.1 * (len(ordered) - 1)
            if score < THRESHOLD:
                continue
            reason = " + ".join(f"{NAMES[label]} {quoted(cue.text)}" for label, cue in ordered)
            rule = ordered[0][0].lower()
            found.append(Suggestion(start, end, CLAIM, min(score, 0.9), reason, rule))
    return found
