"""Answer 503 (try again shortly) while the database cannot be reached, not a bare 500.

A PostgreSQL restart takes a second or two; requests in that window cannot be
served. Saying so (with Retry-After) lets the page and API clients retry, and
tells the person that nothing was saved. A failure inside a view comes through
the middleware; one while loading the session or the user comes through the
500 handler (``views.errors.server_error``), which answers the same way.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger("herlens.database")

DATABASE_UNAVAILABLE = (
    "The database is not reachable for a moment (restarting?), so your last change may not "
    "have been saved. Try again in a few seconds: trying again never saves anything twice."
)
RETRY_AFTER_SECONDS = 5


def is_outage(exception: BaseException | None) -> bool:
    """Whether an error means the database cannot be reached (as opposed to a bug)."""
    if isinstance(exception, InterfaceError):
        return True
    if not isinstance(exception, OperationalError):
        return False
    # SQLite's "database is locked" is contention, not an outage: leave it a 500 to be seen.
    return "locked" not in str(exception).lower()


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON for the API, a message for htmx, a page otherwise."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": DATABASE_UNAVAILABLE}, status=503)
    elif request.headers.get("HX-Request") == "true":
        response = HttpResponse(
            DATABASE_UNAVAILABLE, status=503, content_type="text/plain; charset=utf-8"
        )
    else:
        # Rendered without the request: the page must not touch the database.
        response = HttpResponse(
            render_to_string("503.html", {"message": DATABASE_UNAVAILABLE}), status=503
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_outage(exception):
            return None
        logger.warning(
            "Database unavailable for %s %s: %s", request.method, request.path, exception
        )
        return database_unavailable(request)
