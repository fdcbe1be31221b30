"""Endpoints for projects: the list of yours, and the export of one."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router
from ninja.errors import HttpError

from annotations.api.lookups import (
    project_for,
)
from annotations.api.schemas import ERRORS, EXPORT_CONTENT, Error, ExportQuery, ProjectOut
from annotations.exports import ExportError, ExportFilter
from annotations.exports.download import export_response
from annotations.permissions import (
    span_visibility,
    visible_projects,
)

router = Router(tags=["projects"])


@router.get("/projects", response={200: list[ProjectOut], 401: Error})
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


@router.get(
    "/projects/{slug}/export",
    response=ERRORS,
    tags=["projects"],
    openapi_extra={"responses": {200: {"description": "The export", "content": EXPORT_CONTENT}}},
)
def projects_export(request: HttpRequest, slug: str, query: Query[ExportQuery]):
    """Stream the project's spans as CSV, JSONL, a spaCy DocBin or W3C Web Annotation."""
    project, role = project_for(request, slug)
    export_filter = ExportFilter.clean(
        tags=query.tag,
        annotators=query.annotator,
        origins=query.origin,
        documents=query.document,
        reference_only=query.reference_only,
        pseudonyms=query.pseudonyms,
        orphans=query.orphans,
        visible=span_visibility(request.auth, role),
        revision=query.revision,
    )
    try:
        return export_response(request, project, query.format, export_filter, query.exact)
    except ExportError as error:
        raise HttpError(400, str(error)) from None
