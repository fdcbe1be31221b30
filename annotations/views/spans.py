"""Span actions from the annotate page: create, edit, delete and undo.

The htmx branch answers with the span panel and, out of band, only the
paragraphs the span touches, so an action costs the same on a long essay as
on a short one; the span list refreshes itself on the ``spansChanged`` event.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from annotations.forms import SpanCreateForm, SpanEditForm
from annotations.models import Document, Span
from annotations.permissions import Action
from annotations.selectors import project_tags
from annotations.services import spans as span_services
from annotations.services.errors import DomainError, EditConflict, Gone
from annotations.services.spans import span_update
from annotations.views.access import (
    HtmxHttpRequest,
    document_for,
    require,
    require_span_edit,
    require_unlocked,
    span_for,
)
from annotations.views.annotate import (
    ANNOUNCE_CREATED,
    ANNOUNCE_DELETED,
    ANNOUNCE_RESTORED,
    ANNOUNCE_SAVED,
    action_response,
    bad_request,
    span_response,
)
from annotations.views.errors import form_error


@require_POST
def span_create(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    document, role = document_for(request, document_id)
    require(role, Action.ANNOTATE)
    require_unlocked(request, document, role)
    # Read once: the form finds the tag among them, the answer draws them.
    tags = project_tags(document.project)
    form = SpanCreateForm(request.POST, project=document.project, tags=tags)
    if not form.is_valid():
        return bad_request(request, document, form_error(form))
    data = form.cleaned_data
    try:
        span, created = span_services.span_create(
            document=document,
            start=data["start"],
            end=data["end"],
            tag=data["tag"],
            author=request.user,
            quote=data["quote"] if "quote" in request.POST else None,
            note=data.get("note") or "",
        )
    except DomainError as error:
        return bad_request(request, document, str(error))
    status = 201 if created else 200
    return span_response(request, document, role, span, ANNOUNCE_CREATED, status=status, tags=tags)


def _span_to_change(request: HtmxHttpRequest, span_id: int) -> tuple[Span, Document, str]:
    """The span, if this reader may change it now (their role, its author, no submission)."""
    span, role = span_for(request, span_id)
    require(role, Action.EDIT_OWN_SPANS)
    require_span_edit(request, role, span)
    require_unlocked(request, span.document, role)
    return span, span.document, role


@require_POST
def span_edit(request: HtmxHttpRequest, span_id: int) -> HttpResponse:
    span, document, role = _span_to_change(request, span_id)
    form = SpanEditForm(request.POST, project=document.project)
    if not form.is_valid():
        return bad_request(request, document, form_error(form))
    tag, note = (
        form.cleaned_data["tag"],
        form.cleaned_data["note"] if "note" in request.POST else None,
    )
    try:
        span_update(
            span=span, tag=tag, note=note, version=form.cleaned_data["version"], user=request.user
        )
    except DomainError as error:
        return bad_request(request, document, str(error))
    except Gone as error:
        return bad_request(request, document, str(error), status=404)
    except EditConflict as conflict:
        return _conflict(request, document, role, conflict, tag=tag, note=note)
    if not request.htmx:
        messages.success(request, "Span saved.")
    response = span_response(request, document, role, span, ANNOUNCE_SAVED)
    response["X-Span-Version"] = str(span.version)
    return response


def _conflict(
    request: HtmxHttpRequest,
    document: Document,
    role: str,
    conflict: EditConflict,
    *,
    tag=None,
    note: str | None,
) -> HttpResponse:
    """Show the span as it is now beside what this person tried to save (409)."""
    current: Span = conflict.current
    mine = {
        "tag": tag or current.tag,
        "note": current.note if note is None else note.strip(),
    }
    if not request.htmx:
        messages.error(request, str(conflict))
        return redirect(document.get_absolute_url() + f"?span={current.pk}#span-panel")
    # The highlight may have changed colour: its paragraphs are redrawn as they are now.
    response = action_response(
        request,
        document,
        role,
        current,
        (current.start, current.end),
        status=409,
        conflict={"message": str(conflict), "mine": mine, "theirs": current},
    )
    response["X-Span-Version"] = str(current.version)
    return response


@require_POST
def span_delete(request: HtmxHttpRequest, span_id: int) -> HttpResponse:
    span, document, role = _span_to_change(request, span_id)
    changed = (span.start, span.end)
    try:
        token = span_services.span_delete(span=span, user=request.user)
    except Gone as error:
        return bad_request(request, document, str(error), status=404)
    if not request.htmx:
        messages.success(request, "Span deleted.")
    return action_response(
        request, document, role, None, changed, undo_token=token, announce_text=ANNOUNCE_DELETED
    )


@require_POST
def span_restore(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    document, role = document_for(request, document_id)
    require(role, Action.EDIT_OWN_SPANS)
    require_unlocked(request, document, role)
    token = request.POST.get("token", "")
    try:
        span = span_services.span_restore(token=token, document=document, user=request.user)
    except DomainError as error:
        return bad_request(request, document, str(error))
    return span_response(request, document, role, span, ANNOUNCE_RESTORED)
