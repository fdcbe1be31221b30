"""The annotate and project pages with every panel at once: spans, suggestions, class mode."""

from __future__ import annotations

import pytest

from annotations.models import Role, SuggestionStatus
from tests import factories
from tests.browser.conftest import PASSWORD, log_in
from tests.browser.test_suggestions import ESSAY, READY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Whether any stylesheet on the page still draws suggestions of a tag (sg-<tag id>).
SUGGESTION_RULES = """
() => Array.from(document.styleSheets).some((sheet) =>
  Array.from(sheet.cssRules).some((rule) => /::highlight\\(sg-\\d/.test(rule.selectorText || "")))
"""


def open_suggested(page, live_server, project):
    document = factories.make_document(project, text=ESSAY, title="Suggested")
    assert document.suggestions.count() > 3
    log_in(page, live_server, "editor-in-browser")
    page.goto(live_server.url + document.get_absolute_url())
    page.wait_for_function(READY)
    return document


def test_refused_action_shows_a_message_and_keeps_the_page_in_debug_mode(
    page, live_server, settings, browser_project, editor_user
):
    # DEBUG adds django-htmx's debug helper, which shows error answers as the whole page.
    settings.DEBUG = True
    document = factories.make_document(browser_project, text=ESSAY, title="Refused")
    factories.make_span(document, *factories.phrase(document, "Spike Jonze"), editor_user)
    factories.add_member(
        browser_project, Role.ANNOTATOR, factories.make_user("annotator-in-browser", PASSWORD)
    )
    log_in(page, live_server, "annotator-in-browser")
    page.goto(live_server.url + document.get_absolute_url())
    page.locator("#essay mark").first.click()
    page.locator("#span-panel[data-span]").wait_for()
    with page.expect_response(lambda r: r.url.endswith("/delete/")) as answer:
        page.evaluate(
            "(url) => htmx.ajax('POST', url, {target: '#span-panel', swap: 'outerHTML'})",
            f"/spans/{document.spans.get().pk}/delete/",
        )
    assert answer.value.status == 403
    page.locator("#toast").wait_for(state="visible")
    assert page.locator("#essay mark").count() == 1
    assert page.locator("#span-sidebar").is_visible()


def test_live_update_keeps_the_suggestions_drawn(page, live_server):
    c = factories.make_class()
    c.teacher.set_password(PASSWORD)
    c.teacher.save()
    assert c.document.suggestions.exists()
    log_in(page, live_server, c.teacher.username)
    page.goto(live_server.url + c.document.get_absolute_url())
    page.wait_for_function(READY)
    assert page.evaluate(SUGGESTION_RULES)
    # A student's span arrives by the live poll and brings new layer colours with it.
    factories.make_span(c.document, *factories.phrase(c.document, "too neat"), c.alice)
    page.wait_for_function("document.querySelectorAll('#essay mark').length > 0", timeout=15_000)
    page.wait_for_timeout(300)
    assert page.evaluate(SUGGESTION_RULES)


def test_bulk_accept_keeps_its_undo_and_undo_restores(page, live_server, browser_project):
    document = open_suggested(page, live_server, browser_project)
    film = factories.tag(browser_project, "film-reference")
    pending = document.suggestions.filter(tag=film, status=SuggestionStatus.PENDING).count()
    page.click("#suggest-panel tr:has-text('Film reference') button[value=accept]")
    undo = page.locator("#suggest-panel form.undo")
    undo.wait_for()
    # The panel must not reload itself over the answer and lose the Undo.
    page.wait_for_timeout(800)
    assert undo.is_visible()
    assert f"Accepted {pending} Film reference" in undo.inner_text()
    undo.locator("button").click()
    page.wait_for_function(
        "(n) => document.querySelector('[data-suggestion-count=film-reference]')?.textContent === String(n)",
        arg=pending,
    )
    assert document.suggestions.filter(tag=film, status=SuggestionStatus.PENDING).count() == pending
    assert not document.spans.exists()


def test_review_panel_stays_in_sight_after_accepting(browser, live_server, browser_project):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        open_suggested(page, live_server, browser_project)
        page.locator("#essay").click(position={"x": 5, "y": 5})
        page.keyboard.press("r")
        review = page.locator("#review-panel")
        review.wait_for(state="visible")
        page.keyboard.press("Enter")
        # The span panel opens the accepted span, with its discussion: a tall panel.
        page.locator("#span-panel[data-span] .span-edit").wait_for()
        box = review.bounding_box()
        assert box is not None
        assert box["y"] >= 0
        assert box["y"] + box["height"] <= 720
    finally:
        context.close()


def test_project_page_fits_its_suggestion_counts(page, live_server, browser_project):
    document = open_suggested(page, live_server, browser_project)
    # The longest names the rules have, as in the demo project.
    first, second = document.suggestions.all()[:2]
    first.rule, second.rule = "film-noun-director", "quantified-consensus"
    first.save(update_fields=["rule"])
    second.save(update_fields=["rule"])
    page.goto(live_server.url + browser_project.get_absolute_url())
    aside = page.locator("aside.card").bounding_box()
    for selector in ("#suggestions table", "#learning table"):
        table = page.locator(selector).bounding_box()
        assert table["x"] + table["width"] <= aside["x"] + aside["width"]
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_suggestion_list_stays_open_after_deciding_from_it(page, live_server, browser_project):
    document = open_suggested(page, live_server, browser_project)
    page.click("#suggest-panel details.suggest-list summary")
    total = document.suggestions.count()
    page.locator("details.suggest-list li button:has-text('Reject')").first.click()
    page.wait_for_function(
        "(n) => document.getElementById('suggestion-total')?.textContent === String(n)",
        arg=total - 1,
    )
    page.wait_for_timeout(300)
    assert page.evaluate("document.querySelector('details.suggest-list').open")
