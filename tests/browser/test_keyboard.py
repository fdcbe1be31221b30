"""The annotate page by keyboard only, and what a screen reader is told."""

from __future__ import annotations

import pytest

from annotations.models import Role, Span
from annotations.services import classes as classroom
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ESSAY = (
    "Critics compare it with Blade Runner, but the quieter film wins.\n\n"
    "Within ten years, every phone will answer back. That is the real story."
)
ANNOUNCED = "document.getElementById('announcer').textContent"
SELECTED = "window.getSelection().toString()"


@pytest.fixture
def essay(browser_project):
    # No suggestions: this file is about the keys and words of span editing.
    from annotations.services.documents import document_create

    return document_create(project=browser_project, title="Keys", text=ESSAY, suggest=False)


def open_page(page, live_server, essay, username="editor-in-browser"):
    log_in(page, live_server, username)
    page.goto(live_server.url + essay.get_absolute_url())


def page_scripts() -> str:
    """The annotate page's scripts, inline, for a page made by hand with set_content."""
    from pathlib import Path

    static = Path(__file__).resolve().parents[2] / "static"
    return "".join(
        f"<script>{(static / name).read_text('utf-8')}</script>"
        for name in ("herlens.js", "herlens-access.js")
    )


def tab_to_essay(page) -> None:
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "essay":
            return
    raise AssertionError("Tab never reached the essay")


def wait_for_announcement(page, text: str) -> None:
    page.wait_for_function(f"() => {ANNOUNCED}.includes({text!r})")


def test_the_whole_annotate_loop_by_keyboard_only(page, live_server, essay):
    open_page(page, live_server, essay)
    tab_to_essay(page)
    # A caret is drawn at the start of the essay as soon as it has the focus.
    caret = page.locator(".essay-caret")
    caret.wait_for(state="visible")
    first_word = page.evaluate(
        "() => { const r = document.createRange(); const t = document.querySelector('#essay p');"
        " r.selectNodeContents(t); return r.getClientRects()[0].left; }"
    )
    assert abs(caret.bounding_box()["x"] - first_word) < 4
    # With whole words (the default) each Shift+arrow grows or shrinks by a word.
    page.keyboard.press("Shift+ArrowRight")
    assert page.evaluate(SELECTED) == "Critics"
    for _ in range(2):
        page.keyboard.press("Shift+ArrowRight")
    assert page.evaluate(SELECTED) == "Critics compare it"
    page.keyboard.press("Shift+ArrowLeft")
    assert page.evaluate(SELECTED).strip() == "Critics compare"
    page.keyboard.press("c")
    wait_for_announcement(page, "Added Claim: “Critics compare”.")
    span = Span.objects.get()
    assert span.quote == "Critics compare"
    # The highlight tells a screen reader its tag and whose it is.
    page.wait_for_function(
        "() => document.querySelector('#essay mark')?.dataset.srStart === 'Claim, yours: '"
    )
    assert "Claim, yours: Critics compare (end of Claim)" in page.locator("#essay").aria_snapshot()

    # Step to it, retag it, write a note, save: the keyboard only, no element focused by script.
    page.keyboard.press("Escape")
    page.keyboard.press("]")
    page.wait_for_selector(f"#span-panel[data-span='{span.pk}']")
    page.keyboard.press("p")
    wait_for_announcement(page, "Saved the Prediction span.")
    # From the essay, Tab goes on to the open span's fields: its tag, then its note.
    assert page.evaluate("document.activeElement.id") == "essay"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "span-tag"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "span-note"
    page.keyboard.type("Typed by keyboard.")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Save"
    with page.expect_response(lambda response: "/edit/" in response.url) as saved:
        page.keyboard.press("Enter")
    assert saved.value.status == 200
    span.refresh_from_db()
    assert (span.tag.slug, span.note) == ("prediction", "Typed by keyboard.")

    # Delete and undo by keys (the saved panel is re-drawn, the span stays selected).
    page.wait_for_selector(f"#span-panel[data-span='{span.pk}']")
    page.keyboard.press("Delete")
    wait_for_announcement(page, "Span deleted.")
    assert not Span.objects.exists()
    page.keyboard.press("Control+z")
    wait_for_announcement(page, "Restored Prediction: “Critics compare”.")
    assert Span.objects.get().pk == span.pk
    # Esc clears the panel too: no span shown that keys no longer act on.
    page.keyboard.press("Escape")
    assert page.locator("#span-panel").get_attribute("data-span") == ""
    page.keyboard.press("f")
    assert "Select some words in the essay first." in page.locator("#toast").inner_text()


def select_text(page, needle: str, *, alt: bool = False) -> None:
    """Drag the mouse across needle (its first and last characters)."""
    box = page.evaluate(
        """(needle) => {
          const p = [...document.querySelectorAll('#essay p')].find(p => p.textContent.includes(needle));
          const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
          let text = '', nodes = [];
          for (let n = walker.nextNode(); n; n = walker.nextNode()) { nodes.push([n, text.length]); text += n.data; }
          const at = text.indexOf(needle);
          const point = (i, edge) => { for (const [n, o] of nodes) if (i >= o && i < o + n.data.length) {
            const r = document.createRange(); r.setStart(n, i - o); r.setEnd(n, i - o + 1);
            const b = r.getClientRects()[0]; return {x: edge ? b.right - 1 : b.left + 1, y: b.top + b.height / 2}; } };
          return {from: point(at, false), to: point(at + needle.length - 1, true)};
        }""",
        needle,
    )
    if alt:
        page.keyboard.down("Alt")
    page.mouse.move(box["from"]["x"], box["from"]["y"])
    page.mouse.down()
    page.mouse.move(box["to"]["x"], box["to"]["y"], steps=6)
    page.mouse.up()
    if alt:
        page.keyboard.up("Alt")


def test_a_mouse_selection_snaps_to_whole_words_unless_asked_not_to(page, live_server, essay):
    open_page(page, live_server, essay)
    select_text(page, "lade Runne")
    assert page.evaluate(SELECTED) == "Blade Runner"
    page.keyboard.press("f")
    page.wait_for_function("() => document.querySelectorAll('#essay mark').length > 0")
    assert Span.objects.get().quote == "Blade Runner"
    # Inside a word: Alt held, or "Whole words" unticked (remembered).
    select_text(page, "quiet", alt=True)
    assert page.evaluate(SELECTED) == "quiet"
    page.uncheck("#snap-words")
    select_text(page, "ritic")
    assert page.evaluate(SELECTED) == "ritic"
    page.reload()
    # The stored choice is applied after the first paint, or by the first selection.
    select_text(page, "lade Runne")
    assert page.evaluate(SELECTED) == "lade Runne"
    assert not page.is_checked("#snap-words")


def test_a_selection_of_spaces_only_says_so(page, live_server, essay):
    open_page(page, live_server, essay)
    page.evaluate(
        """() => { const p = document.querySelector('#essay p');
          const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            const at = n.data.indexOf(' ');
            if (at >= 0) { getSelection().setBaseAndExtent(n, at, n, at + 1); return; } } }"""
    )
    page.locator("#essay").focus()
    page.keyboard.press("c")
    assert "only spaces" in page.locator("#toast").inner_text()
    assert not Span.objects.exists()


def test_a_double_click_on_a_tag_button_makes_one_span_and_no_complaint(page, live_server, essay):
    open_page(page, live_server, essay)
    select_text(page, "Blade Runner")
    page.dblclick(".tag-button[data-tag='film-reference']")
    page.wait_for_function("() => document.querySelectorAll('#essay mark').length > 0")
    page.wait_for_timeout(300)
    assert Span.objects.count() == 1
    assert page.locator("#toast").is_hidden(), page.locator("#toast").inner_text()


def test_tag_buttons_are_disabled_on_a_submitted_document(page, live_server):
    c = factories.make_class(visibility="blind")
    assignment = classroom.assignment_set(document=c.document, by=c.teacher, everyone=True)
    student = c.alice
    student.set_password("browser-test-pass")
    student.save()
    classroom.submission_submit(assignment=assignment, student=student)
    log_in(page, live_server, student.get_username())
    page.goto(live_server.url + c.document.get_absolute_url())
    assert page.locator(".tag-button").first.is_disabled()


def test_without_javascript_the_tag_buttons_are_hidden(browser, live_server, essay):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_server, "editor-in-browser")
        page.goto(live_server.url + essay.get_absolute_url())
        assert page.locator(".tag-button").first.is_hidden()
        assert "tagging needs it" in page.locator("main").inner_text()
    finally:
        context.close()


def test_a_viewer_hears_whose_highlight_it_is(page, live_server, essay, browser_project):
    editor = browser_project.memberships.get(role=Role.OWNER).user
    start = ESSAY.index("Blade Runner")
    factories.make_span(essay, start, start + len("Blade Runner"), editor, "film-reference")
    open_page(page, live_server, essay, username="viewer-in-browser")
    page.wait_for_selector("#essay mark[data-sr-start]", state="attached")
    snapshot = page.locator("#essay").aria_snapshot()
    assert "Film reference, by editor-in-browser: Blade Runner (end of Film reference)" in snapshot
    # The span list is a list of links a screen reader can walk, in reading order.
    spans = page.get_by_role("list", name="Spans in reading order")
    entry = spans.get_by_role("listitem").get_by_role("link")
    assert entry.count() == 1
    assert "Blade Runner" in entry.inner_text()
    assert "editor-in-browser" in entry.inner_text()


def test_highlights_are_named_in_the_lean_markup_too(page):
    """Paragraphs that list their spans (data-spans) and bare <mark> runs, as long essays use."""
    scripts = page_scripts()
    page.set_content(
        '<div id="annotate" data-can-annotate="1"><article id="essay" tabindex="0">'
        # "Ké 🤖 Blade Runner" : span 7 covers "Blade Runner" (offset 5, 12 code points),
        # span 8 covers "Runner" inside it.
        '<p class="para" data-start="0" data-end="17" data-spans="7 5 12 8 11 6">'
        "Ké 🤖 <mark>Blade </mark><mark>Runner</mark></p>"
        '<p class="para" data-start="19" data-end="30">Plain text.</p>'
        "</article></div>"
        '<script type="application/json" id="span-labels">'
        '[["Film reference, by ana: ", " (end of Film reference)", "7"],'
        ' ["Claim, yours: ", " (end of Claim)", "8"]]</script>' + scripts
    )
    marks = page.locator("#essay mark")
    # Written once the highlights are painted.
    page.wait_for_selector("#essay mark[data-sr-start]", state="attached")
    assert marks.nth(0).get_attribute("data-sr-start") == "Film reference, by ana: "
    assert marks.nth(1).get_attribute("data-sr-start") == "Claim, yours: "
    assert marks.nth(1).get_attribute("data-sr-end") == " (end of Claim) (end of Film reference)"


def test_a_span_across_paragraphs_is_named_at_both_ends_and_once(page):
    """Labels are written a paragraph at a time: a span waits until the walk has passed its end."""
    scripts = page_scripts()
    page.set_content(
        '<div id="annotate" data-can-annotate="1"><article id="essay" tabindex="0">'
        # "Alpha beta\n\ngamma delta": span 5 covers "beta\n\ngamma" (offset 6, 11 code points),
        # span 6 covers "gamma" inside it, in the second paragraph.
        '<p class="para" data-start="0" data-end="10" data-spans="5 6 11">'
        "Alpha <mark>beta</mark></p>"
        '<p class="para" data-start="12" data-end="23" data-before="\n\n" data-spans="6 0 5">'
        "<mark>gamma</mark> delta</p>"
        "</article></div>"
        '<script type="application/json" id="span-labels">'
        '[["Claim, yours: ", " (end of Claim)", "5"],'
        ' ["Film reference, by ana: ", " (end of Film reference)", "6"]]</script>' + scripts
    )
    marks = page.locator("#essay mark")
    page.wait_for_selector("#essay mark[data-sr-end]", state="attached")
    assert marks.nth(0).get_attribute("data-sr-start") == "Claim, yours: "
    assert marks.nth(0).get_attribute("data-sr-end") is None
    assert marks.nth(1).get_attribute("data-sr-start") == "Film reference, by ana: "
    assert marks.nth(1).get_attribute("data-sr-end") == " (end of Film reference) (end of Claim)"
    # Asked again (a new label arrives): written afresh, not added to what was there.
    page.evaluate(
        "document.body.dispatchEvent(new CustomEvent('spanLabel', {detail: "
        "{id: 6, start: 'Prediction, yours: ', end: ' (end of Prediction)'}}))"
    )
    page.wait_for_function(
        "() => document.querySelectorAll('#essay mark')[1].dataset.srStart === 'Prediction, yours: '"
    )
    page.wait_for_function(
        "() => document.querySelectorAll('#essay mark')[1].dataset.srEnd"
        " === ' (end of Prediction) (end of Claim)'"
    )
    assert marks.nth(0).get_attribute("data-sr-start") == "Claim, yours: "
