"""Playwright (sync API) driving the system Chromium against the live test server."""

from __future__ import annotations

import os
import shutil

import pytest

from annotations.models import Role
from bench.common import CHROMIUM_ARGS
from tests import factories

CHROMIUM = os.environ.get("HERLENS_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("HERLENS_REQUIRE_BROWSER") == "1"
PASSWORD = "browser-test-pass"

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests
# make between browser steps are ordinary blocking calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _chromium_missing() -> str | None:
    if not (os.path.isfile(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (install it: apt-get install chromium, or set HERLENS_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@pytest.fixture(scope="session")
def browser():
    missing = _chromium_missing()
    if missing:
        if REQUIRED:
            pytest.fail(f"HERLENS_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(f"browser tests: {missing}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def editor_user(transactional_db):
    return factories.make_user("editor-in-browser", password=PASSWORD)


@pytest.fixture
def browser_project(editor_user):
    project = factories.make_project(owner=editor_user, name="Browser project")
    factories.add_member(
        project, Role.VIEWER, factories.make_user("viewer-in-browser", password=PASSWORD)
    )
    return project


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
