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
from annotations.suggest import claims, films, predictions
from annotations.suggest.base import Suggestion
from annotations.suggest.patterns import CUE_PATTERNS
from annotations.suggest.pieces import PIECE_CHARS, paragraph_pieces

CUES_KEY = "herlens_cues"


class PipelineUnavailable(RuntimeError):
    """The configured base pipeline cannot be loaded (not installed, bad path)."""


@Language.component("herlens_line_breaks")
def line_breaks(doc: Doc) -> Doc:
    """Start a sentence after every line break: a heading or paragraph never runs on."""
    for token in doc[:-1]:
        if token.is_space and "\n" in token.text:
            doc[token.i + 1].is_sent_start = True
    return doc


def _fix_tokenizer(nlp: Language) -> None:
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
    _fix_tokenizer(nlp)
    if not (nlp.has_pipe("parser") or nlp.has_pipe("senter")):
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

    def __init__(self, name: str = DEFAULT_MODEL) -> None:
        self.name = name
        self.nlp = build_pipeline(name)
        self._matchers: dict[tuple[str, ...], PhraseMatcher] = {}

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

    def suggest(self, text: str, names: Iterable[str] = ()) -> list[Suggestion]:
        """Return the suggestions for one text, in reading order."""
        if len(text) > PIECE_CHARS:
            return self.suggest_long(text, names)
        doc = self.nlp(text)
        doc.user_data["herlens_text"] = text  # spares rebuilding it from the tokens
        return self.from_doc(doc, names)

    def suggest_long(self, text: str, names: Iterable[str] = ()) -> list[Suggestion]:
        """Return the suggestions for a text of any length, read piece by piece."""
        names = tuple(names)
        found: list[Suggestion] = []
        for offset, piece in paragraph_pieces(text):
            doc = self.nlp(piece)
            doc.user_data["herlens_text"] = piece
            found.extend(
                dataclasses.replace(s, start=s.start + offset, end=s.end + offset)
                for s in self.from_doc(doc, names)
            )
        return found

    def suggest_many(
        self, texts: Iterable[str], names: Iterable[str] = (), batch_size: int = 16
    ) -> Iterator[list[Suggestion]]:
        """Yield the suggestions of each text in turn, batching through ``nlp.pipe``."""
        names = tuple(names)
        texts = list(texts)
        short = [text for text in texts if len(text) <= PIECE_CHARS]
        docs = zip(self.nlp.pipe(short, batch_size=batch_size), short, strict=True)
        for text in texts:
            if len(text) > PIECE_CHARS:
                yield self.suggest_long(text, names)
                continue
            doc, _ = next(docs)
            doc.user_data["herlens_text"] = text
            yield self.from_doc(doc, names)

    def from_doc(self, doc: Doc, names: Iterable[str] = ()) -> list[Suggestion]:
        cues = list(doc.spans[CUES_KEY])
        found = [
            *predictions.find(doc, cues),
            *films.find(doc, cues, self._list_matcher(tuple(names))),
        ]
        taken = {(s.start, s.end) for s in found if s.tag == "prediction"}
        found.extend(claims.find(doc, cues, predicted=taken))
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
