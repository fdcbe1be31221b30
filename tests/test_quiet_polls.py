"""Quiet live polls answered in front of Django (annotations/quiet_polls.py, herlens/wsgi.py).

These call the WSGI application gunicorn serves, with an environ as gunicorn builds it:
Django's test client never goes through herlens/wsgi.py. Requests Django handles close
the database connection at their end, so these tests commit their data.
"""

from __future__ import annotations

import io
import re
import time
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.core.signals import request_started
from django.db import OperationalError, connection, connections
from django.test import Client, override_settings
from django.urls import reverse

from annotations import polling
from annotations.models import Membership
from annotations.quiet_polls import QuietPolls
from herlens import wsgi
from tests import factories
from tests.factories import client_for, make_class, phrase
from tests.wsgi_client import QuietPollsClient

pytestmark = pytest.mark.django_db(transaction=True)


def poll_of(user, document) -> tuple[str, str]:
    """The poll URL of the annotate page user opened, and the page's session cookie."""
    client = client_for(user)
    page = client.get(document.get_absolute_url()).text
    url = re.search(r'id="live"[^>]*hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
    return url, client.cookies["sessionid"].value


def environ_for(url: str, session: str, method: str = "GET", **extra) -> dict:
    path, _, query = url.partition("?")
    return {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_COOKIE": f"sessionid={session}",
        "HTTP_HX_REQUEST": "true",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **extra,
    }


class Served:
    """One request through a WSGI application: its status, headers and body, and whether
    Django handled it (its request_started signal was sent)."""

    def __init__(self, application, environ: dict) -> None:
        started: list[object] = []

        def on_start(**kwargs) -> None:
            started.append(kwargs)

        def start_response(status: str, headers: list, exc_info=None) -> None:
            self.status, self.headers = int(status[:3]), dict(headers)

        request_started.connect(on_start)
        try:
            result = application(environ, start_response)
            self.body = b"".join(result)
            if hasattr(result, "close"):
                result.close()  # Django's request_finished, as a WSGI server calls it
        finally:
            request_started.disconnect(on_start)
        self.through_django = bool(started)


def serve(environ: dict) -> Served:
    return Served(wsgi.application, environ)


def test_quiet_poll_is_answered_in_front_with_django_s_headers():
    c = make_class(visibility="open")
    url, session = poll_of(c.alice, c.document)
    quiet = serve(environ_for(url, session))
    assert (quiet.status, quiet.body, quiet.through_django) == (204, b"", False)
    # The same poll through Django (its middleware answers it): the same headers.
    full = Served(wsgi.django_application, environ_for(url, session))
    assert (full.status, full.through_django) == (204, True)
    assert quiet.headers == full.headers
    assert quiet.headers["X-Content-Type-Options"] == "nosniff"
    assert quiet.headers["Referrer-Policy"] == "same-origin"


def test_logged_out_session_falls_through_to_django():
    c = make_class(visibility="open")
    url, session = poll_of(c.alice, c.document)
    client = Client()
    client.cookies["sessionid"] = session
    client.logout()
    served = serve(environ_for(url, session))
    assert served.through_django
    assert served.status != 204


def test_expired_session_falls_through_to_django():
    c = make_class(visibility="open")
    url, session = poll_of(c.alice, c.document)
    Session.objects.filter(session_key=session).update(expire_date="2001-01-01T00:00Z")
    served = serve(environ_for(url, session))
    assert served.through_django
    assert served.status != 204


def test_removed_member_is_told_by_django_to_stop_polling():
    c = make_class(visibility="open")
    url, session = poll_of(c.alice, c.document)
    Membership.objects.filter(user=c.alice).delete()
    served = serve(environ_for(url, session))
    assert served.through_django
    assert served.status == 286


def test_classmate_span_in_blind_class_is_answered_in_front_after_reading_the_spans():
    c = make_class(visibility="blind")
    url, session = poll_of(c.alice, c.document)
    factories.make_span(c.document, *phrase(c.document, "design problem"), c.bob)
    with mock.patch.object(polling, "poll_state", wraps=polling.poll_state) as state:
        served = serve(environ_for(url, session))
    assert (served.status, served.through_django) == (204, False)
    assert [call.kwargs.get("quick", False) for call in state.call_args_list] == [True, False]


def test_poll_that_finds_something_new_hands_its_state_to_the_view():
    c = make_class(visibility="open")
    url, session = poll_of(c.alice, c.document)
    span = factories.make_span(c.document, *phrase(c.document, "design problem"), c.bob)
    with mock.patch.object(polling, "poll_state", wraps=polling.poll_state) as state:
        served = serve(environ_for(url, session))
    assert (served.status, served.through_django) == (200, True)
    assert span.pk in factories.drawn_span_ids(served.body.decode())
    # The count moved, then the fingerprint was read once: in front, not again by Django.
    assert [call.kwargs.get("quick", False) for call in state.call_args_list] == [True, False]


UNUSUAL = {
    "head": ({"REQUEST_METHOD": "HEAD"}, 405),
    "post": ({"REQUEST_METHOD": "POST"}, 403),
    # Django answers it as it answered every poll before: quiet, after its middleware.
    "a body": ({"CONTENT_LENGTH": "3", "wsgi.input": io.BytesIO(b"abc")}, 204),
    "another path": ({"PATH_INFO": "/"}, 200),
    "a forged token": ({"QUERY_STRING": "t=forged&v=x&rv=1"}, 200),
    "no session": ({"HTTP_COOKIE": "sessionid="}, 401),
}


@pytest.mark.parametrize("unusual", UNUSUAL, ids=list(UNUSUAL))
def test_anything_unusual_falls_through_to_django(unusual):
    odd, status = UNUSUAL[unusual]
    c = make_class(visibility="open")
    url, session = poll_of(c.alice, c.document)
    assert serve(environ_for(url, session)).status == 204
    served = serve({**environ_for(url, session), **odd})
    assert (served.status, served.through_django) == (status, True)


def test_database_out_of_reach_answers_503_through_django():
    c = make_class(visibility="open")
    url, session = poll_of(c.alice, c.document)
    with mock.patch.object(polling, "poll_state", side_effect=OperationalError("gone")):
        served = serve(environ_for(url, session))
    assert served.through_django
    assert served.status == 503
    assert served.headers["Retry-After"]


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_poll_after_the_database_restarted_is_answered_on_a_fresh_connection():
    c = make_class(visibility="open")
    url, session = poll_of(c.alice, c.document)
    assert serve(environ_for(url, session)).status == 204
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [backend] = cursor.fetchone()
    # What a restart does to the worker's connection: the server ends it.
    killer = connections.create_connection("default")
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
    finally:
        killer.close()
    served = serve(environ_for(url, session))
    assert served.status == 204
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != backend


def test_connection_past_its_age_is_closed_as_django_would():
    c = make_class(visibility="open")
    url, session = poll_of(c.alice, c.document)
    assert serve(environ_for(url, session)).status == 204
    old = connection.connection
    assert old is not None  # kept between requests (CONN_MAX_AGE)
    connection.close_at = time.monotonic() - 1
    served = serve(environ_for(url, session))
    assert (served.status, served.through_django) == (204, False)
    assert connection.connection is not old


def test_plain_http_poll_is_sent_to_https_when_django_would():
    c = make_class(visibility="open")
    url, session = poll_of(c.alice, c.document)
    with override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=3600):
        application = QuietPolls(wsgi.get_wsgi_application())
        plain = Served(application, environ_for(url, session))
        secure = Served(application, environ_for(url, session, **{"wsgi.url_scheme": "https"}))
    assert (plain.status, plain.through_django) == (301, True)
    assert plain.headers["Location"].startswith("https://")
    assert (secure.status, secure.through_django) == (204, False)
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=3600")


def test_only_a_poll_over_https_gets_hsts():
    c = make_class(visibility="open")
    url, session = poll_of(c.alice, c.document)
    with override_settings(SECURE_HSTS_SECONDS=3600):
        application = QuietPolls(wsgi.get_wsgi_application())
        secure = Served(application, environ_for(url, session, **{"wsgi.url_scheme": "https"}))
        plain = Served(application, environ_for(url, session))
        again = Served(application, environ_for(url, session, **{"wsgi.url_scheme": "https"}))
    assert [served.status for served in (secure, plain, again)] == [204, 204, 204]
    assert not any(served.through_django for served in (secure, plain, again))
    assert "Strict-Transport-Security" in secure.headers
    assert "Strict-Transport-Security" not in plain.headers
    assert again.headers == secure.headers


def test_the_test_client_offered_to_quiet_polls_answers_there():
    c = make_class(visibility="open")
    url, session = poll_of(c.alice, c.document)
    client = QuietPollsClient()
    client.cookies["sessionid"] = session
    before = QuietPollsClient.answered_in_front
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 204
    assert QuietPollsClient.answered_in_front == before + 1
    assert client.get(reverse("annotations:home")).status_code == 200
    assert QuietPollsClient.answered_in_front == before + 1
