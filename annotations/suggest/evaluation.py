"""Score suggestions against hand-made gold spans (pure).

Gold texts mark spans inline as ``{c|...}`` (claim), ``{p|...}`` (prediction)
and ``{f|...}`` (film reference); marks may nest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from annotations.suggest.base import CLAIM, FILM_REFERENCE, PREDICTION, TAG_SLUGS

MARKS = {"c": CLAIM, "p": PREDICTION, "f": FILM_REFERENCE}


class GoldSyntaxError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class GoldSpan:
    start: int
    end: int
    tag: str


def parse_gold(marked: str) -> tuple[str, list[GoldSpan]]:
    """Return the plain text and its gold spans (code-point offsets)."""
    out: list[str] = []
    length = 0
    stack: list[tuple[int, str]] = []
    spans: list[GoldSpan] = []
    i = 0
    while i < len(marked):
        char = marked[i]
        if char == "{" and marked[i + 2 : i + 3] == "|" and marked[i + 1] in MARKS:
            stack.append((length, MARKS[marked[i + 1]]))
            i += 3
            continue
        if char == "}":
            if not stack:
                raise GoldSyntaxError(f"unmatched '}}' at {i}")
            start, tag = stack.pop()
            spans.append(GoldSpan(start, length, tag))
            i += 1
            continue
        out.append(char)
        length += 1
        i += 1
    if stack:
        raise GoldSyntaxError(f"{len(stack)} unclosed mark(s)")
    return "".join(out), sorted(spans, key=lambda s: (s.start, -s.end))


def matches(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """Two spans match when they overlap by at least half of the shorter one."""
    overlap = min(a_end, b_end) - max(a_start, b_start)
    shorter = min(a_end - a_start, b_end - b_start)
    return shorter > 0 and overlap * 2 >= shorter


@dataclass
class Score:
    true_positives: int = 0
    predicted: int = 0
    gold: int = 0
    found_gold: int = 0

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.found_gold / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    by_tag: dict[str, Score] = field(default_factory=lambda: {tag: Score() for tag in TAG_SLUGS})
    #: (tag, text, kind) of each error, kind "missed" or "spurious", for reading while tuning.
    errors: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, text: str, gold: list[GoldSpan], predicted: list[tuple[int, int, str]]) -> None:
        """Add one text: a suggestion is right when it matches a gold span of its tag."""
        tags = dict.fromkeys([*self.by_tag, *(g.tag for g in gold), *(p[2] for p in predicted)])
        for tag in tags:
            score = self.by_tag.setdefault(tag, Score())
            gold_spans = [g for g in gold if g.tag == tag]
            mine = [(s, e) for s, e, t in predicted if t == tag]
            score.gold += len(gold_spans)
            score.predicted += len(mine)
            for start, end in mine:
                if any(matches(start, end, g.start, g.end) for g in gold_spans):
                    score.true_positives += 1
                else:
                    self.errors.append((tag, text[start:end], "spurious"))
            for g in gold_spans:
                if any(matches(start, end, g.start, g.end) for start, end in mine):
                    score.found_gold += 1
                else:
                    self.errors.append((tag, text[g.start : g.end], "missed"))
