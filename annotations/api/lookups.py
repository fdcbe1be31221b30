"""Finding projects, documents, spans and tags through the caller's memberships (else 404), role checks (403) and the versions a client sends."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from ninja import Header
from ninja.errors import HttpError

from annotations.exports import MAX_ID
from annotations.models import Document, Project, Span, Tag
from annotations.permissions import (
    FORBIDDEN_MESSAGES,
    Action,
    allows,
    can_edit_span,
    document_with_role,
    role_in,
    visible_projects,
    visible_spans,
)
from annotations.selectors import project_tags
from annotations.services import revisions

NO_PROJECT = "You have no project with the address “{slug}”."
NO_DOCUMENT = "There is no document {id} in your projects."
NO_SPAN = "There is no span {id} in your projects."
NO_TAG = "The project has no tag “{tag}”; its tags are: {tags}."
VERSIONS_DIFFER = "If-Match and version name different versions; send one of them."

BAD_IF_MATCH = 'If-Match must be the span\'s version as an ETag, such as "3".'

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


def parse_version(raw: str | int | None) -> int | None:
    """Return the version a client sent (``3``, ``"3"``, ``W/"3"``), None if none; raise ValueError."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, int):
        if raw < 1:
            raise ValueError(BAD_IF_MATCH)
        return raw
    match = _ETAG.match(raw)
    if match is None or int(match.group(1)) < 1:
        raise ValueError(BAD_IF_MATCH)
    return int(match.group(1))


def etag(version: int) -> str:
    return f'"{version}"'


def project_for(request: HttpRequest, slug: str) -> tuple[Project, str]:
    project = None
    if "\x00" not in slug:
        project = visible_projects(request.auth).filter(slug=slug).first()
    if project is None:
        raise HttpError(404, NO_PROJECT.format(slug=slug))
    return project, role_in(request.auth, project)


def document_for(request: HttpRequest, document_id: int) -> tuple[Document, str]:
    document = None
    if 0 < document_id <= MAX_ID:
        document = document_with_role(request.auth, document_id)
    if document is None:
        raise HttpError(404, NO_DOCUMENT.format(id=document_id))
    return document, document.member_role


def span_for(request: HttpRequest, span_id: int) -> tuple[Span, str]:
    span = None
    if 0 < span_id <= MAX_ID:
        spans = visible_spans(request.auth, with_orphans=True).select_related(
            "document__project", "tag", "author"
        )
        span = spans.filter(pk=span_id).first()
    if span is None:
        raise HttpError(404, NO_SPAN.format(id=span_id))
    return span, role_in(request.auth, span.document.project)


def require(role: str, action: Action) -> None:
    if not allows(role, action):
        raise HttpError(403, FORBIDDEN_MESSAGES.get(action, "Your role does not allow this."))


def tag_in(project: Project, name: str) -> Tag:
    tags = project_tags(project)
    # By slug, as a script names tags, from the tags read already; by id or name as find() does.
    tag = next((tag for tag in tags if tag.slug == name), None) or project.tags.find(name)
    if tag is None:
        names = ", ".join(f"{t.name} ({t.slug})" for t in tags) or "none yet"
        raise HttpError(400, NO_TAG.format(tag=name, tags=names))
    return tag


def older_revision(document: Document, number: int | None) -> int | None:
    """Return number when it names an older revision, None for the current one; 404 if none."""
    if number is None or number == document.revision:
        return None
    if number > document.revision or not document.revisions.filter(number=number).exists():
        raise HttpError(
            404, revisions.NO_SUCH_REVISION.format(number=number, current=document.revision)
        )
    return number


def header(name: str, max_length: int, description: str) -> Any:
    """An optional request header, bounded so that no header is read unchecked."""
    return Header(None, alias=name, max_length=max_length, description=description)


IF_MATCH = header(
    "If-Match",
    40,
    'The span\'s version you last read, as an ETag ("3"). Your write is refused '
    "with 409 (and the span as it is now) if someone changed it since.",
)
IF_MATCH_REVISION = header(
    "If-Match",
    100,
    "The revision you edited (the document's `revision`); 412 if it is stale.",
)
IDEMPOTENCY_KEY = header(
    "Idempotency-Key",
    200,
    "Send the same key when retrying: the retry returns the first span.",
)


def version_sent(if_match: str | None, body_version: int | None = None) -> int | None:
    try:
        version = parse_version(if_match)
    except ValueError as error:
        raise HttpError(400, str(error)) from None
    if version is not None and body_version is not None and version != body_version:
        raise HttpError(400, VERSIONS_DIFFER)
    return version if version is not None else body_version


def require_span_edit(request: HttpRequest, role: str, span: Span) -> None:
    if not can_edit_span(role, request.auth, span):
        may_edit_own = allows(role, Action.EDIT_OWN_SPANS)
        action = Action.EDIT_ANY_SPAN if may_edit_own else Action.EDIT_OWN_SPANS
        raise HttpError(403, FORBIDDEN_MESSAGES[action])
