"""Readers side by side (pure): the passages anyone marked, and what each reader did there.

A passage is a run of overlapping spans (any reader, any tag), so the spans two readers
put on roughly the same words land in one row. In that row each reader has a cell: the
spans they made there, each with its tag and whether its bounds differ from the most
common bounds for that tag. The row agrees when every reader compared made exactly one
span there and all of them have the same tag and the same bounds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

AGREED = "agreed"
TAGS_DIFFER = "tags differ"
BOUNDS_DIFFER = "bounds differ"
MISSED = "not marked by everyone"


@dataclass(frozen=True)
class Mark:
    """One span as the comparison sees it: whose (a layer key), its tag and its bounds."""

    span_id: int
    reader: str
    tag: int
    start: int
    end: int


@dataclass(frozen=True)
class Cell:
    marks: tuple[Mark, ...]
    #: The span ids among ``marks`` whose bounds differ from the passage's usual ones.
    off_bounds: frozenset[int] = frozenset()


@dataclass
class Passage:
    start: int
    end: int
    cells: dict[str, Cell]
    #: Empty when the readers agree; otherwise the ways they differ (TAGS_DIFFER, ...).
    differences: list[str] = field(default_factory=list)
    marked_by: int = 0
    compared: int = 0

    @property
    def agreed(self) -> bool:
        return not self.differences

    @property
    def disputes(self) -> list[str]:
        """The differences among those who marked the passage (who did not, ``marked_by`` says)."""
        return [d for d in self.differences if d != MISSED]


def _clusters(marks: Sequence[Mark]) -> list[list[Mark]]:
    """Group marks whose ranges overlap, directly or through others, in reading order."""
    groups: list[list[Mark]] = []
    end = -1
    for mark in sorted(marks, key=lambda m: (m.start, -m.end, m.reader, m.tag)):
        if groups and mark.start < end:
            groups[-1].append(mark)
            end = max(end, mark.end)
        else:
            groups.append([mark])
            end = mark.end
    return groups


def passages(
    marks: Iterable[Mark], readers: Sequence[str], also_shown: Sequence[str] = ()
) -> list[Passage]:
    """Return the passages of ``marks`` with a cell for each of ``readers`` (layer keys).

    Only the readers listed are compared; ``also_shown`` (the reference layer) get a cell
    but do not count for agreement. Marks of anyone else are left out.
    """
    columns = [*readers, *also_shown]
    wanted = set(columns)
    chosen = [m for m in marks if m.reader in wanted]
    compared_keys = set(readers)
    rows = []
    for group in _clusters(chosen):
        usual: dict[int, tuple[int, int]] = {}
        for tag in {m.tag for m in group}:
            counts = Counter((m.start, m.end) for m in group if m.tag == tag)
            usual[tag] = max(counts, key=lambda bounds: (counts[bounds], -bounds[0]))
        cells = {}
        for reader in columns:
            mine = tuple(m for m in group if m.reader == reader)
            off = frozenset(m.span_id for m in mine if (m.start, m.end) != usual[m.tag])
            cells[reader] = Cell(mine, off)
        compared = [m for m in group if m.reader in compared_keys]
        marked = [r for r in readers if cells[r].marks]
        differences = []
        if len(marked) < len(readers):
            differences.append(MISSED)
        if len({m.tag for m in compared}) > 1:
            differences.append(TAGS_DIFFER)
        if len({(m.start, m.end) for m in compared}) > 1 or any(
            len(cells[r].marks) > 1 for r in marked
        ):
            differences.append(BOUNDS_DIFFER)
        rows.append(
            Passage(
                start=min(m.start for m in group),
                end=max(m.end for m in group),
                cells=cells,
                differences=differences,
                marked_by=len(marked),
                compared=len(readers),
            )
        )
    return rows
