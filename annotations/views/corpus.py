"""Bringing a corpus in (file uploads, worked through in the background) and out (exports)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from annotations.exports import (
    CONTENT_TYPES,
    FORMATS,
    ExportFilter,
    export_filename,
    export_stream,
)
from annotations.imports import (
    IMPORTED,
    REJECTED,
    SKIPPED,
    FileResult,
    sentence,
    too_large,
    uploads,
)
from annotations.imports.base import ImportLimits, extension
from annotations.models import ImportJob, ImportUpload
from annotations.permissions import Action, span_visibility
from annotations.tasks import import_job_run
from annotations.views.access import HtmxHttpRequest, project_for, require

JOB_TEMPLATE = "annotations/import_job.html"
NO_FILES = "Choose one or more files (or a .zip) to import."


@require_POST
def import_upload(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Store the uploaded files in an import job and start it in the background.

    The files reach this view already on disk (Django spools every upload over
    FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file) and are moved into the
    uploads folder; the worker reads them from there.
    """
    project, role = project_for(request, slug)
    require(role, Action.ADD_DOCUMENTS)
    files = request.FILES.getlist("files")
    if not files:
        messages.error(request, NO_FILES)
        return redirect(project.get_absolute_url())
    limits = ImportLimits.from_settings()
    with transaction.atomic():
        job = ImportJob.objects.create(project=project, created_by=request.user)
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
    return redirect("annotations:import-job", slug=project.slug, job_id=job.pk)


@require_GET
def import_job(request: HtmxHttpRequest, slug: str, job_id: int) -> HttpResponse:
    """Show an import's progress, then every file's result; htmx polls the progress part."""
    project, role = project_for(request, slug)
    require(role, Action.ADD_DOCUMENTS)
    job = get_object_or_404(project.import_jobs, pk=job_id)
    context = {
        "project": project,
        "job": job,
        "imported": job.count(IMPORTED),
        "skipped": job.count(SKIPPED),
        "rejected": job.count(REJECTED),
    }
    if request.htmx:
        response = render(request, f"{JOB_TEMPLATE}#import-progress", context)
        if job.finished:
            # 286 tells htmx to swap this last answer in and stop polling.
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, JOB_TEMPLATE, context)


def export_filter_from(params, user, role: str) -> ExportFilter:
    """Read the export filter from query parameters (repeated keys for several values).

    The export holds only the spans this reader may see: in a blind class, a
    student's export is their own work.
    """
    return ExportFilter.clean(
        tags=params.getlist("tag"),
        annotators=params.getlist("annotator"),
        origins=params.getlist("origin"),
        documents=params.getlist("document"),
        reference_only=params.get("reference") == "1",
        pseudonyms=params.get("pseudonyms") == "1",
        visible=span_visibility(user, role),
    )


def export_response(request, project, fmt: str, export_filter: ExportFilter, exact: bool):
    """Return the export as a streamed download."""
    base = request.build_absolute_uri(project.get_absolute_url())
    response = StreamingHttpResponse(
        export_stream(fmt, project, export_filter, exact=exact, base=base),
        content_type=CONTENT_TYPES[fmt],
    )
    filename = export_filename(project, fmt)
    if fmt == "csv" and exact:
        filename = filename.replace(".csv", "-exact.csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def export_download(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Stream the project's spans in the chosen format, filtered as the form says."""
    project, role = project_for(request, slug)
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        return HttpResponseBadRequest(
            f"Unknown format “{fmt}”; choose one of {', '.join(FORMATS)}.",
            content_type="text/plain; charset=utf-8",
        )
    exact = request.GET.get("exact") in ("1", "on", "true")
    export_filter = export_filter_from(request.GET, request.user, role)
    return export_response(request, project, fmt, export_filter, exact)
