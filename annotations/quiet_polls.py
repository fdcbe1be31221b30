"""Quiet live polls answered in front of Django's request handling (herlens/wsgi.py).

A class of a hundred polls every three seconds, and almost every poll finds nothing
new. ``middleware.LivePollMiddleware`` answers those 204 after one query, but by then
Django has sent its request signals, run the middleware before it and built the
response the way every response is built: most of what a quiet poll cost the server.
``QuietPolls`` wraps the WSGI application and answers them first, with the same check
(``polling.nothing_new``) and the headers Django's ``SecurityMiddleware`` would add.

Everything else goes to Django unchanged, and so does any poll this cannot answer
with certainty: another method, a body, an HTTP request that Django would send to HTTPS,
any doubt about the token or the session, and any error, a database that went away
among them (Django then answers as for every request: 503 while it is away). A poll
that was checked and found something new hands what the query read to the full view
(``POLL_STATE_KEY``), which takes it instead of asking again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import lru_cache
from http import HTTPStatus

from django.core.handlers.wsgi import WSGIRequest
from django.db import close_old_connections
from django.http import HttpResponse, QueryDict
from django.middleware.security import SecurityMiddleware

from annotations import polling
from annotations.middleware import POLL_STATE_KEY, is_outage, polled_document

logger = logging.getLogger("herlens.polling")

StartResponse = Callable[..., object]
WSGIApplication = Callable[[dict, StartResponse], Iterable[bytes]]


def _not_called(request: WSGIRequest) -> HttpResponse:
    raise AssertionError("only the security middleware's own checks are used here")


class QuietPolls:
    """Answer a live poll that finds nothing new with 204 before Django handles it.

    ``close_connections`` is what Django does with the database connections as a
    request starts and finishes (closing one past CONN_MAX_AGE, or broken, so the next
    query opens a fresh one); Django's test client leaves them open, and tests here too.
    """

    def __init__(
        self,
        application: WSGIApplication,
        close_connections: Callable[[], None] = close_old_connections,
    ) -> None:
        self.application = application
        self.close_connections = close_connections
        self.security = SecurityMiddleware(_not_called)
        #: The 204's headers, over HTTPS and not: they depend on nothing else.
        self.headers: dict[bool, list[tuple[str, str]]] = {}

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        # Cheap enough for every request: only a GET carrying a token goes further.
        if environ.get("REQUEST_METHOD") == "GET" and "t=" in environ.get("QUERY_STRING", ""):
            headers = self.quiet_answer(environ)
            if headers is not None:
                start_response(QUIET_STATUS, headers)
                return []
        return self.application(environ, start_response)

    def quiet_answer(self, environ: dict) -> list[tuple[str, str]] | None:
        """The 204's headers for a poll that finds nothing new, or None to leave it to Django."""
        if environ.get("CONTENT_LENGTH", "") not in ("", "0"):
            return None
        self.close_connections()
        try:
            return self._answer(environ)
        except Exception as error:
            # Django asks again and answers as it answers every request (503 on an outage).
            if not is_outage(error):
                logger.exception("Quiet poll check failed; the full view answers")
            return None
        finally:
            self.close_connections()

    def _answer(self, environ: dict) -> list[tuple[str, str]] | None:
        request = WSGIRequest(environ)
        document_id = polled_document(request.path_info)
        if document_id is None or self.security.process_request(request) is not None:
            return None  # not a poll, or Django sends it to HTTPS first
        request.GET = _query(environ["QUERY_STRING"])
        if polling.nothing_new(request, document_id):
            return self._quiet_headers(request)
        state = getattr(request, "herlens_poll_state", None)
        if state is not None:
            environ[POLL_STATE_KEY] = state
        return None

    def _quiet_headers(self, request: WSGIRequest) -> list[tuple[str, str]]:
        secure = request.is_secure()
        if secure not in self.headers:
            response = HttpResponse(status=polling.NOTHING_CHANGED)
            self.headers[secure] = list(self.security.process_response(request, response).items())
        return list(self.headers[secure])  # a list of its own: a server may add to it


QUIET_STATUS = f"{polling.NOTHING_CHANGED} {HTTPStatus(polling.NOTHING_CHANGED).phrase}"


@lru_cache(maxsize=4096)
def _query(query_string: str) -> QueryDict:
    """A poll's parameters, parsed once per worker: a page polls with the same ones for
    ten minutes, and parsing its signed token was a fifth of the check. (Immutable.)"""
    return QueryDict(query_string.encode("latin-1"))
