from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from annotations.models import ImportJob, ImportUpload, Role
from tests import corpus, factories


def upload_url(project):
    return reverse("annotations:import-upload", kwargs={"slug": project.slug})


def export_url(project):
    return reverse("annotations:export", kwargs={"slug": project.slug})


def files(**named: bytes) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(name, data) for name, data in named.items()]


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def test_project_page_offers_import_and_export(owner_client, project):
    page = owner_client.get(project.get_absolute_url()).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'name="files" multiple' in page
    assert f'action="{export_url(project)}"' in page
    assert 'name="exact"' in page


def test_viewer_sees_export_but_not_import(client, project, members):
    client.force_login(members[Role.VIEWER])
    page = client.get(project.get_absolute_url()).content.decode()
    assert "Export the corpus" in page
    assert "Import documents" not in page


def test_upload_runs_the_import_and_lists_every_file(
    owner_client, project, django_capture_on_commit_callbacks
):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("c.txt", "Essay C.")
        zipped.writestr("d.pdf", "%PDF")
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            upload_url(project),
            {
                "files": files(
                    **{"a.txt": b"Essay A.", "b.md": b"Essay A.", "class.zip": archive.getvalue()}
                )
            },
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "annotations:import-job", kwargs={"slug": project.slug, "job_id": job.pk}
    )
    assert job.status == ImportJob.Status.DONE
    assert job.total_files == 4
    assert [(r["name"], r["status"]) for r in job.results] == [
        ("a.txt", "imported"),
        ("b.md", "skipped"),
        ("class.zip/c.txt", "imported"),
        ("class.zip/d.pdf", "rejected"),
    ]
    assert not ImportUpload.objects.exists()
    page = owner_client.get(response["Location"])
    assert b"<html" in page.content
    assert b"Files imported: 2" in page.content
    assert b"class.zip/d.pdf" in page.content


def test_job_progress_partial_polls_until_done(owner_client, project, owner):
    job = ImportJob.objects.create(project=project, created_by=owner, total_files=4)
    url = reverse("annotations:import-job", kwargs={"slug": project.slug, "job_id": job.pk})
    running = owner_client.get(url, headers={"HX-Request": "true"})
    assert running.status_code == 200
    assert b"<html" not in running.content
    assert b'id="import-progress"' in running.content
    assert b'hx-trigger="every 1s"' in running.content
    job.status = ImportJob.Status.DONE
    job.save()
    done = owner_client.get(url, headers={"HX-Request": "true"})
    assert done.status_code == 286
    assert b"every 1s" not in done.content


def test_upload_without_files_says_what_to_do(owner_client, project):
    response = owner_client.post(upload_url(project), follow=True)
    assert "Choose one or more files" in response.content.decode()
    assert not ImportJob.objects.exists()


@override_settings(HERLENS_IMPORT_LIMITS={"max_file_bytes": 3 * 1024 * 1024})
def test_oversized_upload_is_rejected_without_being_stored(
    owner_client, project, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(
            upload_url(project), {"files": files(**{"big.txt": b"x" * (4 * 1024 * 1024)})}
        )
    job = ImportJob.objects.get()
    assert job.results[0]["status"] == "rejected"
    assert job.results[0]["message"] == "The file is 4.0 MB; the limit is 3.0 MB."
    assert project.documents.count() == 0


@pytest.mark.parametrize("role", [Role.ANNOTATOR, Role.VIEWER])
def test_members_who_cannot_add_documents_get_403(client, project, members, role):
    client.force_login(members[role])
    response = client.post(upload_url(project), {"files": files(**{"a.txt": b"x"})})
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_stranger_gets_404_for_import_job_and_export(client, project, members, owner):
    job = ImportJob.objects.create(project=project, created_by=owner)
    client.force_login(members["stranger"])
    job_url = reverse("annotations:import-job", kwargs={"slug": project.slug, "job_id": job.pk})
    assert client.post(upload_url(project)).status_code == 404
    assert client.get(job_url).status_code == 404
    assert client.get(export_url(project)).status_code == 404


def test_export_downloads_filtered_csv(client, owner):
    project, _ = corpus.build(owner)
    viewer = factories.add_member(project, Role.VIEWER)
    client.force_login(viewer)
    response = client.get(export_url(project), {"format": "csv", "exact": "1", "tag": "prediction"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{project.slug}-exact.csv"'
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    assert [row["tag"] for row in rows] == ["Prediction"]


def test_export_for_spreadsheets_is_the_default(owner_client, owner):
    project, _ = corpus.build(owner)
    response = owner_client.get(export_url(project))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbf")


def test_w3c_export_ids_use_the_site_address(owner_client, owner):
    project, _ = corpus.build(owner)
    response = owner_client.get(export_url(project), {"format": "w3c"})
    body = b"".join(response.streaming_content).decode()
    assert f'"source": "http://testserver/projects/{project.slug}/documents/' in body


def test_unknown_export_format_is_a_400_with_the_choices(owner_client, project):
    response = owner_client.get(export_url(project), {"format": "pdf"})
    assert response.status_code == 400
    assert "choose one of csv, jsonl, spacy, w3c" in response.content.decode()


def test_the_import_result_links_to_the_documents_it_made(
    owner_client, project, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            upload_url(project),
            {"files": files(**{"a.txt": b"Essay A.", "b.txt": b"Essay B.", "c.txt": b"Essay A."})},
        )
    made = {d.title: d for d in project.documents.all()}
    assert sorted(made) == ["a", "b"]
    page = owner_client.get(response["Location"]).text
    for document in made.values():
        assert f'<a href="{document.get_absolute_url()}">{document.title}</a>' in page
    job = ImportJob.objects.get()
    assert [r["document_ids"] for r in job.results] == [[made["a"].pk], [made["b"].pk], []]
