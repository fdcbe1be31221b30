"""An editor revises a tagged essay in the browser: highlights follow their words."""

from __future__ import annotations

import pytest

from annotations.models import AnchorState, Span
from tests import factories
from tests.browser.conftest import log_in
from tests.browser.test_annotate import marks_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DRAFT = (
    "The voice 🎙️ in the machine is lonely, and Spike Jonze lets it be.\n\n"
    "Theodore writes letters for strangers and teh city listens.\n\n"
    "The camera stays close to him. Rain runs down the window."
)
NEW_PARAGRAPH = "A paragraph added in the second draft, before the rest.\n\n"

# Drag the mouse over needle inside #reattach-text (one text node, wrapped by CSS).
LOCATE_PLAIN = """
(needle) => {
  const box = document.getElementById("reattach-text");
  const node = box.firstChild;
  const at = node.data.indexOf(needle);
  if (at < 0) return null;
  const rect = (index) => {
    const range = document.createRange();
    range.setStart(node, index);
    range.setEnd(node, index + 1);
    return range.getClientRects()[0];
  };
  const first = rect(at), last = rect(at + needle.length - 1);
  return { start: { x: first.left + 1, y: first.top + first.height / 2 },
           end: { x: last.right - 1, y: last.top + last.height / 2 } };
}
"""


def drag_over(page, needle: str) -> None:
    points = page.evaluate(LOCATE_PLAIN, needle)
    assert points, f"{needle!r} not found"
    page.mouse.move(points["start"]["x"], points["start"]["y"])
    page.mouse.down()
    page.mouse.move(points["end"]["x"], points["end"]["y"], steps=8)
    page.mouse.up()
    assert page.evaluate("window.getSelection().toString()") == needle


def test_editor_fixes_a_typo_adds_a_paragraph_and_attaches_an_orphan_again(
    page, live_server, editor_user, browser_project
):
    document = factories.make_document(browser_project, text=DRAFT, title="Second draft")

    def span(words: str, tag: str = "claim") -> Span:
        start = DRAFT.index(words)
        return factories.make_span(document, start, start + len(words), editor_user, tag)

    voice = span("The voice 🎙️ in the machine", "film-reference")
    jonze = span("Spike Jonze", "film-reference")
    typo = span("teh city listens")
    camera = span("The camera stays close to him.")
    rain = span("Rain runs down the window.", "prediction")

    log_in(page, live_server, editor_user.username)
    page.goto(live_server.url + document.get_absolute_url())
    page.click("#edit-text-link")
    new_text = NEW_PARAGRAPH + DRAFT.replace("teh city", "the city").replace(
        "The camera stays close to him.", "The lens never leaves his face."
    )
    page.fill("#revision-text", new_text)
    page.click("#revision-preview-button")
    summary = page.locator("#preview-summary")
    summary.wait_for()
    assert "1 changed" in summary.inner_text()
    assert "1 orphaned" in summary.inner_text()
    page.click("#revision-save")

    page.wait_for_url(f"**/documents/{document.pk}/review/")
    assert "Saved revision 2." in page.inner_text("#messages")
    orphan = page.locator(f"#orphan-list li[data-span='{camera.pk}']")
    assert "The camera stays close to him." in orphan.inner_text()
    orphan.get_by_role("link", name="Attach to new words").click()
    page.wait_for_url(f"**/spans/{camera.pk}/reattach/")
    drag_over(page, "The lens never leaves his face.")
    page.click("#reattach-submit")
    page.wait_for_url(f"**/documents/{document.pk}/review/")
    assert page.locator("#orphan-list").count() == 0

    page.goto(live_server.url + document.get_absolute_url())
    page.wait_for_selector("#essay mark")
    assert marks_text(page, voice.pk) == "The voice 🎙️ in the machine"
    assert marks_text(page, jonze.pk) == "Spike Jonze"
    assert marks_text(page, typo.pk) == "the city listens"
    assert marks_text(page, camera.pk) == "The lens never leaves his face."
    assert marks_text(page, rain.pk) == "Rain runs down the window."
    assert page.inner_text("#review-link") == "1 span to review"
    assert page.inner_text("#doc-revision").startswith("Revision 2")

    page.goto(live_server.url + document.get_absolute_url() + f"?span={typo.pk}")
    assert "A revision edited words inside this span." in page.inner_text("#span-changed")
    typo.refresh_from_db()
    assert typo.anchor == AnchorState.CHANGED
    document.refresh_from_db()
    for live in Span.objects.filter(document=document):
        assert document.text[live.start : live.end] == live.quote


LONG = "\n\n".join(
    f"Paragraph {n}: the camera lingers on the city at night while the voice keeps talking."
    for n in range(1, 41)
)


def test_a_reader_is_told_of_a_new_revision_and_reloads_at_the_same_place(
    page, live_server, editor_user, browser_project
):
    from annotations.services import revisions

    document = factories.make_document(browser_project, text=LONG, title="Long essay")
    log_in(page, live_server, editor_user.username)
    page.goto(live_server.url + document.get_absolute_url())
    page.evaluate("document.getElementById('para-29').scrollIntoView({block: 'start'})")

    added = "\n\n".join(
        f"A new opening paragraph {n}, written for the second draft." for n in range(8)
    )
    revisions.document_revise(document=document, text=added + "\n\n" + LONG, user=editor_user)

    reload = page.locator("#revision-reload")
    reload.wait_for(timeout=15_000)
    assert "new revision (2" in page.inner_text("#live")
    reload.click()
    page.wait_for_url("**#at-*")
    # The paragraph the reader was on is on screen again, though eight came before it.
    page.wait_for_function(
        "() => { const p = Array.from(document.querySelectorAll('#essay p[data-start]'))"
        ".find(e => e.textContent.startsWith('Paragraph 30:'));"
        " const r = p.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }"
    )
    assert page.evaluate("window.scrollY") > 1000


# What the pencil before a highlight draws and says (CSS generated content and its alt text).
PENCIL = """
(mark) => {
  const before = getComputedStyle(mark, "::before");
  return { content: before.content, width: mark.getBoundingClientRect().width,
           text: mark.textContent };
}
"""


def test_a_changed_span_shows_a_pencil_on_its_highlight_until_its_words_are_confirmed(
    page, live_server, editor_user, browser_project
):
    from annotations.services import revisions

    document = factories.make_document(browser_project, text=DRAFT, title="Pencil")
    typo_start = DRAFT.index("teh city listens")
    typo = factories.make_span(document, typo_start, typo_start + 16, editor_user, "claim")
    rain_start = DRAFT.index("Rain runs")
    factories.make_span(document, rain_start, rain_start + 9, editor_user, "prediction")
    revisions.document_revise(
        document=document, text=DRAFT.replace("teh city", "the city"), user=editor_user
    )

    log_in(page, live_server, editor_user.username)
    page.goto(live_server.url + document.get_absolute_url())
    page.wait_for_selector("#essay mark")
    flagged = page.locator("#essay mark.chg")
    assert flagged.count() == 1
    drawn = flagged.evaluate(PENCIL)
    # Drawn before the words (a shape, not a colour) and read out as words...
    assert "✎" in drawn["content"]
    assert "Words edited by a revision: " in drawn["content"]
    # The screen reader's words for the span follow (static/herlens-access.js sets them once
    # the highlights are painted).
    page.wait_for_selector("#essay mark.chg[data-sr-start]", state="attached")
    assert flagged.get_attribute("data-sr-start").startswith("Claim")
    # ...while the text, and so every offset the page works out, stays the document's.
    assert drawn["text"] == "the city listens"
    assert marks_text(page, typo.pk) == "the city listens"
    assert page.locator("#essay").evaluate("e => e.textContent.includes('✎')") is False

    flagged.click()
    page.locator("#span-changed").wait_for()
    page.get_by_role("button", name="Words are right").click()
    page.wait_for_url(f"**?span={typo.pk}#span-panel")
    page.wait_for_selector("#essay mark")
    assert page.locator("#essay mark.chg").count() == 0
    assert page.locator("#span-changed").count() == 0
    assert marks_text(page, typo.pk) == "the city listens"
