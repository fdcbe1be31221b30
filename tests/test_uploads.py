"""Uploads go to disk as they arrive and reach the worker as a file name, within stated limits."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from annotations.imports import uploads
from annotations.models import Document, ImportJob, ImportUpload
from annotations.tasks import import_job_run


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def upload_url(project):
    return reverse("annotations:import-upload", kwargs={"slug": project.slug})


def test_a_large_upload_waits_on_disk_and_the_worker_reads_it_from_there(owner_client, project):
    # Larger than FILE_UPLOAD_MAX_MEMORY_SIZE: Django spools it to a temporary file.
    text = ("A paragraph about a voice in a machine. " * 40 + "\n\n") * 1500
    data = text.encode()
    assert len(data) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    response = owner_client.post(
        upload_url(project), {"files": [SimpleUploadedFile("long.txt", data)]}
    )
    assert response.status_code == 302
    [upload] = ImportUpload.objects.all()
    assert bytes(upload.data) == b""  # not in the database, not read into the web process
    assert uploads.path_of(upload.stored).read_bytes() == data
    assert not list((settings.HERLENS_UPLOADS_DIR / "incoming").iterdir())  # moved, not copied

    import_job_run.enqueue(upload.job_id)

    assert ImportJob.objects.get().status == ImportJob.Status.DONE
    assert Document.objects.get(project=project).text == text
    assert not (settings.HERLENS_UPLOADS_DIR / f"job-{upload.job_id}").exists()


def test_a_small_upload_is_written_to_disk_too(owner_client, project):
    owner_client.post(upload_url(project), {"files": [SimpleUploadedFile("a.txt", b"Essay A.")]})
    [upload] = ImportUpload.objects.all()
    assert uploads.read(upload.stored) == b"Essay A."


@override_settings(HERLENS_UPLOAD_MAX_REQUEST_BYTES=10 * 1024)
def test_a_request_over_the_limit_is_refused_before_it_is_read(owner_client, project):
    response = owner_client.post(
        upload_url(project), {"files": [SimpleUploadedFile("big.txt", b"x" * 20_000)]}
    )
    assert response.status_code == 413
    assert response.content.decode() == (
        "This upload is 20 KB; one upload can hold at most 10 KB. Nothing was saved. "
        "Split the files into several uploads."
    )
    assert not ImportJob.objects.exists()
    assert response["Connection"] == "close"


def test_the_upload_form_states_the_limits(owner_client, project):
    page = owner_client.get(project.get_absolute_url()).content.decode()
    assert f"At most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files per upload" in page
    assert "each up to 100 MB; a .zip may unpack to 1 GB and hold 5000 files" in page


def test_a_stored_name_cannot_leave_the_uploads_folder():
    with pytest.raises(ValueError, match="not in the uploads folder"):
        uploads.path_of("../../etc/passwd")


def test_deleting_a_job_that_never_ran_removes_its_files(
    owner_client, project, django_capture_on_commit_callbacks
):
    owner_client.post(upload_url(project), {"files": [SimpleUploadedFile("a.txt", b"Essay A.")]})
    [upload] = ImportUpload.objects.all()
    folder = uploads.path_of(upload.stored).parent
    assert folder.exists()
    with django_capture_on_commit_callbacks(execute=True):
        ImportJob.objects.get().delete()
    assert not folder.exists()


@override_settings(DATA_UPLOAD_MAX_NUMBER_FILES=3, DEBUG=False)
def test_more_files_than_one_upload_takes_get_a_page_that_says_so(owner_client, project):
    files = [SimpleUploadedFile(f"{n}.txt", b"Essay.") for n in range(4)]
    response = owner_client.post(upload_url(project), {"files": files})
    assert response.status_code == 400
    assert "put more in a .zip" in response.content.decode()
    assert not ImportJob.objects.exists()
