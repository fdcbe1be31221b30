"""Imports: reading uploaded files into documents, and the import job that does it in the background.

The file formats (annotations/imports/) only parse; ``import_store.py`` decides
what is stored. This module runs files through both, one file at a time (each
goes in whole or not at all), reports per file, and drives the import job.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django_tasks import task

from annotations.imports import (
    IMPORTED,
    REJECTED,
    SKIPPED,
    FileResult,
    Source,
    count_files,
    expand_sources,
    parse_file,
    too_large,
    uploads,
)
from annotations.imports.base import ImportLimits, ParsedDocument, Rejected, extension
from annotations.models import (
    Document,
    ImportJob,
    ImportUpload,
    Project,
    Span,
)
from annotations.services.documents import project_fingerprints
from annotations.services.errors import DomainError
from annotations.services.import_store import ImportOutcome, documents_import
from annotations.services.suggestions import suggestion_runs_enqueue_new
from annotations.wording import counted, sentence

logger = logging.getLogger(__name__)

INTERNAL_ERROR = "This file could not be imported because of an error in herlens."
#: Notes on how a file was read shown per result (a JSONL file may have one per line).
MOST_REMARKS = 5
#: Progress is written at most this often (seconds), so a big zip does not flood the database.
PROGRESS_EVERY = 0.5


def import_one(
    *,
    project: Project,
    user,
    name: str,
    data: bytes | Rejected,
    limits: ImportLimits,
    known: set[str],
    revise: bool = False,
) -> FileResult:
    """Import one file into the project; never raise."""
    try:
        if isinstance(data, Rejected):
            raise data
        remarks: list[str] = []
        parsed = _noting_remarks(parse_file(name, data, limits), remarks)
        outcome = documents_import(
            project=project, author=user, documents=parsed, known=known, revise=revise
        )
    except (Rejected, DomainError) as error:
        return FileResult(name, REJECTED, sentence(str(error)))
    except Exception:  # a bad file must never stop the others; the log keeps the detail
        logger.exception("import of %s into %s failed", name, project.slug)
        return FileResult(name, REJECTED, INTERNAL_ERROR)
    return _with_remarks(_result(name, outcome), remarks)


def _noting_remarks(
    documents: Iterable[ParsedDocument], remarks: list[str]
) -> Iterator[ParsedDocument]:
    """Yield the documents, collecting what their parser said about reading the file."""
    for document in documents:
        if document.remark and document.remark not in remarks:
            remarks.append(document.remark)
        yield document


def _with_remarks(result: FileResult, remarks: list[str]) -> FileResult:
    """Add how the file was read (its encoding, any repair) to the result's message."""
    for remark in remarks[:MOST_REMARKS]:
        result.message += " " + sentence(remark)
    if len(remarks) > MOST_REMARKS:
        result.message += f" And {len(remarks) - MOST_REMARKS} more notes like these."
    return result


def _result(name: str, outcome: ImportOutcome) -> FileResult:
    if outcome.revised:
        return _revised_result(name, outcome)
    if not outcome.documents:
        message = (
            "Skipped: the same text is already in the project."
            if outcome.duplicates == 1
            else f"Skipped: all {outcome.duplicates} texts are already in the project."
        )
        return FileResult(name, SKIPPED, message, duplicates=outcome.duplicates)
    parts = [counted(outcome.documents, "document")]
    if outcome.spans:
        parts.append(counted(outcome.spans, "span"))
    message = "Imported " + " with ".join(parts)
    if outcome.duplicates:
        message += f"; {counted(outcome.duplicates, 'text')} already in the project left out"
    if outcome.tags_created:
        message += "; new tags: " + ", ".join(outcome.tags_created)
    if outcome.credited_to_importer:
        message += (
            f"; {counted(outcome.credited_to_importer, 'span')} credited to you because "
            "their annotator is not a member of this project"
        )
    return FileResult(
        name,
        IMPORTED,
        message + ".",
        outcome.documents,
        outcome.duplicates,
        outcome.spans,
        document_ids=outcome.document_ids,
    )


def _revised_result(name: str, outcome: ImportOutcome) -> FileResult:
    """Say which documents the file revised, and what else it brought."""
    parts = []
    if outcome.documents:
        parts.append(f"Imported {counted(outcome.documents, 'document')}")
        if outcome.spans:
            parts[-1] += f" with {counted(outcome.spans, 'span')}"
    parts.append(
        f"Revised {counted(len(outcome.revised), 'document')}: " + "; ".join(outcome.revised)
    )
    if outcome.duplicates:
        parts.append(f"{counted(outcome.duplicates, 'text')} already in the project left out")
    return FileResult(
        name,
        IMPORTED,
        ". ".join(parts) + ".",
        outcome.documents,
        outcome.duplicates,
        outcome.spans,
        revised=len(outcome.revised),
    )


def import_files(
    *,
    project: Project,
    user,
    sources: Iterable[Source],
    limits: ImportLimits | None = None,
    progress: Callable[[FileResult], None] | None = None,
    revise: bool = False,
) -> list[FileResult]:
    """Import every file, in order, and return one result per file.

    ``revise``: a text whose document is already in the project becomes its next revision.
    """
    limits = limits or ImportLimits.from_settings()
    known = project_fingerprints(project)
    results = []
    for name, data in expand_sources(sources, limits):
        result = import_one(
            project=project,
            user=user,
            name=name,
            data=data,
            limits=limits,
            known=known,
            revise=revise,
        )
        results.append(result)
        if progress is not None:
            progress(result)
    if any(result.documents for result in results):
        refresh_statistics(
            {
                Document: sum(result.documents for result in results),
                Span: sum(result.spans for result in results),
            }
        )
    return results


def refresh_statistics(added: dict[type[Model], int]) -> None:
    """Let PostgreSQL's planner know the new rows (autovacuum may take a minute, or be off).

    Without this, an export right after a large import can be planned as if the
    tables were empty and take many times longer. A table is analyzed only when
    its statistics are as far out as autovacuum's own rule tolerates (rows changed
    since the last ANALYZE, with this import's, beyond its threshold): a small
    import into a large project changes no plan, and its ANALYZE read a sample
    of 30,000 rows all the same.
    """
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    stale = stale_tables(added)
    # The columns queries filter, join and sort on: statistics of the texts themselves
    # plan nothing, and reading a sample of them cost most of the ANALYZE.
    tables = ", ".join(
        f"{quote(model._meta.db_table)} ({', '.join(quote(column) for column in columns)})"
        for model, columns in _PLANNED_COLUMNS.items()
        if model in stale
    )
    if tables:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {tables}")


def stale_tables(added: dict[type[Model], int]) -> set[type[Model]]:
    """Return the models whose table's statistics autovacuum's rule calls out of date.

    That rule: analyze once the rows changed since the last ANALYZE exceed
    ``autovacuum_analyze_threshold`` plus ``autovacuum_analyze_scale_factor`` of
    the rows the statistics know (``reltuples``, -1 before any ANALYZE). The rows
    since then are the live rows the server counts beyond those, plus this
    import's, which it may not have counted yet (counted twice, the table is
    only analyzed sooner). Its own count of changes does not serve: an ANALYZE of
    some columns, as here, never resets it.
    """
    tables = {model._meta.db_table: model for model in added}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reltuples, COALESCE(s.n_live_tup, 0), "
            "current_setting('autovacuum_analyze_threshold')::float, "
            "current_setting('autovacuum_analyze_scale_factor')::float "
            "FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
            "WHERE c.oid = ANY(%s::regclass[])",
            [list(tables)],
        )
        rows = cursor.fetchall()
    return {
        tables[table]
        for table, known, live, threshold, share in rows
        if statistics_out_of_date(
            known, max(live - known, 0) + added[tables[table]], threshold, share
        )
    }


def statistics_out_of_date(known: float, changed: float, threshold: float, share: float) -> bool:
    """Autovacuum's rule: ``known`` rows in the statistics (-1: none), ``changed`` since."""
    return known < 0 or changed > threshold + share * known


_PLANNED_COLUMNS = {
    Document: ("id", "project_id", "deleted_at", "created_at"),
    Span: ("document_id", "start", "end", "tag_id", "author_id", "deleted_at", "anchor"),
}


# --------------------------------------------------------------------------- the import job


@transaction.atomic
def import_job_start(
    *, project: Project, user: AbstractBaseUser, files: list[UploadedFile]
) -> ImportJob:
    """Store uploaded files in an import job and run it in the background once committed.

    Files over a limit are refused at once (their result is on the job from the start).
    The files arrive on disk (Django spools every upload over FILE_UPLOAD_MAX_MEMORY_SIZE
    to a temporary file) and are moved into the uploads folder, never read whole here;
    the worker reads them from there.
    """
    limits = ImportLimits.from_settings()
    job = ImportJob.objects.create(project=project, created_by=user)
    for position, upload in enumerate(files):
        is_zip = extension(upload.name) == "zip"
        limit = limits.max_zip_bytes if is_zip else limits.max_file_bytes
        if position >= limits.max_files:
            reason = f"One import takes at most {limits.max_files} files."
            job.results.append(FileResult(upload.name, REJECTED, reason).as_dict())
        elif upload.size > limit:
            reason = sentence(too_large(upload.size, limit))
            job.results.append(FileResult(upload.name, REJECTED, reason).as_dict())
        else:
            ImportUpload.objects.create(
                job=job,
                name=upload.name[:500],
                stored=uploads.store(upload, job.pk, position),
                position=position,
            )
    job.save(update_fields=["results"])
    transaction.on_commit(lambda: import_job_run.enqueue(job.pk))
    return job


@task()
def import_job_run(job_id: int) -> None:
    """Import the files of an ImportJob, recording each file's result as it goes."""
    job = _import_job_claim(job_id)
    if job is None:
        return  # already run (a task may be delivered twice)
    waiting = ImportUpload.objects.filter(job=job).order_by("position", "id")
    job.total_files = len(job.results) + sum(
        count_files(upload.name, _upload_bytes(upload))
        for upload in waiting.defer("data").iterator(chunk_size=1)
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
        for upload in waiting.defer("data").iterator(chunk_size=1):
            yield upload.name, _upload_bytes(upload)

    try:
        import_files(
            project=job.project,
            user=job.created_by,
            sources=sources(),
            limits=ImportLimits.from_settings(),
            progress=progress,
            # The import page revises documents it finds again (and says so per file).
            revise=True,
        )
    except Exception as error:  # recorded for the person waiting on the page, then re-raised
        job.status = ImportJob.Status.FAILED
        job.error = f"The import stopped: {error}"
        raise
    else:
        job.status = ImportJob.Status.DONE
        # Imported documents get suggestions like pasted ones (a separate task, queued on commit).
        suggestion_runs_enqueue_new(project=job.project)
    finally:
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "results", "finished_at"])
        waiting.delete()
        uploads.remove_job(job.pk)


def _upload_bytes(upload: ImportUpload) -> bytes:
    """Return an upload's bytes: from its file in the uploads folder, or (older jobs) the row."""
    if upload.stored:
        return uploads.read(upload.stored)
    return bytes(ImportUpload.objects.filter(pk=upload.pk).values_list("data", flat=True).get())


@transaction.atomic
def _import_job_claim(job_id: int) -> ImportJob | None:
    """Mark a queued job running and return it; None if another delivery has it already."""
    job = (
        ImportJob.objects.select_for_update().select_related("project", "created_by").get(pk=job_id)
    )
    if job.status != ImportJob.Status.QUEUED:
        return None
    job.status = ImportJob.Status.RUNNING
    job.save(update_fields=["status"])
    return job
