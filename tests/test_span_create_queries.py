"""What creating a span costs the database, and the queries compiled once that keep it low.

The counts are pinned: a query more on the path of the most frequent action fails here.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotations import throttle
from annotations.compiled import CompiledQuery
from annotations.models import (
    ApiToken,
    Document,
    Project,
    Role,
    Span,
    Tag,
    Throttle,
    Visibility,
)
from annotations.permissions import document_with_role, visible_documents
from annotations.selectors import project_tags
from annotations.services.revisions import document_revise
from annotations.services.spans import span_create
from annotations.services.tokens import (
    api_token_create,
    api_token_find,
    api_token_for_client,
    api_token_revoke,
)
from annotations.services.trash import document_trash
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


def _api_create(client, raw: str, document: Document, start: int, end: int):
    return client.post(
        f"/api/v1/documents/{document.pk}/spans",
        data=json.dumps({"start": start, "end": end, "tag": "claim"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )


# transactional_db: as in production, no test transaction around the request (inside one, the
# INSERT takes a savepoint so that a refused twin leaves the caller's transaction usable).


def test_api_create_reads_token_document_and_tags_then_inserts(
    transactional_db, client, owner, document, django_assert_num_queries
):
    _token, raw = api_token_create(user=owner, name="counted")
    assert _api_create(client, raw, document, 0, 3).status_code == 201  # notes the token's use
    # The token with the address's throttle, the document with the role, the tags, the INSERT.
    with django_assert_num_queries(4):
        response = _api_create(client, raw, document, 4, 8)
    assert response.status_code == 201
    assert Span.objects.filter(start=4, end=8).count() == 1


def test_htmx_create_reads_only_the_spans_of_the_paragraphs_it_redraws(
    transactional_db, owner, document, django_assert_num_queries
):
    client = factories.client_for(owner)
    start, end = factories.phrase(document, "It will")
    data = {"start": start, "end": end, "tag": "claim", "quote": "It will"}
    # Session, user, document with the role, tags, INSERT, the spans of the touched paragraphs;
    # a span made now has no history to ask for. The text was read once already (by the page).
    document_with_role(owner, document.pk)
    with django_assert_num_queries(6):
        response = client.post(reverse("annotations:span-create", args=[document.pk]), data, **HTMX)
    assert response.status_code == 201
    assert "Created by" in response.text


def test_a_blocked_address_is_refused_a_right_token_and_the_token_is_not_marked_used(
    client, owner, document
):
    token, raw = api_token_create(user=owner, name="blocked")
    for _ in range(throttle.API_TOKENS.limit):
        throttle.record_failure(throttle.API_TOKENS, "127.0.0.1")
    response = _api_create(client, raw, document, 0, 3)
    assert response.status_code == 429
    assert ApiToken.objects.get(pk=token.pk).last_used_at is None
    assert not Span.objects.exists()


def test_a_wrong_token_is_counted_against_its_address(client, document):
    response = _api_create(client, "hl_not-a-token", document, 0, 3)
    assert response.status_code == 401
    assert not throttle.is_blocked(throttle.API_TOKENS, "127.0.0.1")
    for _ in range(throttle.API_TOKENS.limit - 1):
        _api_create(client, "hl_not-a-token", document, 0, 3)
    assert throttle.is_blocked(throttle.API_TOKENS, "127.0.0.1")
    assert _api_create(client, "hl_not-a-token", document, 0, 3).status_code == 429


def test_document_with_role_agrees_with_visible_documents(project, members, document):
    other_project = factories.make_project(owner=members[Role.EDITOR], name="Other")
    other = factories.make_document(other_project, text="Someone else's essay.")
    trashed = factories.make_document(project, text="Thrown away.")
    document_trash(document=trashed, user=members[Role.OWNER])
    for user in members.values():
        for candidate in (document, other, trashed):
            expected = (
                visible_documents(user, with_role=True)
                .select_related("project")
                .filter(pk=candidate.pk)
                .first()
            )
            found = document_with_role(user, candidate.pk)
            if expected is None:
                assert found is None
                continue
            assert (found.pk, found.text, found.member_role) == (
                expected.pk,
                expected.text,
                expected.member_role,
            )
            assert found.project == expected.project
            assert found.project.visibility == expected.project.visibility
            assert found.created_at == expected.created_at


def test_document_with_role_carries_its_project_without_another_query(
    owner, document, django_assert_num_queries
):
    # The first time, a second query reads the text; then it is known until the next revision.
    with django_assert_num_queries(2):
        assert document_with_role(owner, document.pk).text == document.text
    with django_assert_num_queries(1):
        found = document_with_role(owner, document.pk)
        assert found.project.name == document.project.name
        assert found.member_role == Role.OWNER
        assert found.text == document.text


def test_document_with_role_reads_the_text_of_each_new_revision(
    owner, document, django_assert_num_queries
):
    first = document.text
    assert document_with_role(owner, document.pk).text == first
    document_revise(document=document, text="Another essay.\n\n" + first, user=owner)
    found = document_with_role(owner, document.pk)
    assert found.revision == 2
    assert found.text == "Another essay.\n\n" + first
    assert found.get_deferred_fields() == set()
    # A document made again under the same id (an emptied database) has its own text.
    Document.with_trash.filter(pk=document.pk).update(
        text="Made again.", revision=1, created_at=timezone.now(), updated_at=timezone.now()
    )
    assert document_with_role(owner, document.pk).text == "Made again."


@pytest.mark.parametrize("document_id", [0, -1, 2**63], ids=["zero", "negative", "too-large"])
def test_document_with_role_finds_nothing_for_an_impossible_id(owner, document_id):
    assert document_with_role(owner, document_id) is None


def test_project_tags_are_the_project_tags_in_their_order(project):
    Tag.objects.filter(project=project, slug="claim").update(position=99)
    other = factories.make_project(name="Other")
    assert project_tags(project) == list(project.tags.all())
    assert [tag.name for tag in project_tags(project)] == [tag.name for tag in project.tags.all()]
    assert project_tags(other) == list(other.tags.all())
    assert not set(project_tags(project)) & set(project_tags(other))


def test_a_compiled_query_refuses_a_value_that_does_not_reach_the_sql(project):
    ignored = CompiledQuery(lambda project_id: Project.objects.values_list("pk"), "project_id")
    with pytest.raises(ValueError, match="must be one parameter"):
        ignored.rows(project_id=project.pk)


def test_a_compiled_query_converts_what_comes_back_as_the_orm_does(project, document):
    created = CompiledQuery(
        lambda document_id: Document.objects.filter(pk=document_id).values_list(
            "created_at", "metadata"
        ),
        "document_id",
    )
    assert created.rows(document_id=document.pk) == [
        list(Document.objects.filter(pk=document.pk).values_list("created_at", "metadata").get())
    ]
    assert created.rows(document_id=document.pk)[0][0] <= timezone.now()


def test_a_blind_reader_sees_only_their_own_spans_in_the_redrawn_paragraph(project, members):
    project.visibility = Visibility.BLIND
    project.save(update_fields=["visibility"])
    document = factories.make_document(project, text="One paragraph about the film's voice.")
    annotator, editor = members[Role.ANNOTATOR], members[Role.EDITOR]
    theirs = factories.make_span(document, 0, 3, editor)
    url = reverse("annotations:span-create", args=[document.pk])
    data = {"start": 4, "end": 13, "tag": "claim"}
    response = factories.client_for(annotator).post(url, data, **HTMX)
    assert response.status_code == 201
    mine = Span.objects.get(author=annotator)
    assert factories.drawn_span_ids(response.text) == {mine.pk}
    response = factories.client_for(editor).post(url, data | {"start": 14, "end": 23}, **HTMX)
    drawn = factories.drawn_span_ids(response.text)
    assert {mine.pk, theirs.pk} < drawn


def test_a_span_made_now_shows_an_empty_history(owner, document, django_assert_num_queries):
    span, created = span_create(
        document=document, start=0, end=3, tag=factories.tag(document.project), author=owner
    )
    assert created
    with django_assert_num_queries(0):
        assert list(span.events.all()) == []


def test_a_compiled_query_takes_text_and_moments_as_the_orm_does(owner):
    now = timezone.now()
    Throttle.objects.create(scope="api-token", key="10.0.0.1", window_start=now, failures=3)
    Throttle.objects.create(
        scope="api-token", key="10.0.0.2", window_start=now - timedelta(hours=1), failures=3
    )
    recent = CompiledQuery(
        lambda key, since: Throttle.objects.filter(key=key, window_start__gt=since).values_list(
            "failures"
        ),
        text=("key",),
        moments=("since",),
    )
    since = now - timedelta(minutes=10)
    assert recent.rows(key="10.0.0.1", since=since) == [[3]]
    assert recent.rows(key="10.0.0.2", since=since) == []
    assert recent.rows(key="10.0.0.2", since=now - timedelta(hours=2)) == [[3]]
    assert recent.rows(key="10.0.0.1", since=now) == []


def test_the_token_read_with_its_block_is_api_token_find_and_is_blocked(owner):
    token, raw = api_token_create(user=owner, name="read")
    found = api_token_for_client(raw, "10.0.0.1")
    assert (found.pk, found.key_hash, found.user, found.client_blocked) == (
        token.pk,
        token.key_hash,
        owner,
        False,
    )
    assert found.user.get_username() == owner.get_username()
    assert found.created_at == api_token_find(raw).created_at
    for _ in range(throttle.API_TOKENS.limit):
        throttle.record_failure(throttle.API_TOKENS, "10.0.0.1")
    assert api_token_for_client(raw, "10.0.0.1").client_blocked
    assert not api_token_for_client(raw, "10.0.0.2").client_blocked
    # A window that ended blocks no more.
    Throttle.objects.update(window_start=timezone.now() - throttle.API_TOKENS.window)
    assert not api_token_for_client(raw, "10.0.0.1").client_blocked
    assert api_token_for_client("hl_not-a-token", "10.0.0.2") is None
    api_token_revoke(token=token)
    assert api_token_for_client(raw, "10.0.0.2") is None


def test_the_token_of_an_inactive_user_is_not_found(owner):
    _token, raw = api_token_create(user=owner, name="read")
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    assert api_token_for_client(raw, "10.0.0.1") is None
    assert api_token_find(raw) is None


def test_a_text_longer_than_what_a_process_keeps_is_read_each_time(
    owner, document, monkeypatch, django_assert_num_queries
):
    from annotations import permissions

    monkeypatch.setattr(permissions, "TEXTS_KEPT_CHARACTERS", len(document.text) - 1)
    for _ in range(2):
        with django_assert_num_queries(2):
            assert document_with_role(owner, document.pk).text == document.text
    monkeypatch.setattr(permissions, "TEXTS_KEPT_CHARACTERS", len(document.text))
    document_with_role(owner, document.pk)
    with django_assert_num_queries(1):
        assert document_with_role(owner, document.pk).text == document.text
