"""The trash: a deleted document or span waits TRASH_DAYS days for an owner or editor.

A document goes to the trash with its spans (stamped with the same moment, so a
restore brings back exactly those); a span goes alone. Revisions keep moving
spans in the trash, so a restored span stands on its words. Past TRASH_DAYS,
``trash_purge`` deletes for good (run by ``manage.py purge_trash`` and whenever
the trash page is opened).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from annotations.models import (
    TRASH_DAYS,
    AnchorState,
    Document,
    Project,
    Span,
    SpanDeletion,
    SpanEvent,
    SpanEventKind,
    SpanRemoval,
)
from annotations.services.errors import DomainError

TRASH_EXPIRED = "This was deleted more than {days} days ago and can no longer be restored."
NOT_IN_TRASH = "This is not in the trash."
DOCUMENT_IN_TRASH = "Its document is in the trash: restore the document first."
RESTORE_CLASH = (
    "A span with the same tag by the same person now covers exactly these words, so this "
    "one cannot come back beside it."
)


def _expired(deleted_at: datetime, now: datetime | None = None) -> bool:
    return deleted_at < (now or timezone.now()) - timedelta(days=TRASH_DAYS)


@transaction.atomic
def document_trash(*, document: Document, user: AbstractBaseUser | None) -> Document:
    """Move a document and its spans to the trash."""
    now = timezone.now()
    Document.with_trash.filter(pk=document.pk).update(deleted_at=now, deleted_by=user)
    Span.with_trash.filter(document=document, deleted_at__isnull=True).update(
        deleted_at=now, deleted_by=user
    )
    document.deleted_at, document.deleted_by = now, user
    return document


@transaction.atomic
def document_restore(*, document: Document) -> Document:
    """Bring a document back with the spans that went to the trash with it."""
    if document.deleted_at is None:
        raise DomainError(NOT_IN_TRASH)
    if _expired(document.deleted_at):
        raise DomainError(TRASH_EXPIRED.format(days=TRASH_DAYS))
    Span.with_trash.filter(document=document, deleted_at=document.deleted_at).update(
        deleted_at=None, deleted_by=None
    )
    Document.with_trash.filter(pk=document.pk).update(deleted_at=None, deleted_by=None)
    document.deleted_at = document.deleted_by = None
    return document


@transaction.atomic
def span_trash(*, span: Span, user: AbstractBaseUser | None) -> Span:
    """Move one span to the trash (its comments wait with it)."""
    span.deleted_at, span.deleted_by = timezone.now(), user
    span.save(update_fields=["deleted_at", "deleted_by"])
    if span.start is not None:
        # Other readers' live pollers re-draw only the paragraphs that changed: this row
        # is how they learn where the trashed span was drawn.
        SpanRemoval.objects.create(
            document_id=span.document_id, start=span.start, end=span.end, removed_at=span.deleted_at
        )
    SpanEvent.objects.create(
        span=span, kind=SpanEventKind.DELETED, actor=user, revision=span.document.revision
    )
    return span


@transaction.atomic
def span_untrash(*, span: Span, user: AbstractBaseUser | None) -> Span:
    """Bring one span back from the trash, where a revision has kept it on its words."""
    if span.deleted_at is None:
        raise DomainError(NOT_IN_TRASH)
    if _expired(span.deleted_at):
        raise DomainError(TRASH_EXPIRED.format(days=TRASH_DAYS))
    document = Document.with_trash.get(pk=span.document_id)
    if document.deleted_at is not None:
        raise DomainError(DOCUMENT_IN_TRASH)
    if span.anchor != AnchorState.ORPHANED:
        clash = Span.everything.filter(
            document_id=span.document_id,
            start=span.start,
            end=span.end,
            tag_id=span.tag_id,
            is_reference=span.is_reference,
        )
        if not span.is_reference:
            clash = clash.filter(author_id=span.author_id)
        if clash.exists():
            raise DomainError(RESTORE_CLASH)
    span.deleted_at = span.deleted_by = None
    # A fresh updated_at makes live pollers re-draw the restored span's paragraphs.
    span.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    SpanDeletion.objects.filter(span_id=span.pk).delete()
    SpanEvent.objects.create(
        span=span, kind=SpanEventKind.RESTORED, actor=user, revision=document.revision
    )
    return span


@dataclass
class TrashContents:
    documents: list[Document]
    spans: list[Span]


def trash_contents(project: Project) -> TrashContents:
    """Return what a project's trash holds, newest first (spans of trashed documents
    are restored with their document, so they are not listed one by one)."""
    documents = list(
        Document.with_trash.filter(project=project, deleted_at__isnull=False)
        .select_related("deleted_by")
        .order_by("-deleted_at", "-pk")
    )
    spans = list(
        Span.with_trash.filter(
            document__project=project,
            deleted_at__isnull=False,
            document__deleted_at__isnull=True,
        )
        .select_related("document", "tag", "author", "deleted_by")
        .order_by("-deleted_at", "-pk")
    )
    return TrashContents(documents=documents, spans=spans)


def trash_purge(now: datetime | None = None) -> tuple[int, int]:
    """Delete for good what has been in the trash longer than TRASH_DAYS; return counts."""
    limit = (now or timezone.now()) - timedelta(days=TRASH_DAYS)
    spans, _by_model = Span.with_trash.filter(deleted_at__lt=limit).delete()
    documents, _by_model = Document.with_trash.filter(deleted_at__lt=limit).delete()
    return documents, spans
