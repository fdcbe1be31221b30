"""Errors of htmx requests answered as a message the page shows in place.

An htmx action (saving a note, adding a document) that fails must not replace the
page: the answer is plain text, which static/herlens.js shows beside what the user
typed, debug on or off. ``X-Herlens-Next`` names the next step the message offers
("reload" the page, go "home" when the document or project is gone, or "login" again).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.signals import got_request_exception
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.views.csrf import csrf_failure as default_csrf_failure
from django.views.defaults import permission_denied as default_permission_denied
from django.views.defaults import server_error as default_server_error

from annotations.selectors import SPAN_GONE, span_deletion_note

logger = logging.getLogger("herlens.errors")

DOCUMENT_GONE = (
    "This document was removed, or you are no longer a member of its project. "
    "Nothing was saved here; copy anything you typed before you leave."
)
PROJECT_GONE = (
    "This project was removed, or you are no longer a member of it. "
    "Nothing was saved here; copy anything you typed before you leave."
)
SUGGESTION_GONE = (
    "This suggestion was already accepted or rejected (in another tab or by someone else). "
    "Reload the page for the current list."
)
COMMENT_GONE = "This comment was deleted. Reload the page to see the discussion as it is now."
NOT_FOUND = "This is no longer here (removed in the meantime?). Reload the page."
SERVER_ERROR = (
    "Something went wrong on the server and nothing was saved; what you typed is still here. "
    "Try again in a moment."
)
SESSION_ENDED = (
    "You are logged out (the session ended), so nothing was saved. Log in again in a new tab, "
    "then try again here: what you typed is still on this page."
)
NEXT_HEADER = "X-Herlens-Next"


def plain_text(message: str, *, status: int, next_step: str = "") -> HttpResponse:
    """An error answer for htmx: the page shows it as a message, swapping nothing.

    ``next_step`` ("reload", "home", "login") is the way on the message offers.
    """
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    if next_step:
        response[NEXT_HEADER] = next_step
    return response


def form_error(form: Form) -> str:
    """Return a form's errors as one line, for the plain-text answer."""
    return " ".join(str(message) for errors in form.errors.values() for message in errors)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer 403 as plain text for htmx (shown as a message), as a page otherwise."""
    if request.headers.get("HX-Request") == "true":
        message = str(exception) or "You may not do that in this project."
        return plain_text(message, status=403)
    return default_permission_denied(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """500, unless the error was the database being out of reach: then 503, try again."""
    from annotations.middleware import database_unavailable, is_outage

    if is_outage(sys.exc_info()[1]):
        return database_unavailable(request)
    return default_server_error(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused security token: for htmx, the session most likely ended (log in again)."""
    if request.headers.get("HX-Request") == "true":
        return plain_text(SESSION_ENDED, status=403, next_step="login")
    return default_csrf_failure(request, reason)


def not_found_message(request: HttpRequest) -> tuple[str, str]:
    """Say what is missing, from the address asked for: a span, a document, a project."""
    match = request.resolver_match
    kwargs = match.kwargs if match else {}
    if "span_id" in kwargs and request.user.is_authenticated:
        described = span_deletion_note(int(kwargs["span_id"]), request.user)
        if described:
            return described, "reload"
        if "document_id" not in kwargs:
            return SPAN_GONE, "reload"
    if "suggestion_id" in kwargs:
        return SUGGESTION_GONE, "reload"
    if "comment_id" in kwargs:
        return COMMENT_GONE, "reload"
    if "document_id" in kwargs:
        return DOCUMENT_GONE, "home"
    if "slug" in kwargs:
        return PROJECT_GONE, "home"
    return NOT_FOUND, "reload"


class HtmxErrorMiddleware:
    """Turn a view's 404 or crash into a plain-text message for htmx requests.

    Django's own answers (the debug page under DEBUG, a bare error page without) would
    replace the page the user is typing on. The exception still reaches
    ``got_request_exception`` (the test client re-raises it; error reporting sees it).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            getattr(request, "htmx", False)
            and response.status_code == 302
            and response.get("Location", "").startswith(resolve_url(settings.LOGIN_URL))
        ):
            # htmx would follow the redirect and swap the login page into the panel.
            return plain_text(SESSION_ENDED, status=401, next_step="login")
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not getattr(request, "htmx", False):
            return None
        if isinstance(exception, PermissionDenied):
            return None  # handler403 (above) answers htmx with its message already
        if isinstance(exception, Http404):
            message, next_step = not_found_message(request)
            return plain_text(message, status=404, next_step=next_step)
        from annotations.middleware import is_outage

        if is_outage(exception):
            return None  # DatabaseUnavailableMiddleware: 503, try again (not "something broke")
        logger.error("htmx request failed: %s %s", request.method, request.path, exc_info=exception)
        got_request_exception.send(sender=None, request=request)
        return plain_text(SERVER_ERROR, status=500)
