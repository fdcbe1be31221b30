from __future__ import annotations

import pytest

from annotations.models import Span
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ESSAY = (
    "Notes on a film 🤖 “Her” (2013), by Spike Jonze, has aged well.\n\n"
    "Within a decade, most of us will talk to software that talks back. "
    "The café scene is the film’s centre."
)

# Find text in the essay's paragraphs and return the screen points of its first and last characters.
LOCATE = """
(needle) => {
  const essay = document.getElementById("essay");
  const walker = document.createTreeWalker(essay, NodeFilter.SHOW_TEXT);
  let node, nodes = [], text = "";
  while ((node = walker.nextNode())) {
    if (!node.parentElement.closest("p.para")) continue;
    nodes.push([node, text.length]);
    text += node.data;
  }
  const at = text.indexOf(needle);
  if (at < 0) return null;
  const pointAt = (index, edge) => {
    for (const [n, offset] of nodes) {
      if (index >= offset && index < offset + n.data.length) {
        const range = document.createRange();
        const local = index - offset;
        const width = n.data.codePointAt(local) > 0xffff ? 2 : 1;
        range.setStart(n, local);
        range.setEnd(n, local + width);
        const r = range.getClientRects()[0];
        return { x: edge === "left" ? r.left + 1 : r.right - 1, y: r.top + r.height / 2 };
      }
    }
  };
  return { start: pointAt(at, "left"), end: pointAt(at + needle.length - 1, "right") };
}
"""


def select_with_mouse(page, needle: str) -> None:
    points = page.evaluate(LOCATE, needle)
    assert points, f"{needle!r} not found on the page"
    page.mouse.move(points["start"]["x"], points["start"]["y"])
    page.mouse.down()
    page.mouse.move(points["end"]["x"], points["end"]["y"], steps=8)
    page.mouse.up()
    assert page.evaluate("window.getSelection().toString()") == needle


def marks_text(page, span_id: int) -> str:
    return page.evaluate(
        "(id) => window.herlens.marksOf(id).map(m => m.textContent).join('')",
        span_id,
    )


def mark_covered_by(page, span_ids: list[int]):
    """Return a highlight covered by exactly these spans (outermost first), as an element."""
    return page.evaluate_handle(
        "(ids) => window.herlens.marksOf(ids[0])"
        ".find(m => window.herlens.spansAt(m).join(' ') === ids.join(' '))",
        [str(span_id) for span_id in span_ids],
    ).as_element()


@pytest.fixture
def essay_document(browser_project):
    return factories.make_document(browser_project, text=ESSAY, title="Voices")


def wait_for_span_count(page, count: int) -> None:
    page.wait_for_function(
        "(n) => new Set(window.herlens.spansIn().filter(s => window.herlens.marksOf(s.id).length)"
        ".map(s => s.id)).size === n",
        arg=count,
    )


def test_select_after_emoji_tag_with_key_and_reload(page, live_server, editor_user, essay_document):
    log_in(page, live_server, editor_user.username)
    page.goto(live_server.url + essay_document.get_absolute_url())
    select_with_mouse(page, "“Her” (2013)")
    page.keyboard.press("f")
    wait_for_span_count(page, 1)

    span = Span.objects.get()
    assert span.quote == "“Her” (2013)"
    assert essay_document.text[span.start : span.end] == span.quote
    # The emoji before the passage counts as one code point.
    assert span.start == ESSAY.index("“Her”")
    assert span.tag.slug == "film-reference"
    assert marks_text(page, span.pk) == "“Her” (2013)"
    page.wait_for_selector(f".span-entry[data-span='{span.pk}']")

    page.reload()
    assert marks_text(page, span.pk) == "“Her” (2013)"
    assert page.locator("#span-sidebar .span-entry").count() == 1


def test_overlapping_span_by_tag_button(page, live_server, editor_user, essay_document):
    log_in(page, live_server, editor_user.username)
    page.goto(live_server.url + essay_document.get_absolute_url())
    select_with_mouse(page, "most of us will talk to software")
    page.keyboard.press("p")
    wait_for_span_count(page, 1)
    select_with_mouse(page, "software that talks back.")
    page.click(".tag-button[data-tag='claim']")
    wait_for_span_count(page, 2)

    prediction, claim = Span.objects.order_by("start")
    assert prediction.quote == "most of us will talk to software"
    assert claim.quote == "software that talks back."
    overlap = mark_covered_by(page, [prediction.pk, claim.pk])
    assert overlap.text_content() == "software"
    # Two underline layers, one per span (stacked), the innermost tinting the background.
    classes = [name for name in overlap.get_attribute("class").split() if name != "selected"]
    assert [name[0] for name in classes] == ["a", "b"]
    shadows = overlap.evaluate("(m) => getComputedStyle(m).boxShadow")
    assert shadows.count("rgba(0, 0, 0, 0)") == 2  # layers 3 and 4 unused


def test_keyboard_selection_with_shift_arrows(page, live_server, editor_user, essay_document):
    log_in(page, live_server, editor_user.username)
    page.goto(live_server.url + essay_document.get_absolute_url())
    page.focus("#essay")
    for _ in range(3):
        page.keyboard.press("Control+Shift+ArrowRight")
    selected = page.evaluate("window.getSelection().toString()")
    assert selected.startswith("Notes on a")
    page.keyboard.press("c")
    wait_for_span_count(page, 1)
    span = Span.objects.get()
    assert span.quote == selected.strip()
    assert span.start == 0


def test_click_highlight_change_tag_delete_and_undo(page, live_server, editor_user, essay_document):
    start = ESSAY.index("The café scene")
    span = factories.make_span(essay_document, start, start + len("The café scene"), editor_user)
    log_in(page, live_server, editor_user.username)
    page.goto(live_server.url + essay_document.get_absolute_url())

    mark_covered_by(page, [span.pk]).click()
    page.wait_for_selector(f"#span-panel[data-span='{span.pk}']")
    page.keyboard.press("p")  # a tag's key changes the selected span's tag
    page.wait_for_function(
        "() => document.querySelector('#span-panel h2')?.textContent.includes('Prediction')"
    )
    span.refresh_from_db()
    assert span.tag.slug == "prediction"

    page.fill("#span-note", "The centre of the essay.")
    with page.expect_response(lambda response: "/edit/" in response.url):
        page.click("#span-panel button[type=submit].primary")
    span.refresh_from_db()
    assert span.note == "The centre of the essay."

    page.click("#span-panel .span-delete button")
    page.wait_for_selector("#span-panel form[data-undo]")
    wait_for_span_count(page, 0)
    assert not Span.objects.exists()

    page.keyboard.press("Control+z")
    wait_for_span_count(page, 1)
    restored = Span.objects.get()
    assert (restored.pk, restored.note) == (span.pk, "The centre of the essay.")
    assert marks_text(page, span.pk) == "The café scene"


def test_sidebar_filter_and_scroll_to_entry(page, live_server, editor_user, essay_document):
    factories.make_span(essay_document, 0, 5, editor_user, "claim")
    later = ESSAY.index("The café")
    factories.make_span(essay_document, later, later + 8, editor_user, "film-reference")
    log_in(page, live_server, editor_user.username)
    page.goto(live_server.url + essay_document.get_absolute_url())
    page.click(".tag-filter a:has-text('Film reference')")
    page.wait_for_function(
        "() => document.querySelectorAll('#span-sidebar .span-entry').length === 1"
    )
    page.click("#span-sidebar .span-entry")
    page.wait_for_selector("mark.selected")
    assert page.locator("#span-panel h2").text_content().strip() == "Film reference"


def test_bad_selection_gets_a_message_and_nothing_is_saved(
    page, live_server, editor_user, essay_document
):
    log_in(page, live_server, editor_user.username)
    page.goto(live_server.url + essay_document.get_absolute_url())
    # The document changes under the open page: the quote check refuses the stale selection.
    essay_document.text = "X" + essay_document.text
    essay_document.save()
    select_with_mouse(page, "Spike Jonze")
    page.keyboard.press("f")
    toast = page.locator("#toast")
    toast.wait_for(state="visible")
    assert "does not match the document" in toast.text_content()
    assert not Span.objects.exists()


def test_viewer_cannot_annotate_and_is_told_why(page, live_server, essay_document):
    log_in(page, live_server, "viewer-in-browser")
    page.goto(live_server.url + essay_document.get_absolute_url())
    assert page.locator(".tag-button").first.is_disabled()
    select_with_mouse(page, "Spike Jonze")
    page.keyboard.press("f")
    page.locator("#toast").wait_for(state="visible")
    assert "does not allow annotating" in page.locator("#toast").text_content()
    assert not Span.objects.exists()


def test_markup_in_a_document_is_shown_as_text(page, live_server, editor_user, browser_project):
    nasty = "<script>alert(1)</script> and <img src=x onerror=alert(1)> in an essay."
    document = factories.make_document(browser_project, text=nasty, title="<b>bold</b> title")
    factories.make_span(document, 0, 25, editor_user)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, live_server, editor_user.username)
    page.goto(live_server.url + document.get_absolute_url())
    assert page.locator("#essay").inner_text().strip() == nasty
    assert page.locator("h1").inner_text() == "<b>bold</b> title"
    assert page.locator("#essay img, #essay script").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == []


def test_reading_works_without_javascript(browser, live_server, editor_user, essay_document):
    first = factories.make_span(essay_document, 0, 5, editor_user, "claim")
    later = ESSAY.index("The café")
    factories.make_span(essay_document, later, later + 8, editor_user, "film-reference")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_server, editor_user.username)
        page.goto(live_server.url + essay_document.get_absolute_url())
        assert "Spike Jonze" in page.locator("#essay").inner_text()
        assert page.locator("#span-sidebar .span-entry").count() == 2
        page.click(".tag-filter a:has-text('Claim')")
        assert page.locator("#span-sidebar .span-entry").count() == 1
        page.click("#span-sidebar .span-entry")
        assert page.url.endswith(f"?span={first.pk}#span-{first.pk}")
        assert page.locator("#span-panel h2").inner_text().strip() == "Claim"
        assert page.locator("#span-panel .quote").inner_text() == "Notes"
    finally:
        context.close()


def test_span_list_brings_more_entries_as_it_scrolls(
    page, live_server, editor_user, essay_document
):
    from annotations.views.annotate import LIST_PAGE

    for n in range(LIST_PAGE + 5):
        factories.make_span(essay_document, n, n + 4, editor_user, "claim")
    log_in(page, live_server, editor_user.username)
    page.goto(live_server.url + essay_document.get_absolute_url())
    assert page.locator("#span-sidebar .span-entry").count() == LIST_PAGE
    page.locator("#span-sidebar .more").scroll_into_view_if_needed()
    page.wait_for_function(
        "(n) => document.querySelectorAll('#span-sidebar .span-entry').length === n",
        arg=LIST_PAGE + 5,
    )
    assert page.locator("#span-sidebar .more").count() == 0
    # An entry loaded later opens its span like the first ones.
    page.locator("#span-sidebar .span-entry").last.click()
    page.wait_for_selector("#span-panel[data-span]")
    assert page.locator("mark.selected").count() >= 1
