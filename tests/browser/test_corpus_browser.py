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


def test_the_export_form_offers_an_older_revision_once_one_document_is_chosen(
    page, live_server, editor_user
):
    import json

    from annotations.services import revisions

    project = factories.make_project(owner=editor_user, name="Revised corpus")
    first = "The voice listens. The city sleeps."
    letters = factories.make_document(project, text=first, title="Letters")
    factories.make_span(letters, 0, len("The voice listens."), editor_user)
    revisions.document_revise(
        document=letters, text="Preface.\n\n" + first, user=editor_user, suggest=False
    )
    other = factories.make_document(project, text="Another essay.", title="Other")

    log_in(page, live_server, editor_user.username)
    page.goto(live_server.url + project.get_absolute_url())
    revision = page.locator("#export-revision")
    assert revision.is_disabled()
    page.click("#export summary")
    page.select_option("#export-documents", [str(letters.pk)])
    assert revision.is_enabled()
    assert revision.get_attribute("max") == "2"
    assert "revisions 1 to 2" in page.inner_text("#export-revision-hint")
    page.select_option("#export-documents", [str(letters.pk), str(other.pk)])
    assert revision.is_disabled()

    page.select_option("#export-documents", [str(letters.pk)])
    revision.fill("1")
    page.select_option("#export-format", "jsonl")
    with page.expect_download() as download:
        page.click("#export button[type=submit]")
    assert download.value.suggested_filename == (
        f"revised-corpus-document-{letters.pk}-revision-1.jsonl"
    )
    (line,) = Path(download.value.path()).read_text("utf-8").splitlines()
    exported = json.loads(line)
    assert (exported["revision"], exported["text"]) == (1, first)
    assert [(s["start"], s["end"], s["text"]) for s in exported["spans"]] == [
        (0, 18, "The voice listens.")
    ]
