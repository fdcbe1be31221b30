"""The JSON API under /api/v1/, for scripts, notebooks and course platforms.

Same rules as the pages: objects are found only through the caller's
memberships (a stranger gets 404), a role that does not allow a write gets
403, and every error is JSON ``{"detail": "..."}`` with a message a person can
act on. Callers authenticate with ``Authorization: Bearer <token>``; tokens are
made on the account page or with ``manage.py create_api_token``.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.renderers import JSONRenderer

from annotations.api import documents, projects, spans
from annotations.api.auth import TOKEN_MISSING, BearerToken, members_only
from annotations.api.docs import LocalSwagger
from annotations.api.lookups import etag
from annotations.api.schemas import span_out
from annotations.models import Span
from annotations.services.errors import DomainError, EditConflict, Gone
from annotations.services.tokens import TOKEN_INVALID


class Utf8JSON(JSONRenderer):
    """JSON with non-ASCII text as itself ("Zoë", "🎬"), as the exports write it."""

    json_dumps_params = {"ensure_ascii": False}


class HerlensAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Any) -> str:
        # Generated clients name their methods after these ids: they stay what they were
        # before the endpoints moved into one module per resource.
        return f"annotations_api_{operation.view_func.__name__}"


api = HerlensAPI(
    title="herlens API",
    version="1",
    description=(
        "Projects, documents and spans of herlens. Offsets are Unicode code points into "
        "the document text, end exclusive: `text[start:end]` is the span's text in Python. "
        "Authenticate with `Authorization: Bearer <token>`. "
        "Every span has a `version` that each edit counts up: send it back as `If-Match` "
        '(`"3"`) or as `version` when you change or delete the span, and a change someone '
        "else saved in between is answered 409 with the span as it is now, instead of being "
        "overwritten. Send an `Idempotency-Key` when creating, and a retry returns the first "
        "span. While the database restarts, requests are answered 503 with Retry-After."
    ),
    auth=BearerToken(),
    urls_namespace="api",
    docs_url="/docs",
    docs_decorator=members_only,
    docs=LocalSwagger(),
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


@api.exception_handler(Gone)
def _gone(request: HttpRequest, exc: Gone) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=404)


@api.exception_handler(EditConflict)
def _conflict(request: HttpRequest, exc: EditConflict) -> HttpResponse:
    body: dict[str, Any] = {"detail": str(exc)}
    if isinstance(exc.current, Span):
        body["current"] = span_out(exc.current)
    response = api.create_response(request, body, status=409)
    response["ETag"] = etag(exc.current.version)
    return response


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=400)


api.add_router("", projects.router)
api.add_router("", documents.router)
api.add_router("", spans.router)


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
