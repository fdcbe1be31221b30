"""The main pages work under the Content-Security-Policy: no script is blocked, htmx still runs."""

from __future__ import annotations

import pytest

from annotations.models import Role
from tests import factories
from tests.browser.conftest import CSP_MARK, PASSWORD, log_in

pytestmark = pytest.mark.browser


def test_an_inline_script_is_blocked_and_reported(page, live_server, db):
    """The listener the other browser tests rely on does see a violation."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.ran = true"; document.body.append(s); }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.ran") is None
    assert any(CSP_MARK in error for error in page.js_errors)
    page.js_errors.clear()


def test_main_pages_load_without_violations_and_htmx_answers(page, live_server, editor_user):
    project = factories.make_project(owner=editor_user, name="Policy project")
    document = factories.make_document(project, text="A text about voices and machines.\n")
    factories.add_member(
        project, Role.ANNOTATOR, factories.make_user("csp-student", password=PASSWORD)
    )
    log_in(page, live_server, editor_user.username)
    for path in [
        "/",
        project.get_absolute_url(),
        document.get_absolute_url(),
        "/accounts/password_change/",
        "/api/v1/docs",
    ]:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
        page.wait_for_load_state("networkidle")
        if path != "/api/v1/docs":  # the API's own page has no htmx
            assert page.evaluate("typeof htmx") == "object", path
