"""Inter-annotator agreement over spans of one text (pure: no ORM, no HTTP).

Everything here works on ``Unit`` tuples (annotator, tag, start, end) with
code-point offsets, end exclusive, and the length of the text they sit in.
A project is measured by laying its documents end to end (see ``concatenate``).

Measures, each per tag:

- span-level precision / recall / F1 between two annotators, exact match (same
  start, end and tag) and overlap match (same tag, at least one shared character);
- Cohen's kappa over characters: each character is "inside a span of this tag"
  or not, for each annotator (Cohen 1960);
- Krippendorff's unitizing alpha (alpha-u) for binary unitizing of one tag,
  as defined in Krippendorff (1995) "On the reliability of unitizing continuous
  data", Sociological Methodology 25:47-76, and Krippendorff (2004) "Content
  Analysis", 2nd ed., section 12.4: observed disagreement sums squared boundary
  differences of overlapping units and squared lengths of units lying in the
  other observer's gaps; expected disagreement compares every unit with every
  placement it could take.

For more than two annotators F1 and kappa are averaged over pairs (Light's
kappa for the latter); alpha-u takes all observers at once.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from statistics import mean
from typing import NamedTuple


class Unit(NamedTuple):
    annotator: Hashable
    tag: Hashable
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Match:
    """Span-level agreement of ``b`` against ``a`` (``a`` plays the reference)."""

    a_total: int
    b_total: int
    a_matched: int
    b_matched: int

    @property
    def precision(self) -> float | None:
        return self.b_matched / self.b_total if self.b_total else None

    @property
    def recall(self) -> float | None:
        return self.a_matched / self.a_total if self.a_total else None

    @property
    def f1(self) -> float | None:
        """Return the harmonic mean of precision and recall; None when both sides are empty."""
        if not self.a_total and not self.b_total:
            return None
        p, r = self.precision or 0.0, self.recall or 0.0
        return 2 * p * r / (p + r) if p + r else 0.0


# --------------------------------------------------------------------------- helpers


def intervals(units: Iterable[Unit]) -> list[tuple[int, int]]:
    """Return the sorted union of the units' ranges, overlapping ones merged.

    Touching ranges stay apart: two adjacent claims are two units, not one.
    """
    merged: list[list[int]] = []
    for start, end in sorted((u.start, u.end) for u in units):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def covered(ranges: Sequence[tuple[int, int]]) -> int:
    """Return how many characters merged ranges cover."""
    return sum(e - s for s, e in ranges)


def overlap_length(a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]) -> int:
    """Return the characters two sorted, merged range lists share (a linear merge)."""
    i = j = total = 0
    while i < len(a) and j < len(b):
        low, high = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if low < high:
            total += high - low
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def by_annotator_and_tag(units: Iterable[Unit]) -> dict[Hashable, dict[Hashable, list[Unit]]]:
    grouped: dict[Hashable, dict[Hashable, list[Unit]]] = defaultdict(lambda: defaultdict(list))
    for unit in units:
        grouped[unit.annotator][unit.tag].append(unit)
    return grouped


def concatenate(documents: Iterable[tuple[int, Iterable[Unit]]]) -> tuple[list[Unit], int]:
    """Lay documents (length, units) end to end; return the shifted units and the total length.

    Units never cross a document boundary, so measures over the joined text
    pool the documents as one continuum (as Krippendorff pools a corpus).
    """
    joined: list[Unit] = []
    offset = 0
    for length, units in documents:
        joined.extend(u._replace(start=u.start + offset, end=u.end + offset) for u in units)
        offset += length
    return joined, offset


# --------------------------------------------------------------------------- span-level F1


def span_match(a: Iterable[Unit], b: Iterable[Unit], *, overlap: bool = False) -> Match:
    """Compare two annotators' spans of one tag (or of all tags: tags must agree to match).

    The plain definition of span F1, for scripts and notebooks: ``tag_reports``
    computes the same figures faster (``_pair``), and the tests hold the two equal.
    """
    a_list = sorted({(u.tag, u.start, u.end) for u in a})
    b_list = sorted({(u.tag, u.start, u.end) for u in b})
    if not overlap:
        shared = len(set(a_list) & set(b_list))
        return Match(len(a_list), len(b_list), shared, shared)
    a_hit = _overlapping(a_list, b_list)
    b_hit = _overlapping(b_list, a_list)
    return Match(len(a_list), len(b_list), a_hit, b_hit)


def _overlapping(these: list[tuple], others: list[tuple]) -> int:
    """Count spans in ``these`` sharing a character with a same-tag span in ``others``."""
    by_tag: dict[Hashable, list[tuple[int, int]]] = defaultdict(list)
    for tag, start, end in others:
        by_tag[tag].append((start, end))
    hits = 0
    for tag, start, end in these:
        candidates = by_tag.get(tag, ())
        # Spans are short and few per tag; a scan from the first possible start is enough.
        hits += any(s < end and start < e for s, e in candidates)
    return hits


# --------------------------------------------------------------------------- Cohen's kappa


def cohen_kappa(a: Iterable[Unit], b: Iterable[Unit], length: int) -> float | None:
    """Return Cohen's kappa of two annotators over the ``length`` characters, for one tag.

    A character is "in" for an annotator when one of their units covers it.
    None when chance agreement is total (both mark nothing, or everything).
    """
    if length <= 0:
        return None
    return _kappa(intervals(a), intervals(b), length)


def _kappa(
    ra: Sequence[tuple[int, int]], rb: Sequence[tuple[int, int]], length: int
) -> float | None:
    """Cohen's kappa from two merged range lists (see ``cohen_kappa``)."""
    na, nb, both = covered(ra), covered(rb), overlap_length(ra, rb)
    observed = (length - na - nb + 2 * both) / length
    pa, pb = na / length, nb / length
    expected = pa * pb + (1 - pa) * (1 - pb)
    if expected >= 1:
        return None
    return (observed - expected) / (1 - expected)


# --------------------------------------------------------------------------- alpha-u


def _segments(ranges: Sequence[tuple[int, int]], length: int) -> list[tuple[int, int, bool]]:
    """Cut [0, length) into (start, end, is_unit) segments: units and the gaps between them."""
    segments: list[tuple[int, int, bool]] = []
    position = 0
    for start, end in ranges:
        if start > position:
            segments.append((position, start, False))
        segments.append((start, end, True))
        position = end
    if position < length:
        segments.append((position, length, False))
    return segments


def _pair_disagreement(a: list[tuple[int, int, bool]], b: list[tuple[int, int, bool]]) -> int:
    """Sum Krippendorff's squared unitizing distances of two observers' overlapping segments.

    Two overlapping units: the squared differences of their starts and ends; a unit wholly
    inside the other's gap: its squared length; anything else counts with the unit it
    overlaps. Inline, not a call per segment pair (435 pairs per tag in a class of thirty).
    """
    i = j = total = 0
    while i < len(a) and j < len(b):
        gs, ge, g_unit = a[i]
        hs, he, h_unit = b[j]
        if g_unit:
            if h_unit:
                if gs < he and hs < ge:
                    total += (gs - hs) ** 2 + (ge - he) ** 2
            elif hs <= gs and ge <= he:
                total += (ge - gs) ** 2
        elif h_unit and gs <= hs and he <= ge:
            total += (he - hs) ** 2
        if ge < he:
            i += 1
        elif he < ge:
            j += 1
        else:
            i += 1
            j += 1
    return total


@dataclass(frozen=True, slots=True)
class AlphaU:
    observed: float
    expected: float

    @property
    def alpha(self) -> float | None:
        """Return 1 - Do/De; None when De is 0 (nobody marked anything, so nothing to compare)."""
        if self.expected == 0:
            return None
        return 1 - self.observed / self.expected


def alpha_u(units_by_observer: Sequence[Iterable[Unit]], length: int) -> AlphaU:
    """Return Krippendorff's alpha-u for one tag over observers' units of a text of ``length``.

    Every observer counts, also one who marked nothing (all gap). Overlapping
    units of one observer are merged first, as alpha-u requires one
    observer's units of a category not to overlap.
    """
    if len(units_by_observer) < 2 or length <= 0:
        return AlphaU(0.0, 0.0)
    merged = [intervals(units) for units in units_by_observer]
    return _alpha_u(merged, [_segments(r, length) for r in merged], length)


def _alpha_u(
    merged: Sequence[Sequence[tuple[int, int]]],
    segmented: Sequence[list[tuple[int, int, bool]]],
    length: int,
    pair_sum: int | None = None,
) -> AlphaU:
    """Alpha-u from merged ranges and segments (see ``alpha_u``); ``pair_sum`` if known."""
    m = len(merged)
    if pair_sum is None:
        pair_sum = sum(_pair_disagreement(a, b) for a, b in itertools.combinations(segmented, 2))
    # Each unordered pair counts twice in the sum over ordered pairs i != j.
    observed = 2 * pair_sum / (m * (m - 1) * length**2)

    unit_lengths = [e - s for ranges in merged for s, e in ranges]
    gap_lengths = sorted(e - s for segments in segmented for s, e, unit in segments if not unit)
    n_units = len(unit_lengths)
    if n_units == 0:
        return AlphaU(observed, 0.0)
    # For each unit, sum (gap - l + 1) over the gaps at least as long as it: the
    # places it could sit inside a gap. Suffix sums over sorted gaps make it O(log n).
    suffix_sum = list(itertools.accumulate(reversed(gap_lengths)))[::-1] + [0]
    numerator = 0.0
    for lu in unit_lengths:
        placements_with_units = (n_units - 1) * (2 * lu**3 - 3 * lu**2 + lu) / 3
        k = bisect_left(gap_lengths, lu)
        count = len(gap_lengths) - k
        placements_in_gaps = suffix_sum[k] - count * (lu - 1)
        numerator += placements_with_units + lu**2 * placements_in_gaps
    denominator = m * length * (m * length - 1) - sum(lu * (lu - 1) for lu in unit_lengths)
    expected = (2 / length) * numerator / denominator if denominator > 0 else 0.0
    return AlphaU(observed, expected)


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True, slots=True)
class PairFigures:
    f1_exact: float | None
    f1_overlap: float | None
    kappa: float | None
    alpha_u: float | None


@dataclass(slots=True)
class TagReport:
    tag: Hashable
    #: Over all annotators: F1 and kappa averaged over pairs, alpha-u over everyone at once.
    f1_exact: float | None
    f1_overlap: float | None
    kappa: float | None
    alpha_u: float | None
    span_count: int
    #: (annotator a, annotator b) -> figures, for a before b in the annotator order.
    pairs: dict[tuple[Hashable, Hashable], PairFigures] = field(default_factory=dict)

    def matrix(self, annotators: Sequence[Hashable], measure: str) -> list[list[float | None]]:
        """Return a square matrix of one measure; the diagonal is 1 (self-agreement)."""
        rows: list[list[float | None]] = []
        for a in annotators:
            row: list[float | None] = []
            for b in annotators:
                if a == b:
                    row.append(1.0)
                    continue
                figures = self.pairs.get((a, b)) or self.pairs.get((b, a))
                row.append(getattr(figures, measure) if figures else None)
            rows.append(row)
        return rows


@dataclass(frozen=True, slots=True)
class _Layer:
    """One annotator's units of one tag, prepared once for every pair they are in."""

    keys: frozenset[tuple[int, int]]
    ranges: list[tuple[int, int]]
    starts: list[int]
    segments: list[tuple[int, int, bool]]


def _layer(units: Iterable[Unit], length: int) -> _Layer:
    ranges = intervals(units)
    keys = frozenset((u.start, u.end) for u in units)
    return _Layer(keys, ranges, [s for s, _ in ranges], _segments(ranges, length))


def _hits(these: _Layer, others: _Layer) -> int:
    """Count spans of ``these`` sharing a character with the union of ``others``' spans."""
    hits = 0
    for start, end in these.keys:
        # The last merged range starting before ``end`` is the only one that can overlap.
        i = bisect_left(others.starts, end) - 1
        hits += i >= 0 and others.ranges[i][1] > start
    return hits


def _pair(a: _Layer, b: _Layer, length: int, disagreement: int) -> PairFigures:
    """Every measure for two prepared layers; ``disagreement`` is their ``_pair_disagreement``."""
    shared = len(a.keys & b.keys)
    exact = Match(len(a.keys), len(b.keys), shared, shared)
    overlap = Match(len(a.keys), len(b.keys), _hits(a, b), _hits(b, a))
    return PairFigures(
        f1_exact=exact.f1,
        f1_overlap=overlap.f1,
        kappa=_kappa(a.ranges, b.ranges, length) if length > 0 else None,
        alpha_u=_alpha_u([a.ranges, b.ranges], [a.segments, b.segments], length, disagreement).alpha
        if length > 0
        else None,
    )


def pair_figures(a: list[Unit], b: list[Unit], length: int) -> PairFigures:
    """Return every measure for two annotators' units of one tag.

    For comparing one pair from a script; ``tag_reports`` prepares each
    annotator once for all pairs instead.
    """
    la, lb = _layer(a, length), _layer(b, length)
    return _pair(la, lb, length, _pair_disagreement(la.segments, lb.segments))


def tag_reports(
    units: Iterable[Unit],
    length: int,
    annotators: Sequence[Hashable],
    tags: Sequence[Hashable],
    *,
    pairwise: bool = True,
) -> list[TagReport]:
    """Return one report per tag; annotators without units count as marking nothing."""
    grouped = by_annotator_and_tag(u for u in units if u.annotator in set(annotators))
    reports = []
    for tag in tags:
        layers = [grouped.get(a, {}).get(tag, []) for a in annotators]
        prepared = [_layer(layer, length) for layer in layers]
        pairs: dict[tuple[Hashable, Hashable], PairFigures] = {}
        pair_sum: int | None = None  # each pair's disagreement once, for its cell and for all
        if pairwise or len(annotators) == 2:
            pair_sum = 0
            for (i, a), (j, b) in itertools.combinations(enumerate(annotators), 2):
                disagreement = _pair_disagreement(prepared[i].segments, prepared[j].segments)
                pair_sum += disagreement
                pairs[(a, b)] = _pair(prepared[i], prepared[j], length, disagreement)
        reports.append(
            TagReport(
                tag=tag,
                f1_exact=_mean(p.f1_exact for p in pairs.values()),
                f1_overlap=_mean(p.f1_overlap for p in pairs.values()),
                kappa=_mean(p.kappa for p in pairs.values()),
                alpha_u=_alpha_u(
                    [p.ranges for p in prepared], [p.segments for p in prepared], length, pair_sum
                ).alpha
                if len(prepared) >= 2 and length > 0
                else None,
                span_count=sum(len(layer) for layer in layers),
                pairs=pairs,
            )
        )
    return reports


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return mean(present) if present else None


def reading(report: TagReport, tag_name: str) -> str:
    """Say in one line what the figures of a tag mean for a class."""
    if report.span_count == 0:
        return f"Nobody marked a {tag_name.lower()} yet."
    if report.f1_overlap is None or report.alpha_u is None:
        return f"Only one reader marked {tag_name.lower()}s, so there is nothing to compare."
    name = tag_name.lower()
    exact = report.f1_exact or 0.0
    # Boundaries first: alpha-u forgives small boundary shifts, exact matching does not.
    if report.f1_overlap >= 0.6 and report.f1_overlap - exact >= 0.25:
        return f"Readers find the same {name}s but disagree about where they begin and end."
    if report.alpha_u >= 0.8:
        return f"Strong agreement: readers mark the same {name}s with nearly the same boundaries."
    if report.f1_overlap < 0.4:
        return f"Readers mostly mark different passages as {name}s: discuss what counts as one."
    return (
        f"Partial agreement on {name}s: some passages are shared, others are marked by few readers."
    )


# --------------------------------------------------------------------------- disputes


@dataclass(frozen=True, slots=True)
class Dispute:
    tag: Hashable
    start: int
    end: int
    #: How many annotators cover some of the passage, and how many there are.
    marked_by: int
    annotators: int
    #: Disagreeing annotator pairs summed over the passage's characters, over all pairs.
    score: float


def disputes(
    units: Iterable[Unit], annotators: Sequence[Hashable], tags: Sequence[Hashable], limit: int = 10
) -> list[Dispute]:
    """Return the passages with most disagreement, worst first.

    For each tag, a character covered by c of m annotators splits c * (m - c)
    pairs; a passage is a stretch where 0 < c < m, scored by the sum over its
    characters, normalised by the number of pairs.
    """
    m = len(annotators)
    if m < 2:
        return []
    wanted = set(annotators)
    grouped = by_annotator_and_tag(u for u in units if u.annotator in wanted)
    pairs = m * (m - 1) / 2
    found: list[Dispute] = []
    for tag in tags:
        events: dict[int, int] = defaultdict(int)
        for annotator in annotators:
            for start, end in intervals(grouped.get(annotator, {}).get(tag, [])):
                events[start] += 1
                events[end] -= 1
        depth = 0
        run_start = None
        run_score = 0.0
        run_peak = 0
        points = sorted(events)
        if not points:
            continue
        for here, after in zip(points, [*points[1:], None], strict=True):
            depth += events[here]
            disputed = 0 < depth < m
            if disputed and run_start is None:
                run_start, run_score, run_peak = here, 0.0, 0
            if disputed and after is not None:
                run_score += depth * (m - depth) * (after - here)
                run_peak = max(run_peak, depth)
            if not disputed and run_start is not None:
                found.append(Dispute(tag, run_start, here, run_peak, m, run_score / pairs))
                run_start = None
    found.sort(key=lambda d: (-d.score, d.start))
    return found[:limit]
