from __future__ import annotations

import pytest

from annotations.models import ImportJob, ImportUpload
from annotations.services import imports as import_services
from annotations.services.imports import import_job_run


def make_job(project, owner, files: dict[str, bytes]) -> ImportJob:
    job = ImportJob.objects.create(project=project, created_by=owner)
    for position, (name, data) in enumerate(files.items()):
        ImportUpload.objects.create(job=job, name=name, data=data, position=position)
    return job


def test_import_job_records_each_file_and_frees_the_uploads(project, owner):
    job = make_job(project, owner, {"a.txt": b"Essay A.", "b.pdf": b"%PDF"})
    import_job_run.enqueue(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.total_files == 2
    assert [r["status"] for r in job.results] == ["imported", "rejected"]
    assert job.finished_at is not None
    assert not ImportUpload.objects.filter(job=job).exists()


def test_a_job_delivered_twice_runs_once(project, owner):
    job = make_job(project, owner, {"a.txt": b"Essay A."})
    import_job_run.enqueue(job.pk)
    import_job_run.enqueue(job.pk)
    job.refresh_from_db()
    assert len(job.results) == 1
    assert project.documents.count() == 1


def test_a_crash_marks_the_job_failed(project, owner, monkeypatch):
    def crash(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(import_services, "import_files", crash)
    job = make_job(project, owner, {"a.txt": b"Essay A."})
    with pytest.raises(RuntimeError):
        import_job_run.call(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error == "The import stopped: disk on fire"
    assert job.finished


def test_imported_documents_get_suggestions_queued(
    project, owner, django_capture_on_commit_callbacks
):
    from annotations.models import SuggestionRun

    job = make_job(project, owner, {"a.txt": b"The film Her (2013) will age well."})
    with django_capture_on_commit_callbacks(execute=True):
        import_job_run.enqueue(job.pk)
    document = project.documents.get()
    # The tests' immediate backend runs the suggestion task at once.
    run = SuggestionRun.objects.get(document=document)
    assert run.status == "done"
    assert document.suggestions.filter(tag__slug="film-reference").exists()
