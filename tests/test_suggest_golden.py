"""Every field of every suggestion for a few essays, compared with a stored result.

The rules are tuned for speed as well as quality; this catches a change that was meant
to make them faster and also changed what they suggest. After a deliberate change of
the rules, regenerate with ``python tests/test_suggest_golden.py`` and read the diff.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "suggest"
EXPECTED = DATA / "expected"
#: Essays in different styles (script lines, series titles, citations, a newsletter),
#: one of them with a project's list of names.
CASES = {
    "blog-review": ("styles/blog-review.txt", ()),
    "column": ("styles/column.txt", ()),
    "seminar-paper": ("dev/seminar-paper.txt", ()),
    "newsletter": ("dev/newsletter.txt", ("Colossus", "Forbin", "Soviet Union", "Demon Seed")),
}


def _suggestions(name: str) -> list[list]:
    from annotations.suggest.evaluation import parse_gold
    from annotations.suggest.pipeline import get_suggester

    path, names = CASES[name]
    text, _gold = parse_gold((DATA / path).read_text(encoding="utf-8"))
    found = get_suggester("blank:en").suggest(text, names)
    return [[s.start, s.end, s.tag, s.score, s.reason, s.rule] for s in found]


@pytest.mark.parametrize("name", sorted(CASES))
def test_suggestions_are_the_stored_ones(name):
    expected = json.loads((EXPECTED / f"{name}.json").read_text(encoding="utf-8"))
    assert expected, "a stored result with no suggestion would test nothing"
    assert _suggestions(name) == expected


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    for case in CASES:
        rows = _suggestions(case)
        lines = ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
        (EXPECTED / f"{case}.json").write_text(f"[\n{lines}\n]\n", encoding="utf-8")
        print(f"{case}: {len(rows)} suggestions")
