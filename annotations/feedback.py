"""A reader's spans against the reference layer: found, boundary differences, missed, extra (pure).

What a student's feedback page shows, and the totals of the teacher's overview.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

from annotations.agreement import Unit


@dataclass(slots=True)
class Feedback:
    """A reader's spans of one tag compared with the reference layer."""

    found: list[tuple[Unit, Unit]] = field(default_factory=list)
    #: Same passage, other boundaries: (reader's unit, reference unit).
    boundary: list[tuple[Unit, Unit]] = field(default_factory=list)
    missed: list[Unit] = field(default_factory=list)
    extra: list[Unit] = field(default_factory=list)
    reference_total: int = 0

    @property
    def precision(self) -> float | None:
        """Share of the reader's spans that hit a reference span (boundaries may differ)."""
        hits = len(self.found) + len(self.boundary)
        mine = hits + len(self.extra)
        return hits / mine if mine else None

    @property
    def recall(self) -> float | None:
        """Share of the reference spans the reader hit (boundaries may differ)."""
        if not self.reference_total:
            return None
        return (self.reference_total - len(self.missed)) / self.reference_total


def combined(feedbacks: Iterable[Feedback]) -> Feedback:
    """Return one Feedback for all tags together (a reader's row in the class overview)."""
    total = Feedback()
    for feedback in feedbacks:
        total.found += feedback.found
        total.boundary += feedback.boundary
        total.missed += feedback.missed
        total.extra += feedback.extra
        total.reference_total += feedback.reference_total
    return total


def compare_to_reference(
    mine: Iterable[Unit], reference: Iterable[Unit]
) -> dict[Hashable, Feedback]:
    """Sort a reader's units against the reference, per tag: found, boundary, missed, extra.

    A reader's unit equal to a reference unit is found; one that overlaps a
    reference unit of the same tag without equalling it is a boundary
    difference (paired with the reference unit it overlaps most); a reference
    unit nobody overlapped is missed; a reader's unit overlapping none is extra.
    """
    result: dict[Hashable, Feedback] = defaultdict(Feedback)
    mine_by_tag: dict[Hashable, list[Unit]] = defaultdict(list)
    ref_by_tag: dict[Hashable, list[Unit]] = defaultdict(list)
    for unit in mine:
        mine_by_tag[unit.tag].append(unit)
    for unit in reference:
        ref_by_tag[unit.tag].append(unit)
    for tag in sorted({*mine_by_tag, *ref_by_tag}, key=str):
        feedback = result[tag]
        refs = sorted(ref_by_tag[tag], key=lambda u: (u.start, u.end))
        exact = {(u.start, u.end): u for u in refs}
        hit_refs: set[tuple[int, int]] = set()
        for unit in sorted(mine_by_tag[tag], key=lambda u: (u.start, u.end)):
            twin = exact.get((unit.start, unit.end))
            if twin is not None:
                feedback.found.append((unit, twin))
                hit_refs.add((twin.start, twin.end))
                continue
            best = max(
                (r for r in refs if r.start < unit.end and unit.start < r.end),
                key=lambda r: min(r.end, unit.end) - max(r.start, unit.start),
                default=None,
            )
            if best is None:
                feedback.extra.append(unit)
            else:
                feedback.boundary.append((unit, best))
                hit_refs.add((best.start, best.end))
        feedback.missed = [r for r in refs if (r.start, r.end) not in hit_refs]
        feedback.reference_total = len(refs)
    return dict(result)
