"""What became of a span that is gone: who deleted it and when, for stale pages.

A second tab, or a classmate's page, may still show a span that was deleted; its next
action then meets "not found". The record kept here lets that answer say what happened.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from annotations.models import Membership, Span, SpanDeletion, Visibility
from annotations.permissions import sees_every_span

SPAN_DELETED_BY = (
    "This span was deleted by {who} at {when}. Reload the page to see the document as it is now."
)
SPAN_DELETED_BY_YOU = "You deleted this span at {when} (in another tab?). Reload the page to see the document as it is now."
SPAN_GONE = (
    "This span no longer exists: it was deleted. Reload the page to see the document as it is now."
)


def record(span: Span, by: AbstractBaseUser | None) -> None:
    """Note that ``by`` is deleting ``span`` (call before the delete)."""
    SpanDeletion.objects.update_or_create(
        span_id=span.pk,
        defaults={
            "document_id": span.document_id,
            "span_author_id": span.author_id,
            "deleted_by": by,
            "deleted_at": timezone.now(),
        },
    )


def forget(span_id: int) -> None:
    """The span is back (undo): it is no longer deleted."""
    SpanDeletion.objects.filter(span_id=span_id).delete()


def describe(span_id: int, viewer: AbstractBaseUser) -> str | None:
    """Return what happened to a span this viewer asked for, or None if there is nothing to tell.

    Only a member of the span's project hears about it, and who deleted it only when the
    viewer could have seen the span (their own, or a project whose spans they all see).
    """
    if Span.objects.filter(pk=span_id).exists():
        return None
    deletion = (
        SpanDeletion.objects.filter(span_id=span_id)
        .select_related("document__project", "deleted_by")
        .first()
    )
    if deletion is None:
        return None
    role = (
        Membership.objects.filter(user=viewer, project_id=deletion.document.project_id)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        return None
    project = deletion.document.project
    could_see = (
        deletion.span_author_id == viewer.pk
        or sees_every_span(role)
        or project.visibility == Visibility.OPEN
        or deletion.document.revealed_at is not None
    )
    when = timezone.localtime(deletion.deleted_at).strftime("%H:%M")
    if deletion.deleted_by_id == viewer.pk:
        return SPAN_DELETED_BY_YOU.format(when=when)
    if not could_see or deletion.deleted_by is None:
        return SPAN_GONE
    return SPAN_DELETED_BY.format(who=deletion.deleted_by.get_username(), when=when)
