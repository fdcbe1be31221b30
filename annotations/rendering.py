"""Split a text into paragraphs and highlight runs, and write them as HTML (pure).

A run is a stretch of text with the same set of covering spans; runs break at
every span boundary and every paragraph boundary, so overlapping and nested
spans need no nested elements. The work is linear in the length of the text
plus the number of spans (times the nesting depth, which is small).

Every character of the text passes through ``html.escape`` here; nothing from
the document reaches the page any other way.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

#: A blank line (possibly holding spaces) separates paragraphs; single newlines stay inside.
PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")

#: Underline layers drawn per run; deeper nesting shares the last one.
MAX_LAYERS = 4


@dataclass(frozen=True, slots=True)
class SpanMark:
    """What rendering needs to know of a span."""

    id: int
    start: int
    end: int
    tag_id: int


@dataclass(frozen=True, slots=True)
class Run:
    start: int
    end: int
    #: Covering span ids, outermost first (longest, then earliest, then oldest).
    span_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Paragraph:
    index: int
    start: int
    end: int
    #: Where the text before this paragraph (the separating blank lines) begins.
    gap_start: int
    runs: tuple[Run, ...]


def paragraph_bounds(text: str) -> list[tuple[int, int, int]]:
    """Return (gap_start, start, end) of each non-empty paragraph, in order.

    ``text[gap_start:start]`` is the blank space before the paragraph, which is
    not drawn as text but still counts for offsets.
    """
    bounds: list[tuple[int, int, int]] = []
    position = 0
    gap_start = 0
    for match in PARAGRAPH_BREAK.finditer(text):
        if match.start() > position:
            bounds.append((gap_start, position, match.start()))
            gap_start = match.start()
        position = match.end()
    if position < len(text):
        bounds.append((gap_start, position, len(text)))
    return bounds


def paragraphs_touching(bounds: Sequence[tuple[int, int, int]], start: int, end: int) -> list[int]:
    """Return the indexes of paragraphs that share a character with [start, end)."""
    return [i for i, (_, p_start, p_end) in enumerate(bounds) if p_start < end and start < p_end]


def split_runs(
    text: str,
    spans: Iterable[SpanMark],
    only: Iterable[int] | None = None,
) -> list[Paragraph]:
    """Split text into paragraphs of runs; ``only`` limits the output to those paragraph indexes."""
    bounds = paragraph_bounds(text)
    wanted = set(range(len(bounds))) if only is None else set(only)
    ordered = sorted(spans, key=lambda s: (s.start, -s.end, s.id))
    ends_sorted = sorted(ordered, key=lambda s: (s.end, s.id))

    cuts = sorted({point for span in ordered for point in (span.start, span.end)})

    paragraphs: list[Paragraph] = []
    active: dict[int, SpanMark] = {}
    next_start = 0
    next_end = 0
    for index, (gap_start, p_start, p_end) in enumerate(bounds):
        if index not in wanted:
            continue
        inside = cuts[bisect_right(cuts, p_start) : bisect_left(cuts, p_end)]
        points = [p_start, *inside, p_end]
        runs: list[Run] = []
        for run_start, run_end in zip(points, points[1:], strict=False):
            # Bring the active set up to run_start: close ended spans, open started ones.
            while next_end < len(ends_sorted) and ends_sorted[next_end].end <= run_start:
                active.pop(ends_sorted[next_end].id, None)
                next_end += 1
            while next_start < len(ordered) and ordered[next_start].start <= run_start:
                span = ordered[next_start]
                if span.end > run_start:
                    active[span.id] = span
                next_start += 1
            layers = tuple(
                s.id
                for s in sorted(active.values(), key=lambda s: (-(s.end - s.start), s.start, s.id))
            )
            runs.append(Run(run_start, run_end, layers))
        paragraphs.append(Paragraph(index, p_start, p_end, gap_start, tuple(runs)))
    return paragraphs


def paragraph_html(
    text: str,
    paragraph: Paragraph,
    tag_of: dict[int, int],
    anchored: set[int],
    *,
    oob: bool = False,
) -> str:
    """Write one paragraph as HTML.

    ``tag_of`` maps span id to tag id (for colours). ``anchored`` holds the ids
    of spans whose anchor was already written; it is updated so that each span
    gets one ``id="span-N"`` target, before its first run.
    """
    parts = [
        f'<p class="para" id="para-{paragraph.index}" data-start="{paragraph.start}" '
        f'data-end="{paragraph.end}" data-before="{escape(text[paragraph.gap_start : paragraph.start])}"'
        + (' hx-swap-oob="true">' if oob else ">")
    ]
    for run in paragraph.runs:
        piece = escape(text[run.start : run.end], quote=False)
        if not run.span_ids:
            parts.append(f'<span data-start="{run.start}">{piece}</span>')
            continue
        for span_id in run.span_ids:
            if span_id not in anchored:
                anchored.add(span_id)
                parts.append(f'<span class="anchor" id="span-{span_id}"></span>')
        depth = len(run.span_ids)
        layer_classes = " ".join(
            f"u{min(layer, MAX_LAYERS - 1)}-{tag_of[span_id]}"
            for layer, span_id in enumerate(run.span_ids)
        )
        innermost = run.span_ids[-1]
        ids = " ".join(str(span_id) for span_id in run.span_ids)
        parts.append(
            f'<mark class="hl d{min(depth, MAX_LAYERS)} bg-{tag_of[innermost]} {layer_classes}" '
            f'data-start="{run.start}" data-s="{ids}">{piece}</mark>'
        )
    parts.append("</p>")
    return "".join(parts)


def document_html(text: str, paragraphs: Sequence[Paragraph], tag_of: dict[int, int]) -> str:
    """Write the paragraphs as HTML, one anchor per span."""
    anchored: set[int] = set()
    return "\n".join(paragraph_html(text, p, tag_of, anchored) for p in paragraphs)


def paragraphs_html(
    text: str,
    spans: Sequence[SpanMark],
    tag_of: dict[int, int],
    start: int,
    end: int,
    *,
    oob: bool = True,
) -> str:
    """Write only the paragraphs that share a character with [start, end).

    ``spans`` must hold at least every span overlapping those paragraphs. A span
    that already shows in an earlier paragraph keeps its anchor there.
    """
    bounds = paragraph_bounds(text)
    indexes = paragraphs_touching(bounds, start, end)
    if not indexes:
        return ""
    earlier_end = bounds[indexes[0] - 1][2] if indexes[0] > 0 else 0
    anchored = {span.id for span in spans if span.start < earlier_end}
    return "\n".join(
        paragraph_html(text, p, tag_of, anchored, oob=oob)
        for p in split_runs(text, spans, only=indexes)
    )


def paragraph_range(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the [start, end) covered by the paragraphs touching [start, end)."""
    bounds = paragraph_bounds(text)
    indexes = paragraphs_touching(bounds, start, end)
    if not indexes:
        return start, end
    return bounds[indexes[0]][1], bounds[indexes[-1]][2]


def safe_colour(colour: str | None, fallback: str = "#888888") -> str:
    """Return colour if it is plain hex ("#rrggbb"), else the fallback: it goes into a stylesheet."""
    return colour if colour and re.fullmatch(r"#[0-9a-fA-F]{6}", colour) else fallback


def tag_css(tags: Iterable[tuple[int, str]]) -> str:
    """Write the per-tag colour rules for (tag id, "#rrggbb") pairs.

    Colours are checked as hex by the database, and checked again here because
    they are written into a stylesheet.
    """
    rules = []
    for tag_id, colour in tags:
        colour = safe_colour(colour)
        rules.append(f".bg-{tag_id}{{background-color:{colour}33}}")
        rules.append(f".sw-{tag_id}{{--tag:{colour}}}")
        for layer in range(MAX_LAYERS):
            rules.append(f".u{layer}-{tag_id}{{--u{layer}:{colour}}}")
    return "\n".join(rules)
