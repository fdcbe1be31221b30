"""The app's middleware: first login with a one-time password, messages for htmx answers,
and 503 while the database is out of reach.

Accounts a teacher created must replace their one-time password at first login.
At login a flag goes into the session (one query, once); the middleware then
sends the user to Django's password change page until they have changed it,
reading only the session, so other requests cost nothing extra.

Messages left by an htmx request are shown with its answer, not on the next full page.

A request body larger than one upload may be is refused before it is read, and a
number in a request that params.py refuses answers 400 with the reason.

A PostgreSQL restart takes a second or two; requests in that window cannot be served.
They answer 503 with Retry-After, saying so, never a login page or a "token revoked": a
failure inside a view comes through ``DatabaseUnavailableMiddleware``, one while loading
the session or the user through the 500 handler (``views.errors.server_error``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin

from annotations import params, throttle
from annotations.imports import uploads
from annotations.imports.archive import size_words
from annotations.models import AccountSetup

SESSION_KEY = "herlens_must_change_password"


def note_first_login(sender, request: HttpRequest, user, **kwargs) -> None:
    if request is not None and AccountSetup.objects.filter(user=user).exists():
        request.session[SESSION_KEY] = True


user_logged_in.connect(note_first_login, dispatch_uid="herlens-note-first-login")


class OneTimePasswordMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY):
            done = reverse("password_change_done")
            if request.path == done:
                AccountSetup.objects.filter(user_id=request.user.pk).delete()
                del session[SESSION_KEY]
            elif request.path not in (reverse("password_change"), reverse("logout")):
                return redirect("password_change")
        return self.get_response(request)


class HtmxMessagesMiddleware:
    """Append pending messages to an htmx answer as an out-of-band #messages swap.

    Views add a message ("Added the tag …", "Class settings saved.") and answer htmx with a
    fragment that has no room for it; left in the session, the message would appear on
    whatever full page the user opens next, long after the action. A plain-text answer
    (an error shown as a toast) already says what the message says, so its messages go.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or response.streaming:
            return response
        if response.status_code == 204 or 300 <= response.status_code < 400:
            return response  # nothing is swapped, or the next page shows them
        if "HX-Redirect" in response or "HX-Refresh" in response:
            return response
        storage = messages.get_messages(request)
        if not len(storage):
            return response
        content_type = response.get("Content-Type", "")
        if content_type.startswith("text/html"):
            # Rendering the partial iterates the storage, which marks the messages as shown.
            html = render_to_string("base.html#messages", {"oob": True}, request=request)
            response.content += html.encode()
        else:
            for _message in storage:
                pass
        return response


class RequestSizeMiddleware:
    """Refuse a request body over HERLENS_UPLOAD_MAX_REQUEST_BYTES before any of it is read.

    Placed before the CSRF check, which would otherwise read (and spool) the
    whole body to find the token in it.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.HERLENS_UPLOAD_MAX_REQUEST_BYTES
        if length > limit:
            message = uploads.REQUEST_TOO_LARGE.format(
                size=size_words(length), limit=uploads.limit_words(limit)
            )
            response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
            response["Connection"] = "close"  # the unread body must not be taken for a request
            return response
        return self.get_response(request)


class BadParameterMiddleware(MiddlewareMixin):
    """Answer a request whose parameters were refused with 400 and the reason, never 500."""

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, params.BadParameter):
            return HttpResponseBadRequest(str(exception), content_type="text/plain; charset=utf-8")
        return None


def note_failed_login(sender, credentials, request: HttpRequest | None = None, **kwargs) -> None:
    if request is not None:
        throttle.record_failure(throttle.login_addresses(), throttle.client_key(request))


user_login_failed.connect(note_failed_login, dispatch_uid="herlens-note-failed-login")


class LoginAddressThrottleMiddleware:
    """Pause log-ins from an address that sent too many wrong passwords, whatever the username.

    django-axes pauses a username after a few wrong passwords; this counts an
    address across usernames (one guesser trying many accounts) with a higher
    limit, because a classroom behind one address mistypes too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path == reverse("login"):
            rule = throttle.login_addresses()
            if throttle.is_blocked(rule, throttle.client_key(request)):
                context = {"cooloff_timedelta": rule.window}
                return render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=429)
        return self.get_response(request)


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


class DatabaseUnavailableMiddleware(MiddlewareMixin):
    """Answer a request the database could not serve with 503 (``database_unavailable``)."""

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_outage(exception):
            return None
        logger.warning(
            "Database unavailable for %s %s: %s", request.method, request.path, exception
        )
        return database_unavailable(request)
