"""Build the spaCy pipeline once per process and run the rules over texts.

The default base is ``spacy.blank("en")``: no model download, rules only. A
trained pipeline (``HERLENS_SPACY_MODEL``) adds entity candidates and sentence
boundaries from its parser; the rules are the same.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Iterator

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.util import compile_infix_regex

from annotations.spacy_model import DEFAULT_MODEL, model_problem
from annotations.suggest import claims, films, knowledge, predictions
from annotations.suggest.base import FILM_REFERENCE, Candidate, dialogue_ranges, doc_text
from annotations.suggest.patterns import CUE_PATTERNS
from annotations.suggest.pieces import PIECE_CHARS, paragraph_pieces

CUES_KEY = "herlens_cues"


def _mostly_inside(suggestion: Candidate, ranges: list[tuple[int, int]]) -> bool:
    length = suggestion.end - suggestion.start
    inside = sum(
        max(0, min(end, suggestion.end) - max(start, suggestion.start)) for start, end in ranges
    )
    return inside * 2 > length


class PipelineUnavailable(RuntimeError):
    """The configured base pipeline cannot be loaded (not installed, bad path)."""


@Language.component("herlens_line_breaks")
def line_breaks(doc: Doc) -> Doc:
    """Start a sentence after every line break: a heading or paragraph never runs on."""
    for token in doc[:-1]:
        if token.is_space and "\n" in token.text:
            doc[token.i + 1].is_sent_start = True
    return doc


def fix_tokenizer(nlp: Language) -> None:
    # Essays join clauses with dashes and no spaces ("Phoenix)—a"); split them so
    # a name or a clause never swallows its neighbour.
    infixes = [
        *nlp.Defaults.infixes,
        r"[—–]",
        r"(?<=\w)[)\]”’\"*_](?=[—–,;:.])",
        r"(?<=[—–])[(\[“‘\"*_]",
    ]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer


def build_pipeline(name: str = DEFAULT_MODEL) -> Language:
    """Load the base pipeline and add the sentence splitter and the cue ruler."""
    problem = model_problem(name)
    if problem is not None:
        raise PipelineUnavailable(f"HERLENS_SPACY_MODEL={name!r}: {problem}.")
    if not name or name.startswith("blank:"):
        nlp = spacy.blank(name.split(":", 1)[1] if name else "en")
    else:
        # Components we do not read are excluded: faster, and less memory.
        nlp = spacy.load(name, exclude=["lemmatizer", "textcat", "textcat_multilabel"])
    fix_tokenizer(nlp)
    if nlp.has_pipe("parser"):
        # A parsed doc refuses new sentence starts (spaCy E043): mark the line breaks
        # first, and the parser keeps them as boundaries.
        nlp.add_pipe("herlens_line_breaks", before="parser")
    else:
        if not nlp.has_pipe("senter"):
            nlp.add_pipe("sentencizer")
        nlp.add_pipe("herlens_line_breaks", last=True)
    ruler = nlp.add_pipe(
        "span_ruler",
        name="herlens_cues",
        last=True,
        config={"spans_key": CUES_KEY, "validate": True},
    )
    ruler.add_patterns(CUE_PATTERNS)
    return nlp


class Suggester:
    """A loaded pipeline plus the rules; reuse one per process (see ``get_suggester``)."""

    def __init__(self, name: str = DEFAULT_MODEL, *, known_works: bool = True) -> None:
        self.name = name
        self.nlp = build_pipeline(name)
        self._matchers: dict[tuple[str, ...], PhraseMatcher] = {}
        # The list of screen works; off only to measure what the rules do without it.
        self.known_works = (
            knowledge.build_matcher(self.nlp.vocab, self.nlp.tokenizer) if known_works else None
        )

    def _list_matcher(self, names: tuple[str, ...]) -> PhraseMatcher | None:
        if not names:
            return None
        matcher = self._matchers.get(names)
        if matcher is None:
            if len(self._matchers) > 32:  # projects come and go; keep the cache small
                self._matchers.clear()
            matcher = self._matchers[names] = films.list_matcher(
                self.nlp.vocab, self.nlp.tokenizer, names
            )
        return matcher

    def suggest(self, text: str, names: Iterable[str] = (), learned=None) -> list[Candidate]:
        """Return the suggestions for one text, in reading order.

        ``learned`` is a project's ``learned.Learned``: its names and models add
        suggestions beside the rules, and what the project rejected is left out.
        """
        if len(text) > PIECE_CHARS:
            return self.suggest_long(text, names, learned)
        doc = self.nlp(text)
        doc.user_data["herlens_text"] = text  # spares rebuilding it from the tokens
        found = self.from_doc(doc, names)
        return learned.apply(doc, found) if learned is not None else found

    def suggest_long(self, text: str, names: Iterable[str] = (), learned=None) -> list[Candidate]:
        """Return the suggestions for a text of any length, read piece by piece."""
        names = tuple(names)
        found: list[Candidate] = []
        for offset, piece in paragraph_pieces(text):
            doc = self.nlp(piece)
            doc.user_data["herlens_text"] = piece
            in_piece = self.from_doc(doc, names)
            if learned is not None:
                in_piece = learned.apply(doc, in_piece)
            found.extend(
                dataclasses.replace(s, start=s.start + offset, end=s.end + offset) for s in in_piece
            )
        return found

    def suggest_many(
        self, texts: Iterable[str], names: Iterable[str] = (), batch_size: int = 16, learned=None
    ) -> Iterator[list[Candidate]]:
        """Yield the suggestions of each text in turn, batching through ``nlp.pipe``."""
        names = tuple(names)
        texts = list(texts)
        short = [text for text in texts if len(text) <= PIECE_CHARS]
        docs = zip(self.nlp.pipe(short, batch_size=batch_size), short, strict=True)
        for text in texts:
            if len(text) > PIECE_CHARS:
                yield self.suggest_long(text, names, learned)
                continue
            doc, _ = next(docs)
            doc.user_data["herlens_text"] = text
            found = self.from_doc(doc, names)
            yield learned.apply(doc, found) if learned is not None else found

    def from_doc(self, doc: Doc, names: Iterable[str] = ()) -> list[Candidate]:
        cues = list(doc.spans[CUES_KEY])
        found = [
            *predictions.find(doc, cues),
            *films.find(doc, cues, self._list_matcher(tuple(names)), self.known_works),
        ]
        taken = {(s.start, s.end): s.score for s in found if s.tag == "prediction"}
        found.extend(claims.find(doc, cues, predicted=taken))
        spoken = dialogue_ranges(doc_text(doc))
        if spoken:
            found = [s for s in found if s.tag == FILM_REFERENCE or not _mostly_inside(s, spoken)]
        return sorted(found, key=lambda s: (s.start, -s.end, s.tag))


_lock = threading.Lock()
_suggesters: dict[str, Suggester] = {}


def get_suggester(name: str = DEFAULT_MODEL) -> Suggester:
    """Return this process's suggester for the base pipeline ``name``, loading it once."""
    suggester = _suggesters.get(name)
    if suggester is None:
        with _lock:
            suggester = _suggesters.get(name)
            if suggester is None:
                suggester = _suggesters[name] = Suggester(name)
    return suggester
