"""Writes that check the rules of the domain and touch one or more rows.

Each service is keyword-only and atomic; a rule that is broken raises
``DomainError`` with a message a person can act on, and nothing is written.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.db import IntegrityError, connection, transaction
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
    RunStatus,
    Span,
    Suggestion,
    SuggestionRun,
    SuggestionStatus,
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


@transaction.atomic
def document_create(
    *,
    project: Project,
    title: str,
    text: str,
    author: str = "",
    source: str = "",
    suggest: bool = True,
) -> Document:
    """Store a document with its text normalised (NFC, "\\n" line endings).

    With ``suggest`` the suggestion task is enqueued once the document is committed.
    """
    text = normalise_text(text)
    title = title.strip()
    if not title:
        raise DomainError(EMPTY_TITLE)
    if not text.strip():
        raise DomainError(EMPTY_TEXT)
    document = Document.objects.create(
        project=project, title=title, text=text, author=author.strip(), source=source.strip()
    )
    if suggest:
        suggestion_run_enqueue(document=document)
    return document


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


def text_fingerprint(text: str, *, normalised: bool = False) -> str:
    """Return the fingerprint that finds the same text twice (after normalising).

    ``normalised``: the caller has normalised the text already (an import does,
    for every text), so it is not done twice.
    """
    if not normalised:
        text = normalise_text(text)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
        fingerprint = text_fingerprint(text, normalised=True)
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


# --- Suggestions -----------------------------------------------------------------------------

TEXT_CHANGED_WHILE_SUGGESTING = (
    "The text changed while suggestions were computed three times in a row; run Suggest again."
)
SUGGESTION_TEXT_CHANGED = "The text changed since this was suggested; run Suggest again."
SUGGESTION_UNDO_EXPIRED = "This undo has expired or is not valid."
#: How often a run recomputes when the text changes under it, before giving up.
_SUGGEST_ATTEMPTS = 3
_BULK_UNDO_SALT = "herlens.suggestion-bulk-undo"


def project_film_names_update(*, project: Project, names: str) -> Project:
    """Store the project's film names, one per line, trimmed and without duplicates."""
    lines = (line.strip() for line in normalise_text(names).splitlines())
    project.film_names = "\n".join(dict.fromkeys(line for line in lines if line))
    project.save(update_fields=["film_names", "updated_at"])
    return project


def suggestion_run_enqueue(*, document: Document) -> SuggestionRun:
    """Mark the document's suggestions as queued and enqueue the task once the write commits.

    Safe to call inside a transaction: the task only starts after commit, so the
    worker never looks for a document that is not there yet.
    """
    from annotations.tasks import suggest_document

    run, _created = SuggestionRun.objects.update_or_create(
        document=document,
        defaults={"status": RunStatus.QUEUED, "error": "", "queued_at": timezone.now()},
    )

    def enqueue() -> None:
        result = suggest_document.enqueue(document.pk)
        # With the immediate backend the task has already finished here; keep its outcome.
        SuggestionRun.objects.filter(pk=run.pk, task_id="").update(task_id=result.id)

    SuggestionRun.objects.filter(pk=run.pk).update(task_id="")
    transaction.on_commit(enqueue)
    return run


#: Documents per background task when a whole project is suggested: small enough for
#: several workers to share a project, large enough to batch the pipeline and the writes.
TASK_DOCUMENTS = 64


def suggestion_runs_enqueue_new(*, project: Project) -> int:
    """Queue suggestions for the project's documents that never had any (after an import)."""
    # project_id too: the related manager reads it to attach the project to each document,
    # and a deferred field would cost one query per document.
    documents = list(project.documents.filter(suggestion_run__isnull=True).only("pk", "project_id"))
    return suggestion_runs_enqueue(documents=documents) if documents else 0


def suggestion_runs_enqueue(*, documents: list[Document]) -> int:
    """Queue suggestions for many documents: their runs show "queued", tasks go out on commit."""
    from annotations.tasks import suggest_documents

    ids = [document.pk for document in documents]
    queued = {"status": RunStatus.QUEUED, "error": "", "queued_at": timezone.now(), "task_id": ""}
    runs = SuggestionRun.objects.filter(document_id__in=ids)
    runs.update(**queued)
    have = set(runs.values_list("document_id", flat=True))
    SuggestionRun.objects.bulk_create(
        [SuggestionRun(document_id=pk, **queued) for pk in ids if pk not in have],
        ignore_conflicts=True,
    )

    def enqueue() -> None:
        for offset in range(0, len(ids), TASK_DOCUMENTS):
            chunk = ids[offset : offset + TASK_DOCUMENTS]
            result = suggest_documents.enqueue(chunk)
            SuggestionRun.objects.filter(document_id__in=chunk, task_id="").update(
                task_id=result.id
            )

    transaction.on_commit(enqueue)
    return len(ids)


def document_suggest(*, document_id: int, model: str) -> dict[str, int]:
    """Compute one document's suggestions and store the new ones; return its counts.

    See ``documents_suggest``; a document deleted meanwhile gives zero counts.
    """
    results = documents_suggest(document_ids=[document_id], model=model)
    return results.get(document_id, {"added": 0, "pending": 0})


#: Documents handled together: one nlp.pipe batch, one transaction, a handful of queries.
SUGGEST_CHUNK = 16


def documents_suggest(*, document_ids: list[int], model: str) -> dict[int, dict[str, int]]:
    """Compute and store the suggestions of several documents; return counts per document id.

    At-least-once safe: running it twice stores each (start, end, tag) once, since
    the database refuses duplicates and rows are inserted with ON CONFLICT DO NOTHING.
    Suggestions already accepted or rejected are never proposed again, nor are
    places someone already tagged, nor words rejected for that tag anywhere in the
    project. If a text changes while the pipeline runs, that result is thrown away
    and the document is done again (up to three times, then its run fails).
    Documents deleted after the task was queued are skipped.
    """
    from annotations.suggest_process import get_runner

    ids = list(dict.fromkeys(document_ids))
    results: dict[int, dict[str, int]] = {}
    for offset in range(0, len(ids), SUGGEST_CHUNK):
        documents = list(
            Document.objects.select_related("project").filter(
                pk__in=ids[offset : offset + SUGGEST_CHUNK]
            )
        )
        if not documents:
            continue
        _runs_running([d.pk for d in documents], model)
        todo = documents
        try:
            suggester = get_runner(model)
            for attempt in range(_SUGGEST_ATTEMPTS):
                if attempt:
                    texts = dict(
                        Document.objects.filter(pk__in=[d.pk for d in todo]).values_list(
                            "pk", "text"
                        )
                    )
                    todo = [d for d in todo if d.pk in texts]
                    for document in todo:
                        document.text = texts[document.pk]
                found = _suggest_texts(suggester, todo)
                stored = _store_suggestions(list(zip(todo, found, strict=True)))
                results.update({pk: counts for pk, counts in stored.items() if counts is not None})
                todo = [d for d in todo if stored[d.pk] is None]
                if not todo:
                    break
            else:
                raise DomainError(TEXT_CHANGED_WHILE_SUGGESTING)
        except Exception as error:
            message = (
                str(error) if isinstance(error, DomainError) else f"{type(error).__name__}: {error}"
            )
            SuggestionRun.objects.filter(document_id__in=[d.pk for d in todo]).update(
                status=RunStatus.FAILED, error=message[:1000], finished_at=timezone.now()
            )
            raise
    return results


def _runs_running(document_ids: list[int], model: str) -> None:
    running = {
        "status": RunStatus.RUNNING,
        "started_at": timezone.now(),
        "error": "",
        "model": model,
    }
    runs = SuggestionRun.objects.filter(document_id__in=document_ids)
    if runs.update(**running) < len(document_ids):
        have = set(runs.values_list("document_id", flat=True))
        SuggestionRun.objects.bulk_create(
            [SuggestionRun(document_id=pk, **running) for pk in document_ids if pk not in have],
            ignore_conflicts=True,
        )


def _suggest_texts(suggester, documents: list[Document]) -> list[list]:
    """Run the pipeline over the documents in one batch per project (each has its film list)."""
    found: dict[int, list] = {}
    by_project: dict[int, list[Document]] = {}
    for document in documents:
        by_project.setdefault(document.project_id, []).append(document)
    for group in by_project.values():
        names = group[0].project.film_name_list
        texts = [document.text for document in group]
        for document, suggestions in zip(group, suggester.suggest_many(texts, names), strict=True):
            found[document.pk] = suggestions
    return [found[document.pk] for document in documents]


@transaction.atomic
def _store_suggestions(pairs: list[tuple[Document, list]]) -> dict[int, dict[str, int] | None]:
    """Write each document's result if its text is still the one read (None: it changed).

    A fixed number of queries for the whole batch, whatever its size.
    """
    ids = [document.pk for document, _found in pairs]
    current = dict(
        Document.objects.select_for_update().filter(pk__in=ids).values_list("pk", "text")
    )
    results: dict[int, dict[str, int] | None] = {}
    pairs = [(d, found) for d, found in pairs if current.get(d.pk) == d.text]
    for document_id in ids:
        results[document_id] = None
    if not pairs:
        return results
    ids = [document.pk for document, _found in pairs]
    tags: dict[tuple[int, str], Tag] = {
        (tag.project_id, tag.slug): tag
        for tag in Tag.objects.filter(project_id__in={d.project_id for d, _f in pairs})
    }
    candidates: dict[int, list[tuple]] = {}
    for document, found in pairs:
        candidates[document.pk] = [
            (item, tags[(document.project_id, item.tag)], document.text[item.start : item.end])
            for item in found
            if (document.project_id, item.tag) in tags  # a project without the tag gets none
        ]
    quotes = {quote for rows in candidates.values() for _item, _tag, quote in rows}
    rejected = set(
        # Served by the partial index suggestion_rejected_by_tag: cheap however large the project.
        Suggestion.objects.filter(
            tag_id__in=[tag.pk for tag in tags.values()],
            status=SuggestionStatus.REJECTED,
            quote__in=quotes,
        ).values_list("tag_id", "quote")
    )
    tagged = _TaggedPlaces(
        Span.objects.filter(document_id__in=ids).values_list(
            "document_id", "tag_id", "start", "end"
        )
    )
    existing: dict[tuple[int, int, int, int], tuple[int, str]] = {
        (document_id, start, end, tag_id): (pk, status)
        for pk, document_id, start, end, tag_id, status in Suggestion.objects.filter(
            document_id__in=ids
        ).values_list("pk", "document_id", "start", "end", "tag_id", "status")
    }
    wanted: dict[tuple[int, int, int, int], tuple] = {}
    for document_id, rows in candidates.items():
        for item, tag, quote in rows:
            key = (document_id, item.start, item.end, tag.pk)
            if (tag.pk, quote) in rejected or tagged.covers(
                document_id, tag.pk, item.start, item.end
            ):
                continue
            score = round(min(max(item.score, 0.0), 1.0), 3)
            wanted[key] = (*key, score, item.reason[:500], item.rule[:40], quote)
    # Pending suggestions the rules no longer make (a new model, new rules) go; decisions stay.
    stale = [
        pk for key, (pk, status) in existing.items() if key not in wanted and status == "pending"
    ]
    if stale:
        Suggestion.objects.filter(pk__in=stale, status=SuggestionStatus.PENDING).delete()
    new = [row for key, row in wanted.items() if key not in existing]
    if new:
        _insert_suggestions(new)
    added = Counter(row[0] for row in new)
    pending = Counter(
        key[0] for key in wanted if key not in existing or existing[key][1] == "pending"
    )
    now = timezone.now()
    for document_id in ids:
        results[document_id] = {"added": added[document_id], "pending": pending[document_id]}
    _runs_done(results, now)
    return results


class _TaggedPlaces:
    """Spans already made, per document and tag, to leave out suggestions they cover."""

    def __init__(self, rows) -> None:
        self._places: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for document_id, tag_id, start, end in rows:
            self._places.setdefault((document_id, tag_id), []).append((start, end))
        for places in self._places.values():
            places.sort()
        self._longest = {key: max(e - s for s, e in places) for key, places in self._places.items()}

    def covers(self, document_id: int, tag_id: int, start: int, end: int) -> bool:
        """Whether a span of this tag overlaps [start, end) by half of the shorter or more.

        "Ex Machina (2014)" tagged by hand makes a suggestion of "Ex Machina" redundant.
        """
        places = self._places.get((document_id, tag_id))
        if not places:
            return False
        first = bisect_left(places, (start - self._longest[(document_id, tag_id)], -1))
        for span_start, span_end in places[first:]:
            if span_start >= end:
                break
            overlap = min(end, span_end) - max(start, span_start)
            if overlap > 0 and overlap * 2 >= min(end - start, span_end - span_start):
                return True
        return False


def _runs_done(results: dict[int, dict[str, int] | None], now) -> None:
    quote_name = connection.ops.quote_name
    table = quote_name(SuggestionRun._meta.db_table)
    sql = (
        f"UPDATE {table} SET {quote_name('status')} = %s, {quote_name('finished_at')} = %s, "
        f"{quote_name('added')} = %s, {quote_name('pending')} = %s "
        f"WHERE {quote_name('document_id')} = %s"
    )
    finished = connection.ops.adapt_datetimefield_value(now)
    rows = [
        (RunStatus.DONE.value, finished, counts["added"], counts["pending"], document_id)
        for document_id, counts in results.items()
        if counts is not None
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


_INSERT_COLUMNS = (
    "document_id", "start", "end", "tag_id", "score", "reason", "rule", "quote", "status",
    "created_at",
)  # fmt: skip


def _insert_suggestions(rows: list[tuple]) -> None:
    """Insert (document_id, start, end, tag_id, score, reason, rule, quote) rows, skipping
    places already stored.

    One prepared INSERT ... ON CONFLICT DO NOTHING (SQLite and PostgreSQL) run for
    every row: bulk_create spent most of the task's time preparing model fields.
    A concurrent run that stored the same place first simply wins.
    """
    quote_name = connection.ops.quote_name
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = (
        f"INSERT INTO {quote_name(Suggestion._meta.db_table)} "
        f"({', '.join(quote_name(column) for column in _INSERT_COLUMNS)}) "
        f"VALUES ({', '.join(['%s'] * len(_INSERT_COLUMNS))}) ON CONFLICT DO NOTHING"
    )
    pending = SuggestionStatus.PENDING.value
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(*row, pending, now) for row in rows])


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


def suggestion_undo_document_id(token: str) -> int:
    """Return the document a bulk-undo token belongs to, so callers can check access first."""
    try:
        data = signing.loads(token, salt=_BULK_UNDO_SALT, max_age=UNDO_MAX_AGE_SECONDS)
    except signing.BadSignature:
        raise DomainError(SUGGESTION_UNDO_EXPIRED) from None
    return int(data["document"])


@transaction.atomic
def suggestions_undo(*, token: str) -> int:
    """Put the suggestions of a bulk decision back to pending, deleting the spans it created."""
    try:
        data = signing.loads(token, salt=_BULK_UNDO_SALT, max_age=UNDO_MAX_AGE_SECONDS)
    except signing.BadSignature:
        raise DomainError(SUGGESTION_UNDO_EXPIRED) from None
    Span.objects.filter(pk__in=data["spans"], document_id=data["document"]).delete()
    return Suggestion.objects.filter(
        pk__in=data["suggestions"], document_id=data["document"]
    ).update(status=SuggestionStatus.PENDING, decided_by=None, decided_at=None, span=None)
