from __future__ import annotations

import time

import pytest

from annotations.models import Origin, SuggestionStatus
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ESSAY = (
    "Notes 🤖 on the film Her (2013), directed by Spike Jonze.\n\n"
    "Within a decade, most of us will talk to software that talks back. "
    "Critics argue that the ending is naive."
)

# Functions, not bare expressions: Playwright evaluates a bare one with eval(), which the
# page's Content-Security-Policy refuses.
READY = "() => window.herlensSuggest && window.herlensSuggest.state().items.length > 0"
DRAWN = "(tag) => CSS.highlights.has(`sg-${tag}`) ? [...CSS.highlights.get(`sg-${tag}`)].map(r => r.toString()) : []"


def eventually(check, seconds: float = 5.0) -> None:
    """Wait for the server to have handled the request the page just sent."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the server did not record the decision in time"
        time.sleep(0.05)


REVIEW_QUOTE = "document.querySelector('[data-review=quote]').textContent"


def open_essay(page, live_server, browser_project):
    # Created through the service: the suggestion task runs once the document is committed.
    document = factories.make_document(browser_project, text=ESSAY, title="Suggested")
    assert document.suggestions.count() > 3
    log_in(page, live_server, "editor-in-browser")
    page.goto(live_server.url + document.get_absolute_url())
    page.wait_for_function(READY)
    return document


def test_suggestions_are_drawn_and_can_be_hidden(page, live_server, browser_project):
    document = open_essay(page, live_server, browser_project)
    film = factories.tag(browser_project, "film-reference")
    # The emoji before them must not shift the drawn ranges.
    assert sorted(page.evaluate(DRAWN, film.pk)) == ["Her", "Spike Jonze"]
    assert page.evaluate(DRAWN, factories.tag(browser_project, "prediction").pk) == [
        document.suggestions.get(tag__slug="prediction").quote
    ]
    page.uncheck(".show-suggestions")
    assert page.evaluate(DRAWN, film.pk) == []
    page.check(".show-suggestions")
    assert sorted(page.evaluate(DRAWN, film.pk)) == ["Her", "Spike Jonze"]


def test_keyboard_review_accepts_rejects_and_moves_bounds(page, live_server, browser_project):
    document = open_essay(page, live_server, browser_project)
    page.locator("#essay").click(position={"x": 5, "y": 5})
    page.keyboard.press("r")
    review = page.locator("#review-panel")
    review.wait_for(state="visible")
    for _ in range(10):
        if page.evaluate(REVIEW_QUOTE) == "Her":
            break
        page.keyboard.press("j")
    assert page.evaluate(REVIEW_QUOTE) == "Her"
    assert "year “2013” in brackets" in review.inner_text()

    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('#essay mark').length > 0")
    span = document.spans.get()
    assert (span.quote, span.origin, span.author.username) == (
        "Her",
        Origin.SUGGESTION,
        "editor-in-browser",
    )
    assert page.locator("#essay mark").first.inner_text() == "Her"
    assert document.suggestions.get(quote="Her").status == SuggestionStatus.ACCEPTED

    # The next one is now under review: reject it.
    rejected_quote = page.evaluate(REVIEW_QUOTE)
    page.keyboard.press("x")
    eventually(
        lambda: document.suggestions.get(quote=rejected_quote).status == SuggestionStatus.REJECTED
    )

    # Shrink the end of the current one by a word, switch its tag with a shortcut, accept.
    before = page.evaluate(REVIEW_QUOTE)
    page.keyboard.press("h")
    shrunk = page.evaluate(REVIEW_QUOTE)
    assert before.startswith(shrunk)
    assert len(shrunk) < len(before)
    page.keyboard.press("c")
    assert review.locator("[data-review=tag]").inner_text() == "Claim"
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(n) => document.querySelectorAll('#span-sidebar .span-entry').length === n", arg=2
    )
    made = document.spans.get(quote=shrunk)
    assert made.tag.slug == "claim"

    page.keyboard.press("Escape")
    assert review.is_hidden()
