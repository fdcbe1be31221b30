"""What a project teaches its suggester: names it marked, and a model per project (pure).

Two kinds of learning, both from the project's own decisions (texts and spans in,
no database):

- **Names.** A span of a name-like tag (a film reference, or any tag whose spans
  are short and capitalised) that a person marked or accepted is suggested
  wherever it recurs in the project, with its short forms: a person's surname
  or first name, a title without its article. A rejected suggestion never comes
  back, whatever suggested it.
- **A trained model** for each tag with at least ``MIN_SPANS`` human spans:
  name-like tags train an entity recogniser; the other tags (claims,
  predictions, a class's own "metaphor") train a clause classifier over the
  clauses the rules use. Before the final model is trained on every document,
  a model trained without a quarter of the documents is scored on that quarter:
  that is the F1 shown to the project, and it picks the classifier's threshold.

Training runs in the background worker; the web process only reads summaries.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import filter_spans, minibatch

from annotations.suggest.base import FILM_REFERENCE, Suggestion, doc_text, quoted
from annotations.suggest.clauses import units
from annotations.suggest.evaluation import GoldSpan, Report, matches
from annotations.suggest.pipeline import CUES_KEY, fix_tokenizer

#: Human spans a tag needs before a model is trained for it. Ten spans are about one
#: essay's worth of film references or two of claims; below that a model mostly
#: learns the essay's own words (see the learning curve in docs/benchmarks.md).
MIN_SPANS = 10
#: A tag is name-like when most of its spans are this short and start with a capital.
NAME_WORDS = 5
NAME_SHARE = 0.6
#: Share of the documents kept aside to estimate F1 (at least one, when there are two).
HELD_OUT_SHARE = 0.25
#: Up to this many documents, the estimate is made over folds instead of one split.
SMALL_PROJECT = 8
MAX_FOLDS = 4
#: A model is used for a tag only when it beats the rules by this much on held-out documents
#: that hold at least this many spans of the tag: one lucky document is not evidence.
MIN_GAIN = 0.02
MIN_HELD_OUT_SPANS = 8
NOT_BETTER = "model kept aside: it did not beat the rules on the held-out documents"
#: Choices tried on the held-out documents for a clause tag: add a clause the model scores at
#: or above the threshold ("off": add none), and drop a rule's suggestion it scores below the veto.
OFF = 1.01
THRESHOLDS = (0.4, 0.5, 0.6, 0.7, OFF)
VETOES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
DEFAULT_THRESHOLD = 0.6
NER_EPOCHS = 8
CLAUSE_EPOCHS = 8
#: Epochs over every document after the held-out estimate, carrying on from the trial model.
FINAL_EPOCHS = 3
ARTICLES = {"The", "A", "An"}
#: Words that join a name but never stand for it alone.
NOT_A_SHORT_FORM = {
    "the",
    "a",
    "an",
    "of",
    "and",
    "de",
    "van",
    "von",
    "da",
    "le",
    "la",
    "dr.",
    "mr.",
}
FORMAT_VERSION = 1

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

NO_DOCUMENTS = "There are no annotated documents to learn from."
#: A rule goes quiet in a project when it made at least this many suggestions on the
#: annotated documents and at most this share of them matched a human span.
QUIET_MIN = 5
QUIET_PRECISION = 0.2


@dataclass(frozen=True, slots=True)
class Taught:
    """A span a person marked ("marked") or a suggestion they accepted ("accepted")."""

    start: int
    end: int
    tag: str
    how: str = "marked"


@dataclass(frozen=True, slots=True)
class Lesson:
    """One document of the project with what people decided on it."""

    name: str
    text: str
    spans: tuple[Taught, ...]
    #: Suggestions a person rejected: their text never comes back under that tag.
    rejected: tuple[Taught, ...] = ()


@dataclass
class TagSummary:
    """What the project page shows for one tag."""

    tag: str
    label: str
    spans: int
    kind: str  # "name" or "clause"
    trained: bool = False
    #: Scored on held-out documents: rules plus learning, and rules alone, for comparison.
    f1: float | None = None
    precision: float | None = None
    recall: float | None = None
    rules_f1: float | None = None
    held_out_documents: int = 0
    threshold: float = DEFAULT_THRESHOLD
    veto: float = 0.0
    #: For a name-like tag: whether the entity model's own finds are used (names always are).
    use_model: bool = True
    #: Why there is no model yet, in words for the page.
    note: str = ""


@dataclass(frozen=True, slots=True)
class Name:
    form: str
    tag: str
    full: str
    origin: str
    how: str


@dataclass
class Learned:
    """A project's learning: loaded by the worker, applied beside the rules."""

    labels: dict[str, str]
    names: list[Name] = field(default_factory=list)
    rejected: set[tuple[str, str]] = field(default_factory=set)
    summaries: dict[str, TagSummary] = field(default_factory=dict)
    name_nlp: Language | None = None
    clause_nlp: Language | None = None
    #: (tag, rule) pairs whose suggestions this project's people almost never keep.
    quiet_rules: set[tuple[str, str]] = field(default_factory=set)
    trained_seconds: float = 0.0
    _matchers: dict[int, PhraseMatcher] = field(default_factory=dict, repr=False)

    # -- applying -------------------------------------------------------------------------

    def apply(self, doc: Doc, base: Iterable[Suggestion]) -> list[Suggestion]:
        """Return the rules' suggestions with the learned ones added and the rejected removed."""
        text = doc_text(doc)
        found = [
            s
            for s in base
            if (text[s.start : s.end], s.tag) not in self.rejected
            and (s.tag, s.rule) not in self.quiet_rules
        ]
        scores = self.clause_scores(doc, text)
        found = self._veto(
            found, scores, {t: s.veto for t, s in self.summaries.items() if s.trained}
        )
        extra = self._from_names(doc, text)
        extra += self._from_entities(text)
        extra += self._from_clauses(doc, text, self._thresholds(), scores)
        return self._merge(found, extra, text)

    def _veto(
        self,
        found: list[Suggestion],
        scores: list[tuple[int, int, dict[str, float]]],
        vetoes: dict[str, float],
    ) -> list[Suggestion]:
        """Drop a rule's clause suggestion the project's model finds very unlike its spans."""
        if not scores or not any(vetoes.values()):
            return found
        kept = []
        for suggestion in found:
            veto = vetoes.get(suggestion.tag, 0.0)
            if veto:
                probability = max(
                    (
                        cats.get(suggestion.tag, 1.0)
                        for start, end, cats in scores
                        if matches(start, end, suggestion.start, suggestion.end)
                    ),
                    default=1.0,
                )
                if probability < veto:
                    continue
            kept.append(suggestion)
        return kept

    def _merge(
        self, found: list[Suggestion], extra: list[Suggestion], text: str
    ) -> list[Suggestion]:
        for suggestion in extra:
            if (text[suggestion.start : suggestion.end], suggestion.tag) in self.rejected:
                continue
            if any(
                s.tag == suggestion.tag
                and matches(s.start, s.end, suggestion.start, suggestion.end)
                for s in found
            ):
                continue
            found.append(suggestion)
        return sorted(found, key=lambda s: (s.start, -s.end, s.tag))

    def _thresholds(self) -> dict[str, float]:
        return {tag: s.threshold for tag, s in self.summaries.items() if s.trained}

    def _label(self, tag: str) -> str:
        return self.labels.get(tag, tag)

    def _matcher(self, doc: Doc) -> PhraseMatcher | None:
        if not self.names:
            return None
        key = id(doc.vocab)
        matcher = self._matchers.get(key)
        if matcher is None:
            matcher = PhraseMatcher(doc.vocab, attr="ORTH")
            for number, name in enumerate(self.names):
                matcher.add(str(number), [_pattern(doc, name.form)])
            self._matchers[key] = matcher
        return matcher

    def _from_names(self, doc: Doc, text: str) -> list[Suggestion]:
        matcher = self._matcher(doc)
        if matcher is None:
            return []
        found = []
        for match_id, start, end in matcher(doc):
            name = self.names[int(doc.vocab.strings[match_id])]
            span = doc[start:end]
            first = span[0]
            if len(span) == 1 and first.is_stop and (first.is_sent_start or first.i == 0):
                continue  # "Her voice..." opening a sentence
            if name.form != name.full and _joined_to_a_name(span):
                continue  # the surname of someone else's full name
            where = f"{name.how} as {self._label(name.tag)} in “{name.origin}”"
            if name.form == name.full:
                reason, score = where, 0.85
            else:
                reason, score = f"short for {quoted(name.full)}, {where}", 0.7
            found.append(
                Suggestion(span.start_char, span.end_char, name.tag, score, reason, "learned-name")
            )
        return found

    def _from_entities(self, text: str) -> list[Suggestion]:
        if self.name_nlp is None:
            return []
        doc = self.name_nlp(text)
        found = []
        for ent in doc.ents:
            summary = self.summaries.get(ent.label_)
            if summary is None or not summary.trained or not summary.use_model:
                continue
            first = ent[0]
            if not (first.text[:1].isupper() or first.text[:1].isdigit()):
                continue
            if len(ent) == 1 and first.is_stop and first.is_sent_start:
                continue
            reason = (
                f"learned from the {summary.spans} spans marked as {summary.label} in this project"
            )
            found.append(
                Suggestion(ent.start_char, ent.end_char, ent.label_, 0.6, reason, "learned-model")
            )
        return found

    def clause_scores(self, doc: Doc, text: str) -> list[tuple[int, int, dict[str, float]]]:
        if self.clause_nlp is None:
            return []
        bounds = clause_units(doc)
        scored = self.clause_nlp.pipe(words for _start, _end, words in bounds)
        return [
            (start, end, dict(d.cats))
            for (start, end, _words), d in zip(bounds, scored, strict=True)
        ]

    def _from_clauses(
        self,
        doc: Doc,
        text: str,
        thresholds: dict[str, float],
        scores: list[tuple[int, int, dict[str, float]]] | None = None,
    ) -> list[Suggestion]:
        if scores is None:
            scores = self.clause_scores(doc, text)
        found = []
        for start, end, cats in scores:
            for tag, probability in cats.items():
                summary = self.summaries.get(tag)
                if summary is None or not summary.trained or probability < thresholds.get(tag, 1.1):
                    continue
                reason = (
                    f"learned from the {summary.spans} spans marked as {summary.label} "
                    f"in this project ({probability:.0%} alike)"
                )
                found.append(Suggestion(start, end, tag, probability, reason, "learned-model"))
        return found

    # -- storing --------------------------------------------------------------------------

    def to_disk(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT_VERSION,
            "labels": self.labels,
            "names": [asdict(n) for n in self.names],
            "rejected": sorted([list(pair) for pair in self.rejected]),
            "quiet_rules": sorted([list(pair) for pair in self.quiet_rules]),
            "summaries": {tag: asdict(s) for tag, s in self.summaries.items()},
            "trained_seconds": round(self.trained_seconds, 2),
        }
        if self.name_nlp is not None:
            self.name_nlp.to_disk(path / "names")
        if self.clause_nlp is not None:
            self.clause_nlp.to_disk(path / "clauses")
        # Written last: a folder without meta.json is an unfinished one and is never loaded.
        (path / "meta.json").write_text(
            json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8"
        )

    @classmethod
    def from_disk(cls, path: Path) -> Learned:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        learned = cls(
            labels=meta["labels"],
            names=[Name(**n) for n in meta["names"]],
            rejected={(text, tag) for text, tag in meta["rejected"]},
            quiet_rules={(tag, rule) for tag, rule in meta.get("quiet_rules", [])},
            summaries={tag: TagSummary(**s) for tag, s in meta["summaries"].items()},
            trained_seconds=meta.get("trained_seconds", 0.0),
        )
        if (path / "names").is_dir():
            learned.name_nlp = _load(path / "names")
        if (path / "clauses").is_dir():
            learned.clause_nlp = _load(path / "clauses")
        return learned


def _pattern(doc: Doc, words: str) -> Doc:
    # The base pipeline's tokenizer is not reachable from a Doc; the blank English
    # tokenizer with the same dash rules splits names the same way.
    tokens = _tokenizer_nlp().make_doc(words)
    return Doc(
        doc.vocab, words=[t.text for t in tokens], spaces=[bool(t.whitespace_) for t in tokens]
    )


_TOKENIZER: list[Language] = []


def _tokenizer_nlp() -> Language:
    if not _TOKENIZER:
        _TOKENIZER.append(_blank())
    return _TOKENIZER[0]


def _load(path: Path) -> Language:
    nlp = spacy.load(path)
    fix_tokenizer(nlp)
    return nlp


def _blank() -> Language:
    nlp = spacy.blank("en")
    fix_tokenizer(nlp)
    return nlp


def clause_units(doc: Doc) -> list[tuple[int, int, str]]:
    """Each clause with what the classifier reads: the rules' cues as words, then the text.

    The cues let the model learn how much each kind of cue counts in this project
    (a class that marks hedged sentences as claims, say); the words let it learn
    what no rule names.
    """
    text = doc_text(doc)
    bounds = units(doc)
    cues = list(doc.spans[CUES_KEY]) if CUES_KEY in doc.spans else []
    found = []
    for start, end in bounds:
        labels = sorted({f"cue{c.label_.lower()}" for c in cues if start <= c.start_char < end})
        words = text[start:end]
        if words.rstrip().endswith("?"):
            labels.append("cuequestion")
        found.append((start, end, " ".join([*labels, words])))
    return found


def _joined_to_a_name(span) -> bool:
    doc = span.doc
    before = doc[span.start - 1] if span.start else None
    after = doc[span.end] if span.end < len(doc) else None
    return bool(
        (
            before is not None
            and before.is_alpha
            and before.text[:1].isupper()
            and not before.is_sent_start
        )
        or (after is not None and after.is_alpha and after.text[:1].isupper())
    )


# -- learning -----------------------------------------------------------------------------


def name_like_tags(lessons: Sequence[Lesson]) -> set[str]:
    """Tags whose spans are names: film references, and any tag of short capitalised spans."""
    by_tag: dict[str, list[str]] = {}
    for lesson in lessons:
        for span in lesson.spans:
            by_tag.setdefault(span.tag, []).append(lesson.text[span.start : span.end])
    found = {FILM_REFERENCE}
    for tag, texts in by_tag.items():
        short = [
            t
            for t in texts
            if len(t.split()) <= NAME_WORDS and t[:1].isupper() and t.rstrip()[-1:] not in ".!?"
        ]
        if texts and len(short) >= NAME_SHARE * len(texts):
            found.add(tag)
    return found


def short_forms(name: str) -> list[str]:
    """ "Theodore Twombly" -> Twombly, Theodore; "The Matrix" -> Matrix."""
    words = name.split()
    if len(words) >= 2 and words[0] in ARTICLES:
        rest = " ".join(words[1:])
        return [rest] if rest[:1].isupper() else []
    if not 2 <= len(words) <= 4 or not all(
        w[:1].isupper() or w.lower() in NOT_A_SHORT_FORM for w in words
    ):
        return []
    forms = []
    for word in (words[-1], words[0]):
        clean = word.rstrip(".,")
        if len(clean) > 2 and clean.lower() not in NOT_A_SHORT_FORM and clean[:1].isupper():
            forms.append(clean)
    return forms


def learn_names(
    lessons: Sequence[Lesson], name_tags: set[str]
) -> tuple[list[Name], set[tuple[str, str]]]:
    """Return the names to find again, and the (text, tag) pairs people rejected."""
    rejected = {
        (lesson.text[r.start : r.end], r.tag) for lesson in lessons for r in lesson.rejected
    }
    seen: set[tuple[str, str]] = set()
    names: list[Name] = []
    fulls: list[Name] = []
    for lesson in lessons:
        for span in lesson.spans:
            if span.tag not in name_tags:
                continue
            text = lesson.text[span.start : span.end].strip()
            if not text or "\n" in text or len(text) > 80 or (text, span.tag) in rejected:
                continue
            if (text, span.tag) not in seen:
                seen.add((text, span.tag))
                fulls.append(Name(text, span.tag, text, lesson.name, span.how))
    names.extend(fulls)
    full_texts = {n.form for n in fulls}
    for full in fulls:
        for form in short_forms(full.form):
            if (form, full.tag) in seen or (form, full.tag) in rejected or form in full_texts:
                continue
            seen.add((form, full.tag))
            names.append(Name(form, full.tag, full.form, full.origin, full.how))
    return names, rejected


def _folds(lessons: Sequence[Lesson], seed: int) -> list[tuple[list[Lesson], list[Lesson]]]:
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


def _fit(nlp: Language, examples: list[Example], epochs: int, seed: int, optimizer=None) -> object:
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


def _name_examples(
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


def _clause_examples(
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


def train_names_model(
    lessons: Sequence[Lesson], tags: set[str], seed: int = 0
) -> tuple[Language, object] | None:
    """Train an entity recogniser for the name-like tags; return it with its optimizer."""
    if not tags:
        return None
    nlp = _blank()
    ner = nlp.add_pipe("ner", config={"model": NER_MODEL})
    for tag in sorted(tags):
        ner.add_label(tag)
    examples = _name_examples(nlp, lessons, tags, seed)
    return nlp, _fit(nlp, examples, NER_EPOCHS, seed)


def train_clause_model(
    lessons: Sequence[Lesson],
    tags: set[str],
    unit_finder: Callable[[str], list[tuple[int, int, str]]],
    seed: int = 0,
) -> tuple[Language, object] | None:
    """Train a clause classifier for the other tags; return it with its optimizer."""
    if not tags:
        return None
    nlp = _blank()
    textcat = nlp.add_pipe("textcat_multilabel", config={"model": CLAUSE_MODEL})
    for tag in sorted(tags):
        textcat.add_label(tag)
    examples = _clause_examples(nlp, lessons, tags, unit_finder)
    return nlp, _fit(nlp, examples, CLAUSE_EPOCHS, seed)


def quiet_rules(lessons: Sequence[Lesson], rules) -> set[tuple[str, str]]:
    """The (tag, rule) pairs whose suggestions the project's people almost never marked.

    Only documents with at least one human span of a tag count for that tag: a
    document nobody annotated for claims says nothing about the claim rules.
    """
    made: dict[tuple[str, str], int] = {}
    kept: dict[tuple[str, str], int] = {}
    for lesson in lessons:
        tags = {s.tag for s in lesson.spans}
        _doc, found = rules(lesson.text)
        for suggestion in found:
            if suggestion.tag not in tags or not suggestion.rule:
                continue
            key = (suggestion.tag, suggestion.rule)
            made[key] = made.get(key, 0) + 1
            if any(
                s.tag == suggestion.tag
                and matches(s.start, s.end, suggestion.start, suggestion.end)
                for s in lesson.spans
            ):
                kept[key] = kept.get(key, 0) + 1
    return {
        key
        for key, count in made.items()
        if count >= QUIET_MIN and kept.get(key, 0) <= QUIET_PRECISION * count
    }


def _counts(lessons: Sequence[Lesson]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for lesson in lessons:
        for span in lesson.spans:
            counts[span.tag] = counts.get(span.tag, 0) + 1
    return counts


def learn(
    lessons: Sequence[Lesson],
    labels: dict[str, str],
    rules: Callable[[str], tuple[Doc, list[Suggestion]]],
    *,
    seed: int = 0,
    min_spans: int = MIN_SPANS,
) -> Learned:
    """Learn from the project's documents.

    ``labels`` maps every tag slug of the project to its name; ``rules`` runs the
    base pipeline and its rules on a text, returning the doc and its suggestions.
    """
    if not lessons:
        raise ValueError(NO_DOCUMENTS)
    started = time.perf_counter()
    name_tags = name_like_tags(lessons) & set(labels)
    counts = _counts(lessons)
    summaries = {
        tag: TagSummary(tag, label, counts.get(tag, 0), "name" if tag in name_tags else "clause")
        for tag, label in labels.items()
    }
    ready = {tag for tag, s in summaries.items() if s.spans >= min_spans}
    for tag, summary in summaries.items():
        if tag not in ready:
            summary.note = f"needs {min_spans} spans to train a model, has {summary.spans}"

    ran: dict[str, tuple[Doc, list[Suggestion]]] = {}

    def rules_once(text: str) -> tuple[Doc, list[Suggestion]]:
        if text not in ran:
            ran[text] = rules(text)
        return ran[text]

    def unit_finder(text: str) -> list[tuple[int, int, str]]:
        return clause_units(rules_once(text)[0])

    folds = _folds(lessons, seed)
    if len(folds) == 1:
        train, held_out = folds[0]
        trial, optimizers = _train(train, labels, summaries, name_tags, ready, unit_finder, seed)
        trial.quiet_rules = quiet_rules(train, rules_once)
        quiet_tags = _score([(trial, held_out)], rules_once, summaries, ready)
        # The final models carry on from the trial ones with every document, for a few
        # epochs: about half the cost of training them again from scratch.
        learned = trial
        learned.names, learned.rejected = learn_names(lessons, name_tags)
        learned._matchers.clear()
        if learned.name_nlp is not None:
            examples = _name_examples(learned.name_nlp, lessons, ready & name_tags, seed)
            _fit(learned.name_nlp, examples, FINAL_EPOCHS, seed, optimizers["names"])
        if learned.clause_nlp is not None:
            examples = _clause_examples(learned.clause_nlp, lessons, ready - name_tags, unit_finder)
            _fit(learned.clause_nlp, examples, FINAL_EPOCHS, seed, optimizers["clauses"])
    elif folds:
        trials = []
        for train, held_out in folds:
            trial, _optimizers = _train(
                train, labels, summaries, name_tags, ready, unit_finder, seed
            )
            trial.quiet_rules = quiet_rules(train, rules_once)
            trials.append((trial, held_out))
        quiet_tags = _score(trials, rules_once, summaries, ready)
        learned, _optimizers = _train(
            lessons, labels, summaries, name_tags, ready, unit_finder, seed
        )
    else:
        quiet_tags = set()
        for tag in ready:
            summaries[tag].note = "one document only: no F1 estimate until a second is annotated"
        learned, _optimizers = _train(
            lessons, labels, summaries, name_tags, ready, unit_finder, seed
        )
    learned.quiet_rules = {key for key in quiet_rules(lessons, rules_once) if key[0] in quiet_tags}
    learned.trained_seconds = time.perf_counter() - started
    return learned


def _train(
    lessons, labels, summaries, name_tags, ready, unit_finder, seed
) -> tuple[Learned, dict[str, object]]:
    names, rejected = learn_names(lessons, name_tags)
    learned = Learned(labels=dict(labels), names=names, rejected=rejected, summaries=summaries)
    for tag in ready:
        summaries[tag].trained = True
    optimizers: dict[str, object] = {}
    trained = train_names_model(lessons, ready & name_tags, seed)
    if trained is not None:
        learned.name_nlp, optimizers["names"] = trained
    trained = train_clause_model(lessons, ready - name_tags, unit_finder, seed)
    if trained is not None:
        learned.clause_nlp, optimizers["clauses"] = trained
    return learned, optimizers


def _score(
    trials: list[tuple[Learned, Sequence[Lesson]]],
    rules,
    summaries: dict[str, TagSummary],
    ready: set[str],
) -> set[str]:
    """Score the trial model on the held-out documents and choose, per tag, how to use it.

    Returns the tags whose quiet rules (see ``quiet_rules``) stay quiet: those where
    leaving them out did no worse on the held-out documents.
    """
    cases = []
    for summary in summaries.values():
        summary.use_model = True  # score every entity the trial models find
    for trial, held_out in trials:
        for lesson in held_out:
            doc, base = rules(lesson.text)
            gold = [GoldSpan(s.start, s.end, s.tag) for s in lesson.spans]
            names = trial._from_names(doc, lesson.text)
            entities = trial._from_entities(lesson.text)
            scores = trial.clause_scores(doc, lesson.text)
            cases.append((trial, lesson.text, doc, base, gold, names, entities, scores))
    held_out_count = len(cases)

    quiet: set[str] = set()

    def report(
        thresholds: dict[str, float], vetoes: dict[str, float], models: set[str], learning: bool
    ) -> Report:
        result = Report()
        for trial, text, doc, base, gold, names, entities, scores in cases:
            if learning:
                kept = [
                    s for s in base if not (s.tag in quiet and (s.tag, s.rule) in trial.quiet_rules)
                ]
                kept = trial._veto(kept, scores, vetoes)
                more = names + [e for e in entities if e.tag in models]
                more += trial._from_clauses(doc, text, thresholds, scores)
                found = trial._merge(kept, more, text)
            else:
                found = base
            result.add(text, gold, [(s.start, s.end, s.tag) for s in found])
        return result

    def f1(report_: Report, tag: str) -> float:
        score = report_.by_tag.get(tag)
        return score.f1 if score is not None else 0.0

    rules_only = report({}, {}, set(), learning=False)
    thresholds = dict.fromkeys(ready, OFF)
    vetoes = dict.fromkeys(ready, 0.0)
    models: set[str] = set()
    for tag in sorted({tag for trial, _held in trials for tag, _rule in trial.quiet_rules}):
        without = f1(report(thresholds, vetoes, models, True), tag)
        quiet.add(tag)
        if f1(report(thresholds, vetoes, models, True), tag) < without:
            quiet.discard(tag)
    for tag in sorted(ready):
        held_gold = rules_only.by_tag[tag].gold if tag in rules_only.by_tag else 0
        if held_gold < MIN_HELD_OUT_SPANS:
            summaries[tag].note = (
                f"model kept aside: the held-out documents hold {held_gold} spans of this tag, "
                f"fewer than {MIN_HELD_OUT_SPANS} to judge it on"
            )
            continue
        without = f1(report(thresholds, vetoes, models, True), tag)
        if summaries[tag].kind == "name":
            # The model must earn its place on documents it did not see.
            if f1(report(thresholds, vetoes, models | {tag}, True), tag) >= without + MIN_GAIN:
                models.add(tag)
            else:
                summaries[tag].note = NOT_BETTER
            continue
        options = [(t, v) for t in THRESHOLDS for v in VETOES]
        best = max(
            options,
            key=lambda o: (
                f1(report({**thresholds, tag: o[0]}, {**vetoes, tag: o[1]}, models, True), tag),
                o[0],
                -o[1],
            ),
        )
        gained = f1(
            report({**thresholds, tag: best[0]}, {**vetoes, tag: best[1]}, models, True), tag
        )
        if gained >= without + MIN_GAIN:
            thresholds[tag], vetoes[tag] = best
        else:
            summaries[tag].note = NOT_BETTER
    final = report(thresholds, vetoes, models, learning=True)
    for tag, summary in summaries.items():
        if tag in ready:
            summary.threshold = thresholds[tag]
            summary.veto = vetoes[tag]
            summary.use_model = tag in models if summary.kind == "name" else True
        score = final.by_tag.get(tag)
        baseline = rules_only.by_tag.get(tag)
        summary.held_out_documents = held_out_count
        if score is not None and score.gold:
            summary.f1, summary.precision, summary.recall = (
                round(score.f1, 3),
                round(score.precision, 3),
                round(score.recall, 3),
            )
            summary.rules_f1 = round(baseline.f1, 3) if baseline is not None else 0.0
        elif tag in ready:
            summary.note = "no span of this tag in the held-out documents: no F1 estimate"
    return quiet
