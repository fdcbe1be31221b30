"""Precision, recall and F1 of the suggestion rules per tag, on our own gold essays.

    .venv/bin/python bench/suggest_quality.py [--errors] [--no-write]

Reads tests/data/suggest/{dev,heldout}/*.txt (see the README there), runs the
pipeline named by HERLENS_SPACY_MODEL (blank:en by default) and prints a table
per set. A suggestion counts as right when it overlaps a gold span of the same
tag by at least half of the shorter of the two. The figures are written to the
"Suggestion quality" section of docs/benchmarks.md unless --no-write is given.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotations.suggest import TAG_SLUGS, get_suggester  # noqa: E402
from annotations.suggest.evaluation import Report, parse_gold  # noqa: E402
from bench.common import replace_section  # noqa: E402

DATA = ROOT / "tests" / "data" / "suggest"
DOCS = ROOT / "docs" / "benchmarks.md"
SETS = (
    (
        "styles",
        "held-out, new styles (a speech, a column, a blog review with a script, a listicle)",
    ),
    ("heldout", "held-out (rules never tuned on these)"),
    ("dev", "development (rules written against these)"),
)


def evaluate(folder: Path, model: str) -> tuple[Report, int, int]:
    report = Report()
    suggester = get_suggester(model)
    files = sorted(folder.glob("*.txt"))
    words = 0
    for path in files:
        text, gold = parse_gold(path.read_text(encoding="utf-8"))
        words += len(text.split())
        predicted = [(s.start, s.end, s.tag) for s in suggester.suggest(text)]
        report.add(text, gold, predicted)
    return report, len(files), words


def table(report: Report) -> list[str]:
    lines = [
        "| tag | gold | suggested | precision | recall | F1 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for tag in TAG_SLUGS:
        s = report.by_tag[tag]
        lines.append(
            f"| {tag} | {s.gold} | {s.predicted} | {s.precision:.2f} | {s.recall:.2f} | {s.f1:.2f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list missed and spurious spans")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    model = os.environ.get("HERLENS_SPACY_MODEL", "blank:en")
    started = time.perf_counter()
    body = [
        f"`bench/suggest_quality.py`, pipeline `{model}`. A suggestion is right when it overlaps a",
        "gold span of the same tag by at least half of the shorter span. The essays and their gold",
        "spans are ours (tests/data/suggest/); the same person wrote the rules and the gold, so",
        "even the held-out figures are likely optimistic for essays by other writers.",
        "",
    ]
    for name, label in SETS:
        report, files, words = evaluate(DATA / name, model)
        body += [f"**{label}**: {files} essays, {words} words.", "", *table(report), ""]
        if args.errors:
            for tag, text, kind in report.errors:
                print(f"  {name} {kind:8} {tag:15} {text[:100]!r}")
    body.append(f"Run time {time.perf_counter() - started:.1f} s, including loading the pipeline.")
    print("\n".join(body))
    if not args.no_write:
        replace_section(DOCS, "Suggestion quality", "\n".join(body))


if __name__ == "__main__":
    main()
