from __future__ import annotations

from annotations.charts import cell_colour, heatmap_svg


def test_heatmap_escapes_labels_and_draws_every_cell():
    svg = heatmap_svg(["<b>ada</b>", "ben"], [[1.0, 0.25], [0.25, None]], "kappa & co")
    assert "<b>" not in svg
    assert "&lt;b&gt;ada&lt;/b&gt;" in svg
    assert svg.count("<rect") == 4
    assert 'aria-label="kappa &amp; co"' in svg
    assert "ben and ben: –" in svg


def test_cell_colours_run_from_red_to_green_and_grey_for_none():
    assert cell_colour(None) == "#e5e5e5"
    assert cell_colour(-0.3) == cell_colour(0.0) == "#d73027"
    assert cell_colour(1.0) == "#1a9641"


def test_the_whole_cell_is_a_named_link_with_its_value_shown():
    svg = heatmap_svg(
        ["ada", "ben"], [[None, 0.82], [0.82, None]], "alpha", lambda i, j: f"?a={i}&b={j}"
    )
    assert (
        svg.count('<a href="?a=0&amp;b=1" class="heat-cell" aria-label="ada and ben: 0.82">') == 1
    )
    link = svg.split('<a href="?a=0&amp;b=1"')[1].split("</a>")[0]
    assert "<rect" in link
    assert ">.82</text>" in link
    # The chart is a group of links, not one image that would hide them from a screen reader.
    assert 'role="img"' not in svg


def test_thirty_readers_keep_cells_large_enough_to_read_and_click():
    labels = [f"student{n:02d}" for n in range(30)]
    matrix = [[0.5] * 30 for _ in range(30)]
    svg = heatmap_svg(labels, matrix, "kappa")
    assert 'width="36" height="36"' in svg
    assert svg.count(">.50</text>") == 30 * 29
