"""Split a text into paragraphs and highlight runs, and write them as HTML (pure).

A run is a stretch of text with the same set of covering spans; runs break at
every span boundary and every paragraph boundary, so overlapping and nested
spans need no nested elements. The work is linear in the length of the text
plus the number of spans (times the nesting depth, which is small).

The page markup is kept small, because a long essay has thousands of runs and
the browser pays for every byte and element: a run without spans is bare text, a
run under spans is a ``<mark>`` with one colour class per underline layer, and
which spans cover a run is not written on it; each paragraph lists the spans that
begin in it once (``data-spans``), and static/herlens.js works out runs, offsets
and covering spans from the text when the reader clicks, selects or steps.

Every character of the text passes through ``html.escape`` here; nothing from
the document reaches the page any other way.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from itertools import islice
from typing import NamedTuple

#: A blank line (possibly holding spaces) separates paragraphs; single newlines stay inside.
PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")

#: Class prefix of each underline layer, outermost first.
LAYER_LETTERS = "abcd"
#: Underline layers drawn per run, one a letter; deeper nesting shows the outermost three and
#: the innermost.
MAX_LAYERS = len(LAYER_LETTERS)


@dataclass(frozen=True, slots=True)
class SpanMark:
    """What rendering needs to know of a span."""

    id: int
    start: int
    end: int
    tag_id: int
    #: A revision edited words inside it and nobody has confirmed them yet: its first
    #: highlight carries the class ``chg``, drawn as a mark before the words.
    changed: bool = False


class Run(NamedTuple):
    """A stretch of text under one set of spans (a tuple: a long essay has thousands)."""

    start: int
    end: int
    #: Covering span ids, outermost first (longest, then earliest, then oldest).
    span_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph of the text: its number, its place, and the blank lines before it."""

    index: int
    start: int
    end: int
    #: Where the text before this paragraph (the separating blank lines) begins.
    gap_start: int
    runs: tuple[Run, ...]
    #: Spans that begin in this paragraph or in the blank space before it, in reading order.
    starting: tuple[SpanMark, ...] = ()


@lru_cache(maxsize=16)
def paragraph_bounds(text: str) -> tuple[tuple[int, int, int], ...]:
    """Return (gap_start, start, end) of each non-empty paragraph, in order.

    ``text[gap_start:start]`` is the blank space before the paragraph, which is
    not drawn as text but still counts for offsets. Kept for the last few texts:
    one action asks several times, and a long essay takes a while to scan.
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
    return tuple(bounds)


def paragraphs_touching(bounds: Sequence[tuple[int, int, int]], start: int, end: int) -> list[int]:
    """Return the indexes of paragraphs that share a character with [start, end)."""
    return [i for i, (_, p_start, p_end) in enumerate(bounds) if p_start < end and start < p_end]


def split_runs(
    text: str,
    spans: Iterable[SpanMark],
    only: Iterable[int] | None = None,
) -> list[Paragraph]:
    """Split text into paragraphs of runs; ``only`` limits the output to those paragraph indexes."""
    return list(iter_paragraphs(text, spans, only))


def iter_paragraphs(
    text: str,
    spans: Iterable[SpanMark],
    only: Iterable[int] | None = None,
) -> Iterator[Paragraph]:
    """``split_runs`` one paragraph at a time: the spans are sorted once, before the first."""
    bounds = paragraph_bounds(text)
    wanted = set(range(len(bounds))) if only is None else set(only)
    ordered = sorted(spans, key=lambda s: (s.start, -s.end, s.id))
    ends_sorted = sorted(ordered, key=lambda s: (s.end, s.id))

    starts = [span.start for span in ordered]
    cuts = sorted({point for span in ordered for point in (span.start, span.end)})

    # The covering spans of the current run, kept in layer order (longest, then earliest,
    # then oldest): a run differs from the one before by a span or two.
    key_of = {span.id: (span.start - span.end, span.start, span.id) for span in ordered}
    active: list[tuple[int, int, int]] = []
    active_ids: set[int] = set()
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
                span_id = ends_sorted[next_end].id
                if span_id in active_ids:
                    active_ids.discard(span_id)
                    active.remove(key_of[span_id])
                next_end += 1
            while next_start < len(ordered) and ordered[next_start].start <= run_start:
                span = ordered[next_start]
                if span.end > run_start and span.id not in active_ids:
                    active_ids.add(span.id)
                    insort(active, key_of[span.id])
                next_start += 1
            runs.append(Run(run_start, run_end, tuple([key[2] for key in active])))
        starting = ordered[bisect_left(starts, gap_start) : bisect_left(starts, p_end)]
        yield Paragraph(index, p_start, p_end, gap_start, tuple(runs), tuple(starting))


def layer_classes(keys: Sequence[object]) -> str:
    """Return the colour classes of a run covered by spans with these style keys, outermost first.

    One class per underline layer (``a``, ``b``, ``c``, ``d``, then the key); a
    run under more than ``MAX_LAYERS`` spans draws the outermost three and the
    innermost. The background follows the innermost span (see ``tag_css``).
    """
    if len(keys) > MAX_LAYERS:
        keys = [*keys[: MAX_LAYERS - 1], keys[-1]]
    return " ".join(f"{LAYER_LETTERS[layer]}{key}" for layer, key in enumerate(keys))


def paragraph_html(
    text: str,
    paragraph: Paragraph,
    tag_of: dict[int, object],
    *,
    oob: bool = False,
    target: int | None = None,
    class_cache: dict[tuple, str] | None = None,
) -> str:
    """Write one paragraph as HTML.

    Runs without spans are bare text; a run under spans is a ``<mark>`` with
    colour classes only (and ``chg`` on the first run of a span a revision changed). Which spans cover a run is not repeated on every run
    (thousands of runs, several spans deep): the paragraph lists the spans that
    begin in it as ``data-spans`` ("id offset length" triples, the offset from the
    paragraph's ``data-start``, in code points) and static/herlens.js works out
    the rest from the text when it needs it. ``tag_of`` maps span id to its style
    key. ``target`` (a span id) gets ``id="span-N"`` on its first run, so a link
    to ``#span-N`` scrolls there without JavaScript.
    """
    spans_attr = " ".join(
        f"{span.id} {span.start - paragraph.start} {span.end - span.start}"
        for span in paragraph.starting
    )
    parts = [
        f'<p class="para" id="para-{paragraph.index}" data-start="{paragraph.start}" '
        f'data-end="{paragraph.end}" data-before="{escape(text[paragraph.gap_start : paragraph.start])}"'
        + (f' data-spans="{spans_attr}"' if spans_attr else "")
        + (' hx-swap-oob="true">' if oob else ">")
    ]
    # Where each changed span begins in this paragraph: its first run gets the class chg.
    flagged = {span.id for span in paragraph.starting if span.changed}
    for run in paragraph.runs:
        piece = escape(text[run.start : run.end], quote=False)
        if not run.span_ids:
            parts.append(piece)
            continue
        flag = ""
        if flagged and not flagged.isdisjoint(run.span_ids):
            flagged.difference_update(run.span_ids)
            flag = " chg"
        drawn = run.span_ids
        if len(drawn) > MAX_LAYERS:
            drawn = (*drawn[: MAX_LAYERS - 1], drawn[-1])
        keys = tuple([tag_of[span_id] for span_id in drawn])
        classes = f'"{layer_classes(keys)}{flag}"' if flag else _class_attribute(keys, class_cache)
        if target is not None and target in run.span_ids:
            parts.append(f'<mark class={classes} id="span-{target}">{piece}</mark>')
            target = None
        else:
            parts.append(f"<mark class={classes}>{piece}</mark>")
    parts.append("</p>")
    return "".join(parts)


def _class_attribute(keys: tuple, class_cache: dict[tuple, str] | None) -> str:
    """Return the class attribute's value of a run drawn with these style keys (cached)."""
    classes = class_cache.get(keys) if class_cache is not None else None
    if classes is None:
        classes = layer_classes(keys)
        if " " in classes:
            classes = f'"{classes}"'
        if class_cache is not None:
            class_cache[keys] = classes
    return classes


def document_html(
    text: str,
    paragraphs: Sequence[Paragraph],
    tag_of: dict[int, object],
    *,
    target: int | None = None,
) -> str:
    """Write the paragraphs as HTML; ``target`` is the span to link to (see ``paragraph_html``)."""
    parts = []
    # A long essay has thousands of runs but few different stacks of tags.
    class_cache: dict[tuple, str] = {}
    for paragraph in paragraphs:
        here = target if target is not None and _covers(paragraph, target) else None
        parts.append(paragraph_html(text, paragraph, tag_of, target=here, class_cache=class_cache))
        if here is not None:
            target = None
    return "\n".join(parts)


def document_html_chunks(
    text: str,
    spans: Sequence[SpanMark],
    tag_of: dict[int, object],
    *,
    target: int | None = None,
    first_characters: int = 0,
) -> Iterator[str]:
    """Yield the essay's HTML in two pieces: the paragraphs of its first ``first_characters``,
    then the rest; joined with a newline they are ``document_html`` of every paragraph.

    The annotate page sends the first piece (a screenful) before working out the rest.
    """
    bounds = paragraph_bounds(text)
    first = next(
        (index for index, (_gap, start, _end) in enumerate(bounds) if start >= first_characters),
        len(bounds),
    )
    first = max(first, 1)
    # One pass over the spans for both pieces: the second goes on where the first stopped.
    every_paragraph = iter_paragraphs(text, spans)
    for indexes in (range(first), range(first, len(bounds))):
        if not indexes:
            continue
        paragraphs = list(islice(every_paragraph, len(indexes)))
        here = (
            target if target is not None and any(_covers(p, target) for p in paragraphs) else None
        )
        if here is not None:
            target = None
        prefix = "\n" if indexes.start else ""
        yield prefix + document_html(text, paragraphs, tag_of, target=here)


def _covers(paragraph: Paragraph, span_id: int) -> bool:
    return any(span_id in run.span_ids for run in paragraph.runs)


def paragraphs_html(
    text: str,
    spans: Sequence[SpanMark],
    tag_of: dict[int, object],
    start: int,
    end: int,
    *,
    oob: bool = True,
) -> str:
    """Write only the paragraphs that share a character with [start, end).

    ``spans`` must hold at least every span overlapping those paragraphs.
    """
    bounds = paragraph_bounds(text)
    indexes = paragraphs_touching(bounds, start, end)
    if not indexes:
        return ""
    return "\n".join(
        paragraph_html(text, p, tag_of, oob=oob) for p in split_runs(text, spans, only=indexes)
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


def tag_css(tags: Iterable[tuple[object, str]]) -> str:
    """Write the colour rules for (style key, "#rrggbb") pairs: swatches and run layers.

    A run's classes name one key per underline layer (``layer_classes``); every
    layer also sets the background, and the rules are written layer by layer so
    that the innermost layer's background wins. Colours are checked as hex by the
    database, and checked again here because they are written into a stylesheet.
    """
    checked = [(key, safe_colour(colour)) for key, colour in tags]
    rules = [f".sw-{key}{{--tag:{colour}}}" for key, colour in checked]
    for layer, letter in enumerate(LAYER_LETTERS):
        rules.extend(
            f"mark.{letter}{key}{{--u{layer}:{colour};--b:{colour}33}}" for key, colour in checked
        )
    return "\n".join(rules)
