"""Small SVG charts drawn on the server (pure): the agreement heat map.

Every label passes through ``html.escape``; numbers are formatted here. The
result is safe to place in a page as is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

CELL = 30
LABEL_WIDTH = 130
#: Room above the grid for the slanted column labels.
TOP = 80


def cell_colour(value: float | None) -> str:
    """Return a fill for an agreement value: red (<= 0) through yellow to green (1); grey if none."""
    if value is None:
        return "#e5e5e5"
    v = max(0.0, min(1.0, value))
    # Two straight ramps: red -> amber below 0.5, amber -> green above.
    if v < 0.5:
        t = v / 0.5
        r, g, b = 215, round(48 + (180 - 48) * t), 39
    else:
        t = (v - 0.5) / 0.5
        r, g, b = (
            round(215 - (215 - 26) * t),
            round(180 - (180 - 150) * t),
            round(39 + (65 - 39) * t),
        )
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap_svg(
    labels: Sequence[str],
    matrix: Sequence[Sequence[float | None]],
    title: str,
    link: Callable[[int, int], str] | None = None,
) -> str:
    """Return an SVG heat map of a square matrix with row and column labels.

    ``link(i, j)`` gives the address a cell opens (the pair's details), if any.
    """
    n = len(labels)
    width = LABEL_WIDTH + n * CELL + 40
    height = TOP + n * CELL + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="heatmap" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, label in enumerate(labels):
        short = escape(label if len(label) <= 12 else label[:11] + "…")
        y = TOP + i * CELL + CELL * 0.65
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y:.1f}" text-anchor="end" font-size="12">{short}</text>'
        )
        x = LABEL_WIDTH + i * CELL + CELL * 0.65
        parts.append(
            f'<text x="{x:.1f}" y="{TOP - 6}" font-size="12" '
            f'transform="rotate(-60 {x:.1f} {TOP - 6})">{short}</text>'
        )
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            text = "–" if value is None else f"{value:.2f}"
            who = f"{escape(labels[i])} and {escape(labels[j])}: {text}"
            rect = (
                f'<rect x="{LABEL_WIDTH + j * CELL}" y="{TOP + i * CELL}" '
                f'width="{CELL - 1}" height="{CELL - 1}" fill="{cell_colour(value)}">'
                f"<title>{who}</title></rect>"
            )
            if link is not None and i != j:
                rect = f'<a href="{escape(link(i, j))}">{rect}</a>'
            parts.append(rect)
            if n <= 12:
                parts.append(
                    f'<text x="{LABEL_WIDTH + j * CELL + CELL / 2 - 0.5:.1f}" '
                    f'y="{TOP + i * CELL + CELL * 0.62:.1f}" font-size="9" '
                    f'text-anchor="middle">{"" if value is None else f"{value:.1f}"}</text>'
                )
    parts.append("</svg>")
    return "".join(parts)
