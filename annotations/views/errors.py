"""Error pages that an htmx request can show as a message."""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse
from django.views.defaults import permission_denied as default_permission_denied
from django.views.defaults import server_error as default_server_error


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer 403 as plain text for htmx (shown as a message), as a page otherwise."""
    if request.headers.get("HX-Request") == "true":
        message = str(exception) or "You may not do that in this project."
        return HttpResponse(message, status=403, content_type="text/plain; charset=utf-8")
    return default_permission_denied(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """500, unless the error was the database being out of reach: then 503, try again."""
    from annotations.outage import database_unavailable, is_outage

    if is_outage(sys.exc_info()[1]):
        return database_unavailable(request)
    return default_server_error(request)
