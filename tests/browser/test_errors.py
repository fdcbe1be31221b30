"""A failed action shows a message in place and leaves what the user typed (debug on or off)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from annotations import forms
from annotations.models import Role
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=[True, False], ids=["debug-on", "debug-off"])
def debug(request, settings):
    # django-htmx's debug helper (loaded by {% htmx_script %} under DEBUG) would replace the
    # page with any 400/403/404/500 answer.
    settings.DEBUG = request.param
    return request.param


def test_saving_a_note_on_a_span_deleted_in_another_tab(page, live_server, browser_project, debug):
    owner = browser_project.memberships.get(role=Role.OWNER).user
    editor = factories.add_member(browser_project, Role.EDITOR, factories.make_user("eddie"))
    document = factories.make_document(browser_project, text="Machines will write our essays.")
    span = factories.make_span(document, 0, 8, owner)
    log_in(page, live_server, owner.get_username())
    page.goto(f"{live_server.url}{document.get_absolute_url()}?span={span.pk}")
    page.fill("#span-note", "A note I typed for a long time")
    # Someone else deletes the span meanwhile.
    other = Client()
    other.force_login(editor)
    other.post(reverse("annotations:span-delete", args=[span.pk]), HTTP_HX_REQUEST="true")
    page.click("#span-panel button[type=submit].primary")
    failure = page.locator("#span-panel .failure")
    failure.wait_for()
    assert "This span was deleted by eddie" in failure.inner_text()
    assert failure.get_by_role("button", name="Reload the page").is_visible()
    # The page is still the annotate page, with the typed note.
    assert page.locator("#essay").is_visible()
    assert page.input_value("#span-note") == "A note I typed for a long time"
    # One alert, beside the form: no second one in the toast.
    assert page.locator("#toast").is_hidden()


def test_pasting_more_than_the_limit_is_refused_before_sending(
    page, live_server, browser_project, debug
):
    owner = browser_project.memberships.get(role=Role.OWNER).user
    log_in(page, live_server, owner.get_username())
    page.goto(f"{live_server.url}{browser_project.get_absolute_url()}")
    page.click("summary:has-text('Paste a new document')")
    assert "Up to 2 MB of text" in page.locator("#paste-limit").inner_text()
    page.fill("#id_title", "A very long essay")
    text = "word " * (forms.PASTE_MAX_BYTES // 5 + 1000)
    page.evaluate("(text) => { document.getElementById('id_text').value = text; }", text)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.click("button:has-text('Add document')")
    failure = page.locator("#documents .failure")
    failure.wait_for()
    assert "pasting takes up to 2 MB" in failure.inner_text()
    assert failure.get_by_role("link", name="Import it as a file instead").is_visible()
    assert not any("/documents/" in url for url in requests)
    assert page.evaluate("document.getElementById('id_text').value.length") == len(text)
    assert page.input_value("#id_title") == "A very long essay"
    assert not browser_project.documents.exists()


def test_a_pasted_document_appears_with_its_suggestions_queued(page, live_server, browser_project):
    owner = browser_project.memberships.get(role=Role.OWNER).user
    log_in(page, live_server, owner.get_username())
    page.goto(f"{live_server.url}{browser_project.get_absolute_url()}")
    page.click("summary:has-text('Paste a new document')")
    page.fill("#id_title", "Pasted essay")
    page.fill("#id_text", "Soon every phone will answer back.")
    page.click("button:has-text('Add document')")
    page.locator("#documents a:has-text('Pasted essay')").wait_for()
    # Tests run tasks at once: the summary already counts the new document as done.
    assert "Documents: 1 done" in page.locator("#suggestions").inner_text()


def test_a_tag_clash_and_a_page_key_are_form_errors_keeping_the_form(
    page, live_server, browser_project, debug
):
    owner = browser_project.memberships.get(role=Role.OWNER).user
    log_in(page, live_server, owner.get_username())
    page.goto(f"{live_server.url}{browser_project.get_absolute_url()}")
    page.click("summary:has-text('Add a tag')")
    page.fill("#id_name", "Claim!")
    page.fill("#id_description", "My careful description")
    page.click("button:has-text('Add tag')")
    page.locator("#tags .error").first.wait_for()
    assert "tag names must differ in more than case" in page.locator("#tags").inner_text()
    assert page.input_value("#id_name") == "Claim!"
    assert page.input_value("#id_description") == "My careful description"
    page.fill("#id_name", "Quotation")
    page.fill("#id_shortcut", "x")
    page.click("button:has-text('Add tag')")
    page.locator("#tags .error:has-text('is used by the page itself')").wait_for()
    assert page.input_value("#id_name") == "Quotation"
    page.fill("#id_name", "Предсказание")
    page.fill("#id_shortcut", "п")
    page.click("button:has-text('Add tag')")
    page.locator("#tags .tag-list li:has-text('Предсказание')").wait_for()
    assert browser_project.tags.filter(slug="предсказание", shortcut="п").exists()


def test_live_updates_that_stop_or_pause_say_why(page, live_server):
    from annotations.models import Membership
    from tests.browser.conftest import PASSWORD

    c = factories.make_class(visibility="open")
    c.alice.set_password(PASSWORD)
    c.alice.save()
    log_in(page, live_server, c.alice.get_username())
    page.goto(f"{live_server.url}{c.document.get_absolute_url()}")
    # The connection drops: the poller says it is paused, and recovers by itself.
    page.context.set_offline(True)
    status = page.locator("#live-status")
    status.wait_for(state="visible", timeout=8_000)
    assert "Live updates paused: herlens cannot be reached" in status.inner_text()
    page.context.set_offline(False)
    status.wait_for(state="hidden", timeout=8_000)
    # Removed from the class: the poller stops and says why.
    Membership.objects.filter(user=c.alice).delete()
    factories.make_span(c.document, 0, 3, c.bob)
    stopped = page.locator(".live-stopped")
    stopped.wait_for(timeout=8_000)
    assert "Live updates stopped" in stopped.inner_text()


def test_a_session_that_ended_keeps_the_note_and_offers_a_login_tab(
    page, live_server, browser_project, debug
):
    owner = browser_project.memberships.get(role=Role.OWNER).user
    document = factories.make_document(browser_project, text="Machines will write our essays.")
    span = factories.make_span(document, 0, 8, owner)
    log_in(page, live_server, owner.get_username())
    page.goto(f"{live_server.url}{document.get_absolute_url()}?span={span.pk}")
    page.fill("#span-note", "Half an hour of thinking")
    page.context.clear_cookies()
    page.click("#span-panel button[type=submit].primary")
    failure = page.locator("#span-panel .failure")
    failure.wait_for()
    assert "You are logged out" in failure.inner_text()
    assert failure.get_by_role("link", name="Log in (new tab)").get_attribute("target") == "_blank"
    assert page.input_value("#span-note") == "Half an hour of thinking"


def test_a_removed_document_says_so_and_offers_the_projects(page, live_server, browser_project):
    owner = browser_project.memberships.get(role=Role.OWNER).user
    document = factories.make_document(browser_project, text="Machines will write our essays.")
    log_in(page, live_server, owner.get_username())
    page.goto(f"{live_server.url}{document.get_absolute_url()}")
    document.delete()
    page.evaluate(
        """() => { const t = document.querySelector('#essay p').firstChild.firstChild
                    || document.querySelector('#essay p').firstChild;
                   getSelection().setBaseAndExtent(t, 0, t, 8); }"""
    )
    page.keyboard.press("c")
    toast = page.locator("#toast")
    toast.wait_for()
    assert "This document was removed" in toast.inner_text()
    assert toast.get_by_role("link", name="Go to your projects").get_attribute("href") == "/"
    assert page.locator("#essay").is_visible()
