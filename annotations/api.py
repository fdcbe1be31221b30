"""The JSON API under /api/v1/, for scripts, notebooks and course platforms.

Same rules as the pages: objects are found only through the caller's
memberships (a stranger gets 404), a role that does not allow a write gets
403, and every error is JSON ``{"detail": "..."}`` with a message a person can
act on. Callers authenticate with ``Authorization: Bearer <token>``; tokens are
made on the account page or with ``manage.py create_api_token``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Literal

from django.db.models import F
from django.db.models.functions import Length
from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer
from pydantic import field_validator

from annotations.exports import MAX_ID, ExportFilter
from annotations.exports.download import export_response
from annotations.models import Document, IdempotencyKey, Project, Span, Tag, Visibility
from annotations.permissions import (
    FORBIDDEN_MESSAGES,
    Action,
    allows,
    can_edit_span,
    can_revise,
    role_in,
    sees_every_span,
    span_visibility,
    spans_visible_in,
    visible_documents,
    visible_projects,
    visible_spans,
)
from annotations.services import revisions
from annotations.services.documents import document_create
from annotations.services.errors import DomainError
from annotations.services.spans import span_create, span_delete, span_update
from annotations.services.tokens import TOKEN_INVALID, api_token_user

TOKEN_MISSING = (
    "Send your API token in the header “Authorization: Bearer <token>”; "
    "create a token on your account page."
)
NO_PROJECT = "You have no project with the address “{slug}”."
NO_DOCUMENT = "There is no document {id} in your projects."
NO_SPAN = "There is no span {id} in your projects."
NO_TAG = "The project has no tag “{tag}”; its tags are: {tags}."
KEY_REUSED = (
    "This Idempotency-Key was already used for a different request; send a new key for a new span."
)
KEY_SPAN_GONE = "The span first created with this Idempotency-Key has been deleted since."
IF_MATCH_MISSING = (
    "Send the revision you edited in the header “If-Match: <revision>” (the document's "
    "`revision`), so that a newer revision is not overwritten unseen; “If-Match: *” "
    "revises whatever revision is current."
)
IF_MATCH_INVALID = "If-Match must be a revision number (or *), not “{value}”."
NUL = "Text sent to herlens cannot contain the NUL character (\\u0000)."


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_user(token)
        if user is not None:
            request.user = user
        return user


class Utf8JSON(JSONRenderer):
    """JSON with non-ASCII text as itself ("Zoë", "🎬"), as the exports write it."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="herlens API",
    version="1",
    description=(
        "Projects, documents and spans of herlens. Offsets are Unicode code points into "
        "the document text, end exclusive: `text[start:end]` is the span's text in Python. "
        "Authenticate with `Authorization: Bearer <token>`."
    ),
    auth=BearerToken(),
    urls_namespace="api",
    docs_url="/docs",
    renderer=Utf8JSON(),
)


# ---- errors: always {"detail": "..."} -------------------------------------------------


@api.exception_handler(AuthenticationError)
def _unauthorised(request: HttpRequest, exc: Exception) -> HttpResponse:
    sent = request.headers.get("Authorization", "").strip()
    message = TOKEN_INVALID if sent else TOKEN_MISSING
    response = api.create_response(request, {"detail": message}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="herlens"'
    return response


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload")]
        message = error.get("msg", "is not valid")
        problems.append(f"{'.'.join(location)}: {message}" if location else message)
    detail = "The request is not valid: " + "; ".join(str(p) for p in problems) + "."
    errors = json.loads(json.dumps(exc.errors, default=str))
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=400)


# ---- schemas ---------------------------------------------------------------------------


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


class RevisionOut(DocumentOut):
    spans: dict[str, int] = Field(
        ...,
        description="What the revision did to the spans: exact, moved, changed, orphaned, "
        "refound; and to suggestions: suggestions_kept, suggestions_dropped.",
    )


class SpanIn(CleanIn):
    start: int = Field(..., description="Code-point offset where the span starts.")
    end: int = Field(..., description="Code-point offset just after the span.")
    tag: str = Field(..., description="The tag's name or slug.")
    note: str = ""
    quote: str | None = Field(
        None, description="What you expect text[start:end] to be; refused if it differs."
    )


class SpanPatch(CleanIn):
    tag: str | None = Field(None, description="The new tag's name or slug.")
    note: str | None = None


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


def _document_out(document: Document, with_text: bool = False) -> dict[str, Any]:
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


def _span_out(span: Span) -> dict[str, Any]:
    return {
        "id": span.pk,
        "document_id": span.document_id,
        "start": span.start,
        "end": span.end,
        "text": span.quote,
        "anchor": span.anchor,
        "tag": span.tag.slug,
        "tag_name": span.tag.name,
        "note": span.note,
        "origin": span.origin,
        "annotator": span.author.get_username(),
        "created_at": span.created_at,
        "updated_at": span.updated_at,
    }


# ---- lookups through memberships ------------------------------------------------------


def _project(request: HttpRequest, slug: str) -> tuple[Project, str]:
    project = None
    if "\x00" not in slug:
        project = visible_projects(request.auth).filter(slug=slug).first()
    if project is None:
        raise HttpError(404, NO_PROJECT.format(slug=slug))
    return project, role_in(request.auth, project)


def _document(request: HttpRequest, document_id: int) -> tuple[Document, str]:
    document = None
    if 0 < document_id <= MAX_ID:
        documents = visible_documents(request.auth).select_related("project")
        document = documents.filter(pk=document_id).first()
    if document is None:
        raise HttpError(404, NO_DOCUMENT.format(id=document_id))
    return document, role_in(request.auth, document.project)


def _span(request: HttpRequest, span_id: int) -> tuple[Span, str]:
    span = None
    if 0 < span_id <= MAX_ID:
        spans = visible_spans(request.auth, with_orphans=True).select_related(
            "document__project", "tag", "author"
        )
        span = spans.filter(pk=span_id).first()
    if span is None:
        raise HttpError(404, NO_SPAN.format(id=span_id))
    return span, role_in(request.auth, span.document.project)


def _require(role: str, action: Action) -> None:
    if not allows(role, action):
        raise HttpError(403, FORBIDDEN_MESSAGES.get(action, "Your role does not allow this."))


def _tag(project: Project, name: str) -> Tag:
    tag = project.tags.find(name)
    if tag is None:
        names = ", ".join(f"{t.name} ({t.slug})" for t in project.tags.all()) or "none yet"
        raise HttpError(400, NO_TAG.format(tag=name, tags=names))
    return tag


class Pages(LimitOffsetPagination):
    """Limit and offset, bounded so that no number reaches the database too large for it."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=1000, description="Items per page (at most 1,000).")
        offset: int = Field(0, ge=0, le=MAX_ID, description="Items to skip.")


ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 422: Error}


# ---- endpoints ------------------------------------------------------------------------


@api.get("/projects", response={200: list[ProjectOut], 401: Error}, tags=["projects"])
def projects_list(request: HttpRequest):
    """List your projects, with your role and each project's tags."""
    projects = visible_projects(request.auth).prefetch_related("tags")
    roles = dict(request.auth.memberships.values_list("project_id", "role"))
    return [
        {
            "slug": p.slug,
            "name": p.name,
            "description": p.description,
            "role": roles[p.pk],
            "tags": list(p.tags.all()),
        }
        for p in projects.order_by("name", "pk")
    ]


@api.get(
    "/projects/{slug}/documents",
    response={200: list[DocumentSummary], **ERRORS},
    tags=["documents"],
)
@paginate(Pages)
def documents_list(request: HttpRequest, slug: str):
    """List a project's documents (without their text), oldest first."""
    project, _role = _project(request, slug)
    return (
        project.documents.defer("text", "metadata")
        .annotate(length=Length("text"), project_slug=F("project__slug"))
        .order_by("created_at", "pk")
    )


@api.post("/projects/{slug}/documents", response={201: DocumentOut, **ERRORS}, tags=["documents"])
def documents_create(request: HttpRequest, slug: str, payload: DocumentIn):
    """Add a document; its text is stored in Unicode NFC with "\\n" line breaks."""
    project, role = _project(request, slug)
    _require(role, Action.ADD_DOCUMENTS)
    document = document_create(project=project, **payload.dict())
    return Status(201, _document_out(document, with_text=True))


class RevisionQuery(Schema):
    revision: int | None = Field(
        None, ge=1, le=MAX_ID, description="Read an older revision (default: the current one)."
    )


def _older_revision(document: Document, number: int | None) -> int | None:
    """Return number when it names an older revision, None for the current one; 404 if none."""
    if number is None or number == document.revision:
        return None
    if number > document.revision or not document.revisions.filter(number=number).exists():
        raise HttpError(
            404, revisions.NO_SUCH_REVISION.format(number=number, current=document.revision)
        )
    return number


@api.get("/documents/{document_id}", response={200: DocumentOut, **ERRORS}, tags=["documents"])
def documents_detail(
    request: HttpRequest, document_id: int, query: Query[RevisionQuery], response: HttpResponse
):
    """Return a document with its text (of the current revision, or of ``?revision=N``)."""
    document, _role = _document(request, document_id)
    older = _older_revision(document, query.revision)
    out = _document_out(document, with_text=True)
    if older is not None:
        out |= {"text": revisions.revision_text(document, older), "revision": older}
        out["length"] = len(out["text"])
    response["ETag"] = f'"{out["revision"]}"'
    return out


def _if_match_revision(value: str | None) -> int | None:
    """Read If-Match: a revision number (quoted as an ETag or not), or * for any."""
    value = (value or "").strip()
    if not value:
        raise HttpError(428, IF_MATCH_MISSING)
    if value == "*":
        return None
    value = value.removeprefix("W/").strip().strip('"')
    if not value.isdigit() or int(value) > MAX_ID:
        raise HttpError(400, IF_MATCH_INVALID.format(value=value[:40]))
    return int(value)


@api.put(
    "/documents/{document_id}",
    response={200: RevisionOut, 412: Error, 428: Error, **ERRORS},
    tags=["documents"],
)
def documents_revise(
    request: HttpRequest,
    document_id: int,
    payload: DocumentRevisionIn,
    response: HttpResponse,
    if_match: str | None = Header(
        None,
        alias="If-Match",
        max_length=100,
        description="The revision you edited (the document's `revision`); 412 if it is stale.",
    ),
):
    """Replace the text as a new revision; spans follow their words (see each span's anchor)."""
    document, role = _document(request, document_id)
    if not can_revise(role, request.auth, document):
        _require(role, Action.REVISE)
    expected = _if_match_revision(if_match)
    try:
        revision = revisions.document_revise(
            document=document,
            text=payload.text,
            user=request.auth,
            expected_revision=expected,
            message=payload.message,
        )
    except revisions.StaleRevision as error:
        return Status(412, {"detail": str(error)})
    response["ETag"] = f'"{revision.number}"'
    return _document_out(document, with_text=True) | {"spans": revision.summary}


@api.get("/documents/{document_id}/spans", response={200: list[SpanOut], **ERRORS}, tags=["spans"])
def spans_list(request: HttpRequest, document_id: int, query: Query[RevisionQuery]):
    """List a document's spans in reading order (start, longest first), orphans last.

    With ``?revision=N`` for an older revision: the spans as they stood on it.
    """
    document, role = _document(request, document_id)
    older = _older_revision(document, query.revision)
    if older is not None:
        return _older_spans(request, document, role, older)
    spans = (
        spans_visible_in(request.auth, role, document=document, with_orphans=True)
        .select_related("tag", "author")
        .order_by(F("start").asc(nulls_last=True), "-end", "pk")
    )
    return [_span_out(span) for span in spans]


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
                "updated_at": entry["created_at"],
            }
        )
    rows.sort(key=lambda row: (row["start"] is None, row["start"] or 0, -(row["end"] or 0)))
    return rows


def _request_hash(document: Document, payload: SpanIn) -> str:
    body = json.dumps([document.pk, payload.dict()], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@api.post(
    "/documents/{document_id}/spans",
    response={200: SpanOut, 201: SpanOut, 409: Error, **ERRORS},
    tags=["spans"],
)
def spans_create(
    request: HttpRequest,
    document_id: int,
    payload: SpanIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        max_length=200,
        description="Send the same key when retrying: the retry returns the first span.",
    ),
):
    """Tag [start, end) of the document; 201 when made, 200 if you had the same span already."""
    document, role = _document(request, document_id)
    _require(role, Action.ANNOTATE)
    tag = _tag(document.project, payload.tag)
    key = (idempotency_key or "").strip()
    if "\x00" in key:
        raise HttpError(400, NUL)
    if key:
        request_hash = _request_hash(document, payload)
        earlier = IdempotencyKey.objects.filter(user=request.auth, key=key).first()
        if earlier is not None:
            if earlier.request_hash != request_hash:
                raise HttpError(422, KEY_REUSED)
            # Deleted (in the trash, or gone for good): the retry does not bring it back.
            span = (
                Span.everything.select_related("tag", "author").filter(pk=earlier.span_id).first()
                if earlier.span_id is not None
                else None
            )
            if span is None:
                raise HttpError(409, KEY_SPAN_GONE)
            return Status(201, _span_out(span))
    span, created = span_create(
        document=document,
        start=payload.start,
        end=payload.end,
        tag=tag,
        author=request.auth,
        quote=payload.quote,
        note=payload.note.strip(),
    )
    if key:
        IdempotencyKey.objects.get_or_create(
            user=request.auth, key=key, defaults={"request_hash": request_hash, "span": span}
        )
    return Status(201 if created or key else 200, _span_out(span))


@api.patch("/spans/{span_id}", response={200: SpanOut, **ERRORS}, tags=["spans"])
def spans_update(request: HttpRequest, span_id: int, payload: SpanPatch):
    """Change a span's tag and/or note."""
    span, role = _span(request, span_id)
    _require_span_edit(request, role, span)
    tag = _tag(span.document.project, payload.tag) if payload.tag is not None else None
    span = span_update(span=span, tag=tag, note=payload.note, user=request.auth)
    return _span_out(span)


@api.delete("/spans/{span_id}", response={204: None, **ERRORS}, tags=["spans"])
def spans_delete(request: HttpRequest, span_id: int):
    """Delete a span."""
    span, role = _span(request, span_id)
    _require_span_edit(request, role, span)
    span_delete(span=span, user=request.auth)
    return Status(204, None)


def _require_span_edit(request: HttpRequest, role: str, span: Span) -> None:
    if not can_edit_span(role, request.auth, span):
        may_edit_own = allows(role, Action.EDIT_OWN_SPANS)
        action = Action.EDIT_ANY_SPAN if may_edit_own else Action.EDIT_OWN_SPANS
        raise HttpError(403, FORBIDDEN_MESSAGES[action])


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


EXPORT_CONTENT = {
    "text/csv": {"schema": {"type": "string"}},
    "application/x-ndjson": {"schema": {"type": "string"}},
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    "application/ld+json": {"schema": {"type": "object"}},
}


@api.get(
    "/projects/{slug}/export",
    response=ERRORS,
    tags=["projects"],
    openapi_extra={"responses": {200: {"description": "The export", "content": EXPORT_CONTENT}}},
)
def projects_export(request: HttpRequest, slug: str, query: Query[ExportQuery]):
    """Stream the project's spans as CSV, JSONL, a spaCy DocBin or W3C Web Annotation."""
    project, role = _project(request, slug)
    export_filter = ExportFilter.clean(
        tags=query.tag,
        annotators=query.annotator,
        origins=query.origin,
        documents=query.document,
        reference_only=query.reference_only,
        pseudonyms=query.pseudonyms,
        orphans=query.orphans,
        visible=span_visibility(request.auth, role),
    )
    return export_response(request, project, query.format, export_filter, query.exact)


def public_urls():
    """Return the API's URL patterns, open to requests without a session.

    The API authenticates each request by its token, so the site's
    login-required middleware (which would redirect to the login page) must
    let these through.
    """
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns, app_name, namespace
