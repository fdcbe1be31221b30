"""Claims: arguable assertions by the author or reported by them (pure)."""

from __future__ import annotations

from spacy.tokens import Doc, Span

from annotations.suggest.base import CLAIM, Candidate, doc_text, quoted
from annotations.suggest.clauses import clauses_of, cues_by_sentence

#: How much each kind of cue says "this is arguable", alone.
WEIGHTS = {
    "REPORT": 0.6,
    "STANCE": 0.6,
    "CONSENSUS": 0.6,
    "EVALUATIVE": 0.5,
    "PLAIN": 0.5,
    "HEDGE": 0.35,
}
NAMES = {
    "REPORT": "argument verb",
    "STANCE": "stance marker",
    "CONSENSUS": "consensus",
    "EVALUATIVE": "evaluative statement",
    "HEDGE": "hedge",
    "PLAIN": "plain assertion",
}
#: Words of a sign-off or a greeting: "Thank you, and enjoy", "Cheers!", "Write to the desk".
SIGN_OFF = {"thank", "thanks", "cheers", "goodbye", "bye", "subscribe", "welcome", "enjoy"}
#: A prediction made only of a bare modal leaves room for a claim beside it, when a stance says so.
STRONG_FOR_BOTH = 0.6
MIN_WORDS = 3
THRESHOLD = 0.45


def _embedded_question(cue: Span) -> bool:
    """ "asks whether I think", "do I believe": a stance asked about is not taken."""
    if cue.label_ != "STANCE" or cue.start == 0:
        return False
    return cue.doc[cue.start - 1].lower_ in {"whether", "if", "do", "did", "does"}


def _sign_off_or_question(sentence: Span) -> bool:
    text = doc_text(sentence.doc)[sentence.start_char : sentence.end_char].rstrip()
    if text.endswith("?"):
        return True
    # split(None, 3): the first three words without splitting the whole sentence.
    return any(word.strip(",.!").lower() in SIGN_OFF for word in text.split(None, 3)[:3])


def find(doc: Doc, cues: list[Span], predicted: dict[tuple[int, int], float]) -> list[Candidate]:
    """Suggest each clause with enough stance.

    A clause suggested as a prediction is left to it, unless the prediction rests
    on a bare modal and a stance marker or an argument verb makes it a claim too.
    """
    found: list[Candidate] = []
    relevant = [cue for cue in cues if cue.label_ in WEIGHTS and not _embedded_question(cue)]
    for sentence, sentence_cues in cues_by_sentence(doc, relevant):
        for (start, end, _sentence), clause_cues in clauses_of(sentence, sentence_cues):
            if _sign_off_or_question(_sentence):
                continue
            labels: dict[str, Span] = {}
            for cue in clause_cues:
                labels.setdefault(cue.label_, cue)
            ordered = sorted(labels.items(), key=lambda item: -WEIGHTS[item[0]])
            score = WEIGHTS[ordered[0][0]] + 0.1 * (len(ordered) - 1)
            words = doc_text(doc)[start:end].split(None, MIN_WORDS)
            if score < THRESHOLD or len(words) < MIN_WORDS:
                continue  # "Spoilers, obviously." is an aside, not a claim
            prediction = predicted.get((start, end))
            if prediction is not None and not (
                prediction <= STRONG_FOR_BOTH
                and ordered[0][0] in {"STANCE", "REPORT"}
                and (ordered[0][0] == "REPORT" or len(ordered[0][1]) > 1)
            ):
                continue
            reason = " + ".join(f"{NAMES[label]} {quoted(cue.text)}" for label, cue in ordered)
            rule = ordered[0][0].lower()
            found.append(Candidate(start, end, CLAIM, min(score, 0.9), reason, rule))
    return found
