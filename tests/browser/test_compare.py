"""Readers side by side: the tag owns the colour, readers are columns, disagreements stand out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import log_in
from tests.browser.scenes import STUDENTS, build_class

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_teacher_compares_the_class_and_narrows_to_disagreements(page, live_server):
    project, document, teacher = build_class()
    log_in(page, live_server, teacher.get_username())
    page.goto(f"{live_server.url}{document.get_absolute_url()}")
    page.click("a:has-text('Readers side by side')")
    page.wait_for_url("**/compare/")
    headers = page.locator(".compare-table thead th.reader-col").all_inner_texts()
    assert headers == list(STUDENTS)
    rows = page.locator(".compare-table tbody tr")
    assert rows.count() == 7
    agreed = page.locator("tr.agreed")
    assert agreed.count() == 2  # Spike Jonze, and the prediction everyone marked
    # A chip is the tag (colour and letter), named for a screen reader with the reader.
    chip = page.locator("tr:has-text('Spike Jonze') a.chip").first
    assert chip.inner_text() == "F"
    assert chip.get_attribute("aria-label") == "amira: Film reference"
    colour = page.evaluate("(el) => getComputedStyle(el).backgroundColor", chip.element_handle())
    film = project.tags.get(slug="film-reference").colour
    assert colour == "rgb({}, {}, {})".format(*(int(film[i : i + 2], 16) for i in (1, 3, 5)))
    gus = page.locator("tr:has-text('Most films') a.chip[aria-label^='gus']")
    assert gus.inner_text() == "C≈"
    if os.environ.get("HERLENS_SCREENSHOTS"):
        page.set_viewport_size({"width": 1280, "height": 820})
        page.screenshot(path=str(DOCS / "compare-class.png"), full_page=True)
    page.check("input[name=only]")
    page.click("form.compare-filter button[type=submit]")
    page.wait_for_url("**only=disagreements**")
    assert page.locator("tr.agreed").count() == 0
    assert page.locator("tbody tr.disagreed").count() == 5
    # Two readers side by side.
    for name in STUDENTS[2:]:
        page.uncheck(f"label.layer-chip:has-text('{name}') input")
    page.click("form.compare-filter button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".compare-table thead th.reader-col").all_inner_texts() == ["amira", "ben"]
    if os.environ.get("HERLENS_SCREENSHOTS"):
        page.screenshot(path=str(DOCS / "compare-two-readers.png"), full_page=True)


def test_a_blind_student_sees_only_their_own_column(page, live_server):
    project, document, _teacher = build_class()
    log_in(page, live_server, "amira")
    page.goto(f"{live_server.url}/projects/{project.slug}/documents/{document.pk}/compare/")
    assert page.locator(".compare-table thead th.reader-col").all_inner_texts() == ["you"]
    assert "once your teacher reveals" in page.locator(".notice").inner_text()
    assert "ben" not in page.locator("main").inner_text()


def test_a_heat_map_cell_is_a_link_wherever_it_is_clicked(page, live_server):
    project, document, teacher = build_class()
    log_in(page, live_server, teacher.get_username())
    page.goto(f"{live_server.url}/projects/{project.slug}/agreement/?document={document.pk}")
    cell = page.locator(".heatmap a.heat-cell[aria-label^='amira and ben']").first
    box = cell.bounding_box()
    assert box["width"] >= 30
    assert box["height"] >= 30
    # The value printed in the middle of the cell is part of the link too.
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url("**#pair")
    assert page.locator("#pair-heading").inner_text() == "amira and ben"
