"""Small SVG charts drawn on the server (pure): the agreement heat map.

Every label passes through ``html.escape``; numbers are formatted here. The
result is safe to place in a page as is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from html import escape

#: A cell's side in pixels: a class of thirty fits a wide screen, and a value still reads.
CELL = 38
LABEL_WIDTH = 150
#: Room above the grid for the slanted column labels.
TOP = 110


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


#: Cells take a few hundred colours at most; a heat map of thirty readers asks 870 times.
@lru_cache(maxsize=1024)
def ink_on(colour: str) -> str:
    """Return black or white, whichever reads better on the hex ``colour`` (WCAG luminance)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


def heatmap_svg(
    labels: Sequence[str],
    matrix: Sequence[Sequence[float | None]],
    title: str,
    link: Callable[[int, int], str] | None = None,
) -> str:
    """Return an SVG heat map of a square matrix with row and column labels.

    Every cell shows its value; ``link(i, j)`` gives the address a cell opens (the pair's
    details): the whole cell is the link, named for a screen reader ("ada and ben: 0.82").
    Sized for a class of thirty: cells stay large enough to read and to click.
    """
    n = len(labels)
    width = LABEL_WIDTH + n * CELL + 40
    height = TOP + n * CELL + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="heatmap" role="group" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, label in enumerate(labels):
        short = escape(label if len(label) <= 16 else label[:15] + "…")
        y = TOP + i * CELL + CELL * 0.62
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y:.1f}" text-anchor="end" font-size="13" '
            f'aria-hidden="true">{short}</text>'
        )
        x = LABEL_WIDTH + i * CELL + CELL * 0.62
        parts.append(
            f'<text x="{x:.1f}" y="{TOP - 6}" font-size="13" aria-hidden="true" '
            f'transform="rotate(-60 {x:.1f} {TOP - 6})">{short}</text>'
        )
    names = [escape(label) for label in labels]
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            text = "–" if value is None else f"{value:.2f}"
            who = f"{names[i]} and {names[j]}: {text}"
            fill = cell_colour(value)
            x, y = LABEL_WIDTH + j * CELL, TOP + i * CELL
            shown = "" if i == j or value is None else f"{value:.2f}".replace("0.", ".", 1)
            cell = (
                f'<rect x="{x}" y="{y}" width="{CELL - 2}" height="{CELL - 2}" fill="{fill}">'
                f"<title>{who}</title></rect>"
                f'<text x="{x + (CELL - 2) / 2:.1f}" y="{y + CELL * 0.6:.1f}" font-size="11" '
                f'text-anchor="middle" fill="{ink_on(fill)}" aria-hidden="true">{shown}</text>'
            )
            if link is not None and i != j:
                cell = (
                    f'<a href="{escape(link(i, j))}" class="heat-cell" aria-label="{who}">'
                    f"{cell}</a>"
                )
            parts.append(cell)
    parts.append("</svg>")
    return "".join(parts)
