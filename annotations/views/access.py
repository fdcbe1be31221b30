"""Object lookups through the user's memberships, for views only.

A stranger to a project gets 404 for everything in it; a member whose role
does not allow an action gets 403 with a message saying why.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django_htmx.middleware import HtmxDetails

from annotations.models import Document, Membership, Project, Span
from annotations.permissions import (
    FORBIDDEN_MESSAGES,
    Action,
    allows,
    can_edit_span,
    document_with_role,
    visible_documents,
    visible_projects,
    visible_spans,
)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def project_for(request: HttpRequest, slug: str) -> tuple[Project, str]:
    """Return the project and the user's role in it, or raise 404."""
    project = get_object_or_404(visible_projects(request.user), slug=slug)
    return project, _role(request, project.pk)


def document_for(
    request: HttpRequest, document_id: int, slug: str | None = None
) -> tuple[Document, str]:
    if slug is None:
        document = document_with_role(request.user, document_id)
        if document is None:
            raise Http404("No Document matches the given query.")
        return document, document.member_role
    documents = visible_documents(request.user, with_role=True).select_related("project")
    document = get_object_or_404(documents.filter(project__slug=slug), pk=document_id)
    return document, document.member_role


def span_for(request: HttpRequest, span_id: int) -> tuple[Span, str]:
    span = get_object_or_404(
        visible_spans(request.user).select_related("document__project", "tag", "author"), pk=span_id
    )
    return span, _role(request, span.document.project_id)


def require(role: str, action: Action) -> None:
    """Raise 403 with a message unless the role allows the action."""
    if not allows(role, action):
        raise PermissionDenied(
            FORBIDDEN_MESSAGES.get(action, "You may not do that in this project.")
        )


def require_span_edit(request: HttpRequest, role: str, span: Span) -> None:
    if not can_edit_span(role, request.user, span):
        action = (
            Action.EDIT_ANY_SPAN if allows(role, Action.EDIT_OWN_SPANS) else Action.EDIT_OWN_SPANS
        )
        raise PermissionDenied(FORBIDDEN_MESSAGES[action])


def require_unlocked(request: HttpRequest, document: Document, role: str) -> None:
    """Raise 403 while the reader's submission of this document is handed in (class mode)."""
    from annotations.selectors import SUBMITTED_LOCK, is_locked

    if document.project.is_class and is_locked(request.user, role, document):
        raise PermissionDenied(SUBMITTED_LOCK)


def _role(request: HttpRequest, project_id: int) -> str:
    role = (
        Membership.objects.filter(user=request.user, project_id=project_id)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:  # pragma: no cover - the visible_* querysets already filtered
        raise Http404
    return role
