"""Requests racing each other end in one write and a clear answer, never a 500 or a duplicate.

These run for real from many threads (transaction=True: each thread its own connection).
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from annotations.models import IdempotencyKey, Role, Span
from annotations.services import classes, errors, tokens
from annotations.services import spans as span_services
from tests import factories
from tests.concurrency import at_once
from tests.factories import client_for

API = "/api/v1"
pytestmark = pytest.mark.django_db(transaction=True)


def _token(user) -> str:
    _token, raw = tokens.api_token_create(user=user, name="race")
    return raw


def test_one_idempotency_key_with_fifty_bodies_creates_one_span(project, document):
    annotator = factories.add_member(project, Role.ANNOTATOR)
    raw = _token(annotator)
    words = [(i, i + 3) for i in range(0, 50)]

    def post(number: int) -> int:
        start, end = words[number]
        return (
            Client()
            .post(
                f"{API}/documents/{document.pk}/spans",
                {"start": start, "end": end, "tag": "claim"},
                content_type="application/json",
                headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": "same-key"},
            )
            .status_code
        )

    statuses = at_once(50, post)
    assert Span.objects.filter(author=annotator).count() == 1
    assert IdempotencyKey.objects.filter(user=annotator).count() == 1
    assert sorted(set(statuses)) in ([201, 422], [201])
    assert statuses.count(201) == 1


def _api(user) -> dict:
    return {"Authorization": f"Bearer {_token(user)}"}


def _patch(headers: dict, span_id: int, body: dict, **extra):
    return Client().patch(
        f"{API}/spans/{span_id}", body, content_type="application/json", headers=headers | extra
    )


def test_forty_concurrent_patches_of_one_version_one_wins_the_rest_get_409(project, document):
    editor = factories.add_member(project, Role.EDITOR)
    span = factories.make_span(document, 0, 3, editor)
    headers = _api(editor)

    def patch(number: int):
        response = _patch(headers, span.pk, {"note": f"note {number}"}, **{"If-Match": '"1"'})
        return response.status_code, response.json()

    answers = at_once(40, patch)
    statuses = sorted(status for status, _body in answers)
    assert statuses == [200] + [409] * 39  # the fault: 40 of 40 succeeded, 39 silently lost
    winner = next(body for status, body in answers if status == 200)
    span.refresh_from_db()
    assert (span.note, span.version) == (winner["note"], 2)
    for status, body in answers:
        if status == 409:
            assert body["detail"] == errors.SPAN_CHANGED
            assert body["current"] == winner  # both versions: theirs is in the answer


def test_patches_racing_deletes_end_in_404_or_409_never_500(project, document):
    editor = factories.add_member(project, Role.EDITOR)
    spans = [factories.make_span(document, n * 4, n * 4 + 3, editor) for n in range(10)]
    headers = _api(editor)

    def act(number: int):
        span = spans[number // 2]
        if number % 2:
            response = Client().delete(f"{API}/spans/{span.pk}", headers=headers)
        else:
            response = _patch(headers, span.pk, {"note": "racing"})
        return response.status_code, response["Content-Type"]

    answers = at_once(20, act)
    assert {status for status, _type in answers} <= {200, 204, 404}
    assert all(kind.startswith("application/json") for status, kind in answers if status >= 400)
    assert not Span.objects.filter(pk__in=[s.pk for s in spans]).exists()


def test_a_patch_of_a_span_deleted_meanwhile_is_404_json(project, document):
    # The fault as it happens: the PATCH has read the span, a DELETE commits, the PATCH saves.
    editor = factories.add_member(project, Role.EDITOR)
    span = factories.make_span(document, 0, 3, editor)
    Span.objects.filter(pk=span.pk).delete()
    with pytest.raises(errors.Gone):
        span_services.span_update(span=span, note="too late")
    with pytest.raises(errors.Gone):
        span_services.span_delete(span=span)


def test_two_spans_of_one_reader_moved_to_one_tag_at_once(project, document):
    # Same passage, two tags; both PATCHed to the third tag together: the unique
    # constraint lets one through. The fault: IntegrityError, an HTML 500.
    editor = factories.add_member(project, Role.EDITOR)
    claim = factories.make_span(document, 0, 3, editor, "claim")
    prediction = factories.make_span(document, 0, 3, editor, "prediction")
    headers = _api(editor)

    def move(number: int):
        span = (claim, prediction)[number]
        response = _patch(headers, span.pk, {"tag": "film-reference"})
        return response.status_code, response["Content-Type"]

    answers = sorted(at_once(2, move))
    assert answers[0] == (200, "application/json; charset=utf-8")
    assert answers[1][0] in {400, 409}  # refused, the tag already taken by the twin
    assert answers[1][1].startswith("application/json")
    assert Span.objects.filter(author=editor, tag__slug="film-reference").count() == 1


def test_the_page_shows_both_versions_and_use_mine_saves_on_top(project, document):
    alice = factories.add_member(project, Role.EDITOR)
    bob = factories.add_member(project, Role.EDITOR)
    span = factories.make_span(document, 0, 3, alice)
    edit = reverse("annotations:span-edit", args=[span.pk])
    htmx = {"HX-Request": "true"}
    # Both opened version 1; Alice saves first.
    first = client_for(alice).post(
        edit, {"tag": "claim", "note": "Alice's note", "version": 1}, headers=htmx
    )
    assert first.status_code == 200
    stale = client_for(bob).post(
        edit, {"tag": "prediction", "note": "Bob's note", "version": 1}, headers=htmx
    )
    assert stale.status_code == 409
    page = stale.text
    assert errors.SPAN_CHANGED.replace("'", "&#x27;") in page
    assert f"Changed by {alice.get_username()}" in page
    assert "Alice&#x27;s note" in page
    assert "Bob&#x27;s note" in page
    assert "Keep theirs" in page
    assert "Use mine" in page
    span.refresh_from_db()
    assert (span.note, span.tag.slug, span.version) == ("Alice's note", "claim", 2)
    # "Use mine" sends Bob's values on top of version 2.
    assert 'name="version" value="2"' in page
    mine = client_for(bob).post(
        edit, {"tag": "prediction", "note": "Bob's note", "version": 2}, headers=htmx
    )
    assert mine.status_code == 200
    span.refresh_from_db()
    assert (span.note, span.tag.slug, span.version, span.updated_by) == (
        "Bob's note",
        "prediction",
        3,
        bob,
    )


def test_a_stale_comment_edit_is_refused_and_both_texts_shown(project, document):
    alice = factories.add_member(project, Role.ANNOTATOR)
    span = factories.make_span(document, 0, 3, alice)
    comment = classes.comment_create(span=span, author=alice, text="First")
    url = reverse("annotations:comment-edit", args=[comment.pk])
    htmx = {"HX-Request": "true"}
    tab_one = client_for(alice).post(url, {"text": "From tab one", "version": 1}, headers=htmx)
    assert tab_one.status_code == 200
    tab_two = client_for(alice).post(url, {"text": "From tab two", "version": 1}, headers=htmx)
    assert tab_two.status_code == 409
    assert "From tab one" in tab_two.text
    assert "From tab two" in tab_two.text
    assert "Use mine" in tab_two.text
    comment.refresh_from_db()
    assert (comment.text, comment.version) == ("From tab one", 2)


def test_a_keyed_create_of_a_span_you_had_says_200_not_201(project, document):
    # The load test counted one span "created" twice: a 201 here though nothing was made.
    editor = factories.add_member(project, Role.EDITOR)
    span = factories.make_span(document, 0, 3, editor)
    response = Client().post(
        f"{API}/documents/{document.pk}/spans",
        {"start": 0, "end": 3, "tag": "claim"},
        content_type="application/json",
        headers=_api(editor) | {"Idempotency-Key": "fresh"},
    )
    assert (response.status_code, response.json()["id"]) == (200, span.pk)


def test_thirty_writers_at_once_on_sqlite_take_turns_instead_of_failing(project, document):
    import time

    from django.db import connection, transaction

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database")
    editor = factories.add_member(project, Role.EDITOR)
    span = factories.make_span(document, 0, 3, editor)

    def write(number: int) -> str:
        # The fault, made quick: a busy timeout far shorter than the queue of writers, as
        # 50 clients made it for the 20 s one (SQLite's busy handler is not first come first served).
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 50")
        try:
            with transaction.atomic():
                Span.objects.filter(pk=span.pk).update(note=f"writer {number}")
                time.sleep(0.02)
        except Exception as error:  # the answer under test
            return str(error)
        return "ok"

    assert at_once(30, write) == ["ok"] * 30
