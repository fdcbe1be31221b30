"""A project's learning as the worker loads and applies it (pure).

``Learned`` holds what ``learning.learn`` found: the names people marked (found
again with their short forms), what they rejected, rules that go quiet in the
project, and the trained models; ``apply`` runs it beside the rules' candidates.
``to_disk`` / ``from_disk`` store it in a folder the worker loads.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from annotations.suggest.base import Candidate, doc_text, joined_to_a_name, quoted
from annotations.suggest.clauses import units
from annotations.suggest.evaluation import GoldSpan, matches
from annotations.suggest.pipeline import CUES_KEY, fix_tokenizer
from annotations.suggest.rerank import Reranker

#: A clause tag's threshold that adds nothing: the model only vetoes, or is unused.
OFF = 1.01
DEFAULT_THRESHOLD = 0.6
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Taught(GoldSpan):
    """A span a person marked ("marked") or a suggestion they accepted ("accepted")."""

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
    #: The re-ranker's cut: a rule's suggestion it scores below this is dropped (0: none is).
    cut: float = 0.0
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
    #: Every document the full name was marked in (``origin`` is the first).
    seen_in: tuple[str, ...] = ()

    def documents(self) -> tuple[str, ...]:
        return self.seen_in or (self.origin,)


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
    reranker: Reranker | None = None
    trained_seconds: float = 0.0
    _matchers: dict[int, PhraseMatcher] = field(default_factory=dict, repr=False)

    # -- applying -------------------------------------------------------------------------

    def apply(self, doc: Doc, base: Iterable[Candidate]) -> list[Candidate]:
        """Return the rules' suggestions with the learned ones added and the rejected removed."""
        text = doc_text(doc)
        found = [
            s
            for s in self.rerank(
                doc, text, list(base), {t: s.cut for t, s in self.summaries.items()}
            )
            if (text[s.start : s.end], s.tag) not in self.rejected
            and (s.tag, s.rule) not in self.quiet_rules
        ]
        scores = self.clause_scores(doc, text)
        found = self.veto(
            found, scores, {t: s.veto for t, s in self.summaries.items() if s.trained}
        )
        extra = self.from_names(doc, text, found)
        extra += self.from_entities(text)
        extra += self.from_clauses(doc, text, self._thresholds(), scores)
        return self.merge(found, extra, text)

    def rerank(
        self, doc: Doc, text: str, found: list[Candidate], cuts: dict[str, float]
    ) -> list[Candidate]:
        """The rules' suggestions the project's re-ranker keeps at these cuts."""
        return found if self.reranker is None else self.reranker.keep(doc, text, found, cuts)

    def veto(
        self,
        found: list[Candidate],
        scores: list[tuple[int, int, dict[str, float]]],
        vetoes: dict[str, float],
    ) -> list[Candidate]:
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

    def merge(self, found: list[Candidate], extra: list[Candidate], text: str) -> list[Candidate]:
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

    def from_names(self, doc: Doc, text: str, base: Iterable[Candidate] = ()) -> list[Candidate]:
        """The names people marked, found again; a one-word name ("Maria", "Wend") only
        beside another name of a document it was marked in (see ``_vouched``)."""
        matcher = self._matcher(doc)
        if matcher is None:
            return []
        matched = []
        for match_id, start, end in matcher(doc):
            name = self.names[int(doc.vocab.strings[match_id])]
            span = doc[start:end]
            first = span[0]
            if len(span) == 1 and first.is_stop and (first.is_sent_start or first.i == 0):
                continue  # "Her voice..." opening a sentence
            if name.form != name.full and joined_to_a_name(span):
                continue  # the surname of someone else's full name
            matched.append((span, name))
        vouched = self._vouched(matched, {(text[c.start : c.end], c.tag) for c in base})
        found = []
        for span, name in matched:
            if len(span) == 1 and not vouched & set(name.documents()):
                continue
            where = f"{name.how} as {self._label(name.tag)} in “{name.origin}”"
            if name.form == name.full:
                reason, score = where, 0.85
            else:
                reason, score = f"short for {quoted(name.full)}, {where}", 0.7
            found.append(
                Candidate(span.start_char, span.end_char, name.tag, score, reason, "learned-name")
            )
        return found

    def _vouched(self, matched: list, found_by_rules: set[tuple[str, str]]) -> set[str]:
        """The documents whose names this text is about: one of their names of two words or
        more is in it, or two of their names, or one the rules found too. A one-word
        name alone is too often someone else's in another text."""
        fulls: dict[str, set[str]] = {}
        vouched: set[str] = set()
        for span, name in matched:
            for document in name.documents():
                fulls.setdefault(document, set()).add(name.full)
                if len(span) > 1 or (name.form, name.tag) in found_by_rules:
                    vouched.add(document)
        return vouched | {document for document, names in fulls.items() if len(names) >= 2}

    def from_entities(self, text: str) -> list[Candidate]:
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
                Candidate(ent.start_char, ent.end_char, ent.label_, 0.6, reason, "learned-model")
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

    def from_clauses(
        self,
        doc: Doc,
        text: str,
        thresholds: dict[str, float],
        scores: list[tuple[int, int, dict[str, float]]] | None = None,
    ) -> list[Candidate]:
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
                found.append(Candidate(start, end, tag, probability, reason, "learned-model"))
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
        if self.reranker is not None:
            meta["reranker"] = self.reranker.as_json()
        # Written last: a folder without meta.json is an unfinished one and is never loaded.
        (path / "meta.json").write_text(
            json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8"
        )

    @classmethod
    def from_disk(cls, path: Path) -> Learned:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        learned = cls(
            labels=meta["labels"],
            names=[Name(**{**n, "seen_in": tuple(n.get("seen_in", ()))}) for n in meta["names"]],
            rejected={(text, tag) for text, tag in meta["rejected"]},
            quiet_rules={(tag, rule) for tag, rule in meta.get("quiet_rules", [])},
            summaries={tag: TagSummary(**s) for tag, s in meta["summaries"].items()},
            trained_seconds=meta.get("trained_seconds", 0.0),
        )
        if "reranker" in meta:
            learned.reranker = Reranker.from_json(meta["reranker"])
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
        _TOKENIZER.append(blank())
    return _TOKENIZER[0]


def _load(path: Path) -> Language:
    nlp = spacy.load(path)
    fix_tokenizer(nlp)
    return nlp


def blank() -> Language:
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
