"""Read a project's corpus for export: ``iter_corpus`` feeds every format.

Every format reads the corpus the same way: documents in pages of a fixed size
(keyset pagination on the id, so the order is stable and memory does not grow
with the project), and for each page the spans that match the filter, in the
order a reader meets them (start, longest first, then id).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Case, F, Q, QuerySet, TextField, Value, When

from annotations.exports.pseudonyms import project_pseudonyms
from annotations.exports.rows import DocumentRow, EachOnce, SpanRow
from annotations.exports.timestamps import with_timestamp_text
from annotations.models import AnchorState, Document, Origin, Project, Revision, Span, Tag

#: Documents read per query; the peak memory of an export is about this many texts.
DOCUMENT_PAGE = 200
#: Rows the database driver turns into Python values at a time.
SPAN_CHUNK = 2000

FORMATS = ("csv", "jsonl", "spacy", "w3c")
#: The largest id a database column holds; larger numbers name no document.
MAX_ID = 2**63 - 1

REVISION_NEEDS_ONE_DOCUMENT = (
    "“revision” reads an older text of one document (each document counts its own "
    "revisions): choose exactly one document with it, or leave it out for the current texts."
)
REVISION_NO_DOCUMENT = "This project has no document {document} to read revision {number} of."
REVISION_MISSING = "Document {document} has no revision {number} (revisions 1 to {current})."


class ExportError(ValueError):
    """The export cannot be made as asked; str(error) says why (HTTP 400)."""


@dataclass(frozen=True)
class ExportFilter:
    """Which spans to export; an empty field means "all"."""

    tags: tuple[str, ...] = ()  #: tag slugs
    annotators: tuple[str, ...] = ()  #: usernames
    origins: tuple[str, ...] = ()
    documents: tuple[int, ...] = ()
    #: Only the reference layer (the spans adjudicated into it).
    reference_only: bool = False
    #: Write stable pseudonyms (annotator-01, ...) instead of usernames.
    pseudonyms: bool = False
    #: Also the orphans: spans whose words a revision removed (no offsets, their old words).
    #: JSONL always carries them; the CSV on request; W3C and spaCy need offsets, so never.
    orphans: bool = False
    #: The spans the exporting reader may see (permissions.span_visibility); Q() is all.
    visible: Q = field(default_factory=Q)
    #: Read this revision of the one document in ``documents``: its text, with the spans
    #: as they stood on it (None: every document's current revision).
    revision: int | None = None

    @classmethod
    def clean(
        cls,
        *,
        tags: Iterable[str] = (),
        annotators: Iterable[str] = (),
        origins: Iterable[str] = (),
        documents: Iterable[str | int] = (),
        reference_only: bool = False,
        pseudonyms: bool = False,
        orphans: bool = False,
        visible: Q | None = None,
        revision: int | None = None,
    ) -> ExportFilter:
        """Build a filter from untrusted values, leaving out those that can match nothing."""

        def texts(values: Iterable[str]) -> tuple[str, ...]:
            # A NUL cannot be in any stored value (and PostgreSQL refuses it in a query).
            return tuple(value for value in values if value and "\x00" not in value)

        ids = []
        for value in documents:
            try:
                number = int(value)
            except (TypeError, ValueError):
                continue
            if 0 < number <= MAX_ID:
                ids.append(number)
        return cls(
            tags=texts(tags),
            annotators=texts(annotators),
            origins=tuple(value for value in origins if value in Origin.values),
            documents=tuple(ids),
            reference_only=reference_only,
            pseudonyms=pseudonyms,
            orphans=orphans,
            visible=Q() if visible is None else visible,
            revision=revision,
        )

    def older_revision(self, project: Project) -> Revision | None:
        """Return the older Revision the filter asks for, None for the current texts.

        Raises ExportError when ``revision`` names no revision of exactly one
        document of the project; checked before an export starts streaming.
        """
        if self.revision is None:
            return None
        if len(set(self.documents)) != 1:
            raise ExportError(REVISION_NEEDS_ONE_DOCUMENT)
        (document_id,) = set(self.documents)
        current = (
            Document.objects.filter(project=project, pk=document_id)
            .values_list("revision", flat=True)
            .first()
        )
        if current is None:
            raise ExportError(
                REVISION_NO_DOCUMENT.format(document=document_id, number=self.revision)
            )
        if self.revision == current:
            return None
        older = Revision.objects.filter(document_id=document_id, number=self.revision).first()
        if older is None or self.revision > current:
            raise ExportError(
                REVISION_MISSING.format(document=document_id, number=self.revision, current=current)
            )
        return older

    def all_spans(self) -> QuerySet[Span]:
        """Every span the filter may hold: placed ones, and orphans when asked for."""
        return (Span.everything if self.orphans else Span.objects).all()

    def spans(self, project: Project) -> QuerySet[Span]:
        return self.narrow(self.all_spans().filter(document__project=project))

    def narrow(self, spans: QuerySet[Span]) -> QuerySet[Span]:
        """Return the visible spans with the filter's tags, annotators, origins and documents."""
        spans = spans.filter(self.visible)
        if self.reference_only:
            spans = spans.filter(is_reference=True)
        if self.tags:
            spans = spans.filter(tag__slug__in=self.tags)
        if self.annotators:
            spans = spans.filter(author__username__in=self.annotators)
        if self.origins:
            spans = spans.filter(origin__in=self.origins)
        if self.documents:
            spans = spans.filter(document_id__in=self.documents)
        return spans

    def documents_of(self, project: Project) -> QuerySet[Document]:
        documents = Document.objects.filter(project=project)
        if self.documents:
            documents = documents.filter(pk__in=self.documents)
        return documents


_DOCUMENT_FIELDS = (
    "id",
    "title",
    "author",
    "source",
    "text",
    "metadata",
    "created_at",
    "revision",
)
#: What ``text_only`` reads of a document: all the CSV writes of it, and the stored
#: sentence breaks of its text (which spare the CSV a scan of every text).
_TEXT_FIELDS = ("id", "title", "text", "sentence_breaks")


def _text_only_row(
    pk: int, title: str, text: str, breaks: bytes | memoryview | None
) -> DocumentRow:
    return DocumentRow(pk, title, "", "", text, {}, None, sentence_breaks=breaks)


_SPAN_FIELDS = (
    "document_id",
    "id",
    "start",
    "end",
    "tag_id",
    "author_id",
    "origin",
    "note",
    "is_reference",
    "created_text",
    "updated_text",
    "anchor",
    "orphan_quote",
)


def iter_corpus(
    project: Project,
    export_filter: ExportFilter = ExportFilter(),  # noqa: B008 - frozen, so a safe default
    *,
    only_with_spans: bool = False,
    text_only: bool = False,
    page: int | None = None,
) -> Iterator[DocumentRow]:
    """Yield the project's documents in id order, each with its matching spans.

    ``only_with_spans`` leaves out documents without a matching span (the CSV
    needs none of them; JSONL keeps them so a re-import brings every text back).
    ``text_only`` reads only the id, title, text and stored sentence breaks of the
    current documents, which is all the CSV needs of them; an older revision is read
    whole (its breaks are not stored: the CSV scans its text).
    """
    page = page or DOCUMENT_PAGE
    tags: dict[int, tuple[str, str]] = {
        pk: (name, slug) for pk, name, slug in project.tags.values_list("pk", "name", "slug")
    }
    if export_filter.pseudonyms:
        authors: dict[int, str] = project_pseudonyms(project)
    else:
        authors = _usernames(memberships__project=project)
    older = export_filter.older_revision(project)
    if older is not None:
        document = _older_document(older, export_filter, tags, authors)
        if document.spans or not only_with_spans:
            yield document
        return
    documents = export_filter.documents_of(project).order_by("pk")
    # The page's document ids already confine the spans to the project.
    spans = export_filter.narrow(export_filter.all_spans())
    fields, make = (_TEXT_FIELDS, _text_only_row) if text_only else (_DOCUMENT_FIELDS, DocumentRow)
    last_id = 0
    while True:
        batch = [
            make(*values) for values in documents.filter(pk__gt=last_id).values_list(*fields)[:page]
        ]
        if not batch:
            return
        last_id = batch[-1].id
        by_id = {document.id: document for document in batch}
        _attach_spans(by_id, spans, tags, authors, pseudonyms=export_filter.pseudonyms)
        for document in batch:
            if document.spans or not only_with_spans:
                yield document


def _attach_spans(
    by_id: dict[int, DocumentRow],
    spans: QuerySet[Span],
    tags: dict[int, tuple[str, str]],
    authors: dict[int, str],
    *,
    pseudonyms: bool,
) -> None:
    """Append to each document of a page its matching spans, in reading order."""
    append_to = {pk: document.spans.append for pk, document in by_id.items()}
    # tuple.__new__ skips the named tuple's own __new__, a Python call per span.
    new_span_row = partial(tuple.__new__, SpanRow)
    query, finish = _span_query(spans, by_id)
    iso = EachOnce(finish)
    for (
        document_id,
        span_id,
        start,
        end,
        tag_id,
        author_id,
        origin,
        note,
        is_ref,
        created_at,
        updated_at,
        anchor,
        orphan_quote,
    ) in _raw_rows(query):
        # Names come from small maps, not from a join repeated on every row.
        if tag_id not in tags or author_id not in authors:
            _add_names(tags, authors, tag_id, author_id, pseudonyms=pseudonyms)
        tag, tag_slug = tags[tag_id]
        append_to[document_id](
            # bool(): SQLite hands over 0 or 1.
            new_span_row(
                (
                    span_id,
                    start,
                    end,
                    tag,
                    tag_slug,
                    authors[author_id],
                    origin,
                    note,
                    bool(is_ref),
                    iso[created_at],
                    iso[updated_at],
                    anchor,
                    orphan_quote,
                )
            )
        )
    for document in by_id.values():
        document.spans.sort(key=_reading_order)


def _reading_order(span: SpanRow) -> tuple[bool, int, int, int]:
    """Start, longest first, then id; orphans (no offsets) last, by id."""
    if span.start is None:
        return (True, 0, 0, span.id)
    return (False, span.start, -span.end, span.id)


def _span_query(
    spans: QuerySet[Span], by_id: dict[int, DocumentRow]
) -> tuple[QuerySet, Callable[[str], str]]:
    """Return the values of the spans of these documents, and how to finish their timestamps."""
    query, finish = with_timestamp_text(spans.filter(document_id__in=by_id))
    query = (
        # Only an orphan's words are read (the others are sliced from the text).
        query.annotate(
            orphan_quote=Case(
                When(anchor=AnchorState.ORPHANED, then=F("quote")),
                default=Value("", output_field=TextField()),
                output_field=TextField(),
            )
        )
        # No order: sorting whole rows costs the database (SQLite) more than Python
        # takes to sort the spans of each document (``_reading_order``).
        .order_by()
        .values_list(*_SPAN_FIELDS)
    )
    return query, finish


def _add_names(
    tags: dict[int, tuple[str, str]],
    authors: dict[int, str],
    tag_id: int,
    author_id: int,
    *,
    pseudonyms: bool,
) -> None:
    """Learn the names of a tag or an author the maps do not hold yet (one left the project)."""
    if tag_id not in tags:
        found = Tag.objects.filter(pk=tag_id).values_list("pk", "name", "slug")
        tags.update((pk, (name, slug)) for pk, name, slug in found)
    if author_id not in authors:
        authors.update(
            {author_id: f"annotator-{author_id}"} if pseudonyms else _usernames(pk=author_id)
        )


def _older_document(
    older: Revision,
    export_filter: ExportFilter,
    tags: dict[int, tuple[str, str]],
    authors: dict[int, str],
) -> DocumentRow:
    """Return one document as it stood on an older revision: its text and the spans then.

    The spans come from the revision's snapshot (their offsets into its text, tag,
    note and anchor as they were); the filter applies to those values, and the
    reader's visibility to the spans themselves.
    """
    values = Document.objects.filter(pk=older.document_id).values_list(*_DOCUMENT_FIELDS).get()
    document = DocumentRow(*values)
    document.text, document.revision, document.current = older.text, older.number, False
    entries = _older_entries(older, export_filter, tags)
    missing = {entry["author"] for entry in entries} - set(authors)
    if export_filter.pseudonyms:
        authors.update({pk: f"annotator-{pk}" for pk in missing})
    elif missing:
        authors.update(_usernames(pk__in=missing))
    for entry in entries:
        tag_name, tag_slug = tags[entry["tag"]]
        orphan = entry["start"] is None
        document.spans.append(
            SpanRow(
                entry["id"],
                entry["start"],
                entry["end"],
                tag_name,
                tag_slug,
                authors.get(entry["author"], f"annotator-{entry['author']}"),
                entry["origin"],
                entry["note"],
                bool(entry["is_reference"]),
                entry["created_at"],
                # Snapshots made before updated_at was kept in them have only created_at.
                entry.get("updated_at", entry["created_at"]),
                entry["anchor"],
                entry["quote"] if orphan else "",
            )
        )
    return document


def _older_entries(
    older: Revision, export_filter: ExportFilter, tags: dict[int, tuple[str, str]]
) -> list[dict[str, Any]]:
    """Return the snapshot's spans that the filter keeps, in reading order (orphans last)."""
    entries = list(older.spans_snapshot or [])
    unknown = {entry["tag"] for entry in entries} - set(tags)
    if unknown:  # a tag moved or gone since; its spans are gone with it
        found = Tag.objects.filter(pk__in=unknown).values_list("pk", "name", "slug")
        tags.update((pk, (name, slug)) for pk, name, slug in found)
    wanted_authors = None
    if export_filter.annotators:
        users = get_user_model().objects.filter(username__in=export_filter.annotators)
        wanted_authors = set(users.values_list("pk", flat=True))
    entries = [
        entry
        for entry in entries
        if entry["tag"] in tags
        and (export_filter.orphans or entry["start"] is not None)
        and (entry["is_reference"] or not export_filter.reference_only)
        and (not export_filter.tags or tags[entry["tag"]][1] in export_filter.tags)
        and (wanted_authors is None or entry["author"] in wanted_authors)
        and (not export_filter.origins or entry["origin"] in export_filter.origins)
    ]
    if export_filter.visible != Q():
        # Who may see a span is a rule about the span itself (its author, its layer,
        # the document's reveal), so the database answers it as for current spans.
        ids = [entry["id"] for entry in entries]
        seen = set(
            Span.with_trash.filter(pk__in=ids)
            .filter(export_filter.visible)
            .values_list("pk", flat=True)
        )
        entries = [entry for entry in entries if entry["id"] in seen]
    placed = [entry for entry in entries if entry["start"] is not None]
    placed.sort(key=lambda entry: (entry["start"], -entry["end"], entry["id"]))
    return placed + sorted(
        (entry for entry in entries if entry["start"] is None), key=lambda entry: entry["id"]
    )


def _raw_rows(query: QuerySet) -> Iterator[tuple]:
    """Yield the rows of a values_list query as the database driver hands them over.

    Skips Django's per-row converters, which cost more than the rest of reading a
    span; the caller converts the one value that needs it (SQLite's 0/1 booleans).
    A plain cursor, not a server-side one: the spans of a page are all held until
    its documents are yielded anyway, and on PostgreSQL a server-side cursor cost a
    round trip per chunk (its wall time was half as much again).
    """
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(SPAN_CHUNK):
            yield from chunk


def _usernames(**lookup: Any) -> dict[int, str]:
    """Return {user id: username} of the users matching the lookup."""
    return dict(get_user_model().objects.filter(**lookup).values_list("pk", "username"))


def count_spans(project: Project, export_filter: ExportFilter = ExportFilter()) -> int:  # noqa: B008
    """Return how many spans an export with this filter writes."""
    older = export_filter.older_revision(project)
    if older is not None:
        return len(_older_entries(older, export_filter, {}))
    return export_filter.spans(project).count()
