"""What a project teaches its suggester: names it marked, and a model per project (pure).

Two kinds of learning, both from the project's own decisions (texts and spans in,
no database):

- **Names** (naming.py): a name people marked or accepted is suggested wherever it
  recurs in the project, with its short forms; a rejected suggestion never comes back.
- **A trained model** (training.py) for each tag with at least ``MIN_SPANS`` human
  spans. Before the final model is trained on every document, models trained
  without some of the documents are scored on those (heldout.py): that is the
  F1 shown to the project, and it chooses how each tag's model is used.
- **A re-ranker** (rerank.py) of the rules' own suggestions, per tag, from which of
  them people kept, rejected or never marked; a tag's cut is chosen on the same
  held-out documents, and is 0 (every rule suggestion kept) unless it did better.

The result is a ``learned.Learned``, which the worker applies beside the rules.
Training runs in the background worker; the web process only reads summaries.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from spacy.language import Language
from spacy.tokens import Doc

from annotations.suggest.base import Candidate
from annotations.suggest.heldout import choose, folds, quiet_rules
from annotations.suggest.learned import OFF, Learned, Lesson, TagSummary, clause_units
from annotations.suggest.limits import MIN_SPANS
from annotations.suggest.naming import learn_names, name_like_tags
from annotations.suggest.rerank import train_reranker
from annotations.suggest.training import (
    FINAL_EPOCHS,
    clause_examples,
    fit,
    name_examples,
    train_clause_model,
    train_names_model,
)

Rules = Callable[[str], tuple[Doc, list[Candidate]]]
UnitFinder = Callable[[str], list[tuple[int, int, str]]]

NO_DOCUMENTS = "There are no annotated documents to learn from."
ONE_DOCUMENT = "model kept aside: one document only, nothing to judge it on until a second"


def _summaries(
    lessons: Sequence[Lesson], labels: dict[str, str], name_tags: set[str], min_spans: int
) -> dict[str, TagSummary]:
    counts: dict[str, int] = {}
    for lesson in lessons:
        for span in lesson.spans:
            counts[span.tag] = counts.get(span.tag, 0) + 1
    summaries = {
        tag: TagSummary(tag, label, counts.get(tag, 0), "name" if tag in name_tags else "clause")
        for tag, label in labels.items()
    }
    for summary in summaries.values():
        if summary.spans < min_spans:
            summary.note = f"needs {min_spans} spans to train a model, has {summary.spans}"
    return summaries


class _Project:
    """One training: the lessons, what the rules found in each (run once), the tags."""

    def __init__(
        self,
        lessons: Sequence[Lesson],
        labels: dict[str, str],
        rules: Rules,
        seed: int,
        min_spans: int,
    ) -> None:
        self.lessons, self.labels, self.seed = lessons, labels, seed
        self.name_tags = name_like_tags(lessons) & set(labels)
        self.summaries = _summaries(lessons, labels, self.name_tags, min_spans)
        self.ready = {tag for tag, s in self.summaries.items() if s.spans >= min_spans}
        self._rules, self._ran = rules, {}

    def rules(self, text: str) -> tuple[Doc, list[Candidate]]:
        if text not in self._ran:
            self._ran[text] = self._rules(text)
        return self._ran[text]

    def units(self, text: str) -> list[tuple[int, int, str]]:
        return clause_units(self.rules(text)[0])

    def train(self, lessons: Sequence[Lesson]) -> tuple[Learned, dict[str, object]]:
        """Names and models learned from some of the lessons, with the models' optimizers."""
        names, rejected = learn_names(lessons, self.name_tags)
        learned = Learned(
            labels=dict(self.labels), names=names, rejected=rejected, summaries=self.summaries
        )
        learned.reranker = train_reranker(lessons, self.rules)
        for tag in self.ready:
            self.summaries[tag].trained = True
        optimizers: dict[str, object] = {}
        trained = train_names_model(lessons, self.ready & self.name_tags, self.seed)
        if trained is not None:
            learned.name_nlp, optimizers["names"] = trained
        trained = train_clause_model(lessons, self.ready - self.name_tags, self.units, self.seed)
        if trained is not None:
            learned.clause_nlp, optimizers["clauses"] = trained
        return learned, optimizers

    def trial(self, train: Sequence[Lesson]) -> tuple[Learned, dict[str, object]]:
        trial, optimizers = self.train(train)
        trial.quiet_rules = quiet_rules(train, self.rules)
        return trial, optimizers

    def carry_on(self, learned: Learned, optimizers: dict[str, object]) -> Learned:
        """The trial models carry on with every document for a few epochs: about half
        the cost of training them again from scratch."""
        learned.names, learned.rejected = learn_names(self.lessons, self.name_tags)
        learned.reranker = train_reranker(self.lessons, self.rules)
        learned._matchers.clear()
        self._fit_more(learned.name_nlp, optimizers.get("names"), self._name_examples)
        self._fit_more(learned.clause_nlp, optimizers.get("clauses"), self._clause_examples)
        return learned

    def _name_examples(self, nlp: Language):
        return name_examples(nlp, self.lessons, self.ready & self.name_tags, self.seed)

    def _clause_examples(self, nlp: Language):
        return clause_examples(nlp, self.lessons, self.ready - self.name_tags, self.units)

    def _fit_more(self, nlp: Language | None, optimizer, examples) -> None:
        if nlp is not None:
            fit(nlp, examples(nlp), FINAL_EPOCHS, self.seed, optimizer)


def learn(
    lessons: Sequence[Lesson],
    labels: dict[str, str],
    rules: Rules,
    *,
    seed: int = 0,
    min_spans: int = MIN_SPANS,
) -> Learned:
    """Learn from the project's documents.

    ``labels`` maps every tag slug of the project to its name; ``rules`` runs the
    base pipeline and its rules on a text, returning the doc and its candidates.
    """
    if not lessons:
        raise ValueError(NO_DOCUMENTS)
    started = time.perf_counter()
    project = _Project(lessons, labels, rules, seed, min_spans)
    splits = folds(lessons, seed)
    if len(splits) == 1:
        train, held_out = splits[0]
        trial, optimizers = project.trial(train)
        quiet_tags = choose([(trial, held_out)], project.rules, project.summaries, project.ready)
        learned = project.carry_on(trial, optimizers)
    elif splits:
        trials = [(project.trial(train)[0], held_out) for train, held_out in splits]
        quiet_tags = choose(trials, project.rules, project.summaries, project.ready)
        learned, _optimizers = project.train(lessons)
    else:
        quiet_tags = set()
        learned, _optimizers = project.train(lessons)
        for tag in project.ready:
            # Nothing to judge the model on: it waits, unused, for a second document.
            summary = project.summaries[tag]
            summary.note, summary.threshold, summary.use_model = ONE_DOCUMENT, OFF, False
    everywhere = quiet_rules(lessons, project.rules)
    learned.quiet_rules = {key for key in everywhere if key[0] in quiet_tags}
    learned.trained_seconds = time.perf_counter() - started
    return learned
