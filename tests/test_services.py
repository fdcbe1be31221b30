from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from annotations.models import DEFAULT_TAGS, Document, Membership, Origin, Role, Span
from annotations.services.documents import document_create
from annotations.services.errors import EMPTY_TEXT, EMPTY_TITLE, WHITESPACE_ONLY, DomainError
from annotations.services.projects import project_create
from annotations.services.spans import (
    DUPLICATE_AFTER_EDIT,
    UNDO_TEXT_CHANGED,
    span_create,
    span_delete,
    span_restore,
    span_update,
)
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_new_project_has_the_three_default_tags_and_its_owner(owner):
    project = project_create(name="Reading group", owner=owner)
    assert [t.name for t in project.tags.all()] == [name for name, *_ in DEFAULT_TAGS]
    assert [t.shortcut for t in project.tags.all()] == ["c", "p", "f"]
    assert Membership.objects.get(project=project).role == Role.OWNER


def test_project_slug_must_be_free(owner):
    project_create(name="Reading group", owner=owner)
    with pytest.raises(DomainError, match="exists already"):
        project_create(name="Reading Group", owner=owner)


def test_document_text_is_stored_normalised(project):
    document = document_create(project=project, title=" T ", text="Cafe\u0301\r\nnext\rline")
    document.refresh_from_db()
    assert document.text == "Café\nnext\nline"
    assert document.title == "T"


def test_document_needs_text_and_title(project):
    with pytest.raises(DomainError, match=EMPTY_TEXT):
        document_create(project=project, title="T", text=" \r\n ")
    with pytest.raises(DomainError, match=EMPTY_TITLE):
        document_create(project=project, title="  ", text="words")
    assert not Document.objects.exists()


def test_span_after_an_emoji_stores_code_point_offsets_and_its_quote(document, owner):
    start = document.text.index("It will")
    span, created = span_create(
        document=document,
        start=start,
        end=start + 7,
        tag=factories.tag(document.project),
        author=owner,
        quote="It will",
    )
    assert created
    assert document.text[span.start : span.end] == span.quote == "It will"
    # The emoji before it counts as one code point, not two UTF-16 units.
    assert start == document.text.index("🤖") + 2


def first_words(document, owner) -> dict:
    """What span_create takes for the document's first three code points."""
    return {
        "document": document,
        "start": 0,
        "end": 3,
        "tag": factories.tag(document.project),
        "author": owner,
    }


def test_identical_span_is_not_created_twice(document, owner):
    kwargs = first_words(document, owner)
    first, created_first = span_create(**kwargs)
    second, created_second = span_create(**kwargs)
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert Span.objects.count() == 1


def test_an_identical_span_inside_a_transaction_leaves_the_transaction_usable(document, owner):
    # The twin is found after the database refuses the INSERT; inside a caller's
    # transaction (an Idempotency-Key claim, an adjudication) that refusal must not
    # spoil it (PostgreSQL refuses every later statement of a failed transaction).
    kwargs = first_words(document, owner)
    first, _created = span_create(**kwargs)
    with transaction.atomic():
        second, created_second = span_create(**kwargs)
        other, created_other = span_create(**kwargs | {"end": 5})
    assert (second.pk, created_second) == (first.pk, False)
    assert created_other
    assert Span.objects.count() == 2


def test_overlapping_and_nested_spans_are_allowed(document, owner):
    factories.make_span(document, 0, 20, owner, "claim")
    factories.make_span(document, 0, 3, owner, "film-reference")
    factories.make_span(document, 10, 30, owner, "prediction")
    assert Span.objects.count() == 3


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (5, 5, "End 5 must be greater than start 5."),
        (10, 2, "End 2 must be greater than start 10."),
        (0, 10_000, "past the end of the document"),
        (-2, 3, "Start -2 is negative."),
    ],
)
def test_bad_offsets_get_a_clear_message_and_change_nothing(document, owner, start, end, message):
    with pytest.raises(DomainError, match=message.replace(".", r"\.")):
        span_create(
            document=document,
            start=start,
            end=end,
            tag=factories.tag(document.project),
            author=owner,
        )
    assert not Span.objects.exists()


def test_a_quote_that_does_not_match_is_refused(document, owner):
    with pytest.raises(DomainError, match="does not match"):
        span_create(
            document=document,
            start=0,
            end=3,
            tag=factories.tag(document.project),
            author=owner,
            quote="His",
        )
    assert not Span.objects.exists()


def test_whitespace_only_selection_is_refused(project, owner):
    document = factories.make_document(project, text="One.\n\nTwo.")
    with pytest.raises(DomainError, match=WHITESPACE_ONLY):
        span_create(document=document, start=4, end=6, tag=factories.tag(project), author=owner)


def test_tag_of_another_project_is_refused(document, owner):
    other = factories.make_project(owner=owner, name="Other")
    with pytest.raises(DomainError, match="belongs to another project"):
        span_create(document=document, start=0, end=3, tag=factories.tag(other), author=owner)


def test_database_refuses_start_not_before_end(document, owner):
    with pytest.raises(IntegrityError), transaction.atomic():
        Span.objects.create(
            document=document,
            start=4,
            end=4,
            tag=factories.tag(document.project),
            author=owner,
            quote="",
        )


def test_database_refuses_duplicate_span(document, owner):
    fields = {
        "document": document,
        "start": 0,
        "end": 3,
        "tag": factories.tag(document.project),
        "author": owner,
    }
    Span.objects.create(quote="Her", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Span.objects.create(quote="Her", **fields)


def test_update_changes_tag_and_note_and_refuses_a_clash(document, owner):
    span = factories.make_span(document, 0, 3, owner, "claim")
    factories.make_span(document, 0, 3, owner, "prediction")
    span_update(span=span, tag=factories.tag(document.project, "film-reference"), note=" why ")
    span.refresh_from_db()
    assert (span.tag.slug, span.note) == ("film-reference", "why")
    with pytest.raises(DomainError, match=DUPLICATE_AFTER_EDIT):
        span_update(span=span, tag=factories.tag(document.project, "prediction"))


def test_delete_then_restore_brings_back_the_same_span(document, owner):
    span = factories.make_span(document, 0, 3, owner, "claim")
    span_update(span=span, note="kept")
    original = (span.pk, span.start, span.end, span.tag_id, span.note, span.created_at)
    token = span_delete(span=span)
    assert not Span.objects.exists()
    restored = span_restore(token=token, document=document)
    assert (
        restored.pk,
        restored.start,
        restored.end,
        restored.tag_id,
        restored.note,
        restored.created_at,
    ) == original
    # Undo pressed twice restores once.
    assert span_restore(token=token).pk == restored.pk
    assert Span.objects.count() == 1


def test_restore_refuses_a_forged_token(document):
    with pytest.raises(DomainError, match="expired or is not valid"):
        span_restore(token="not-a-token")


def test_restore_refuses_when_the_text_changed(document, owner):
    span = factories.make_span(document, 0, 3, owner)
    token = span_delete(span=span)
    Document.objects.filter(pk=document.pk).update(text="Changed text entirely.")
    with pytest.raises(DomainError, match=UNDO_TEXT_CHANGED):
        span_restore(token=token)


def test_accepted_suggestion_origin_is_stored(document, owner):
    span, _ = span_create(
        document=document,
        start=0,
        end=3,
        tag=factories.tag(document.project),
        author=owner,
        origin=Origin.SUGGESTION,
    )
    assert span.origin == "suggestion"
