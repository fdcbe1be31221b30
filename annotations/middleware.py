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

import io
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from gzip import GzipFile

from django.conf import settings
from django.contrib import messages
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin

from annotations import params, polling, throttle
from annotations.imports import uploads
from annotations.imports.archive import size_words
from annotations.logins import SESSION_KEY
from annotations.models import AccountSetup

#: Where a poll checked in front of Django (quiet_polls.py) carries what its query read.
POLL_STATE_KEY = "herlens.poll_state"


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


#: Answers shorter than this go out as they are (Django's own limit is 200 bytes): with its
#: headers such an answer fits one network packet compressed or not, so compressing it (and
#: padding it against BREACH) would cost the server time and save nothing.
UNCOMPRESSED_BELOW = 1024


class FlushingGZipMiddleware(GZipMiddleware):
    """Django's gzip, except that short answers are not compressed and that a streamed page
    asking for it goes out piece by piece.

    Django compresses a stream into one gzip member and sends whatever the compressor
    lets out, which for a page is nothing until tens of kilobytes are in: the annotate
    page's first screenful (views/annotate.py streamed_page) would wait for the rest.
    A response with ``flush_each_chunk`` has the compressor flushed after each piece,
    in the same gzip member (random file name and all, as Django does against BREACH).
    Other streams (downloads yield row by row) keep Django's way.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not response.streaming and len(response.content) < UNCOMPRESSED_BELOW:
            return response
        if not getattr(response, "flush_each_chunk", False) or response.has_header(
            "Content-Encoding"
        ):
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Encoding",))
        if not re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            return response
        response.streaming_content = _flushed_gzip(
            response.streaming_content, self.max_random_bytes
        )
        response.headers.pop("Content-Length", None)
        response["Content-Encoding"] = "gzip"
        return response


def _flushed_gzip(chunks: Iterable[bytes], max_random_bytes: int) -> Iterator[bytes]:
    buffer = io.BytesIO()
    # A file name of random length in the header, as django.utils.text.compress_sequence.
    name = secrets.token_hex(secrets.randbelow(max_random_bytes // 2) + 1)
    with GzipFile(filename=name, mode="wb", compresslevel=6, fileobj=buffer, mtime=0) as zfile:
        for chunk in chunks:
            zfile.write(chunk)
            zfile.flush()  # Z_SYNC_FLUSH: what is in so far can be decompressed now
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.BytesIO) -> bytes:
    data = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return data


class LivePollMiddleware:
    """Answer a live poll that finds nothing new with 204 before the session or user are loaded.

    A class of a hundred polls every three seconds: loading each poll's session and
    user and running the rest of the middleware was most of what the server did.
    annotations/polling.py checks the poll's signed token against its session cookie
    and, in one query, the session, the membership, the revision and the fingerprint;
    any doubt passes the poll on to the full view (views/live.py).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        checked = request.META.get(POLL_STATE_KEY)
        if checked is not None:
            # Checked in front of Django (quiet_polls.py) and found something new.
            request.herlens_poll_state = checked
        elif request.method == "GET" and "t" in request.GET:
            document_id = polled_document(request.path_info)
            if document_id is not None and polling.nothing_new(request, document_id):
                return HttpResponse(status=polling.NOTHING_CHANGED)
        return self.get_response(request)


@lru_cache(maxsize=1024)
def polled_document(path: str) -> int | None:
    """The document a live poll's path names, or None for any other path.

    Remembered per path: resolving tries the app's routes one by one, a fifth of what a
    quiet poll cost, and a class polls the same few paths all day.
    """
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.kwargs["document_id"] if match.view_name == "annotations:live" else None


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
