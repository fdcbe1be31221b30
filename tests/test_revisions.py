"""Revising a document: spans, reference spans, comments and suggestions follow the text."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from annotations.models import (
    AnchorState,
    Comment,
    Revision,
    Span,
    Suggestion,
    SuggestionStatus,
)
from annotations.offsets import is_grapheme_boundary, normalise_text
from annotations.services import revisions
from tests import factories
from tests.test_anchoring import essay as essays
from tests.test_anchoring import inserted

pytestmark = pytest.mark.django_db

DRAFT = (
    "The machine speaks softly. Theodore writes letters for strangers.\n\n"
    "By 2035 every city 🎬 will hear its own voice. The camera stays close to him.\n\n"
    "Rain on the window, and a long ride home."
)


def at(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


@pytest.fixture
def essay(project):
    return factories.make_document(project, text=DRAFT, title="Draft")


def span_on(document, words, author, tag_slug="claim"):
    return factories.make_span(document, *at(document.text, words), author, tag_slug)


def assert_live_spans_match(document) -> None:
    document.refresh_from_db()
    for span in Span.objects.filter(document=document):
        assert document.text[span.start : span.end] == span.quote


def test_revising_moves_spans_flags_changed_and_keeps_orphans(essay, owner):
    letters = span_on(essay, "Theodore writes letters", owner)
    voice = span_on(essay, "will hear its own voice", owner, "prediction")
    camera = span_on(essay, "The camera stays close to him.", owner)
    new = "A new first paragraph, written later.\n\n" + DRAFT.replace(
        "writes letters", "writes long letters"
    ).replace(" The camera stays close to him.", "")
    revision = revisions.document_revise(
        document=essay, text=new, user=owner, message="Second draft"
    )

    assert revision.number == 2
    assert revision.created_by == owner
    assert revision.summary["exact"] == 1
    assert revision.summary["changed"] == 1
    assert revision.summary["orphaned"] == 1
    essay.refresh_from_db()
    assert (essay.revision, essay.text) == (2, new)
    voice.refresh_from_db()
    assert (voice.anchor, voice.quote) == (AnchorState.EXACT, "will hear its own voice")
    letters.refresh_from_db()
    assert letters.anchor == AnchorState.CHANGED
    assert letters.quote == "Theodore writes long letters"
    orphan = Span.everything.get(pk=camera.pk)
    assert (orphan.anchor, orphan.start, orphan.end) == (AnchorState.ORPHANED, None, None)
    assert orphan.quote == "The camera stays close to him."
    assert orphan.suffix.startswith("\n\nRain")
    assert not Span.objects.filter(pk=camera.pk).exists()
    assert_live_spans_match(essay)
    assert list(Revision.objects.filter(document=essay).values_list("number", flat=True)) == [1, 2]
    assert Revision.objects.get(document=essay, number=1).text == DRAFT


def test_an_orphan_is_found_again_when_a_later_revision_restores_its_words(essay, owner):
    camera = span_on(essay, "The camera stays close to him.", owner)
    revisions.document_revise(
        document=essay, text=DRAFT.replace(" The camera stays close to him.", ""), user=owner
    )
    revision = revisions.document_revise(document=essay, text=DRAFT, user=owner)
    camera.refresh_from_db()
    assert camera.anchor == AnchorState.EXACT
    assert (camera.start, camera.end) == at(DRAFT, "The camera stays close to him.")
    assert revision.summary["refound"] == 1


def test_stale_revision_is_refused_and_nothing_changes(essay, owner):
    span = span_on(essay, "Theodore", owner)
    revisions.document_revise(document=essay, text="Intro.\n\n" + DRAFT, user=owner)
    with pytest.raises(revisions.StaleRevision) as raised:
        revisions.document_revise(
            document=essay, text=DRAFT + " More.", user=owner, expected_revision=1
        )
    assert raised.value.current == 2
    assert str(raised.value) == revisions.STALE_REVISION.format(expected=1, current=2)
    essay.refresh_from_db()
    assert essay.text == "Intro.\n\n" + DRAFT
    span.refresh_from_db()
    assert essay.text[span.start : span.end] == "Theodore"


@pytest.mark.parametrize(
    ("text", "message"),
    [(DRAFT, revisions.TEXT_UNCHANGED.format(number=1)), (" \r\n", revisions.EMPTY_REVISION)],
)
def test_an_empty_or_identical_text_is_no_revision(essay, owner, text, message):
    with pytest.raises(revisions.DomainError) as raised:
        revisions.document_revise(document=essay, text=text, user=owner)
    assert str(raised.value) == message
    assert essay.revisions.count() <= 1


def test_text_is_normalised_before_diffing(essay, owner):
    span = span_on(essay, "Rain on the window", owner)
    revisions.document_revise(
        document=essay, text=DRAFT.replace("\n", "\r\n") + " Café\u0301", user=owner
    )
    essay.refresh_from_db()
    assert "\r" not in essay.text
    span.refresh_from_db()
    assert span.anchor == AnchorState.EXACT
    assert essay.text[span.start : span.end] == "Rain on the window"


def test_reference_spans_and_comment_threads_follow(essay, owner):
    span = span_on(essay, "every city 🎬 will", owner)
    Span.objects.filter(pk=span.pk).update(is_reference=True)
    Comment.objects.create(span=span, author=owner, text="Nice catch")
    revisions.document_revise(document=essay, text="Preface.\n\n" + DRAFT, user=owner)
    span.refresh_from_db()
    assert span.is_reference
    assert span.quote == "every city 🎬 will"
    assert span.start == DRAFT.index("every") + len("Preface.\n\n")
    assert span.comments.get().text == "Nice catch"


def test_spans_swapping_places_do_not_trip_the_unique_rule(project, owner):
    document = factories.make_document(project, text="alpha beta. alpha beta.", title="T")
    first = factories.make_span(document, 0, 5, owner)
    second = factories.make_span(document, 12, 17, owner)
    revision = revisions.document_revise(document=document, text="alpha beta.", user=owner)
    assert (revision.summary["exact"], revision.summary["orphaned"]) == (1, 1)
    kept = Span.objects.filter(pk__in=[first.pk, second.pk])
    orphaned = Span.everything.filter(pk__in=[first.pk, second.pk], anchor=AnchorState.ORPHANED)
    # Both spans find "alpha" but only one may stand there: the other waits as an orphan.
    assert kept.count() == 1
    assert orphaned.count() == 1
    assert_live_spans_match(document)


def test_suggestions_move_with_their_words_and_keep_their_decisions(essay, owner):
    tag = factories.tag(essay.project, "prediction")
    start, end = at(DRAFT, "will hear its own voice")
    rejected = Suggestion.objects.create(
        document=essay,
        start=start,
        end=end,
        tag=tag,
        score=0.9,
        reason="modal",
        quote="will hear its own voice",
        status=SuggestionStatus.REJECTED,
        decided_by=owner,
        decided_at=essay.created_at,
    )
    start, end = at(DRAFT, "The camera stays close")
    gone = Suggestion.objects.create(
        document=essay,
        start=start,
        end=end,
        tag=tag,
        score=0.5,
        reason="x",
        quote="The camera stays close",
    )
    new = "Foreword.\n\n" + DRAFT.replace(" The camera stays close to him.", "")
    revision = revisions.document_revise(document=essay, text=new, user=owner, suggest=False)
    rejected.refresh_from_db()
    assert rejected.status == SuggestionStatus.REJECTED
    assert new[rejected.start : rejected.end] == "will hear its own voice"
    assert not Suggestion.objects.filter(pk=gone.pk).exists()
    assert revision.summary["suggestions_dropped"] == 1
    # The dropped one is named, with its words and where they were, for the editor.
    (lost,) = revision.lost_suggestions
    assert lost["words"] == "The camera stays close"
    assert lost["tag"] == tag.name
    assert lost["status"] == SuggestionStatus.PENDING
    assert DRAFT[lost["start"] : lost["end"]] == "The camera stays close"


def test_reattaching_an_orphan_puts_it_on_the_selected_words(essay, owner):
    camera = span_on(essay, "The camera stays close to him.", owner)
    new = DRAFT.replace("The camera stays close to him.", "The lens never leaves him.")
    revisions.document_revise(document=essay, text=new, user=owner)
    orphan = Span.everything.get(pk=camera.pk)
    assert orphan.anchor == AnchorState.ORPHANED
    assert revisions.orphans(essay) == [orphan]
    start, end = at(new, "The lens never leaves him.")
    with pytest.raises(revisions.DomainError, match="does not match"):
        revisions.span_reattach(
            span=orphan, start=start, end=end, user=owner, quote="something else"
        )
    revisions.span_reattach(
        span=orphan, start=start, end=end, user=owner, quote="The lens never leaves him."
    )
    orphan.refresh_from_db()
    assert orphan.anchor == AnchorState.EXACT
    assert (orphan.start, orphan.end, orphan.quote) == (start, end, "The lens never leaves him.")
    assert revisions.orphans(essay) == []


def test_database_refuses_a_placed_span_without_offsets_and_an_orphan_with_them(essay, owner):
    span = span_on(essay, "Theodore", owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Span.everything.filter(pk=span.pk).update(start=None, end=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Span.everything.filter(pk=span.pk).update(anchor=AnchorState.ORPHANED)


def test_older_revisions_keep_their_text_and_spans(essay, owner):
    span = span_on(essay, "Theodore writes letters", owner)
    revisions.document_revise(document=essay, text="Now.\n\n" + DRAFT, user=owner)
    assert revisions.revision_text(essay, 1) == DRAFT
    (old,) = revisions.revision_spans(essay, 1)
    assert (old["id"], old["start"], old["quote"]) == (span.pk, DRAFT.index("Theodore"), span.quote)
    with pytest.raises(revisions.DomainError, match="no revision 7"):
        revisions.revision_text(essay, 7)


def test_a_changed_span_edited_again_in_place_gets_its_new_words(project, owner):
    document = factories.make_document(project, text="One cat sat here. Two.", title="T")
    span = factories.make_span(document, 0, 17, owner)
    revisions.document_revise(document=document, text="One cot sat here. Two.", user=owner)
    revisions.document_revise(document=document, text="One cut sat here. Two.", user=owner)
    span.refresh_from_db()
    assert (span.anchor, span.start, span.end) == (AnchorState.CHANGED, 0, 17)
    assert span.quote == "One cut sat here."
    assert [e.kind for e in span.events.all()] == ["changed", "changed"]


# --------------------------------------------------------------------------- property, stored


class StoredRevisionsKeepQuotesTrue(HypothesisTestCase):
    """Through the service and the database: after any revisions, every live span's
    offsets hold exactly its quote, and every orphan keeps its words and no offsets."""

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(text=essays, data=st.data())
    def test_live_spans_hold_their_quotes_after_random_revisions(self, text, data):
        owner = factories.make_user()
        project = factories.make_project(owner=owner)
        document = factories.make_document(project, text=text)
        text = document.text
        for _ in range(data.draw(st.integers(1, 6))):
            start = data.draw(st.integers(0, len(text) - 1))
            end = data.draw(st.integers(start + 1, min(len(text), start + 30)))
            # A span's ends fall between characters as a reader sees them (the services
            # refuse half a grapheme), so only such places are drawn.
            whole = is_grapheme_boundary(text, start) and is_grapheme_boundary(text, end)
            if whole and text[start:end].strip():
                tag = data.draw(st.sampled_from(["claim", "prediction", "film-reference"]))
                factories.make_span(document, start, end, owner, tag)
        for _ in range(data.draw(st.integers(1, 3))):
            at = data.draw(st.integers(0, len(text)))
            cut = data.draw(st.integers(0, 20))
            new = text[:at] + data.draw(inserted) + text[at + cut :]
            if normalise_text(new) == text or not new.strip():
                continue
            revisions.document_revise(document=document, text=new, user=owner, suggest=False)
            document.refresh_from_db()
            text = document.text
            for span in Span.everything.filter(document=document):
                if span.anchor == AnchorState.ORPHANED:
                    assert span.start is None
                    assert span.end is None
                else:
                    assert text[span.start : span.end] == span.quote
