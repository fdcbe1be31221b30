"""Storing many parsed documents and their spans at once, all or nothing.

This is where an import decides what is stored: duplicates are left out,
missing tags are added, unknown annotators are credited to the importer, and
a document whose title or external id is already in the project becomes a new
revision when asked. Reading files and running import jobs is ``imports.py``'s.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from annotations.imports.base import ParsedDocument
from annotations.models import (
    AnchorState,
    Document,
    Membership,
    Origin,
    Project,
    Revision,
    Span,
    Tag,
    tag_slug,
)
from annotations.offsets import is_plain_span, normalise_text
from annotations.sentences import text_breaks
from annotations.services.documents import project_fingerprints, text_fingerprint
from annotations.services.errors import EMPTY_TEXT, EMPTY_TITLE, NUL_CHARACTER, DomainError
from annotations.services.spans import check_span_fields
from annotations.wording import counted

#: Rows per INSERT when importing many documents and spans.
IMPORT_BATCH = 500
#: How many of a file's new documents its result links to (a CSV may hold thousands).
LINKED_DOCUMENTS = 20

logger = logging.getLogger(__name__)

TAG_WITHOUT_SLUG = "The tag “{tag}” needs at least one letter or digit to be created."


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
    #: The first LINKED_DOCUMENTS documents made, for the result page's links.
    document_ids: list[int] = field(default_factory=list)
    #: Documents already in the project that this import revised: "“Title” is now revision N ...".
    revised: list[str] = field(default_factory=list)


@transaction.atomic
def documents_import(
    *,
    project: Project,
    author: AbstractBaseUser,
    documents: Iterable[ParsedDocument],
    known: set[str] | None = None,
    revise: bool = False,
) -> ImportOutcome:
    """Store many documents and their spans in one go, all or nothing.

    The checks are those of ``document_create`` and ``span_create``; a text
    already in the project (its fingerprint is in ``known``, which is updated)
    is left out and counted as a duplicate. Spans name their tag by name or
    slug (a missing tag is added) and their annotator by username (kept if a
    member of the project, else the span is credited to ``author``).

    With ``revise``, a text whose document is already in the project (the same
    ``external_id`` in its metadata, else the same title, held by exactly one
    document) becomes that document's next revision, its spans moved along
    (services/revisions.py); the file's own spans for it are not imported.
    """
    known = project_fingerprints(project) if known is None else known
    tags = _TagResolver(project)
    members = dict(
        Membership.objects.filter(project=project).values_list("user__username", "user_id")
    )
    outcome = ImportOutcome()
    targets = _RevisionTargets(project)
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
        title, text = _checked_title_and_text(parsed)
        fingerprint = text_fingerprint(text, normalised=True)
        if fingerprint in known or fingerprint in batch_fingerprints:
            outcome.duplicates += 1
            continue
        batch_fingerprints.add(fingerprint)
        target = targets.find(parsed) if revise else None
        if target is not None:
            outcome.revised.append(_revise(target, text, author, parsed))
            continue
        document = _new_document(project, title, text, parsed)
        span_sets.append(_span_rows(parsed, document, tags, members, author, outcome))
        new_documents.append(document)
    _store_batch(new_documents, span_sets, outcome)
    known |= batch_fingerprints
    outcome.tags_created = tuple(tags.created)
    return outcome


def _new_document(project: Project, title: str, text: str, parsed: ParsedDocument) -> Document:
    return Document(
        project=project,
        title=_clip(title, 300),
        text=text,
        author=_clip(parsed.author.strip(), 200),
        source=_clip(parsed.source.strip(), 500),
        metadata=parsed.metadata,
    )


def _checked_title_and_text(parsed: ParsedDocument) -> tuple[str, str]:
    """Return the title and the normalised text, refusing what ``document_create`` refuses."""
    text = normalise_text(parsed.text)
    title = parsed.title.strip()
    if not title:
        raise DomainError(EMPTY_TITLE)
    if not text.strip():
        raise DomainError(f"“{title[:80]}”: " + EMPTY_TEXT)
    _refuse_nul(title, text, parsed.author, parsed.source, *_strings_in(parsed.metadata))
    return title, text


#: The choices' values, read once: an enum's ``values`` builds a new list on every call.
_ORIGINS = frozenset(Origin.values)
_ANCHORS = frozenset(AnchorState.values)


def _span_rows(
    parsed: ParsedDocument,
    document: Document,
    tags: _TagResolver,
    members: dict[str, int],
    author: AbstractBaseUser,
    outcome: ImportOutcome,
) -> list[tuple]:
    """Check a parsed document's spans and return their rows (see ``_SPAN_COLUMNS``)."""
    title, text = document.title, document.text
    author_pk, project_pk = author.pk, document.project_id
    spans: dict[tuple[int, int, int, int], tuple] = {}
    for number, item in enumerate(parsed.spans, start=1):
        start, end = item.start, item.end
        tag = tags.get(item.tag, item.tag_slug)
        try:
            if start is None:  # an orphan of an exported revision: its words, no place
                _refuse_nul(item.orphan_quote)
            elif tag.project_id != project_pk or not is_plain_span(text, start, end):
                # The full checks of span_create; the quick test above passes only what
                # they would pass, and most spans, at a fraction of their cost.
                check_span_fields(document=document, start=start, end=end, tag=tag)
            _refuse_nul(item.note)
        except DomainError as error:
            raise DomainError(f"“{title[:80]}”, span {number}: {error}") from None
        user_id = members.get(item.annotator) if item.annotator else None
        if user_id is None:
            user_id = author_pk
            outcome.credited_to_importer += bool(item.annotator)
        origin = item.origin if item.origin in _ORIGINS else Origin.MANUAL
        # The reference layer holds one span per place and tag, whoever adjudicated it.
        owner = None if item.is_reference else user_id
        quote = item.orphan_quote if start is None else text[start:end]
        tag_pk = tag.id  # .pk is a property: a lookup per span
        key = (start, end, tag_pk, owner, item.is_reference, quote)
        anchor = item.anchor if item.anchor in _ANCHORS else AnchorState.EXACT
        # Columns in _SPAN_COLUMNS order, less the document and timestamps.
        spans.setdefault(
            key,
            (
                *(start, end, tag_pk, user_id, item.note.strip(), quote, origin),
                item.is_reference,
                anchor,
            ),
        )
    return list(spans.values())


_SPAN_COLUMNS = (
    *("start", "end", "tag", "author", "note", "quote", "origin", "is_reference", "anchor"),
    *("document", "created_at", "updated_at"),
)


def _store_batch(
    documents: list[Document], span_sets: list[list[tuple]], outcome: ImportOutcome
) -> None:
    """Insert a batch of documents, their first revisions, then their spans.

    Every row goes in as a plain tuple instead of through bulk_create: building
    and preparing a model instance per row, field by field, cost most of an
    import's time. The values were checked above as document_create and
    span_create check them, and the database's own constraints still guard
    every row.
    """
    connection = transaction.get_connection()
    now = timezone.now()
    stamp = Span._meta.get_field("created_at").get_db_prep_value(now, connection)
    for document in documents:
        document.created_at = document.updated_at = now
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy_documents(cursor, connection, documents, stamp)
        else:
            _insert_documents(connection, documents, stamp)
        revisions = _first_revision_rows(connection, documents, stamp)
        _write(cursor, connection, Revision, _REVISION_COLUMNS, revisions)
        room = LINKED_DOCUMENTS - len(outcome.document_ids)
        outcome.document_ids.extend(d.pk for d in documents[: max(room, 0)])
        rows = [
            (*values, document_pk, stamp, stamp)
            for document_pk, document_spans in zip(
                [d.id for d in documents], span_sets, strict=True
            )
            for values in document_spans
        ]
        _write(cursor, connection, Span, _SPAN_COLUMNS, rows)
    outcome.documents += len(documents)
    outcome.spans += len(rows)


_DOCUMENT_COLUMNS = (
    *("project", "title", "author", "source", "text", "metadata"),
    *("created_at", "updated_at", "sentence_breaks"),
)
#: A first revision: the document's text as imported, made when the document was.
_REVISION_COLUMNS = (
    *("document", "text", "created_at", "number", "message", "summary", "lost_suggestions"),
)


def _document_rows(connection: Any, documents: list[Document], stamp: Any) -> list[tuple]:
    metadata = Document._meta.get_field("metadata")
    return [
        (
            *(d.project_id, d.title, d.author, d.source, d.text),
            *(metadata.get_db_prep_save(d.metadata, connection), stamp, stamp),
            # As Document.save keeps them: an export reads these instead of scanning the text.
            text_breaks(d.text),
        )
        for d in documents
    ]


def _first_revision_rows(connection: Any, documents: list[Document], stamp: Any) -> list[tuple]:
    def prepared(name: str, value: Any) -> Any:
        return Revision._meta.get_field(name).get_db_prep_save(value, connection)

    # The same for every first revision, so prepared once.
    defaults = (1, "", prepared("summary", {}), prepared("lost_suggestions", []))
    return [(d.pk, d.text, stamp, *defaults) for d in documents]


def _insert_documents(connection: Any, documents: list[Document], stamp: Any) -> None:
    """SQLite: insert the documents, taking their ids back."""
    rows = _document_rows(connection, documents, stamp)
    quote = connection.ops.quote_name
    insert = _insert(connection, Document, _DOCUMENT_COLUMNS) + " VALUES "
    per_statement = (connection.features.max_query_params or 999) // len(_DOCUMENT_COLUMNS)
    with connection.wrap_database_errors:  # the driver's own marks, as in _write
        for first in range(0, len(rows), per_statement):
            chunk = rows[first : first + per_statement]
            marks = ", ".join([_driver_marks(_DOCUMENT_COLUMNS)] * len(chunk))
            ids = connection.connection.execute(
                f"{insert}{marks} RETURNING {quote('id')}",
                [value for row in chunk for value in row],
            ).fetchall()
            # Rows come back in the order of VALUES, as Django's bulk_create relies on too.
            for document, (pk,) in zip(documents[first : first + per_statement], ids, strict=True):
                document.pk = pk


def _copy_documents(cursor: Any, connection: Any, documents: list[Document], stamp: Any) -> None:
    """PostgreSQL: store the documents by COPY (their first revisions follow the same way).

    COPY cannot hand ids back, so the documents' ids are drawn from the table's
    own sequence first (one query), and later inserts by any other path never
    collide with them.

    The texts are compressed with lz4 where the server has it (for this
    transaction only): the default, pglz, took most of the server's time here,
    and reading either is the same to every query.
    """
    cursor.execute(
        "SELECT set_config('default_toast_compression', 'lz4', true) FROM pg_settings "
        "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
    )
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        [Document._meta.db_table, len(documents)],
    )
    for document, (pk,) in zip(documents, cursor.fetchall(), strict=True):
        document.pk = pk
    rows = [
        (d.pk, *row)
        for d, row in zip(documents, _document_rows(connection, documents, stamp), strict=True)
    ]
    _write(cursor, connection, Document, ("id", *_DOCUMENT_COLUMNS), rows)


def _write(
    cursor: Any, connection: Any, model: type[Model], names: tuple[str, ...], rows: list[tuple]
) -> None:
    """Insert prepared rows: COPY on PostgreSQL, many rows per INSERT on SQLite."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        # COPY is PostgreSQL's bulk path: no SQL to build or parse per row. In its binary
        # form, with the columns' types named, the driver encodes each value in C: the
        # text form cost several times more of this process's time for the same rows.
        fields = [model._meta.get_field(name) for name in names]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        table = quote(model._meta.db_table)
        copy_sql = f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"
        # The driver's cursor: its errors become Django's, as through Django's cursor.
        with connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
            # "varchar(16)" is a varchar to the driver.
            copy.set_types([field.db_type(connection).split("(")[0] for field in fields])
            for row in rows:
                copy.write_row(row)
        return
    # One statement per row costs a round trip each, and executemany still
    # steps the statement row by row: a thousand rows per INSERT took 60% of its time.
    per_statement = min(1000, (connection.features.max_query_params or 999) // len(names))
    insert = _insert(connection, model, names) + " VALUES "
    # Written with SQLite's own "?" marks for the driver itself: Django's cursor rewrites
    # "%s" marks with a regular expression on every statement, and for statements of
    # twelve thousand marks that took a third of these statements' time.
    marks = _driver_marks(names)
    with connection.wrap_database_errors:
        for first in range(0, len(rows), per_statement):
            chunk = rows[first : first + per_statement]
            connection.connection.execute(
                insert + ", ".join([marks] * len(chunk)), [value for row in chunk for value in row]
            )


def _insert(connection: Any, model: type[Model], names: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in names)
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns})"


def _driver_marks(names: tuple[str, ...]) -> str:
    return "(" + ", ".join("?" * len(names)) + ")"


def _refuse_nul(*values: str) -> None:
    # No database column can hold NUL (PostgreSQL refuses it outright).
    for value in values:
        if "\x00" in value:
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
        # Asked once per span: the usual hits (the slug, the name as written) come first.
        if slug and (tag := self.by_key.get(slug)) is not None:
            return tag
        if name and (tag := self.by_key.get(name) or self.by_key.get(name.casefold())):
            return tag
        # Tags in any script, as on the project page (models.tag_slug).
        if (slugged := tag_slug(name)) in self.by_key:
            return self.by_key[slugged]
        slug = tag_slug(slug or name)
        if not slug:
            raise DomainError(TAG_WITHOUT_SLUG.format(tag=name))
        tag = Tag.objects.create(
            project=self.project, name=name[:80], slug=slug, position=len(self.by_key) // 2
        )
        self.created.append(tag.name)
        self.by_key[tag.slug] = tag
        self.by_key[tag.name.casefold()] = tag
        return tag


class _RevisionTargets:
    """Find the document of the project that an imported text is a new revision of."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._by_title: dict[str, list[int]] | None = None
        self._by_external_id: dict[str, int] = {}

    def find(self, parsed: ParsedDocument) -> Document | None:
        if self._by_title is None:
            self._by_title = {}
            rows = Document.objects.filter(project=self.project).values_list(
                "pk", "title", "metadata"
            )
            for pk, title, metadata in rows.iterator(chunk_size=500):
                self._by_title.setdefault(title, []).append(pk)
                external = (metadata or {}).get("external_id")
                if isinstance(external, str | int) and str(external):
                    self._by_external_id[str(external)] = pk
        external = parsed.metadata.get("external_id")
        pk = self._by_external_id.get(str(external)) if external not in (None, "") else None
        if pk is None:
            same_title = self._by_title.get(_clip(parsed.title.strip(), 300), [])
            pk = same_title[0] if len(same_title) == 1 else None
        return None if pk is None else Document.objects.get(pk=pk)


def _revise(document: Document, text: str, author: AbstractBaseUser, parsed: ParsedDocument) -> str:
    from annotations.services.revisions import document_revise

    revision = document_revise(
        document=document, text=text, user=author, message="Imported as a new revision"
    )
    summary = revision.summary
    words = f"“{_clip(document.title, 80)}” is now revision {revision.number}"
    words += f" ({summary.get('exact', 0)} spans on the same words"
    if summary.get("changed"):
        words += f", {summary['changed']} changed"
    if summary.get("orphaned"):
        words += f", {summary['orphaned']} orphaned"
    if revision.lost_suggestions:
        # Named on the document's Revisions page; counted here.
        lost = len(revision.lost_suggestions)
        words += f", {counted(lost, 'suggestion')} dropped with {'its' if lost == 1 else 'their'}"
        words += " words"
    words += ")"
    if parsed.spans:
        words += "; the file's spans for it were not imported"
    return words


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


# --------------------------------------------------------------------------- files
