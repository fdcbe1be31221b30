"""Bringing a corpus in (file uploads, worked through in the background) and out (exports)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from annotations.exports import (
    FORMATS,
    ExportError,
    ExportFilter,
)
from annotations.exports.download import export_response
from annotations.imports import (
    IMPORTED,
    REJECTED,
    SKIPPED,
)
from annotations.params import optional_number
from annotations.permissions import Action, span_visibility
from annotations.services.imports import import_job_start
from annotations.views.access import HtmxHttpRequest, project_for, require
from annotations.views.errors import plain_text

JOB_TEMPLATE = "annotations/import_job.html"
NO_FILES = "Choose one or more files (or a .zip) to import."


@require_POST
def import_upload(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Store the uploaded files (already on disk) in an import job and start it in the background."""
    project, role = project_for(request, slug)
    require(role, Action.ADD_DOCUMENTS)
    files = request.FILES.getlist("files")
    if not files:
        messages.error(request, NO_FILES)
        return redirect(project.get_absolute_url())
    job = import_job_start(project=project, user=request.user, files=files)
    return redirect("annotations:import-job", slug=project.slug, job_id=job.pk)


@require_GET
def import_job(request: HtmxHttpRequest, slug: str, job_id: int) -> HttpResponse:
    """Show an import's progress, then every file's result; htmx polls the progress part."""
    project, role = project_for(request, slug)
    require(role, Action.ADD_DOCUMENTS)
    job = get_object_or_404(project.import_jobs, pk=job_id)
    # Each file's result links the documents it made (their ids are kept with the result).
    wanted = {pk for result in job.results for pk in result.get("document_ids", ())}
    titles = dict(project.documents.filter(pk__in=wanted).values_list("pk", "title"))
    results = [
        {
            **result,
            "links": [
                {"title": titles[pk], "url": reverse("annotations:document", args=[slug, pk])}
                for pk in result.get("document_ids", ())
                if pk in titles
            ],
        }
        for result in job.results
    ]
    context = {
        "project": project,
        "job": job,
        "results": results,
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
        orphans=params.get("orphans") == "1",
        visible=span_visibility(user, role),
        revision=optional_number(params, "revision"),
    )


@require_GET
def export_download(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Stream the project's spans in the chosen format, filtered as the form says."""
    project, role = project_for(request, slug)
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        return plain_text(
            f"Unknown format “{fmt}”; choose one of {', '.join(FORMATS)}.", status=400
        )
    exact = request.GET.get("exact") in ("1", "on", "true")
    export_filter = export_filter_from(request.GET, request.user, role)
    try:
        return export_response(request, project, fmt, export_filter, exact)
    except ExportError as error:
        return plain_text(str(error), status=400)
