"""The count of span changes the live poll compares instead of reading every span.

Database triggers keep it (migration 0017): every way spans are written must move
it, or a quiet poll would be answered 204 over a change. Each write path below is
made after a classmate's page was drawn; the count must have moved and that page's
next poll must bring the change (not 204). A move of the count that this reader may
not see (blind mode) reads the spans and still answers 204, showing nothing.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import polling
from annotations.imports.base import ParsedDocument, ParsedSpan
from annotations.middleware import polled_document
from annotations.models import Span, Suggestion
from annotations.polling import LIVE_MAX_AGE, live_token, read_live_token
from annotations.selectors import document_span_changes
from annotations.services.classes import class_settings_update, document_reveal
from annotations.services.decisions import (
    suggestion_accept,
    suggestions_decide_tag,
    suggestions_undo,
)
from annotations.services.import_store import documents_import
from annotations.services.revisions import document_revise
from annotations.services.spans import span_delete, span_restore, span_update
from annotations.services.tokens import api_token_create
from annotations.services.trash import span_trash, span_untrash
from tests import factories
from tests.factories import client_for, drawn_span_ids, make_class, phrase

# Each test runs twice: through Django, and offered first to herlens/wsgi.py's quiet-poll check.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_ways")]

HTMX = {"HTTP_HX_REQUEST": "true"}
TRIGGERS = {
    "span_changes_insert",
    "span_changes_update",
    "span_changes_delete",
    "span_changes_reveal",
    "span_changes_visibility",
}


def poll_url(client: Client, document) -> str:
    page = client.get(document.get_absolute_url()).text
    return re.search(r'id="live"[^>]*hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")


def bob_span(c) -> Span:
    return factories.make_span(c.document, *phrase(c.document, "design problem"), c.bob)


def suggestion(c) -> Suggestion:
    start, end = phrase(c.document, "Critics said")
    return Suggestion.objects.create(
        document=c.document,
        start=start,
        end=end,
        tag=c.project.tags.get(slug="claim"),
        score=0.9,
        reason="a cue",
        quote="Critics said",
    )


# Each write path: (what to do before the page is drawn, the write itself).
def _htmx_create(c, _):
    start, end = phrase(c.document, "design problem")
    response = client_for(c.bob).post(
        reverse("annotations:span-create", args=[c.document.pk]),
        {"start": start, "end": end, "tag": "claim", "quote": "design problem"},
        **HTMX,
        HTTP_HX_CURRENT_URL="http://testserver" + c.document.get_absolute_url(),
    )
    assert response.status_code == 201


def _api_create(c, _):
    _token, raw = api_token_create(user=c.bob, name="tests")
    start, end = phrase(c.document, "design problem")
    response = Client().post(
        f"/api/v1/documents/{c.document.pk}/spans",
        data=json.dumps({"start": start, "end": end, "tag": "claim"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 201


def _delete_and_undo(c, span):
    # The page was drawn with the span deleted; the undo brings it back.
    span_restore(token=span.undo_token, user=c.bob)


def _delete_before(c):
    span = bob_span(c)
    span.undo_token = span_delete(span=span, user=c.bob)
    return span


def _trash_before(c):
    span = bob_span(c)
    span_trash(span=span, user=c.teacher)
    return span


def _bulk_insert(c, _):
    start, end = phrase(c.document, "Critics said")
    Span.objects.bulk_create(
        [
            Span(
                document=c.document,
                start=start,
                end=end,
                tag=c.project.tags.get(slug="claim"),
                author=c.bob,
                quote="Critics said",
            )
        ]
    )


def _suggestion_before(c):
    return suggestion(c)


def _decided_before(c):
    suggestion(c)
    _count, token = suggestions_decide_tag(
        document=c.document, tag=c.project.tags.get(slug="claim"), accept=True, user=c.teacher
    )
    return token


def _revise(c, _):
    document_revise(document=c.document, text="Yes. " + c.document.text, user=c.teacher)


WRITES = {
    "span_create (service)": (None, lambda c, _: bob_span(c)),
    "htmx form": (None, _htmx_create),
    "API": (None, _api_create),
    "bulk insert": (None, _bulk_insert),
    "raw SQL delete": (
        bob_span,
        lambda c, span: connection.cursor().execute(
            "DELETE FROM annotations_span WHERE id = %s", [span.pk]
        ),
    ),
    "span_update": (bob_span, lambda c, span: span_update(span=span, note="why", user=c.bob)),
    "span_delete": (bob_span, lambda c, span: span_delete(span=span, user=c.bob)),
    "queryset delete": (bob_span, lambda c, span: Span.objects.filter(pk=span.pk).delete()),
    "undo of a delete": (_delete_before, _delete_and_undo),
    "trash": (bob_span, lambda c, span: span_trash(span=span, user=c.teacher)),
    "restore from the trash": (
        _trash_before,
        lambda c, span: span_untrash(span=span, user=c.teacher),
    ),
    "suggestion accepted": (
        _suggestion_before,
        lambda c, found: suggestion_accept(suggestion=found, user=c.teacher),
    ),
    "undo of accepted suggestions": (
        _decided_before,
        lambda c, token: suggestions_undo(token=token, document=c.document),
    ),
    "re-anchoring after a revision": (bob_span, _revise),
}


@pytest.mark.parametrize("write", WRITES, ids=list(WRITES))
def test_every_write_path_moves_the_count_and_wakes_the_poll(write):
    before_page, make_change = WRITES[write]
    c = make_class(visibility="open")
    prepared = before_page(c) if before_page else None
    alice = client_for(c.alice)
    url = poll_url(alice, c.document)
    counted = document_span_changes(c.document.pk)
    assert alice.get(url, **HTMX).status_code == 204

    make_change(c, prepared)

    assert document_span_changes(c.document.pk) > counted
    response = alice.get(url, **HTMX)
    assert response.status_code in (200, 286), response.status_code
    if "revision-notice" in response.text:
        return  # a revision replaces the poller with a notice: polling stops there
    if response.status_code == 200:
        # The answer carries a new poller at the new count: polling it again is quiet.
        again = re.search(r'hx-get="([^"]+)"', response.text).group(1).replace("&amp;", "&")
        assert alice.get(again, **HTMX).status_code == 204


def test_import_counts_each_document_s_spans():
    c = make_class(visibility="open")
    parsed = [
        ParsedDocument(
            title=f"Imported {n}",
            text=f"Essay number {n} says one thing.",
            spans=[
                ParsedSpan(start=0, end=5, tag="claim"),
                ParsedSpan(start=6, end=12, tag="claim"),
            ],
        )
        for n in range(3)
    ]
    documents_import(project=c.project, author=c.teacher, documents=parsed)
    imported = list(c.project.documents.filter(title__startswith="Imported"))
    assert len(imported) == 3
    for document in imported:
        assert document.spans.count() == 2
        assert document_span_changes(document.pk) >= 1


def test_quiet_poll_reads_the_count_not_the_spans():
    c = make_class(visibility="open")
    bob_span(c)
    alice = client_for(c.alice)
    url = poll_url(alice, c.document)
    with CaptureQueriesContext(connection) as queries:
        assert alice.get(url, **HTMX).status_code == 204
    [sql] = [q["sql"] for q in queries]
    assert "annotations_spanchanges" in sql
    assert not re.search(r"annotations_span\b", sql), sql


def test_classmate_change_in_blind_class_reads_the_spans_and_shows_nothing():
    c = make_class(visibility="blind")
    alice = client_for(c.alice)
    url = poll_url(alice, c.document)
    span = bob_span(c)
    with CaptureQueriesContext(connection) as queries:
        response = alice.get(url, **HTMX)
    # The count moved, so the poll read what alice may see: nothing new, still 204.
    assert response.status_code == 204
    assert any(re.search(r"annotations_span\b", q["sql"]) for q in queries)
    assert span.pk not in drawn_span_ids(response.content.decode())


@pytest.mark.parametrize(
    "show",
    [
        lambda c: document_reveal(document=c.document, revealed=True),
        lambda c: class_settings_update(
            project=c.project, join_open=False, visibility="open", allow_self_signup=False
        ),
    ],
    ids=["reveal", "class opened"],
)
def test_what_decides_who_sees_spans_moves_the_count(show):
    # A classmate's span, hidden when the page was drawn, shown after: no span row changed.
    c = make_class(visibility="blind")
    span = bob_span(c)
    alice = client_for(c.alice)
    url = poll_url(alice, c.document)
    assert alice.get(url, **HTMX).status_code == 204
    counted = document_span_changes(c.document.pk)

    show(c)

    assert document_span_changes(c.document.pk) > counted
    response = alice.get(url, **HTMX)
    assert response.status_code == 200
    assert span.pk in drawn_span_ids(response.text)


def test_the_triggers_exist_after_every_migration():
    # SQLite drops a table's triggers when a migration rebuilds it.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        names = {row[0] for row in cursor.fetchall()}
    assert names >= TRIGGERS


# ---- the signed token, remembered per worker once checked -----------------------------


def test_a_remembered_token_still_expires(monkeypatch):
    c = make_class(visibility="open")
    token = live_token(c.document, c.alice.pk, "annotator", "some-session", 0)
    assert read_live_token(token)["d"] == c.document.pk
    later = time.time() + LIVE_MAX_AGE + 1
    monkeypatch.setattr(polling.time, "time", lambda: later)
    assert read_live_token(token) is None


def test_a_forged_or_re_keyed_token_is_refused(settings):
    c = make_class(visibility="open")
    token = live_token(c.document, c.alice.pk, "annotator", "some-session", 0)
    assert read_live_token(token) is not None
    assert read_live_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    settings.SECRET_KEY = "another-key-" + "y" * 40
    assert read_live_token(token) is None


def test_only_live_poll_paths_are_taken_for_polls():
    c = make_class(visibility="open")
    live = reverse("annotations:live", args=[c.document.pk])
    assert polled_document(live) == c.document.pk
    assert polled_document(c.document.get_absolute_url()) is None
    assert polled_document("/no/such/page/") is None
