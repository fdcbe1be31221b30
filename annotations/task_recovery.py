"""What an orphaned task's own records become when the sweeper requeues or fails it.

The page that waits on a task polls these records, not the task queue: a job
left "running" by a killed worker would keep the page polling for ever.
"""

from __future__ import annotations

from django.utils import timezone

from annotations.models import ImportJob, ImportUpload, RunStatus, SuggestionRun
from annotations.worker import on_orphan

IMPORT_WORKER_LOST = (
    "The import stopped because the worker running it was stopped or lost several times. "
    "Texts imported before that are in the project; upload the files again to import "
    "the rest (texts already in the project are left out)."
)
SUGGEST_WORKER_LOST = (
    "Suggestions stopped because the worker computing them was stopped or lost several "
    "times; run Suggest again."
)


@on_orphan("annotations.tasks.import_job_run")
def import_job_orphaned(args: list, requeued: bool) -> None:
    (job_id,) = args
    jobs = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.RUNNING)
    if requeued:
        # The next run starts over: files the lost run stored are found again and reported
        # as already in the project, so results restart empty rather than counted twice.
        jobs.update(status=ImportJob.Status.QUEUED, results=[], total_files=0)
    else:
        jobs.update(
            status=ImportJob.Status.FAILED, error=IMPORT_WORKER_LOST, finished_at=timezone.now()
        )
        ImportUpload.objects.filter(job_id=job_id).delete()


def _suggestion_runs_orphaned(document_ids: list[int], requeued: bool) -> None:
    runs = SuggestionRun.objects.filter(
        document_id__in=document_ids, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    )
    if requeued:
        runs.update(status=RunStatus.QUEUED, queued_at=timezone.now())
    else:
        runs.update(status=RunStatus.FAILED, error=SUGGEST_WORKER_LOST, finished_at=timezone.now())


@on_orphan("annotations.tasks.suggest_document")
def suggest_document_orphaned(args: list, requeued: bool) -> None:
    _suggestion_runs_orphaned([args[0]], requeued)


@on_orphan("annotations.tasks.suggest_documents")
def suggest_documents_orphaned(args: list, requeued: bool) -> None:
    _suggestion_runs_orphaned(list(args[0]), requeued)
