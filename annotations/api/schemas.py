"""What the API reads and writes: request and response schemas, and the dicts they are built from."""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import field_validator

from annotations.exports import MAX_ID
from annotations.models import Document, Span

NUL = "Text sent to herlens cannot contain the NUL character (\\u0000)."


class Error(Schema):
    detail: str


class CleanIn(Schema):
    """Input whose text fields are refused if they hold a NUL (no database stores it)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError(NUL)
        return value


class TagOut(Schema):
    name: str
    slug: str
    colour: str
    description: str


class ProjectOut(Schema):
    slug: str
    name: str
    description: str
    role: str
    tags: list[TagOut]


class DocumentIn(CleanIn):
    title: str = Field(..., max_length=300)
    text: str
    author: str = Field("", max_length=200)
    source: str = Field("", max_length=500)


class DocumentSummary(Schema):
    id: int
    project: str
    title: str
    author: str
    source: str
    length: int = Field(..., description="Characters (code points) in the text.")
    revision: int = Field(
        ..., description="Number of the current revision; send it as If-Match when you PUT."
    )
    created_at: datetime
    updated_at: datetime

    # Lists come from a queryset that never loads the texts; single documents from a dict.
    @staticmethod
    def resolve_project(obj: Any) -> str:
        return obj["project"] if isinstance(obj, dict) else obj.project_slug

    @staticmethod
    def resolve_length(obj: Any) -> int:
        return obj["length"] if isinstance(obj, dict) else obj.length


class DocumentOut(DocumentSummary):
    text: str
    metadata: dict[str, Any]


class DocumentRevisionIn(CleanIn):
    text: str = Field(..., description='The whole new text (stored in NFC with "\\n" breaks).')
    message: str = Field("", max_length=300, description="What changed, for the history.")


class LostSuggestionOut(Schema):
    words: str = Field(..., description="The words it was on, in the revision before.")
    tag: str = Field(..., description="The tag's name.")
    status: str = Field(..., description="pending, accepted or rejected.")
    start: int = Field(..., description="Offsets into the revision before (code points).")
    end: int


class RevisionOut(DocumentOut):
    spans: dict[str, int] = Field(
        ...,
        description="What the revision did to the spans: exact, moved, changed, orphaned, "
        "refound; and to suggestions: suggestions_kept, suggestions_dropped.",
    )
    lost_suggestions: list[LostSuggestionOut] = Field(
        default_factory=list,
        description="The suggestions dropped because the revision edited or removed their "
        "words (new ones come for the new text).",
    )


#: An offset is a whole number, given as one: strict, so JSON ``true`` or ``"3"`` is refused
#: instead of being read as 1 or 3.
Offset = Annotated[int, Field(strict=True)]


class SpanIn(CleanIn):
    start: Offset = Field(..., description="Code-point offset where the span starts.")
    end: Offset = Field(..., description="Code-point offset just after the span.")
    tag: str = Field(..., description="The tag's name or slug.")
    note: str = ""
    quote: str | None = Field(
        None, description="What you expect text[start:end] to be; refused if it differs."
    )


class SpanPatch(CleanIn):
    tag: str | None = Field(None, description="The new tag's name or slug.")
    note: str | None = None
    version: int | None = Field(
        None,
        ge=1,
        le=2**31 - 1,
        description=(
            "The version you last read (or send it as If-Match). If the span changed "
            "since, nothing is saved and the answer is 409 with the span as it is now."
        ),
    )


class SpanOut(Schema):
    id: int
    document_id: int
    start: int | None = Field(..., description="Null for an orphan.")
    end: int | None = Field(..., description="Null for an orphan.")
    text: str = Field(..., description="text[start:end]; for an orphan, the words it had.")
    anchor: Literal["exact", "changed", "orphaned"] = Field(
        ...,
        description="exact: on the words it was made on; changed: a revision edited words "
        "inside it; orphaned: a revision removed its words (start and end are null).",
    )
    tag: str
    tag_name: str
    note: str
    origin: str
    annotator: str
    created_at: datetime
    updated_at: datetime
    version: int | None = Field(
        ...,
        description="Counts the span's edits; send it back as If-Match when you change it. "
        "Null for a span as it stood in an older revision.",
    )


class ConflictOut(Schema):
    detail: str
    current: SpanOut | None = Field(None, description="The span as it is stored now.")


def document_out(document: Document, with_text: bool = False) -> dict[str, Any]:
    out = {
        "id": document.pk,
        "project": document.project.slug,
        "title": document.title,
        "author": document.author,
        "source": document.source,
        "length": len(document.text),
        "revision": document.revision,
        "created_at": document.created_at,
        "updated_at": document.updated_at,
    }
    if with_text:
        out |= {"text": document.text, "metadata": document.metadata}
    return out


#: What the API calls each field of a span, and the attribute of the span it reads.
SPAN_ATTRIBUTES = {
    "id": "pk",
    "document_id": "document_id",
    "start": "start",
    "end": "end",
    "text": "quote",
    "anchor": "anchor",
    "tag": "tag.slug",
    "tag_name": "tag.name",
    "note": "note",
    "origin": "origin",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "version": "version",
}
_SPAN_GETTERS = {key: attrgetter(path) for key, path in SPAN_ATTRIBUTES.items()}


def span_out(span: Span) -> dict[str, Any]:
    out = {key: read(span) for key, read in _SPAN_GETTERS.items()}
    out["annotator"] = span.author.get_username()
    return out


class RevisionQuery(Schema):
    revision: int | None = Field(
        None, ge=1, le=MAX_ID, description="Read an older revision (default: the current one)."
    )


class ExportQuery(Schema):
    format: Literal["csv", "jsonl", "spacy", "w3c"] = "csv"
    exact: bool = Field(False, description="CSV only: no BOM and no spreadsheet formula guard.")
    tag: list[str] = Field(default_factory=list, description="Tag slugs to keep (repeatable).")
    annotator: list[str] = Field(default_factory=list, description="Usernames to keep.")
    origin: list[Literal["manual", "suggestion"]] = Field(default_factory=list)
    document: list[int] = Field(default_factory=list, description="Document ids to keep.")
    reference_only: bool = Field(False, description="Only the reference (adjudicated) layer.")
    pseudonyms: bool = Field(False, description="annotator-01, ... instead of usernames.")
    orphans: bool = Field(
        False,
        description="CSV: also the orphans (spans whose words a revision removed; start and "
        "end empty, text = their old words). JSONL always has them; W3C and spaCy never.",
    )
    revision: int | None = Field(
        None,
        ge=0,
        le=MAX_ID,
        description="Export this revision of the one `document` given: its text with the "
        "spans as they stood on it (default: the current revision of every document). "
        "400 without exactly one document, or when it has no such revision.",
    )


EXPORT_CONTENT = {
    "text/csv": {"schema": {"type": "string"}},
    "application/x-ndjson": {"schema": {"type": "string"}},
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    "application/ld+json": {"schema": {"type": "object"}},
}


class Pages(LimitOffsetPagination):
    """Limit and offset, bounded so that no number reaches the database too large for it."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=1000, description="Items per page (at most 1,000).")
        offset: int = Field(0, ge=0, le=MAX_ID, description="Items to skip.")


ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 422: Error}
