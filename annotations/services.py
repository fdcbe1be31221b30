"""Writes that check the rules of the domain and touch one or more rows.

Each service is keyword-only and atomic; a rule that is broken raises
``DomainError`` with a message a person can act on, and nothing is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from annotations.models import (
    DEFAULT_TAGS,
    ApiToken,
    Document,
    Membership,
    Origin,
    Project,
    Role,
    Span,
    Tag,
)
from annotations.offsets import OffsetError, check_quote, check_range, normalise_text

if TYPE_CHECKING:
    from annotations.imports.base import ParsedDocument

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
NUL_CHARACTER = "The text holds the NUL character (\\u0000), which cannot be stored; remove it."
TAG_WITHOUT_SLUG = "The tag “{tag}” needs at least one letter or digit to be created."

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
                is_reference=False,
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
            is_reference=span.is_reference,
        ).exclude(pk=span.pk)
        if not span.is_reference:  # the reference layer is one layer, whoever wrote it
            clash = clash.filter(author_id=span.author_id)
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
        "is_reference": span.is_reference,
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
    return span


#: Rows per INSERT when importing many documents and spans.
IMPORT_BATCH = 500


@dataclass(slots=True)
class ImportOutcome:
    """What ``documents_import`` did: documents made, duplicates left out, spans made."""

    documents: int = 0
    duplicates: int = 0
    spans: int = 0
    #: Spans whose annotator is not a member of the project, so credited to the importer.
    credited_to_importer: int = 0
    #: Tags that did not exist in the project and were added for the imported spans.
    tags_created: tuple[str, ...] = ()


def text_fingerprint(text: str) -> str:
    """Return the fingerprint that finds the same text twice (after normalising)."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def project_fingerprints(project: Project) -> set[str]:
    """Return the fingerprints of the texts already in a project (one pass, little memory)."""
    texts = Document.objects.filter(project=project).values_list("text", flat=True)
    return {text_fingerprint(text) for text in texts.iterator(chunk_size=200)}


@transaction.atomic
def documents_import(
    *,
    project: Project,
    author: AbstractBaseUser,
    documents: Iterable[ParsedDocument],
    known: set[str] | None = None,
) -> ImportOutcome:
    """Store many documents and their spans in one go, all or nothing.

    The checks are those of ``document_create`` and ``span_create``; a text
    already in the project (its fingerprint is in ``known``, which is updated)
    is left out and counted as a duplicate. Spans name their tag by name or
    slug (a missing tag is added) and their annotator by username (kept if a
    member of the project, else the span is credited to ``author``).
    """
    known = project_fingerprints(project) if known is None else known
    tags = _TagResolver(project)
    members = dict(
        Membership.objects.filter(project=project).values_list("user__username", "user_id")
    )
    outcome = ImportOutcome()
    origins = frozenset(Origin.values)
    new_documents: list[Document] = []
    span_sets: list[list[tuple]] = []
    batch_fingerprints: set[str] = set()
    # Documents are stored a batch at a time as they are read, so memory holds
    # one batch, not the whole file; the surrounding transaction still makes
    # the file all or nothing.
    for parsed in documents:
        if len(new_documents) >= IMPORT_BATCH:
            _store_batch(new_documents, span_sets, outcome)
            new_documents, span_sets = [], []
        text = normalise_text(parsed.text)
        title = parsed.title.strip()
        if not title:
            raise DomainError(EMPTY_TITLE)
        if not text.strip():
            raise DomainError(f"“{title[:80]}”: " + EMPTY_TEXT)
        _refuse_nul(title, text, parsed.author, parsed.source, *_strings_in(parsed.metadata))
        fingerprint = text_fingerprint(text)
        if fingerprint in known or fingerprint in batch_fingerprints:
            outcome.duplicates += 1
            continue
        batch_fingerprints.add(fingerprint)
        document = Document(
            project=project,
            title=_clip(title, 300),
            text=text,
            author=_clip(parsed.author.strip(), 200),
            source=_clip(parsed.source.strip(), 500),
            metadata=parsed.metadata,
        )
        spans: dict[tuple[int, int, int, int], tuple] = {}
        for number, item in enumerate(parsed.spans, start=1):
            tag = tags.get(item.tag, item.tag_slug)
            try:
                _check_span_fields(document=document, start=item.start, end=item.end, tag=tag)
                _refuse_nul(item.note)
            except DomainError as error:
                raise DomainError(f"“{title[:80]}”, span {number}: {error}") from None
            user_id = members.get(item.annotator) if item.annotator else None
            if user_id is None:
                user_id = author.pk
                outcome.credited_to_importer += bool(item.annotator)
            origin = item.origin if item.origin in origins else Origin.MANUAL
            # The reference layer holds one span per place and tag, whoever adjudicated it.
            owner = None if item.is_reference else user_id
            key = (item.start, item.end, tag.pk, owner, item.is_reference)
            # Columns in _SPAN_COLUMNS order, less the document and timestamps.
            quote = text[item.start : item.end]
            spans.setdefault(
                key,
                (
                    *(item.start, item.end, tag.pk, user_id, item.note.strip(), quote, origin),
                    item.is_reference,
                ),
            )
        new_documents.append(document)
        span_sets.append(list(spans.values()))
    _store_batch(new_documents, span_sets, outcome)
    known |= batch_fingerprints
    outcome.tags_created = tuple(tags.created)
    return outcome


_SPAN_COLUMNS = (
    *("start", "end", "tag", "author", "note", "quote", "origin", "is_reference"),
    *("document", "created_at", "updated_at"),
)


def _store_batch(
    documents: list[Document], span_sets: list[list[tuple]], outcome: ImportOutcome
) -> None:
    """Insert a batch of documents, then their spans.

    The spans go in with one executemany instead of bulk_create: building and
    preparing a model instance per span cost most of an import's time. The
    values were checked above as span_create checks them, and the database's
    own constraints still guard every row.
    """
    Document.objects.bulk_create(documents, batch_size=IMPORT_BATCH)
    connection = transaction.get_connection()
    now = Span._meta.get_field("created_at").get_db_prep_value(timezone.now(), connection)
    rows = [
        (*values, document.pk, now, now)
        for document, document_spans in zip(documents, span_sets, strict=True)
        for values in document_spans
    ]
    quote = connection.ops.quote_name
    table = quote(Span._meta.db_table)
    columns = ", ".join(quote(Span._meta.get_field(name).column) for name in _SPAN_COLUMNS)
    if connection.vendor == "postgresql":
        # COPY is PostgreSQL's bulk path: no SQL to build or parse per row.
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        outcome.documents += len(documents)
        outcome.spans += len(rows)
        return
    row_marks = "(" + ", ".join(["%s"] * len(_SPAN_COLUMNS)) + ")"
    # Many rows per INSERT: one statement per row would cost a round trip each.
    per_statement = min(1000, (connection.features.max_query_params or 30000) // len(_SPAN_COLUMNS))
    with connection.cursor() as cursor:
        for first in range(0, len(rows), per_statement):
            chunk = rows[first : first + per_statement]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([row_marks] * len(chunk)),
                [value for row in chunk for value in row],
            )
    outcome.documents += len(documents)
    outcome.spans += len(rows)


def _refuse_nul(*values: str) -> None:
    # No database column can hold NUL (PostgreSQL refuses it outright).
    if any("\x00" in value for value in values):
        raise DomainError(NUL_CHARACTER)


def _strings_in(value: Any) -> Iterable[str]:
    """Yield every string (keys too) inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item)


class _TagResolver:
    """Find a project's tag by slug or name (any case), adding it when missing."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.by_key: dict[str, Tag] = {}
        self.created: list[str] = []
        for tag in project.tags.all():
            self.by_key[tag.slug] = tag
            self.by_key[tag.name.casefold()] = tag

    def get(self, name: str, slug: str = "") -> Tag:
        for key in (slug, name, name.casefold()):
            if key and key in self.by_key:
                return self.by_key[key]
        if (slugged := slugify(name)) in self.by_key:
            return self.by_key[slugged]
        slug = slugify(slug or name)[:80]
        if not slug:
            raise DomainError(TAG_WITHOUT_SLUG.format(tag=name))
        tag = Tag.objects.create(
            project=self.project, name=name[:80], slug=slug, position=len(self.by_key) // 2
        )
        self.created.append(tag.name)
        self.by_key[tag.slug] = tag
        self.by_key[tag.name.casefold()] = tag
        return tag


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _capitalise(message: str) -> str:
    return message[:1].upper() + message[1:]


#: API tokens start with this, so a leaked one is recognisable (and secret scanners can find it).
TOKEN_PREFIX = "hl_"
TOKEN_NAME_MISSING = "Give the token a name that says what it is for."
TOKEN_INVALID = (
    "The API token is not valid or has been revoked; create a new one on your account page."
)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def api_token_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """Create an API token and return it with the raw token, which is shown once and not kept."""
    import secrets

    name = name.strip()
    if not name:
        raise DomainError(TOKEN_NAME_MISSING)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], key_hash=token_hash(raw), prefix=raw[:10]
    )
    return token, raw


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token; requests with it are refused from now on."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_user(raw: str) -> AbstractBaseUser | None:
    """Return the active user a raw token belongs to, or None; note when it was used."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
