"""Hostile Markdown and HTML take time in proportion to their size, not its square.

Each payload is parsed at two sizes and the times compared as a ratio (CPU
time, best of several runs, so other work on the machine does not count): an
input eight times larger must take less than twenty times as long. The
payloads are those that made pattern-based parsing backtrack (a 60 KB
Markdown file held the worker for 26 s) and those that make
``html.parser`` rescan the rest of the page for every unterminated construct.
"""

from __future__ import annotations

import contextlib
import time

import pytest

from annotations.imports import html, markdown

SMALL = 4 * 1024
GROWTH = 8
MOST_RATIO = 20


def cpu_seconds(parse, data: bytes) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        with contextlib.suppress(ValueError):  # a refused page is still parsed
            parse(data)
        best = min(best, time.process_time() - started)
    return max(best, 1e-4)


def growth(parse, unit: str, tail: str = "") -> float:
    repeats = max(1, SMALL // len(unit))
    small = (unit * repeats + tail).encode()
    large = (unit * repeats * GROWTH + tail).encode()
    return cpu_seconds(parse, large) / cpu_seconds(parse, small)


MARKDOWN = {
    "hashes after a heading mark": ("#", "x"),
    "tabs after a heading mark": ("#\t", "x"),
    "heading lines": ("# a heading #\n", ""),
    "headings with trailing hashes": ("# " + "# " * 20 + "\n", ""),
    "emphasis marks": ("*a _b ", ""),
    "backticks": ("`", ""),
}


@pytest.mark.parametrize("unit", list(MARKDOWN), ids=list(MARKDOWN))
def test_markdown_parse_time_grows_linearly(unit):
    payload, tail = MARKDOWN[unit]
    assert growth(lambda data: markdown.parse("x.md", data), payload, tail) < MOST_RATIO


HTML = {
    "unterminated doctype": "<!DOCTYPE ",
    "doctype with an open subset": "<!DOCTYPE [",
    "unterminated comment": "<!-- ",
    "unterminated start tag": "<a ",
    "unterminated attribute": '<a b="',
    "unterminated end tag": "</",
    "marked section": "<![",
    "processing instruction": "<?",
    "lone less-than": "< ",
    "nested blocks": "<div>",
    "paragraphs": "<p>word &amp; word</p>",
    "unterminated script": "<script>",
}


@pytest.mark.parametrize("unit", list(HTML), ids=list(HTML))
def test_html_parse_time_grows_linearly(unit):
    assert growth(lambda data: html.parse("x.html", data), HTML[unit]) < MOST_RATIO
