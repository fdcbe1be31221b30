"""Background tasks: thin wrappers that take ids and call the domain code."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from annotations import services
from annotations.imports import FileResult, count_files, import_files
from annotations.imports import uploads as stored_uploads
from annotations.imports.base import ImportLimits
from annotations.models import ImportJob, ImportUpload

#: Progress is written at most this often (seconds), so a big zip does not flood the database.
PROGRESS_EVERY = 0.5


@task()
def import_job_run(job_id: int) -> None:
    """Import the files of an ImportJob, recording each file's result as it goes."""
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update()
            .select_related("project", "created_by")
            .get(pk=job_id)
        )
        if job.status != ImportJob.Status.QUEUED:
            return  # already run (a task may be delivered twice)
        job.status = ImportJob.Status.RUNNING
        job.save(update_fields=["status"])
    limits = ImportLimits.from_settings()
    uploads = ImportUpload.objects.filter(job=job).order_by("position", "id")
    job.total_files = len(job.results) + sum(
        count_files(upload.name, _upload_bytes(upload))
        for upload in uploads.defer("data").iterator(chunk_size=1)
    )
    job.save(update_fields=["total_files"])
    last_saved = time.monotonic()

    def progress(result: FileResult) -> None:
        nonlocal last_saved
        job.results.append(result.as_dict())
        if time.monotonic() - last_saved >= PROGRESS_EVERY:
            job.save(update_fields=["results"])
            last_saved = time.monotonic()

    def sources():
        # One upload in memory at a time.
        for upload in uploads.defer("data").iterator(chunk_size=1):
            yield upload.name, _upload_bytes(upload)

    try:
        import_files(
            project=job.project,
            user=job.created_by,
            sources=sources(),
            limits=limits,
            progress=progress,
        )
    except Exception as error:  # recorded for the person waiting on the page, then re-raised
        job.status = ImportJob.Status.FAILED
        job.error = f"The import stopped: {error}"
        raise
    else:
        job.status = ImportJob.Status.DONE
        # Imported documents get suggestions like pasted ones (a separate task, queued on commit).
        services.suggestion_runs_enqueue_new(project=job.project)
    finally:
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "results", "finished_at"])
        uploads.delete()
        stored_uploads.remove_job(job.pk)


def _upload_bytes(upload: ImportUpload) -> bytes:
    """Return an upload's bytes: from its file in the uploads folder, or (older jobs) the row."""
    if upload.stored:
        return stored_uploads.read(upload.stored)
    return bytes(ImportUpload.objects.filter(pk=upload.pk).values_list("data", flat=True).get())


@task()
def suggest_document(document_id: int) -> dict[str, int]:
    """Compute and store the suggestions of one document (safe to run more than once)."""
    return services.document_suggest(document_id=document_id, model=settings.HERLENS_SPACY_MODEL)


@task()
def suggest_documents(document_ids: list[int]) -> dict[str, int]:
    """Compute and store the suggestions of several documents in batches (a project's run)."""
    results = services.documents_suggest(
        document_ids=document_ids, model=settings.HERLENS_SPACY_MODEL
    )
    return {
        "documents": len(results),
        "added": sum(counts["added"] for counts in results.values()),
        "pending": sum(counts["pending"] for counts in results.values()),
    }
