"""Endpoints for documents: list, add, read any revision, revise with If-Match."""

from __future__ import annotations

from django.db.models import F
from django.db.models.functions import Length
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from annotations.api.lookups import (
    IF_MATCH_REVISION,
    document_for,
    older_revision,
    project_for,
    require,
)
from annotations.api.schemas import (
    ERRORS,
    DocumentIn,
    DocumentOut,
    DocumentRevisionIn,
    DocumentSummary,
    Error,
    Pages,
    RevisionOut,
    RevisionQuery,
    document_out,
)
from annotations.exports import MAX_ID
from annotations.permissions import (
    Action,
    can_revise,
)
from annotations.services import revisions
from annotations.services.documents import document_create

IF_MATCH_MISSING = (
    "Send the revision you edited in the header “If-Match: <revision>” (the document's "
    "`revision`), so that a newer revision is not overwritten unseen; “If-Match: *” "
    "revises whatever revision is current."
)
IF_MATCH_INVALID = "If-Match must be a revision number (or *), not “{value}”."

router = Router(tags=["documents"])


@router.get("/projects/{slug}/documents", response={200: list[DocumentSummary], **ERRORS})
@paginate(Pages)
def documents_list(request: HttpRequest, slug: str):
    """List a project's documents (without their text), oldest first."""
    project, _role = project_for(request, slug)
    return (
        project.documents.defer("text", "metadata")
        .annotate(length=Length("text"), project_slug=F("project__slug"))
        .order_by("created_at", "pk")
    )


@router.post("/projects/{slug}/documents", response={201: DocumentOut, **ERRORS})
def documents_create(request: HttpRequest, slug: str, payload: DocumentIn):
    """Add a document; its text is stored in Unicode NFC with "\\n" line breaks."""
    project, role = project_for(request, slug)
    require(role, Action.ADD_DOCUMENTS)
    document = document_create(project=project, **payload.dict())
    return Status(201, document_out(document, with_text=True))


@router.get("/documents/{document_id}", response={200: DocumentOut, **ERRORS})
def documents_detail(
    request: HttpRequest, document_id: int, query: Query[RevisionQuery], response: HttpResponse
):
    """Return a document with its text (of the current revision, or of ``?revision=N``)."""
    document, _role = document_for(request, document_id)
    older = older_revision(document, query.revision)
    out = document_out(document, with_text=True)
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


@router.put(
    "/documents/{document_id}", response={200: RevisionOut, 412: Error, 428: Error, **ERRORS}
)
def documents_revise(
    request: HttpRequest,
    document_id: int,
    payload: DocumentRevisionIn,
    response: HttpResponse,
    if_match: str | None = IF_MATCH_REVISION,
):
    """Replace the text as a new revision; spans follow their words (see each span's anchor)."""
    document, role = document_for(request, document_id)
    if not can_revise(role, request.auth, document):
        require(role, Action.REVISE)
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
    return document_out(document, with_text=True) | {
        "spans": revision.summary,
        "lost_suggestions": revision.lost_suggestions,
    }
