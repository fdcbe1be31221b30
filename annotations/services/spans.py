"""Spans: the checks every span passes, create, edit, delete and the signed Undo.

Imports, suggestions and the reference layer make spans too; they all call
``check_span_fields`` so one set of rules decides what a span may be.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from annotations.models import (
    Document,
    Origin,
    Span,
    SpanDeletion,
    SpanEvent,
    SpanEventKind,
    Tag,
)
from annotations.offsets import OffsetError, check_graphemes, check_quote, check_range
from annotations.services.errors import (
    SPAN_CHANGED,
    SPAN_GONE,
    TAG_OF_OTHER_PROJECT,
    WHITESPACE_ONLY,
    DomainError,
    EditConflict,
    Gone,
)
from annotations.services.trash import span_trash, span_untrash
from annotations.wording import capitalised

DUPLICATE_AFTER_EDIT = "You already have a span with that tag at exactly this place."
UNDO_EXPIRED = "This undo has expired or is not valid; the span stays deleted."
UNDO_TEXT_CHANGED = (
    "The document text changed since the span was deleted, so it cannot be restored."
)
#: How long the Undo of a deletion stays valid (the page offers it for a few seconds).
UNDO_MAX_AGE_SECONDS = 600
_UNDO_SALT = "herlens.span-undo"


def check_span_fields(
    *, document: Document, start: int, end: int, tag: Tag, quote: str | None = None
) -> None:
    """Raise DomainError unless [start, end) may be tagged ``tag`` in the document.

    ``quote`` is what the user saw selected; when given it must equal the
    document's text at [start, end), so a stale page cannot tag the wrong words.
    """
    if tag.project_id != document.project_id:
        raise DomainError(TAG_OF_OTHER_PROJECT.format(tag=tag.name))
    try:
        check_range(document.text, start, end)
        # The page snaps a selection to whole characters; every other way in must too.
        check_graphemes(document.text, start, end)
    except OffsetError as error:
        raise DomainError(capitalised(str(error)) + ".") from None
    if not document.text[start:end].strip():
        raise DomainError(WHITESPACE_ONLY)
    if quote is not None:
        try:
            check_quote(document.text, start, end, quote)
        except OffsetError as error:
            raise DomainError(capitalised(str(error))) from None


def span_create(
    *,
    document: Document,
    start: int,
    end: int,
    tag: Tag,
    author: AbstractBaseUser,
    quote: str | None = None,
    note: str = "",
    origin: str = Origin.MANUAL,
) -> tuple[Span, bool]:
    """Create a span, or return the identical one that exists; the bool says which.

    ``quote``: see ``check_span_fields``.
    """
    check_span_fields(document=document, start=start, end=end, tag=tag, quote=quote)
    place = {"document": document, "start": start, "end": end, "tag": tag, "author": author}
    # Written first, looked up only when the unique index refuses a twin: a new span
    # (nearly every request) costs one INSERT, not a read, a savepoint and an INSERT.
    # Two identical requests racing: the second waits on the index, then finds the first.
    # Inside a caller's transaction the INSERT gets a savepoint, so a refused twin leaves
    # that transaction usable; on its own one INSERT is atomic already, and BEGIN and
    # COMMIT would be two more round trips.
    in_transaction = transaction.get_connection().in_atomic_block
    try:
        with transaction.atomic() if in_transaction else nullcontext():
            # The plain manager: the default one would build its filters only to insert.
            span = Span.with_trash.create(
                **place,
                is_reference=False,
                quote=document.text[start:end],
                note=note,
                origin=origin,
            )
        # A span made now has no history yet: the panel that shows it need not ask for one.
        span._prefetched_objects_cache = {"events": _no_events()}
        return span, True
    except IntegrityError as error:
        span = Span.objects.filter(**place, is_reference=False).first()
        if span is None:  # pragma: no cover - the database's last word
            raise DomainError(f"The span could not be saved: {error}") from None
        return span, False


def _no_events() -> Any:
    """An empty history, already evaluated as prefetch_related leaves one: iterating even
    ``none()`` would still have the ORM compile the query before finding it empty."""
    events = SpanEvent.objects.none()
    events._result_cache = []
    events._prefetch_done = True
    return events


def span_get_or_create(
    document: Document,
    start: int,
    end: int,
    tag: Tag,
    *,
    author: AbstractBaseUser,
    is_reference: bool = False,
    note: str = "",
    origin: str = Origin.MANUAL,
) -> tuple[Span, bool]:
    """Return the span at this place with this tag, made if missing (checked by the caller).

    A reader's span is theirs alone; the reference layer holds one span per place
    and tag, whoever adjudicated it, so there ``author`` is only who put it first.
    """
    place = {"document": document, "start": start, "end": end, "tag": tag}
    defaults = {"quote": document.text[start:end], "note": note, "origin": origin}
    if is_reference:
        return Span.objects.get_or_create(
            **place, is_reference=True, defaults=defaults | {"author": author}
        )
    return Span.objects.get_or_create(**place, author=author, is_reference=False, defaults=defaults)


def span_update(
    *,
    span: Span,
    tag: Tag | None = None,
    note: str | None = None,
    version: int | None = None,
    user: AbstractBaseUser | None = None,
) -> Span:
    """Change a span's tag and/or note; return it as stored, its version counted up
    (each change goes into the span's history).

    ``version`` is the one the editor saw: if the span changed since, nothing is
    written and ``EditConflict`` carries the span as it is now. A span deleted
    meanwhile raises ``Gone``.
    """
    try:
        with transaction.atomic():
            current = _locked(span, version, "document", "tag", "author", "updated_by")
            changes: dict[str, Any] = {}
            events: list[SpanEvent] = []
            if tag is not None and tag.pk != current.tag_id:
                _check_retag(current, tag)
                events.append(
                    _event(current, SpanEventKind.RETAGGED, user, current.tag.name, tag.name)
                )
                changes["tag"] = tag
            if note is not None and note.strip() != current.note:
                events.append(_event(current, SpanEventKind.NOTE, user, current.note, note.strip()))
                changes["note"] = note.strip()
            editor = _signed_in(user)
            changes |= {
                "updated_at": timezone.now(),
                "version": F("version") + 1,
                "updated_by": editor if editor is not None else current.updated_by,
            }
            Span.everything.filter(pk=current.pk).update(**changes)
            SpanEvent.objects.bulk_create(events)
            # Read back inside the transaction: a delete may follow the moment it commits.
            span.refresh_from_db()
    except IntegrityError:
        # Another edit moved a twin of this span to the same tag at the same moment.
        fresh = (
            Span.everything.select_related("tag", "author", "updated_by").filter(pk=span.pk).first()
        )
        if fresh is None:
            raise Gone(SPAN_GONE) from None
        raise EditConflict(DUPLICATE_AFTER_EDIT, fresh) from None
    return span


def _locked(span: Span, version: int | None, *related: str) -> Span:
    """The span as stored, locked so two edits of one span go one after the other (SQLite:
    the IMMEDIATE transaction does the same for the whole database). Raises ``Gone`` if it
    was deleted meanwhile and ``EditConflict`` if ``version`` is given and it changed since."""
    current = (
        Span.everything.select_for_update(of=("self",))
        .select_related(*related)
        .filter(pk=span.pk)
        .first()
    )
    if current is None:
        raise Gone(SPAN_GONE)
    if version is not None and current.version != version:
        raise EditConflict(SPAN_CHANGED, current)
    return current


def _check_retag(current: Span, tag: Tag) -> None:
    """Refuse a tag of another project, or one that would make the span a twin of another."""
    if tag.project_id != current.document.project_id:
        raise DomainError(TAG_OF_OTHER_PROJECT.format(tag=tag.name))
    clash = Span.objects.filter(
        document_id=current.document_id,
        start=current.start,
        end=current.end,
        tag=tag,
        is_reference=current.is_reference,
    ).exclude(pk=current.pk)
    if not current.is_reference:  # the reference layer is one layer, whoever wrote it
        clash = clash.filter(author_id=current.author_id)
    if clash.exists():
        raise DomainError(DUPLICATE_AFTER_EDIT)


def _signed_in(user: AbstractBaseUser | None) -> AbstractBaseUser | None:
    """The user to record as actor; an anonymous one is recorded as nobody."""
    return user if user is not None and user.is_authenticated else None


def _event(span: Span, kind: str, user, before: str, after: str) -> SpanEvent:
    return SpanEvent(
        span=span,
        kind=kind,
        actor=_signed_in(user),
        revision=span.document.revision,
        detail={"before": before, "after": after},
    )


@transaction.atomic
def span_delete(
    *, span: Span, version: int | None = None, user: AbstractBaseUser | None = None
) -> str:
    """Move a span to the trash and return a signed token that restores it (``span_restore``).

    From the trash an owner or editor can also restore it for TRASH_DAYS days. Raises
    ``Gone`` if it was deleted meanwhile and ``EditConflict`` if ``version`` is given and
    the span changed since. Who deleted it and when is also kept by span id
    (models.SpanDeletion), so a page still showing the span can say what happened to it
    (selectors.span_deletion_note).
    """
    current = _locked(span, version, "document")
    by = _signed_in(user)
    SpanDeletion.objects.update_or_create(
        span_id=current.pk,
        defaults={
            "document_id": current.document_id,
            "span_author_id": current.author_id,
            "deleted_by": by,
            "deleted_at": timezone.now(),
        },
    )
    snapshot: dict[str, Any] = {
        "id": current.pk,
        "document": current.document_id,
        "start": current.start,
        "end": current.end,
        "tag": current.tag_id,
        "author": current.author_id,
        "note": current.note,
        "quote": current.quote,
        "origin": current.origin,
        "is_reference": current.is_reference,
        "created_at": current.created_at.isoformat(),
    }
    span_trash(span=current, user=by)
    return signing.dumps(snapshot, salt=_UNDO_SALT, compress=True)


def read_signed(
    token: str, *, salt: str, expired: str, document: Document | None = None
) -> dict[str, Any]:
    """Return what an Undo token holds, or raise DomainError(expired).

    With ``document``, a token made for another document is refused the same way:
    the caller has checked access to ``document`` only.
    """
    try:
        data = signing.loads(token, salt=salt, max_age=UNDO_MAX_AGE_SECONDS)
    except signing.BadSignature:
        raise DomainError(expired) from None
    if document is not None and int(data["document"]) != document.pk:
        raise DomainError(expired)
    return data


@transaction.atomic
def span_restore(
    *, token: str, document: Document | None = None, user: AbstractBaseUser | None = None
) -> Span:
    """Bring back a deleted span, with its id, from the token ``span_delete`` gave.

    ``document``: the document the caller may edit; a token of another is refused.
    """
    snapshot = read_signed(token, salt=_UNDO_SALT, expired=UNDO_EXPIRED, document=document)
    existing = Span.objects.filter(pk=snapshot["id"]).first()
    if existing is not None:
        return existing  # a repeated Undo
    trashed = Span.with_trash.filter(pk=snapshot["id"], deleted_at__isnull=False).first()
    if trashed is not None:
        # In the trash, where revisions kept it on its words; a text changed some other
        # way would leave it on the wrong ones.
        text = Document.with_trash.values_list("text", flat=True).get(pk=trashed.document_id)
        if trashed.start is not None and text[trashed.start : trashed.end] != trashed.quote:
            raise DomainError(UNDO_TEXT_CHANGED)
        return span_untrash(span=trashed, user=user)
    document = Document.objects.get(pk=snapshot["document"])
    if document.text[snapshot["start"] : snapshot["end"]] != snapshot["quote"]:
        raise DomainError(UNDO_TEXT_CHANGED)
    span, _created = Span.objects.get_or_create(
        document=document,
        start=snapshot["start"],
        end=snapshot["end"],
        tag_id=snapshot["tag"],
        author_id=snapshot["author"],
        is_reference=snapshot.get("is_reference", False),
        defaults={
            "id": snapshot["id"],
            "note": snapshot["note"],
            "quote": snapshot["quote"],
            "origin": snapshot["origin"],
        },
    )
    Span.objects.filter(pk=span.pk).update(
        created_at=datetime.fromisoformat(snapshot["created_at"])
    )
    span.refresh_from_db()
    SpanDeletion.objects.filter(span_id=span.pk).delete()
    return span
