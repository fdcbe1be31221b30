"""The live poll: 204 after one query when nothing changed; re-drawn paragraphs when something did."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotations.models import Document, Membership, Project, Role, Span, SpanRemoval, Tag
from annotations.services.classes import document_reveal
from annotations.services.spans import span_delete
from annotations.services.trash import span_trash, span_untrash
from annotations.views.live import LIVE_STOPPED, LIVE_STOPPED_HTML
from tests import factories
from tests.factories import client_for, drawn_span_ids, make_class, phrase

# Each test runs twice: through Django, and offered first to herlens/wsgi.py's quiet-poll check.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_ways")]

HTMX = {"HTTP_HX_REQUEST": "true"}


def poll_url(client: Client, document) -> str:
    page = client.get(document.get_absolute_url()).text
    return re.search(r'id="live"[^>]*hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")


def test_nothing_changed_answers_204_with_one_query_and_no_session_or_user_load():
    c = make_class(visibility="open")
    client = client_for(c.alice)
    url = poll_url(client, c.document)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **HTMX)
    assert response.status_code == 204
    # One query checks the session row, the membership, the revision and the count of span
    # changes at once (tests/test_live_changes.py: the spans are read only when it moved).
    assert len(queries) == 1, [q["sql"] for q in queries]
    [sql] = [q["sql"] for q in queries]
    for table in ("django_session", "annotations_membership", "annotations_spanchanges"):
        assert table in sql
    assert "auth_user" in sql  # only to see that the account is still active, inside the same query


def test_poll_from_another_session_of_the_same_reader_gets_the_full_check():
    c = make_class(visibility="open")
    url = poll_url(client_for(c.alice), c.document)
    other_session = client_for(c.alice)
    with CaptureQueriesContext(connection) as queries:
        response = other_session.get(url, **HTMX)
    assert response.status_code == 204
    # The session and the user were loaded: the view answered, not the middleware.
    assert any("django_session" in q["sql"] and "membership" not in q["sql"] for q in queries)


def test_logged_out_session_gets_no_answer_from_its_old_poller():
    c = make_class(visibility="open")
    client = client_for(c.alice)
    url = poll_url(client, c.document)
    session = client.cookies["sessionid"].value
    client.logout()
    client.cookies["sessionid"] = session  # the old cookie, replayed
    response = client.get(url, **HTMX)
    assert response.status_code != 204


def test_deactivated_account_gets_no_answer_from_its_poller():
    c = make_class(visibility="open")
    client = client_for(c.alice)
    url = poll_url(client, c.document)
    type(c.alice).objects.filter(pk=c.alice.pk).update(is_active=False)
    assert client.get(url, **HTMX).status_code != 204


def test_poll_without_the_session_cookie_gets_the_full_check():
    c = make_class(visibility="open")
    url = poll_url(client_for(c.alice), c.document)
    response = Client().get(url, **HTMX)
    assert response.status_code != 204


def test_new_span_of_classmate_is_sent_in_open_class():
    c = make_class(visibility="open")
    client = client_for(c.alice)
    url = poll_url(client, c.document)
    span = factories.make_span(c.document, *phrase(c.document, "design problem"), c.bob)
    response = client.get(url, **HTMX)
    assert response.status_code == 200
    assert 'id="live"' in response.text
    assert "<template" in response.text
    assert span.pk in factories.drawn_span_ids(response.text)
    assert response["HX-Trigger-After-Settle"] == "liveSpansChanged"
    # The new poller carries the new fingerprint: polling it again is quiet.
    again = re.search(r'hx-get="([^"]+)"', response.text).group(1).replace("&amp;", "&")
    assert client.get(again, **HTMX).status_code == 204


def test_a_live_update_carries_the_spoken_labels_of_what_it_re_draws_escaped():
    c = make_class(visibility="open")
    hostile = '"><img src=x onerror=alert(1)> Claim'
    Tag.objects.filter(project=c.document.project, slug="claim").update(name=hostile)
    client = client_for(c.alice)
    url = poll_url(client, c.document)
    span = factories.make_span(c.document, *phrase(c.document, "design problem"), c.bob)
    response = client.get(url, **HTMX)
    assert response.status_code == 200
    assert "<img" not in response.text
    attribute = re.search(r'id="live"[^>]*data-labels="([^"]*)"', response.text).group(1)
    labels = {
        span_id: (start, end)
        for start, end, ids in json.loads(html.unescape(attribute))
        for span_id in ids.split()
    }
    start, end = labels[str(span.pk)]
    assert hostile in start
    assert c.bob.username in start
    assert "end of" in end


def test_a_poller_that_re_draws_nothing_carries_no_labels():
    c = make_class(visibility="open")
    client = client_for(c.alice)
    url = re.sub(r"t=[^&]+", "t=expired", poll_url(client, c.document))
    response = client.get(url, **HTMX)
    assert response.status_code == 200
    assert "data-labels" not in response.text


def test_poll_that_finds_a_new_span_reads_the_fingerprint_once():
    # The fingerprint reads every span the reader may see: on a long essay it is most of a
    # poll's cost, so the view takes the one the middleware read instead of asking again.
    c = make_class(visibility="open")
    client = client_for(c.alice)
    url = poll_url(client, c.document)
    factories.make_span(c.document, *phrase(c.document, "design problem"), c.bob)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **HTMX)
    assert response.status_code == 200
    fingerprints = [q["sql"] for q in queries if "MAX(" in q["sql"] and "updated_at" in q["sql"]]
    assert len(fingerprints) == 1, fingerprints
    # Still right: the fingerprint sent back is the spans' current one.
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


def test_removed_member_gets_no_signal_even_when_nothing_changed():
    c = make_class(visibility="open")
    client = client_for(c.alice)
    url = poll_url(client, c.document)
    Membership.objects.filter(user=c.alice).delete()
    response = client.get(url, **HTMX)
    assert response.status_code == 286
    assert LIVE_STOPPED in response.text


def test_demoted_teacher_polls_in_the_new_role_from_the_next_poll_on():
    c = make_class(visibility="blind")
    client = client_for(c.teacher)
    url = poll_url(client, c.document)
    Membership.objects.filter(user=c.teacher, project=c.project).update(role=Role.ANNOTATOR)
    # Nothing changed on the page, yet the old token (teacher's role, which sees every
    # classmate's span) is not honoured: the poller is replaced by one for the new role.
    response = client.get(url, **HTMX)
    assert response.status_code == 200
    new_url = re.search(r'hx-get="([^"]+)"', response.text).group(1).replace("&amp;", "&")
    assert new_url != url
    factories.make_span(c.document, *phrase(c.document, "design problem"), c.bob)
    # A classmate's span in a blind class is no signal for a student.
    assert client.get(new_url, **HTMX).status_code == 204
    assert client.get(url, **HTMX).status_code == 200  # the old token still gets the full check


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


def untouched_for_an_hour(c) -> None:
    """Date the class's document, project and spans an hour back (all made just now by the test)."""
    hour_ago = timezone.now() - timedelta(hours=1)
    Document.objects.filter(pk=c.document.pk).update(updated_at=hour_ago)
    Project.objects.filter(pk=c.project.pk).update(updated_at=hour_ago)
    Span.objects.filter(document=c.document).update(updated_at=hour_ago)


def test_a_classmate_s_new_span_re_draws_only_its_paragraph():
    c = make_class(visibility="open")
    mine = factories.make_span(c.document, *phrase(c.document, "design problem"), c.alice)
    untouched_for_an_hour(c)
    client = client_for(c.alice)
    url = poll_url(client, c.document)
    theirs = factories.make_span(c.document, *phrase(c.document, "too neat"), c.bob)
    response = client.get(url, **HTMX)
    assert response.status_code == 200
    assert 'id="para-1"' in response.text
    assert 'id="para-0"' not in response.text
    assert drawn_span_ids(response.text) == {theirs.pk}
    assert mine.pk not in drawn_span_ids(response.text)


def test_a_classmate_s_deleted_span_re_draws_its_paragraph_without_it():
    c = make_class(visibility="open")
    factories.make_span(c.document, *phrase(c.document, "design problem"), c.alice)
    theirs = factories.make_span(c.document, *phrase(c.document, "too neat"), c.bob)
    untouched_for_an_hour(c)
    client = client_for(c.alice)
    url = poll_url(client, c.document)
    span_delete(span=theirs)
    response = client.get(url, **HTMX)
    assert response.status_code == 200
    assert 'id="para-1"' in response.text
    assert 'id="para-0"' not in response.text
    assert "too neat" in response.text
    assert drawn_span_ids(response.text) == set()


def test_a_classmate_s_restored_span_re_draws_its_paragraph_with_it():
    c = make_class(visibility="open")
    factories.make_span(c.document, *phrase(c.document, "design problem"), c.alice)
    theirs = factories.make_span(c.document, *phrase(c.document, "too neat"), c.bob)
    span_trash(span=theirs, user=c.bob)
    untouched_for_an_hour(c)
    Span.with_trash.filter(pk=theirs.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    client = client_for(c.alice)
    url = poll_url(client, c.document)
    span_untrash(span=Span.with_trash.get(pk=theirs.pk), user=c.bob)
    response = client.get(url, **HTMX)
    assert response.status_code == 200
    assert 'id="para-1"' in response.text
    assert 'id="para-0"' not in response.text
    assert drawn_span_ids(response.text) == {theirs.pk}


def test_a_reveal_re_draws_every_paragraph():
    c = make_class(visibility="blind")
    factories.make_span(c.document, *phrase(c.document, "design problem"), c.alice)
    theirs = factories.make_span(c.document, *phrase(c.document, "too neat"), c.bob)
    untouched_for_an_hour(c)
    client = client_for(c.alice)
    url = poll_url(client, c.document)
    document_reveal(document=c.document, revealed=True)
    response = client.get(url, **HTMX)
    assert 'id="para-0"' in response.text
    assert 'id="para-1"' in response.text
    assert theirs.pk in drawn_span_ids(response.text)


def test_only_deleted_spans_leave_their_place_behind():
    c = make_class(visibility="open")
    span = factories.make_span(c.document, *phrase(c.document, "too neat"), c.bob)
    factories.make_span(c.document, *phrase(c.document, "design problem"), c.bob)
    span_delete(span=span)
    assert list(SpanRemoval.objects.values_list("start", "end")) == [(span.start, span.end)]
    # Spans that go with their document leave nothing: there is no page left to re-draw.
    c.document.delete()
    assert not SpanRemoval.objects.exists()


def test_confirming_a_changed_span_takes_its_pencil_off_other_readers_pages():
    from annotations.models import AnchorState
    from annotations.services.revisions import span_anchor_confirm

    c = make_class(visibility="open")
    theirs = factories.make_span(c.document, *phrase(c.document, "too neat"), c.bob)
    # As a revision that edited words inside it left it, before this reader opened the page.
    Span.objects.filter(pk=theirs.pk).update(anchor=AnchorState.CHANGED)
    untouched_for_an_hour(c)
    client = client_for(c.alice)
    page = client.get(c.document.get_absolute_url()).text
    assert page.count(" chg") == 1
    url = poll_url(client, c.document)
    span_anchor_confirm(span=Span.objects.get(pk=theirs.pk), user=c.teacher)
    response = client.get(url, **HTMX)
    assert response.status_code == 200
    assert 'id="para-1"' in response.text
    assert theirs.pk in drawn_span_ids(response.text)
    assert " chg" not in response.text
