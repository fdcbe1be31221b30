"""In Chromium: upload files on the project page, read every file's result, download an export."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from tests import factories

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("HERLENS_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def page(live_server):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM} (set HERLENS_CHROMIUM)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        yield page
        browser.close()


def log_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pass-for-tests")
    page.click("button[type=submit], input[type=submit]")


def test_upload_lists_each_file_and_export_downloads(page, live_server, transactional_db, tmp_path):
    owner = factories.make_user("ada")
    project = factories.make_project(owner=owner, name="Browser corpus")
    essay = tmp_path / "voice.txt"
    essay.write_text("A voice that listens. 🎬 It will be remembered.", "utf-8")
    archive = tmp_path / "bundle.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr(
            "page.html", "<title>Machines</title><p>Machines talk.</p><script>x()</script>"
        )
        zipped.writestr("scan.pdf", "%PDF-1.4")
    archive.write_bytes(buffer.getvalue())

    log_in(page, live_server, "ada")
    page.goto(live_server.url + project.get_absolute_url())
    page.set_input_files("#import-files", [str(essay), str(archive)])
    page.click("#import button[type=submit]")
    page.wait_for_selector("text=Files imported: 2")
    rows = page.locator("#import-progress tbody tr").all_inner_texts()
    assert [row.split("\t")[:2] for row in rows] == [
        ["voice.txt", "imported"],
        ["bundle.zip/page.html", "imported"],
        ["bundle.zip/scan.pdf", "rejected"],
    ]
    assert sorted(project.documents.values_list("title", flat=True)) == ["Machines", "voice"]

    page.goto(live_server.url + project.get_absolute_url())
    page.select_option("#export-format", "jsonl")
    with page.expect_download() as download:
        page.click("#export button[type=submit]")
    body = Path(download.value.path()).read_text("utf-8")
    assert download.value.suggested_filename == "browser-corpus.jsonl"
    assert "🎬" in body
