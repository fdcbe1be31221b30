"""A test client whose requests meet herlens/wsgi.py's quiet-poll check first, as in production.

Django's test client hands requests straight to Django's handler; this one offers each to
``quiet_polls.QuietPolls`` first and gives Django only what it does not answer, with the
environ it may have added to. Test modules run with both clients (``both_ways`` fixture).
"""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client

from annotations.quiet_polls import QuietPolls
from tests import factories


class QuietPollsClient(Client):
    #: How many requests were answered in front of Django, by every client of this class.
    answered_in_front = 0

    def request(self, **request) -> HttpResponse:
        environ = self._base_environ(**request)
        passed: list[dict] = []
        answer: dict = {}

        def django(environ: dict, start_response) -> list[bytes]:
            passed.append(environ)
            return []

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            answer.update(status=status, headers=headers)

        # As Django's test client, leave the connection (in the test's transaction) open.
        body = b"".join(QuietPolls(django, close_connections=lambda: None)(environ, start_response))
        if passed:
            return super().request(**passed[0])
        type(self).answered_in_front += 1
        response = HttpResponse(body, status=int(answer["status"].split()[0]))
        for name, value in answer["headers"]:
            response[name] = value
        return response


@pytest.fixture(params=["django", "quiet-polls-in-front"])
def both_ways(request, monkeypatch):
    """Run a test with Django's test client, then with requests offered to QuietPolls first."""
    if request.param == "django":
        yield
        return
    monkeypatch.setattr(factories, "Client", QuietPollsClient)
    monkeypatch.setattr(request.module, "Client", QuietPollsClient, raising=False)
    yield
