"""Endpoints for spans: list (of any revision), create (idempotent with a key), change and delete with If-Match."""

from __future__ import annotations

import hashlib
import json

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from ninja.errors import HttpError

from annotations.api.lookups import (
    IDEMPOTENCY_KEY,
    IF_MATCH,
    document_for,
    etag,
    older_revision,
    require,
    require_span_edit,
    span_for,
    tag_in,
    version_sent,
)
from annotations.api.schemas import (
    ERRORS,
    NUL,
    ConflictOut,
    Error,
    RevisionQuery,
    SpanIn,
    SpanOut,
    SpanPatch,
    span_out,
)
from annotations.models import Document, IdempotencyKey, Span, Tag, Visibility
from annotations.permissions import (
    Action,
    sees_every_span,
    spans_visible_in,
)
from annotations.services import revisions
from annotations.services.spans import span_create, span_delete, span_update

KEY_REUSED = (
    "This Idempotency-Key was already used for a different request; send a new key for a new span."
)
KEY_SPAN_GONE = "The span first created with this Idempotency-Key has been deleted since."

router = Router(tags=["spans"])


@router.get("/documents/{document_id}/spans", response={200: list[SpanOut], **ERRORS})
def spans_list(request: HttpRequest, document_id: int, query: Query[RevisionQuery]):
    """List a document's spans in reading order (start, longest first), orphans last.

    With ``?revision=N`` for an older revision: the spans as they stood on it.
    """
    document, role = document_for(request, document_id)
    older = older_revision(document, query.revision)
    if older is not None:
        return _older_spans(request, document, role, older)
    spans = (
        spans_visible_in(request.auth, role, document=document, with_orphans=True)
        .select_related("tag", "author")
        .order_by(F("start").asc(nulls_last=True), "-end", "pk")
    )
    return [span_out(span) for span in spans]


def _older_spans(request: HttpRequest, document: Document, role: str, number: int) -> list:
    """The spans of an older revision, from its snapshot, with the blind rule applied."""
    from django.contrib.auth import get_user_model

    snapshot = revisions.revision_spans(document, number)
    if not sees_every_span(role):
        shown_to_all = (
            document.revealed_at is not None or document.project.visibility == Visibility.OPEN
        )
        snapshot = [
            entry
            for entry in snapshot
            if document.revealed_at is not None
            or (not entry["is_reference"] and (shown_to_all or entry["author"] == request.auth.pk))
        ]
    tags = {tag.pk: tag for tag in document.project.tags.all()}
    users = get_user_model().objects.filter(pk__in={entry["author"] for entry in snapshot})
    names = {user.pk: user.get_username() for user in users}
    rows = []
    for entry in snapshot:
        tag = tags.get(entry["tag"])
        rows.append(
            {
                "id": entry["id"],
                "document_id": document.pk,
                "start": entry["start"],
                "end": entry["end"],
                "text": entry["quote"],
                "anchor": entry["anchor"],
                "tag": tag.slug if tag else "",
                "tag_name": tag.name if tag else "",
                "note": entry["note"],
                "origin": entry["origin"],
                "annotator": names.get(entry["author"], ""),
                "created_at": entry["created_at"],
                "updated_at": entry.get("updated_at", entry["created_at"]),
                "version": None,
            }
        )
    rows.sort(key=lambda row: (row["start"] is None, row["start"] or 0, -(row["end"] or 0)))
    return rows


def _request_hash(document: Document, payload: SpanIn) -> str:
    body = json.dumps([document.pk, payload.dict()], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@router.post(
    "/documents/{document_id}/spans", response={200: SpanOut, 201: SpanOut, 409: Error, **ERRORS}
)
def spans_create(
    request: HttpRequest,
    document_id: int,
    payload: SpanIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
):
    """Tag [start, end) of the document; 201 when made, 200 if you had the same span already."""
    document, role = document_for(request, document_id)
    require(role, Action.ANNOTATE)
    tag = tag_in(document.project, payload.tag)
    key = (idempotency_key or "").strip()
    if "\x00" in key:
        raise HttpError(400, NUL)
    if not key:
        span, created = _create_span(request, document, tag, payload)
        return Status(201 if created else 200, span_out(span))
    request_hash = _request_hash(document, payload)
    # The key is claimed in the same transaction as the span: a second request with the
    # same key waits on the key's unique index until the first commits, then finds it.
    with transaction.atomic():
        claim, claimed = IdempotencyKey.objects.get_or_create(
            user=request.auth, key=key, defaults={"request_hash": request_hash}
        )
        if claimed:
            span, created = _create_span(request, document, tag, payload)
            claim.span = span
            claim.save(update_fields=["span"])
            # 200: you had this span already (made without the key); 201: made now.
            return Status(201 if created else 200, span_out(span))
    if claim.request_hash != request_hash:
        raise HttpError(422, KEY_REUSED)
    # Deleted (in the trash, or gone for good): the retry does not bring it back.
    span = Span.everything.select_related("tag", "author").filter(pk=claim.span_id).first()
    if span is None:
        raise HttpError(409, KEY_SPAN_GONE)
    return Status(201, span_out(span))


def _create_span(
    request: HttpRequest, document: Document, tag: Tag, payload: SpanIn
) -> tuple[Span, bool]:
    return span_create(
        document=document,
        start=payload.start,
        end=payload.end,
        tag=tag,
        author=request.auth,
        quote=payload.quote,
        note=payload.note.strip(),
    )


@router.patch("/spans/{span_id}", response={200: SpanOut, 409: ConflictOut, **ERRORS})
def spans_update(
    request: HttpRequest,
    span_id: int,
    payload: SpanPatch,
    response: HttpResponse,
    if_match: str | None = IF_MATCH,
):
    """Change a span's tag and/or note.

    Send the version you read (If-Match or "version"): if someone else saved the
    span since, the answer is 409 with the span as it is now, and nothing changes.
    A span deleted meanwhile answers 404.
    """
    span, role = span_for(request, span_id)
    require_span_edit(request, role, span)
    version = version_sent(if_match, payload.version)
    tag = tag_in(span.document.project, payload.tag) if payload.tag is not None else None
    span = span_update(span=span, tag=tag, note=payload.note, version=version, user=request.auth)
    response["ETag"] = etag(span.version)
    return span_out(span)


@router.delete("/spans/{span_id}", response={204: None, 409: ConflictOut, **ERRORS})
def spans_delete(request: HttpRequest, span_id: int, if_match: str | None = IF_MATCH):
    """Delete a span; with If-Match, only if nobody changed it since you read it (else 409)."""
    span, role = span_for(request, span_id)
    require_span_edit(request, role, span)
    span_delete(span=span, version=version_sent(if_match), user=request.auth)
    return Status(204, None)
