"""Gold parsing and scoring for the suggestion quality benchmark."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations.suggest.evaluation import GoldSpan, GoldSyntaxError, Report, matches, parse_gold
from annotations.suggest.pipeline import get_suggester

DATA = Path(__file__).parent / "data" / "suggest"


def test_nested_gold_marks_give_code_point_offsets():
    text, gold = parse_gold("🤖 {c|I think {f|Her} is kind.} End.")
    assert text == "🤖 I think Her is kind. End."
    assert gold == [GoldSpan(2, 22, "claim"), GoldSpan(10, 13, "film-reference")]


def test_unbalanced_marks_are_rejected():
    with pytest.raises(GoldSyntaxError):
        parse_gold("{c|open")
    with pytest.raises(GoldSyntaxError):
        parse_gold("close}")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 10), (5, 10), True),
        ((0, 10), (8, 12), True),
        ((0, 10), (9, 30), False),
        ((0, 4), (4, 8), False),
    ],
)
def test_spans_match_when_they_overlap_by_half_the_shorter(a, b, expected):
    assert matches(*a, *b) is expected


def test_report_counts_precision_and_recall_per_tag():
    report = Report()
    gold = [GoldSpan(0, 10, "claim"), GoldSpan(20, 30, "claim")]
    report.add("x" * 40, gold, [(0, 9, "claim"), (32, 38, "claim")])
    score = report.by_tag["claim"]
    assert (score.precision, score.recall) == (0.5, 0.5)
    assert score.f1 == pytest.approx(0.5)


@pytest.mark.parametrize("path", sorted(DATA.glob("*/*.txt")), ids=lambda p: p.name)
def test_every_gold_file_parses_and_its_spans_have_no_outer_spaces(path):
    text, gold = parse_gold(path.read_text(encoding="utf-8"))
    assert gold
    for span in gold:
        assert text[span.start : span.end] == text[span.start : span.end].strip()


def test_quality_on_the_development_essays_does_not_regress():
    # A floor, well under today's figures (docs/benchmarks.md): a rule change that
    # breaks a tag shows up here; the exact figures live in the benchmark.
    report = Report()
    for path in sorted((DATA / "dev").glob("*.txt")):
        text, gold = parse_gold(path.read_text(encoding="utf-8"))
        report.add(text, gold, [(s.start, s.end, s.tag) for s in get_suggester().suggest(text)])
    assert report.by_tag["film-reference"].f1 >= 0.85
    assert report.by_tag["prediction"].f1 >= 0.8
    assert report.by_tag["claim"].f1 >= 0.7
