"""The project's trash: deleted documents and spans, restorable for TRASH_DAYS days."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from annotations.models import TRASH_DAYS, Document, Span
from annotations.permissions import Action, visible_projects
from annotations.services import trash
from annotations.services.errors import DomainError
from annotations.views.access import HtmxHttpRequest, document_for, project_for, require


@require_GET
def trash_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project, role = project_for(request, slug)
    require(role, Action.ADD_DOCUMENTS)
    trash.trash_purge()
    contents = trash.trash_contents(project)
    return render(
        request,
        "annotations/trash.html",
        {"project": project, "trash": contents, "trash_days": TRASH_DAYS},
    )


@require_POST
def document_delete(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    document, role = document_for(request, document_id)
    require(role, Action.ADD_DOCUMENTS)
    trash.document_trash(document=document, user=request.user)
    messages.success(
        request,
        f"Moved “{document.title}” and its spans to the trash; it can be restored for "
        f"{TRASH_DAYS} days.",
    )
    return redirect(document.project.get_absolute_url())


def _trashed_document(request: HtmxHttpRequest, document_id: int) -> Document:
    projects = visible_projects(request.user)
    document = get_object_or_404(
        Document.with_trash.select_related("project").filter(project__in=projects),
        pk=document_id,
    )
    _project, role = project_for(request, document.project.slug)
    require(role, Action.ADD_DOCUMENTS)
    return document


@require_POST
def document_restore(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    document = _trashed_document(request, document_id)
    try:
        trash.document_restore(document=document)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("annotations:trash", slug=document.project.slug)
    messages.success(request, f"Restored “{document.title}” with its spans.")
    return redirect(document.get_absolute_url())


@require_POST
def span_restore_from_trash(request: HtmxHttpRequest, span_id: int) -> HttpResponse:
    projects = visible_projects(request.user)
    span = get_object_or_404(
        Span.with_trash.select_related("document__project").filter(document__project__in=projects),
        pk=span_id,
    )
    _project, role = project_for(request, span.document.project.slug)
    require(role, Action.EDIT_ANY_SPAN)
    try:
        trash.span_untrash(span=span, user=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Restored the span “{span.quote[:60]}”.")
    return redirect("annotations:trash", slug=span.document.project.slug)
