"""Two people save the same span: the second sees both versions and chooses."""

from __future__ import annotations

import pytest

from annotations.models import Role, Span
from tests import factories
from tests.browser.conftest import PASSWORD, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "The film will be remembered for its voice, and for the quiet city around it."


@pytest.mark.parametrize("debug", [False, True])
def test_a_stale_save_shows_theirs_and_mine_and_use_mine_saves(
    browser, page, live_server, settings, browser_project, editor_user, debug
):
    # DEBUG adds django-htmx's debug helper, which would show a 409 as the whole page.
    settings.DEBUG = debug
    document = factories.make_document(browser_project, text=TEXT, title="Together")
    span = factories.make_span(document, 0, 8, editor_user)
    other = factories.make_user("second-editor", password=PASSWORD)
    factories.add_member(browser_project, Role.EDITOR, other)

    # Both open the span (version 1).
    log_in(page, live_server, "editor-in-browser")
    page.goto(f"{live_server.url}{document.get_absolute_url()}?span={span.pk}")
    page.locator("#span-note").wait_for()
    second_context = browser.new_context()
    second = second_context.new_page()
    log_in(second, live_server, "second-editor")
    second.goto(f"{live_server.url}{document.get_absolute_url()}?span={span.pk}")
    second.locator("#span-note").wait_for()

    # The other editor saves first.
    second.fill("#span-note", "Their note")
    with second.expect_response(lambda r: r.url.endswith("/edit/")) as answer:
        second.click("form.span-edit button[type=submit]")
    assert answer.value.status == 200
    second_context.close()

    # This page still shows version 1: its save is refused and both versions are shown.
    page.fill("#span-note", "My note")
    with page.expect_response(lambda r: r.url.endswith("/edit/")) as answer:
        page.click("form.span-edit button[type=submit]")
    assert answer.value.status == 409
    conflict = page.locator("[data-conflict]")
    conflict.wait_for()
    assert "Their note" in conflict.inner_text()
    assert "My note" in conflict.inner_text()
    assert "Changed by second-editor" in conflict.inner_text()
    assert Span.objects.get(pk=span.pk).note == "Their note"

    with page.expect_response(lambda r: r.url.endswith("/edit/")) as answer:
        conflict.get_by_role("button", name="Use mine").click()
    assert answer.value.status == 200
    page.locator("[data-conflict]").wait_for(state="detached")
    span.refresh_from_db()
    assert (span.note, span.version) == ("My note", 3)
    assert page.locator("#span-note").input_value() == "My note"


def test_a_double_clicked_comment_is_posted_once(page, live_server, browser_project, editor_user):
    from annotations.models import Comment

    document = factories.make_document(browser_project, text=TEXT, title="Double click")
    span = factories.make_span(document, 0, 8, editor_user)
    log_in(page, live_server, "editor-in-browser")
    page.goto(f"{live_server.url}{document.get_absolute_url()}?span={span.pk}")
    box = page.locator(f"#comment-new-{span.pk}")
    box.fill("Posted once")
    page.locator("form.comment-new button[type=submit]").dblclick()
    page.locator(".comment-text", has_text="Posted once").wait_for()
    page.wait_for_timeout(500)  # a second request, had one gone out, would have landed by now
    assert Comment.objects.filter(span=span).count() == 1
