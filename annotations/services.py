"""Writes that check the rules of the domain and touch one or more rows.

Each service is keyword-only and atomic; a rule that is broken raises
``DomainError`` with a message a person can act on, and nothing is written.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from annotations.models import DEFAULT_TAGS, Document, Membership, Origin, Project, Role, Span, Tag
from annotations.offsets import OffsetError, check_quote, check_range, normalise_text

TAG_OF_OTHER_PROJECT = "The tag “{tag}” belongs to another project."
WHITESPACE_ONLY = "The selection holds only spaces or line breaks: select some words to tag."
EMPTY_TEXT = "The document has no text: paste or type the essay first."
EMPTY_TITLE = "Give the document a title."
DUPLICATE_AFTER_EDIT = "You already have a span with that tag at exactly this place."
UNDO_EXPIRED = "This undo has expired or is not valid; the span stays deleted."
UNDO_TEXT_CHANGED = (
    "The document text changed since the span was deleted, so it cannot be restored."
)
SLUG_TAKEN = "A project with the address “{slug}” exists already; choose another."

#: How long the Undo of a deletion stays valid (the page offers it for a few seconds).
UNDO_MAX_AGE_SECONDS = 600
_UNDO_SALT = "herlens.span-undo"


class DomainError(ValueError):
    """A write that breaks a rule of the domain; str(error) is meant for the user."""


@transaction.atomic
def project_create(
    *,
    name: str,
    owner: AbstractBaseUser,
    slug: str = "",
    description: str = "",
    guidelines: str = "",
    with_default_tags: bool = True,
) -> Project:
    """Create a project owned by ``owner`` with the three default tags."""
    slug = slugify(slug or name)[:80]
    if not slug:
        raise DomainError("Give the project a name with at least one letter or digit.")
    if Project.objects.filter(slug=slug).exists():
        raise DomainError(SLUG_TAKEN.format(slug=slug))
    project = Project.objects.create(
        name=name.strip(), slug=slug, description=description, guidelines=guidelines
    )
    Membership.objects.create(user=owner, project=project, role=Role.OWNER)
    if with_default_tags:
        for position, (tag_name, tag_slug, colour, shortcut, hint) in enumerate(DEFAULT_TAGS):
            Tag.objects.create(
                project=project,
                name=tag_name,
                slug=tag_slug,
                colour=colour,
                shortcut=shortcut,
                description=hint,
                position=position,
            )
    return project


def document_create(
    *, project: Project, title: str, text: str, author: str = "", source: str = ""
) -> Document:
    """Store a document with its text normalised (NFC, "\\n" line endings)."""
    text = normalise_text(text)
    title = title.strip()
    if not title:
        raise DomainError(EMPTY_TITLE)
    if not text.strip():
        raise DomainError(EMPTY_TEXT)
    return Document.objects.create(
        project=project, title=title, text=text, author=author.strip(), source=source.strip()
    )


def _check_span_fields(*, document: Document, start: int, end: int, tag: Tag) -> None:
    if tag.project_id != document.project_id:
        raise DomainError(TAG_OF_OTHER_PROJECT.format(tag=tag.name))
    try:
        check_range(document.text, start, end)
    except OffsetError as error:
        raise DomainError(_capitalise(str(error)) + ".") from None
    if not document.text[start:end].strip():
        raise DomainError(WHITESPACE_ONLY)


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

    ``quote`` is what the user saw selected; when given it must equal the
    document's text at [start, end), so a stale page cannot tag the wrong words.
    """
    _check_span_fields(document=document, start=start, end=end, tag=tag)
    if quote is not None:
        try:
            check_quote(document.text, start, end, quote)
        except OffsetError as error:
            raise DomainError(_capitalise(str(error))) from None
    try:
        with transaction.atomic():
            # get_or_create retries the read after an IntegrityError, so two
            # identical requests racing each other still yield one span.
            return Span.objects.get_or_create(
                document=document,
                start=start,
                end=end,
                tag=tag,
                author=author,
                defaults={"quote": document.text[start:end], "note": note, "origin": origin},
            )
    except IntegrityError as error:  # pragma: no cover - the database's last word
        raise DomainError(f"The span could not be saved: {error}") from None


@transaction.atomic
def span_update(*, span: Span, tag: Tag | None = None, note: str | None = None) -> Span:
    """Change a span's tag and/or note."""
    fields = ["updated_at"]
    if tag is not None and tag.pk != span.tag_id:
        if tag.project_id != span.document.project_id:
            raise DomainError(TAG_OF_OTHER_PROJECT.format(tag=tag.name))
        clash = Span.objects.filter(
            document_id=span.document_id,
            start=span.start,
            end=span.end,
            tag=tag,
            author_id=span.author_id,
        ).exclude(pk=span.pk)
        if clash.exists():
            raise DomainError(DUPLICATE_AFTER_EDIT)
        span.tag = tag
        fields.append("tag")
    if note is not None:
        span.note = note.strip()
        fields.append("note")
    span.save(update_fields=fields)
    return span


@transaction.atomic
def span_delete(*, span: Span) -> str:
    """Delete a span and return a signed token that restores it (see ``span_restore``)."""
    snapshot: dict[str, Any] = {
        "id": span.pk,
        "document": span.document_id,
        "start": span.start,
        "end": span.end,
        "tag": span.tag_id,
        "author": span.author_id,
        "note": span.note,
        "quote": span.quote,
        "origin": span.origin,
        "created_at": span.created_at.isoformat(),
    }
    span.delete()
    return signing.dumps(snapshot, salt=_UNDO_SALT, compress=True)


def undo_token_document_id(token: str) -> int:
    """Return the document a restore token belongs to, so callers can check access first."""
    try:
        snapshot = signing.loads(token, salt=_UNDO_SALT, max_age=UNDO_MAX_AGE_SECONDS)
    except signing.BadSignature:
        raise DomainError(UNDO_EXPIRED) from None
    return int(snapshot["document"])


@transaction.atomic
def span_restore(*, token: str) -> Span:
    """Bring back a deleted span, with its id, from the token ``span_delete`` gave."""
    from datetime import datetime

    try:
        snapshot = signing.loads(token, salt=_UNDO_SALT, max_age=UNDO_MAX_AGE_SECONDS)
    except signing.BadSignature:
        raise DomainError(UNDO_EXPIRED) from None
    existing = Span.objects.filter(pk=snapshot["id"]).first()
    if existing is not None:
        return existing  # a repeated Undo
    document = Document.objects.get(pk=snapshot["document"])
    if document.text[snapshot["start"] : snapshot["end"]] != snapshot["quote"]:
        raise DomainError(UNDO_TEXT_CHANGED)
    span, _created = Span.objects.get_or_create(
        document=document,
        start=snapshot["start"],
        end=snapshot["end"],
        tag_id=snapshot["tag"],
        author_id=snapshot["author"],
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
    return span


def _capitalise(message: str) -> str:
    return message[:1].upper() + message[1:]
