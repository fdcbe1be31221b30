"""Span actions from the annotate page: create, edit, delete and undo.

The htmx branch answers with the span panel and, out of band, only the
paragraphs the span touches, so an action costs the same on a long essay as
on a short one; the span list refreshes itself on the ``spansChanged`` event.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from annotations import services, tombstones
from annotations.accessibility import span_label
from annotations.forms import SpanCreateForm, SpanEditForm
from annotations.models import Document, Span
from annotations.permissions import Action
from annotations.rendering import paragraph_range, paragraphs_html
from annotations.views import layers
from annotations.views.access import (
    HtmxHttpRequest,
    document_for,
    require,
    require_span_edit,
    require_unlocked,
    span_for,
)
from annotations.views.documents import TEMPLATE, panel_context

#: Read out by screen readers after an action (the page's live region, static/herlens.js).
ANNOUNCE_CREATED = "Added {tag}: “{quote}”."
ANNOUNCE_SAVED = "Saved the {tag} span."
ANNOUNCE_DELETED = "Span deleted. Ctrl+Z or the Undo button brings it back."
ANNOUNCE_RESTORED = "Restored {tag}: “{quote}”."


def announcement(template: str, span: Span | None) -> str:
    if span is None:
        return template
    quote = span.quote if len(span.quote) <= 80 else span.quote[:79] + "…"
    return template.format(tag=span.tag.name, quote=quote)


def announce(response: HttpResponse, text: str) -> HttpResponse:
    """Ask the page to read ``text`` out (an htmx event; the page's live region speaks it)."""
    return trigger_client_event(response, "announce", {"text": text}, after="settle")


def _form_error(form) -> str:
    return " ".join(str(message) for errors in form.errors.values() for message in errors)


def _bad_request(request: HtmxHttpRequest, document: Document, message: str) -> HttpResponse:
    if request.htmx:
        # Not swapped: herlens.js shows 4xx bodies as a message and keeps the selection.
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    messages.error(request, message)
    return redirect(document.get_absolute_url())


def changed_paragraphs(request, document: Document, role: str, start: int, end: int) -> str:
    low, high = paragraph_range(document.text, start, end)
    # Only spans this reader may see, coloured as on their page (views/layers.py).
    marks, styles = layers.changed_marks(request, document, role, low, high)
    return paragraphs_html(document.text, marks, styles, start, end)


def _action_response(
    request: HtmxHttpRequest,
    document: Document,
    role: str,
    span: Span | None,
    changed: tuple[int, int],
    *,
    undo_token: str = "",
    status: int = 200,
    announce_text: str = "",
) -> HttpResponse:
    if not request.htmx:
        anchor = f"?span={span.pk}#span-panel" if span is not None else ""
        return redirect(document.get_absolute_url() + anchor)
    tags = list(document.project.tags.all())
    context = {
        "document": document,
        "undo_token": undo_token,
        **panel_context(request, span, role, tags),
    }
    panel = render_to_string(f"{TEMPLATE}#span-panel", context, request=request)
    paragraphs = changed_paragraphs(request, document, role, *changed)
    response = HttpResponse(panel + paragraphs, status=status)
    if announce_text:
        announce(response, announce_text)
    if span is not None:
        # What a screen reader says of the new or changed highlight (static/herlens-access.js).
        label = {"id": span.pk, **span_label(span, request.user)}
        trigger_client_event(response, "spanLabel", label, after="settle")
    # After settle, so the out-of-band paragraphs are in place when listeners run.
    return trigger_client_event(
        response, "spansChanged", {"span": span.pk if span else None}, after="settle"
    )


@require_POST
def span_create(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    document, role = document_for(request, document_id)
    require(role, Action.ANNOTATE)
    require_unlocked(request, document, role)
    form = SpanCreateForm(request.POST, project=document.project)
    if not form.is_valid():
        return _bad_request(request, document, _form_error(form))
    data = form.cleaned_data
    try:
        span, created = services.span_create(
            document=document,
            start=data["start"],
            end=data["end"],
            tag=data["tag"],
            author=request.user,
            quote=data["quote"] if "quote" in request.POST else None,
            note=data.get("note") or "",
        )
    except services.DomainError as error:
        return _bad_request(request, document, str(error))
    return _action_response(
        request,
        document,
        role,
        span,
        (span.start, span.end),
        status=201 if created else 200,
        announce_text=announcement(ANNOUNCE_CREATED, span),
    )


@require_POST
def span_edit(request: HtmxHttpRequest, span_id: int) -> HttpResponse:
    span, role = span_for(request, span_id)
    document = span.document
    require(role, Action.EDIT_OWN_SPANS)
    require_span_edit(request, role, span)
    require_unlocked(request, document, role)
    form = SpanEditForm(request.POST, project=document.project)
    if not form.is_valid():
        return _bad_request(request, document, _form_error(form))
    try:
        services.span_update(
            span=span,
            tag=form.cleaned_data["tag"],
            note=form.cleaned_data["note"] if "note" in request.POST else None,
        )
    except services.DomainError as error:
        return _bad_request(request, document, str(error))
    if not request.htmx:
        messages.success(request, "Span saved.")
    return _action_response(
        request,
        document,
        role,
        span,
        (span.start, span.end),
        announce_text=announcement(ANNOUNCE_SAVED, span),
    )


@require_POST
def span_delete(request: HtmxHttpRequest, span_id: int) -> HttpResponse:
    span, role = span_for(request, span_id)
    document = span.document
    require(role, Action.EDIT_OWN_SPANS)
    require_span_edit(request, role, span)
    require_unlocked(request, document, role)
    changed = (span.start, span.end)
    tombstones.record(span, request.user)
    token = services.span_delete(span=span)
    if not request.htmx:
        messages.success(request, "Span deleted.")
    return _action_response(
        request, document, role, None, changed, undo_token=token, announce_text=ANNOUNCE_DELETED
    )


@require_POST
def span_restore(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    document, role = document_for(request, document_id)
    require(role, Action.EDIT_OWN_SPANS)
    require_unlocked(request, document, role)
    token = request.POST.get("token", "")
    try:
        if services.undo_token_document_id(token) != document.pk:
            raise services.DomainError(services.UNDO_EXPIRED)
        span = services.span_restore(token=token)
        tombstones.forget(span.pk)
    except services.DomainError as error:
        return _bad_request(request, document, str(error))
    return _action_response(
        request,
        document,
        role,
        span,
        (span.start, span.end),
        announce_text=announcement(ANNOUNCE_RESTORED, span),
    )
