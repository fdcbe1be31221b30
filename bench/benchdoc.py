"""Keep docs/benchmarks.md as one file with a section per benchmark script."""

from __future__ import annotations

import re
from pathlib import Path

HEADER = (
    "# Benchmarks\n\n"
    "Each section is written by the script it names, on the machine it ran on; rerun a script to\n"
    "refresh its section. Figures are for a 2-core machine unless the section says otherwise.\n"
)


def replace_section(path: Path, title: str, body: str) -> None:
    """Replace (or append) the section headed '## title' in path with body."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    section = f"## {title}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _match: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
