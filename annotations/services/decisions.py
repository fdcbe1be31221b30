"""Suggestion decisions: accepting (a span is made), rejecting, deciding a tag at once, Undo."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.db import transaction
from django.utils import timezone

from annotations.models import (
    Document,
    Origin,
    Span,
    Suggestion,
    SuggestionStatus,
    Tag,
)
from annotations.services.errors import DomainError
from annotations.services.spans import read_signed, span_create

SUGGESTION_TEXT_CHANGED = "The text changed since this was suggested; run Suggest again."
SUGGESTION_UNDO_EXPIRED = "This undo has expired or is not valid."
_BULK_UNDO_SALT = "herlens.suggestion-bulk-undo"


@transaction.atomic
def suggestion_accept(
    *,
    suggestion: Suggestion,
    user: AbstractBaseUser,
    start: int | None = None,
    end: int | None = None,
    tag: Tag | None = None,
) -> Span:
    """Accept a suggestion, optionally with other bounds or tag: create the span (origin suggestion)."""
    document = suggestion.document
    if document.text[suggestion.start : suggestion.end] != suggestion.quote:
        raise DomainError(SUGGESTION_TEXT_CHANGED)
    if (
        suggestion.status == SuggestionStatus.ACCEPTED
        and suggestion.span_id
        and start is end is tag is None
    ):
        span = Span.objects.filter(pk=suggestion.span_id).first()
        if span is not None:
            return span  # a repeated request
    span, _created = span_create(
        document=document,
        start=suggestion.start if start is None else start,
        end=suggestion.end if end is None else end,
        tag=tag or suggestion.tag,
        author=user,
        origin=Origin.SUGGESTION,
    )
    suggestion.status = SuggestionStatus.ACCEPTED
    suggestion.decided_by = user
    suggestion.decided_at = timezone.now()
    suggestion.span = span
    suggestion.save(update_fields=["status", "decided_by", "decided_at", "span"])
    return span


@transaction.atomic
def suggestion_reject(*, suggestion: Suggestion, user: AbstractBaseUser) -> Suggestion:
    """Reject a suggestion: it stays, so these words are not suggested again for this tag."""
    if suggestion.status != SuggestionStatus.REJECTED:
        suggestion.status = SuggestionStatus.REJECTED
        suggestion.decided_by = user
        suggestion.decided_at = timezone.now()
        suggestion.save(update_fields=["status", "decided_by", "decided_at"])
    return suggestion


@transaction.atomic
def suggestions_decide_tag(
    *, document: Document, tag: Tag, accept: bool, user: AbstractBaseUser
) -> tuple[int, str]:
    """Accept or reject every pending suggestion of one tag; return the count and an undo token."""
    pending = list(
        document.suggestions.select_for_update()
        .filter(tag=tag, status=SuggestionStatus.PENDING)
        .select_related("document", "tag")
    )
    created_spans: list[int] = []
    for suggestion in pending:
        if accept:
            had_span = Span.objects.filter(
                document=document, start=suggestion.start, end=suggestion.end, tag=tag, author=user
            ).exists()
            span = suggestion_accept(suggestion=suggestion, user=user)
            if not had_span:
                created_spans.append(span.pk)
        else:
            suggestion_reject(suggestion=suggestion, user=user)
    token = signing.dumps(
        {"document": document.pk, "suggestions": [s.pk for s in pending], "spans": created_spans},
        salt=_BULK_UNDO_SALT,
        compress=True,
    )
    return len(pending), token


@transaction.atomic
def suggestions_undo(*, token: str, document: Document | None = None) -> int:
    """Put the suggestions of a bulk decision back to pending, deleting the spans it created.

    ``document``: the document the caller may edit; a token of another is refused.
    """
    data = read_signed(
        token, salt=_BULK_UNDO_SALT, expired=SUGGESTION_UNDO_EXPIRED, document=document
    )
    Span.objects.filter(pk__in=data["spans"], document_id=data["document"]).delete()
    return Suggestion.objects.filter(
        pk__in=data["suggestions"], document_id=data["document"]
    ).update(status=SuggestionStatus.PENDING, decided_by=None, decided_at=None, span=None)
