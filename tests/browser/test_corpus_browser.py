"""In Chromium: upload files on the project page, read every file's result, download an export."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tests import factories
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_upload_lists_each_file_and_export_downloads(page, live_server, editor_user, tmp_path):
    project = factories.make_project(owner=editor_user, name="Browser corpus")
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

    log_in(page, live_server, editor_user.username)
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
    # Each imported file links to the document it made.
    page.click("#import-progress a:has-text('Machines')")
    page.wait_for_url(f"**{project.documents.get(title='Machines').get_absolute_url()}")
    assert "Machines talk." in page.locator("#essay").inner_text()

    page.goto(live_server.url + project.get_absolute_url())
    page.select_option("#export-format", "jsonl")
    with page.expect_download() as download:
        page.click("#export button[type=submit]")
    body = Path(download.value.path()).read_text("utf-8")
    assert download.value.suggested_filename == "browser-corpus.jsonl"
    assert "🎬" in body
