"""Comment threads on spans: read, write, edit and delete your own; the teacher pins feedback.

A comment is visible exactly when its span is: every lookup goes through
``visible_spans`` / ``comments_visible_in`` (permissions.py), so a student in a
blind class gets 404 for another student's span and its thread.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from annotations.models import Comment, Span
from annotations.permissions import Action, allows, visible_spans
from annotations.services import classes as class_services
from annotations.services.classes import comment_create, comment_update
from annotations.services.errors import DomainError
from annotations.views.access import HtmxHttpRequest, require, span_for

TEMPLATE = "annotations/comments.html"
NOT_YOURS = "You can change only your own comments."


def _thread(request: HtmxHttpRequest, span: Span, role: str, *, error: str = "", status: int = 200):
    context = {
        "span": span,
        "comments": span.comments.select_related("author"),
        "can_comment": allows(role, Action.ANNOTATE),
        "can_pin": allows(role, Action.TEACH),
        "error": error,
        "document": span.document,
        "project": span.document.project,
    }
    if request.htmx:
        return render(request, f"{TEMPLATE}#comment-thread", context, status=status)
    return render(request, TEMPLATE, context, status=status)


@require_GET
def thread(request: HtmxHttpRequest, span_id: int) -> HttpResponse:
    span, role = span_for(request, span_id)
    return _thread(request, span, role)


@require_POST
def comment_add(request: HtmxHttpRequest, span_id: int) -> HttpResponse:
    span, role = span_for(request, span_id)
    require(role, Action.ANNOTATE)
    try:
        comment_create(span=span, author=request.user, text=request.POST.get("text", ""))
    except DomainError as exc:
        return _thread(request, span, role, error=str(exc), status=400)
    if not request.htmx:
        return redirect(reverse("annotations:comments", args=[span.pk]))
    return _thread(request, span, role)


def _comment_for(request: HtmxHttpRequest, comment_id: int) -> tuple[Comment, str]:
    """Return a comment on a span the user may see, or 404."""
    comment = get_object_or_404(
        Comment.objects.select_related("span__document__project", "author"),
        pk=comment_id,
        span__in=visible_spans(request.user),
    )
    _span, role = span_for(request, comment.span_id)
    return comment, role


@require_POST
def comment_edit(request: HtmxHttpRequest, comment_id: int) -> HttpResponse:
    comment, role = _comment_for(request, comment_id)
    if comment.author_id != request.user.pk:
        raise PermissionDenied(NOT_YOURS)
    try:
        comment_update(comment=comment, text=request.POST.get("text", ""))
    except DomainError as exc:
        return _thread(request, comment.span, role, error=str(exc), status=400)
    if not request.htmx:
        return redirect(reverse("annotations:comments", args=[comment.span_id]))
    return _thread(request, comment.span, role)


@require_POST
def comment_delete(request: HtmxHttpRequest, comment_id: int) -> HttpResponse:
    comment, role = _comment_for(request, comment_id)
    if comment.author_id != request.user.pk:
        raise PermissionDenied(NOT_YOURS)
    span = comment.span
    class_services.comment_delete(comment=comment)
    if not request.htmx:
        return redirect(reverse("annotations:comments", args=[span.pk]))
    return _thread(request, span, role)


@require_POST
def comment_pin(request: HtmxHttpRequest, comment_id: int) -> HttpResponse:
    comment, role = _comment_for(request, comment_id)
    require(role, Action.TEACH)
    class_services.comment_pin(comment=comment, pinned=request.POST.get("pinned", "1") == "1")
    if not request.htmx:
        return redirect(reverse("annotations:comments", args=[comment.span_id]))
    return _thread(request, comment.span, role)
