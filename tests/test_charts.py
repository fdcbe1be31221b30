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
