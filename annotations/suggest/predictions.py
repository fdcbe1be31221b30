"""Predictions: statements about what will or may happen (pure)."""

from __future__ import annotations

from spacy.tokens import Doc, Span

from annotations.suggest.base import PREDICTION, Candidate, doc_text, quoted
from annotations.suggest.clauses import clauses_of, cues_by_sentence

#: Words before "will" that make it a noun ("free will", "against her will").
WILL_NOUN_BEFORE = {
    "free", "the", "a", "her", "his", "their", "my", "our", "your", "its", "own", "good", "ill",
    "against", "of", "with", "at", "political", "sheer", "iron", "whose",
}  # fmt: skip
#: Frames too vague to make a prediction on their own: plot summaries use them ("soon he falls...").
WEAK_FRAMES = {"soon", "eventually", "sooner", "tomorrow", "someday"}
THRESHOLD = 0.5
#: Cue labels that can make a prediction, and those that only weigh on one.
TRIGGERS = {"FUTURE_MODAL", "FORECAST", "FORECAST_PHRASE", "TIME_FRAME"}
LABELS = TRIGGERS | {"WEAK_MODAL", "PAST_TIME"}
#: Determiners of a generic subject: "a cat will sleep", "every student will know" (habit, not forecast).
GENERIC_DETERMINERS = {"a", "an", "every", "any", "each", "no"}
HABITUAL_ADVERBS = {"always", "usually", "often", "happily", "gladly", "sometimes", "typically"}
CONTRACTED = {"'ll", "’ll"}
#: Past forms of forecasting verbs: "the show predicted" reports an old forecast.
PAST_FORECASTS = {"predicted", "foresaw", "foreseen", "anticipated", "prophesied", "expected",
                  "envisioned", "envisaged", "forecasted"}  # fmt: skip
PASSIVE_BEFORE = {"is", "are", "be", "being", "'s", "’s", "widely", "generally", "now"}
SETTING_WORDS = {"set", "takes", "took", "place", "unfolds", "located"}


def _is_future_modal(cue: Span) -> bool:
    first = cue[0]
    if first.lower_ not in {"will", "shall"}:
        return True
    doc = first.doc
    if first.text == "Will" and not first.is_sent_start:
        return False  # a name: "Will Smith"
    before = doc[first.i - 1].lower_ if first.i > 0 else ""
    after = doc[first.i + 1] if first.i + 1 < len(doc) else None
    if before in WILL_NOUN_BEFORE:
        return False
    return after is not None and (after.is_alpha or after.lower_ in {"n't", "not"})


def _generic_or_habitual(cue: Span) -> bool:
    """ "A cat will sleep", "every student will know", "she will always": a habit, not a forecast."""
    doc = cue.doc
    first = cue[0]
    if first.i + 1 < len(doc) and doc[first.i + 1].lower_ in HABITUAL_ADVERBS:
        return True
    i = first.i - 1
    steps = 0
    while (
        i >= 0 and steps < 6 and not doc[i].is_space and (doc[i].text == "-" or not doc[i].is_punct)
    ):
        if doc[i].lower_ in GENERIC_DETERMINERS and (i == 0 or doc[i].is_sent_start):
            return True
        if doc[i].is_sent_start:
            break
        i -= 1
        steps += 1
    return False


def _reports_old_forecast(cue: Span) -> bool:
    doc = cue.doc
    first = cue[0]
    window = [doc[k].lower_ for k in range(max(0, first.i - 5), first.i)]
    if "as" in window or "than" in window[-2:]:
        return True  # "as we have come to expect", "better than expected"
    before = doc[first.i - 1].lower_ if first.i else ""
    return first.lower_ in PAST_FORECASTS and before not in PASSIVE_BEFORE


def _is_setting(cue: Span) -> bool:
    """ "Set in the near future, the film...": a time frame that places a story."""
    doc = cue.doc
    window = {doc[k].lower_ for k in range(max(0, cue.start - 3), cue.start)}
    return bool(window & SETTING_WORDS)


def find(doc: Doc, cues: list[Span]) -> list[Candidate]:
    """Suggest each clause whose cues add up to a statement about the future."""
    found: list[Candidate] = []
    # Only the cues _judge reads: film and claim cues would make it judge every sentence.
    relevant = [cue for cue in cues if cue.label_ in LABELS]
    for sentence, sentence_cues in cues_by_sentence(doc, relevant):
        for clause, clause_cues in clauses_of(sentence, sentence_cues):
            if not any(cue.label_ in TRIGGERS for cue in clause_cues):
                continue  # a weak modal or a past time alone never makes a prediction
            suggestion = _judge(clause, clause_cues)
            if suggestion is not None:
                found.append(suggestion)
    return found


def _judge(clause: tuple[int, int, Span], cues: list[Span]) -> Candidate | None:
    start, end, sentence = clause
    by_label: dict[str, list[Span]] = {}
    for cue in cues:
        by_label.setdefault(cue.label_, []).append(cue)
    frames = [c for c in by_label.get("TIME_FRAME", []) if not _is_setting(c)]
    strong_frames = [c for c in frames if c.text.lower() not in WEAK_FRAMES]
    forecasts = [
        c for c in by_label.get("FORECAST", []) if not _reports_old_forecast(c)
    ] + by_label.get("FORECAST_PHRASE", [])
    modals = [c for c in by_label.get("FUTURE_MODAL", []) if _is_future_modal(c)]
    if not (strong_frames or forecasts):
        # Without a time frame or a forecast, a habit ("a cat will sleep") or a
        # conversational "'ll" ("you'll see") says nothing about the future.
        modals = [
            c for c in modals if not _generic_or_habitual(c) and c[0].lower_ not in CONTRACTED
        ]
    weak_modals = by_label.get("WEAK_MODAL", [])
    past = by_label.get("PAST_TIME", [])
    # From the text: Span.text would join the sentence's tokens anew for every clause.
    text = doc_text(sentence.doc)[sentence.start_char : sentence.end_char]
    is_question = text.rstrip().endswith("?")

    score = 0.0
    reasons: list[str] = []
    rule = ""
    if modals:
        score, rule = 0.6, "future-modal"
        reasons.append(f"future modal {quoted(modals[0].text)}")
    if forecasts:
        score = max(score, 0.55) + (0.15 if modals else 0)
        rule = rule or "forecast-verb"
        reasons.append(f"forecasting verb {quoted(forecasts[0].text)}")
    if past:
        # "Twenty years ago" cancels a time frame and weakens a modal ("would" is then the past).
        score -= 0.2
        strong_frames, weak_modals = [], []
    if strong_frames:
        if score:
            score += 0.15
        elif weak_modals:
            score, rule = 0.55, "modal-time-frame"
            reasons.append(f"modal {quoted(weak_modals[0].text)}")
        else:
            score, rule = 0.5, "time-frame"
        reasons.append(f"time frame {quoted(strong_frames[0].text)}")
    elif frames and score and not past:
        score += 0.05
        reasons.append(f"time word {quoted(frames[0].text)}")
    if is_question and score:
        score += 0.05
        reasons.append("a question about the future")
    if score < THRESHOLD:
        return None
    return Candidate(start, end, PREDICTION, min(score, 0.95), " + ".join(reasons), rule)
