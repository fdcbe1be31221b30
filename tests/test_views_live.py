"""The live poll: 204 after one query when nothing changed; re-drawn paragraphs when something did."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from annotations.models import Membership
from annotations.views.live import LIVE_STOPPED, LIVE_STOPPED_HTML
from tests import factories
from tests.factories import client_for, make_class, phrase

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def poll_url(client: Client, document) -> str:
    page = client.get(document.get_absolute_url()).text
    return re.search(r'id="live"[^>]*hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")


def test_nothing_changed_answers_204_with_one_app_query():
    c = make_class(visibility="open")
    client = client_for(c.alice)
    url = poll_url(client, c.document)
    client.get(url, **HTMX)  # the session and user are loaded on every request; warm nothing else
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **HTMX)
    assert response.status_code == 204
    app = [q["sql"] for q in queries if "annotations_span" in q["sql"]]
    assert len(app) == 1
    # Beyond the span query, only Django's session and user look-ups.
    assert len(queries) == 3, [q["sql"] for q in queries]


def test_new_span_of_classmate_is_sent_in_open_class():
    c = make_class(visibility="open")
    client = client_for(c.alice)
    url = poll_url(client, c.document)
    span = factories.make_span(c.document, *phrase(c.document, "design problem"), c.bob)
    response = client.get(url, **HTMX)
    assert response.status_code == 200
    assert 'id="live"' in response.text
    assert "<template" in response.text
    assert f'data-s="{span.pk}"' in response.text
    assert response["HX-Trigger-After-Settle"] == "liveSpansChanged"
    # The new poller carries the new fingerprint: polling it again is quiet.
    again = re.search(r'hx-get="([^"]+)"', response.text).group(1).replace("&amp;", "&")
    assert client.get(again, **HTMX).status_code == 204


def test_classmate_span_in_blind_class_does_not_wake_the_poll():
    c = make_class(visibility="blind")
    client = client_for(c.alice)
    url = poll_url(client, c.document)
    factories.make_span(c.document, *phrase(c.document, "design problem"), c.bob)
    assert client.get(url, **HTMX).status_code == 204


def test_removed_member_is_told_to_stop_polling_once_something_changes():
    c = make_class(visibility="open")
    client = client_for(c.alice)
    url = poll_url(client, c.document)
    Membership.objects.filter(user=c.alice).delete()
    factories.make_span(c.document, *phrase(c.document, "design problem"), c.bob)
    response = client.get(url, **HTMX)
    assert response.status_code == 286
    assert LIVE_STOPPED in response.text


def test_token_of_another_user_gets_the_full_check():
    c = make_class(visibility="open")
    url = poll_url(client_for(c.alice), c.document)
    stranger = client_for(factories.make_user())
    response = stranger.get(url, **HTMX)
    assert response.status_code == 286
    # The same line whoever asks: a stranger learns nothing about the document.
    assert response.text == LIVE_STOPPED_HTML


def test_expired_token_renews_the_poller_without_paragraphs(settings):
    c = make_class(visibility="open")
    client = client_for(c.alice)
    url = poll_url(client, c.document)
    url = re.sub(r"t=[^&]+", "t=expired", url)
    response = client.get(url, **HTMX)
    assert response.status_code == 200
    assert "<template" not in response.text
    assert response["HX-Trigger-After-Settle"] == "liveRenewed"
