"""Judging a project's trial models on documents they did not see (pure).

Before the final models are trained on every document, models trained without
some of the documents are scored on those: that is the F1 shown to the project,
and it chooses, per tag, how the learning is used (a classifier's threshold and
veto, whether the entity model's own finds count, whether quiet rules stay quiet).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from spacy.tokens import Doc

from annotations.suggest.base import Candidate
from annotations.suggest.evaluation import GoldSpan, Report, matches
from annotations.suggest.learned import OFF, Learned, Lesson, TagSummary
from annotations.suggest.rerank import CUTS

Rules = Callable[[str], tuple[Doc, list[Candidate]]]

#: Share of the documents kept aside to estimate F1 (at least one, when there are two).
HELD_OUT_SHARE = 0.25
#: Up to this many documents, the estimate is made over folds instead of one split: a
#: quarter of a dozen documents is three, too few to choose how a model is used.
SMALL_PROJECT = 16
MAX_FOLDS = 4
#: A model is used for a tag only when it beats the rules by this much on held-out documents
#: that hold at least this many spans of the tag: one lucky document is not evidence.
MIN_GAIN = 0.02
MIN_HELD_OUT_SPANS = 8
#: A re-ranker's cut must do better on the held-out documents of this many trials (folds).
MIN_TRIALS = 2
NOT_BETTER = "model kept aside: it did not beat the rules on the held-out documents"
#: Choices tried on the held-out documents for a clause tag: add a clause the model scores at
#: or above the threshold ("off": add none), and drop a rule's suggestion it scores below the veto.
THRESHOLDS = (0.4, 0.5, 0.6, 0.7, OFF)
VETOES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
#: A rule goes quiet in a project when it made at least this many suggestions on the
#: annotated documents and at most this share of them matched a human span.
QUIET_MIN = 5
QUIET_PRECISION = 0.2


def folds(lessons: Sequence[Lesson], seed: int) -> list[tuple[list[Lesson], list[Lesson]]]:
    """(train, held out) pairs: one split of a quarter held out, or, for a small project,
    up to four folds so that every estimate rests on more than one document."""
    if len(lessons) < 2:
        return []
    order = sorted(lessons, key=lambda lesson: lesson.name)
    random.Random(seed).shuffle(order)
    if len(order) > SMALL_PROJECT:
        held = max(1, round(len(order) * HELD_OUT_SHARE))
        return [(order[held:], order[:held])]
    count = min(MAX_FOLDS, len(order))
    return [
        ([d for i, d in enumerate(order) if i % count != fold], order[fold::count])
        for fold in range(count)
    ]


def quiet_rules(lessons: Sequence[Lesson], rules: Rules) -> set[tuple[str, str]]:
    """The (tag, rule) pairs whose suggestions the project's people almost never marked.

    Only documents with at least one human span of a tag count for that tag: a
    document nobody annotated for claims says nothing about the claim rules.
    """
    made: dict[tuple[str, str], int] = {}
    kept: dict[tuple[str, str], int] = {}
    for lesson in lessons:
        tags = {s.tag for s in lesson.spans}
        _doc, found = rules(lesson.text)
        for candidate in found:
            if candidate.tag not in tags or not candidate.rule:
                continue
            key = (candidate.tag, candidate.rule)
            made[key] = made.get(key, 0) + 1
            if any(
                s.tag == candidate.tag and matches(s.start, s.end, candidate.start, candidate.end)
                for s in lesson.spans
            ):
                kept[key] = kept.get(key, 0) + 1
    return {
        key
        for key, count in made.items()
        if count >= QUIET_MIN and kept.get(key, 0) <= QUIET_PRECISION * count
    }


@dataclass(frozen=True)
class Choice:
    """How the learning is used, per tag: what is tried on the held-out documents."""

    thresholds: dict[str, float]
    vetoes: dict[str, float] = field(default_factory=dict)
    #: Name-like tags whose entity model's own finds count.
    models: frozenset[str] = frozenset()
    #: Tags whose quiet rules stay quiet.
    quiet: frozenset[str] = frozenset()
    #: The re-ranker's cut per tag (0: every rule's suggestion is kept).
    cuts: dict[str, float] = field(default_factory=dict)

    def trying(self, tag: str, **change: object) -> Choice:
        """This choice with one tag's setting changed ("threshold", "veto", "model", "quiet",
        "cut")."""
        thresholds, vetoes = dict(self.thresholds), dict(self.vetoes)
        cuts = dict(self.cuts)
        if "cut" in change:
            cuts[tag] = change["cut"]
        models, quiet = set(self.models), set(self.quiet)
        if "threshold" in change:
            thresholds[tag] = change["threshold"]
        if "veto" in change:
            vetoes[tag] = change["veto"]
        if change.get("model"):
            models.add(tag)
        if change.get("quiet"):
            quiet.add(tag)
        return dataclasses.replace(
            self,
            thresholds=thresholds,
            vetoes=vetoes,
            models=frozenset(models),
            quiet=frozenset(quiet),
            cuts=cuts,
        )


@dataclass
class _Case:
    trial: Learned
    text: str
    doc: Doc
    base: list[Candidate]
    gold: list[GoldSpan]
    names: list[Candidate]
    entities: list[Candidate]
    scores: list[tuple[int, int, dict[str, float]]]
    #: The re-ranker's probability for each of ``base``.
    ranks: list[float]

    def found(self, choice: Choice | None) -> list[Candidate]:
        if choice is None:
            return self.base
        trial = self.trial
        kept = [
            s
            for s, rank in zip(self.base, self.ranks, strict=True)
            if rank >= choice.cuts.get(s.tag, 0.0)
            and not (s.tag in choice.quiet and (s.tag, s.rule) in trial.quiet_rules)
        ]
        kept = trial.veto(kept, self.scores, choice.vetoes)
        more = self.names + [e for e in self.entities if e.tag in choice.models]
        more += trial.from_clauses(self.doc, self.text, choice.thresholds, self.scores)
        return trial.merge(kept, more, self.text)


class HeldOut:
    """The held-out documents of the trial models, with what each part of the learning finds."""

    def __init__(self, trials: list[tuple[Learned, Sequence[Lesson]]], rules: Rules) -> None:
        self.cases: list[_Case] = []
        for trial, held_out in trials:
            for lesson in held_out:
                doc, base = rules(lesson.text)
                self.cases.append(
                    _Case(
                        trial,
                        lesson.text,
                        doc,
                        base,
                        [GoldSpan(s.start, s.end, s.tag) for s in lesson.spans],
                        trial.from_names(doc, lesson.text),
                        trial.from_entities(lesson.text),
                        trial.clause_scores(doc, lesson.text),
                        trial.reranker.scores(doc, lesson.text, base)
                        if trial.reranker is not None
                        else [1.0] * len(base),
                    )
                )

    def report(self, choice: Choice | None) -> Report:
        """Score the held-out documents: ``None`` is the rules alone."""
        result = Report()
        for case in self.cases:
            found = case.found(choice)
            result.add(case.text, case.gold, [(s.start, s.end, s.tag) for s in found])
        return result

    def f1(self, choice: Choice | None, tag: str) -> float:
        score = self.report(choice).by_tag.get(tag)
        return score.f1 if score is not None else 0.0

    def by_trial(self, choice: Choice, than: Choice, tag: str) -> tuple[int, int]:
        """On how many trials' held-out documents ``choice`` scores the tag higher than
        ``than``, and on how many lower."""
        better = worse = 0
        for trial in {id(case.trial): case.trial for case in self.cases}.values():
            scores = []
            for option in (choice, than):
                report = Report()
                for case in self.cases:
                    if case.trial is trial:
                        found = case.found(option)
                        report.add(case.text, case.gold, [(s.start, s.end, s.tag) for s in found])
                score = report.by_tag.get(tag)
                scores.append(score.f1 if score is not None and score.gold else 0.0)
            better += scores[0] > scores[1]
            worse += scores[0] < scores[1]
        return better, worse


def choose(
    trials: list[tuple[Learned, Sequence[Lesson]]],
    rules: Rules,
    summaries: dict[str, TagSummary],
    ready: set[str],
) -> set[str]:
    """Score the trial models on the held-out documents and choose, per tag, how to use them.

    Returns the tags whose quiet rules (see ``quiet_rules``) stay quiet: those where
    leaving them out did no worse on the held-out documents.
    """
    for summary in summaries.values():
        summary.use_model = True  # score every entity the trial models find
    held = HeldOut(trials, rules)
    choice = Choice(thresholds=dict.fromkeys(ready, OFF), vetoes=dict.fromkeys(ready, 0.0))
    for tag in sorted({tag for trial, _held in trials for tag, _rule in trial.quiet_rules}):
        quieter = choice.trying(tag, quiet=True)
        if held.f1(quieter, tag) >= held.f1(choice, tag):
            choice = quieter
    rules_only = held.report(None)
    for tag in sorted(ready):
        gold = rules_only.by_tag[tag].gold if tag in rules_only.by_tag else 0
        if gold < MIN_HELD_OUT_SPANS:
            summaries[tag].note = (
                f"model kept aside: the held-out documents hold {gold} spans of this tag, "
                f"fewer than {MIN_HELD_OUT_SPANS} to judge it on"
            )
            continue
        better = _try_tag(held, choice, tag, summaries[tag].kind)
        if better is None:
            summaries[tag].note = NOT_BETTER
        else:
            choice = better
    choice = _choose_cuts(held, choice, rules_only, trials)
    _summarise(held, choice, rules_only, summaries, ready)
    return set(choice.quiet)


def _try_tag(held: HeldOut, choice: Choice, tag: str, kind: str) -> Choice | None:
    """The best use of the tag's model, if it beats the choice so far by ``MIN_GAIN``."""
    without = held.f1(choice, tag)
    if kind == "name":
        # The entity model must earn its place on documents it did not see.
        options = [choice.trying(tag, model=True)]
    else:
        options = [choice.trying(tag, threshold=t, veto=v) for t in THRESHOLDS for v in VETOES]
    best = max(
        options,
        key=lambda o: (held.f1(o, tag), o.thresholds[tag], -o.vetoes.get(tag, 0.0)),
    )
    return best if held.f1(best, tag) >= without + MIN_GAIN else None


def _choose_cuts(
    held: HeldOut,
    choice: Choice,
    rules_only: Report,
    trials: list[tuple[Learned, Sequence[Lesson]]],
) -> Choice:
    """Per tag, the re-ranker's cut that did best on the held-out documents, when it beats
    keeping every rule's suggestion by ``MIN_GAIN`` on enough spans, does better on the
    held-out documents of ``MIN_TRIALS`` trials and worse on none (a gain on one essay, or
    one that another essay pays for, is luck); a tie keeps the lower cut."""
    tags = {tag for trial, _held in trials if trial.reranker for tag in trial.reranker.weights}
    for tag in sorted(tags):
        gold = rules_only.by_tag[tag].gold if tag in rules_only.by_tag else 0
        if gold < MIN_HELD_OUT_SPANS:
            continue
        without = held.f1(choice, tag)
        options = [choice.trying(tag, cut=cut) for cut in CUTS]
        best = max(options, key=lambda o: (held.f1(o, tag), -o.cuts[tag]))
        better, worse = held.by_trial(best, choice, tag)
        wanted = min(MIN_TRIALS, len(trials))  # a large project has one split, not folds
        if held.f1(best, tag) >= without + MIN_GAIN and better >= wanted and not worse:
            choice = best
    return choice


def _summarise(
    held: HeldOut,
    choice: Choice,
    rules_only: Report,
    summaries: dict[str, TagSummary],
    ready: set[str],
) -> None:
    final = held.report(choice)
    for tag, summary in summaries.items():
        if tag in ready:
            summary.threshold = choice.thresholds[tag]
            summary.veto = choice.vetoes[tag]
            summary.use_model = tag in choice.models if summary.kind == "name" else True
        summary.cut = choice.cuts.get(tag, 0.0)
        score = final.by_tag.get(tag)
        baseline = rules_only.by_tag.get(tag)
        summary.held_out_documents = len(held.cases)
        if score is not None and score.gold:
            summary.f1 = round(score.f1, 3)
            summary.precision = round(score.precision, 3)
            summary.recall = round(score.recall, 3)
            summary.rules_f1 = round(baseline.f1, 3) if baseline is not None else 0.0
        elif tag in ready:
            summary.note = "no span of this tag in the held-out documents: no F1 estimate"
