"""Training a project's models from its lessons (pure: texts and spans in, spaCy out).

Name-like tags train an entity recogniser over paragraphs; the other tags
(claims, predictions, a class's own "metaphor") train a clause classifier over
the clauses the rules use, reading the rules' cues as words beside the text.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence

import spacy
from spacy.language import Language
from spacy.training import Example
from spacy.util import filter_spans, minibatch

from annotations.suggest.evaluation import matches
from annotations.suggest.learned import Lesson, blank

NER_EPOCHS = 8
CLAUSE_EPOCHS = 8
#: Epochs over every document after the held-out estimate, carrying on from the trial model.
FINAL_EPOCHS = 3

NER_MODEL = {
    "@architectures": "spacy.TransitionBasedParser.v2",
    "state_type": "ner",
    "extra_state_tokens": False,
    "hidden_width": 64,
    "maxout_pieces": 2,
    "use_upper": True,
    "nO": None,
    "tok2vec": {
        "@architectures": "spacy.HashEmbedCNN.v2",
        "pretrained_vectors": None,
        "width": 64,
        "depth": 2,
        "embed_size": 2000,
        "window_size": 1,
        "maxout_pieces": 3,
        "subword_features": True,
    },
}
CLAUSE_MODEL = {
    "@architectures": "spacy.TextCatBOW.v3",
    "exclusive_classes": False,
    "ngram_size": 2,
    "no_output_layer": False,
    "length": 32768,
    "nO": None,
}


def fit(nlp: Language, examples: list[Example], epochs: int, seed: int, optimizer=None) -> object:
    """Train for some epochs; given the optimizer of an earlier fit, carry on from it."""
    rng = random.Random(seed)
    spacy.util.fix_random_seed(seed)
    if optimizer is None:
        # spaCy logs every initialisation at INFO: noise in a worker's log, once per tag group.
        level = spacy.util.logger.level
        spacy.util.logger.setLevel(logging.WARNING)
        try:
            optimizer = nlp.initialize(lambda: examples)
        finally:
            spacy.util.logger.setLevel(level)
    for _epoch in range(epochs):
        rng.shuffle(examples)
        for batch in minibatch(examples, size=16):
            nlp.update(batch, sgd=optimizer, drop=0.2)
    return optimizer


def _paragraphs(text: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for part in text.split("\n"):
        end = start + len(part)
        if part.strip():
            bounds.append((start, end))
        start = end + 1
    return bounds


def name_examples(
    nlp: Language, lessons: Sequence[Lesson], tags: set[str], seed: int
) -> list[Example]:
    """Paragraphs with a name span, and as many without: shorter training, the same lesson."""
    rng = random.Random(seed)
    with_names, without = [], []
    for lesson in lessons:
        for start, end in _paragraphs(lesson.text):
            doc = nlp.make_doc(lesson.text[start:end])
            spans = [
                doc.char_span(s.start - start, s.end - start, label=s.tag, alignment_mode="expand")
                for s in lesson.spans
                if s.tag in tags and start <= s.start and s.end <= end
            ]
            kept = filter_spans([span for span in spans if span is not None])
            example = Example.from_dict(
                doc, {"entities": [(e.start_char, e.end_char, e.label_) for e in kept]}
            )
            (with_names if kept else without).append(example)
    rng.shuffle(without)
    return with_names + without[: max(len(with_names), 1)]


def clause_examples(
    nlp: Language,
    lessons: Sequence[Lesson],
    tags: set[str],
    unit_finder: Callable[[str], list[tuple[int, int, str]]],
) -> list[Example]:
    examples = []
    for lesson in lessons:
        gold = [s for s in lesson.spans if s.tag in tags]
        for start, end, words in unit_finder(lesson.text):
            cats = {
                tag: float(any(g.tag == tag and matches(start, end, g.start, g.end) for g in gold))
                for tag in tags
            }
            examples.append(Example.from_dict(nlp.make_doc(words), {"cats": cats}))
    return examples


def _train(
    pipe: str,
    config: dict,
    tags: set[str],
    examples: Callable[[Language], list[Example]],
    epochs: int,
    seed: int,
) -> tuple[Language, object] | None:
    """A blank pipeline with one trained component for the tags; with its optimizer."""
    if not tags:
        return None
    nlp = blank()
    component = nlp.add_pipe(pipe, config={"model": config})
    for tag in sorted(tags):
        component.add_label(tag)
    return nlp, fit(nlp, examples(nlp), epochs, seed)


def train_names_model(
    lessons: Sequence[Lesson], tags: set[str], seed: int = 0
) -> tuple[Language, object] | None:
    """Train an entity recogniser for the name-like tags; return it with its optimizer."""

    def examples(nlp: Language) -> list[Example]:
        return name_examples(nlp, lessons, tags, seed)

    return _train("ner", NER_MODEL, tags, examples, NER_EPOCHS, seed)


def train_clause_model(
    lessons: Sequence[Lesson],
    tags: set[str],
    unit_finder: Callable[[str], list[tuple[int, int, str]]],
    seed: int = 0,
) -> tuple[Language, object] | None:
    """Train a clause classifier for the other tags; return it with its optimizer."""

    def examples(nlp: Language) -> list[Example]:
        return clause_examples(nlp, lessons, tags, unit_finder)

    return _train("textcat_multilabel", CLAUSE_MODEL, tags, examples, CLAUSE_EPOCHS, seed)
