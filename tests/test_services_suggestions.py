"""Suggestion services: computing, storing, accepting, rejecting, bulk decisions and undo."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from annotations.models import Origin, RunStatus, Suggestion, SuggestionRun, SuggestionStatus
from annotations.services.decisions import (
    SUGGESTION_UNDO_EXPIRED,
    suggestion_accept,
    suggestion_reject,
    suggestions_decide_tag,
    suggestions_undo,
)
from annotations.services.documents import document_create
from annotations.services.errors import DomainError
from annotations.services.suggestions import (
    TEXT_CHANGED_WHILE_SUGGESTING,
    document_suggest,
    documents_suggest,
)
from annotations.suggest.pipeline import Suggester
from tests import factories

TEXT = (
    "Critics argue that the film Her (2013) is naive. "
    "Within a decade, most of us will talk to our phones. "
    "Samantha, played by Scarlett Johansson, laughs."
)


def suggest(document) -> dict[str, int]:
    return document_suggest(document_id=document.pk, model="blank:en")


def keys(document) -> list[tuple[int, int, str]]:
    return sorted(document.suggestions.values_list("start", "end", "tag__slug"))


@pytest.fixture
def essay(project):
    return factories.make_document(project, text=TEXT, title="Essay")


def test_adding_a_document_queues_suggestions_that_run_after_commit(
    project, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        document = document_create(project=project, title="New", text=TEXT)
    assert len(callbacks) == 1
    run = SuggestionRun.objects.get(document=document)
    assert run.status == RunStatus.DONE
    assert run.added == document.suggestions.count() > 0
    assert run.task_id


def test_document_create_can_skip_suggestions(project, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        document = document_create(project=project, title="New", text=TEXT, suggest=False)
    assert callbacks == []
    assert not SuggestionRun.objects.filter(document=document).exists()


def test_suggestions_quote_the_text_and_cover_all_three_tags(essay):
    counts = suggest(essay)
    assert counts["added"] == counts["pending"] == essay.suggestions.count()
    tags = {s.tag.slug for s in essay.suggestions.all()}
    assert tags == {"claim", "prediction", "film-reference"}
    for suggestion in essay.suggestions.all():
        assert essay.text[suggestion.start : suggestion.end] == suggestion.quote
        assert suggestion.reason
        assert 0 <= suggestion.score <= 1


def test_running_twice_keeps_exactly_one_suggestion_per_place_and_tag(essay):
    suggest(essay)
    first = keys(essay)
    again = suggest(essay)
    assert again["added"] == 0
    assert keys(essay) == first
    assert len(first) == len(set(first))


def test_decided_suggestions_are_never_suggested_again(essay, owner):
    suggest(essay)
    accepted, rejected = essay.suggestions.all()[:2]
    suggestion_accept(suggestion=accepted, user=owner)
    suggestion_reject(suggestion=rejected, user=owner)
    suggest(essay)
    assert essay.suggestions.filter(
        start=rejected.start, end=rejected.end, tag=rejected.tag
    ).get().status == (SuggestionStatus.REJECTED)
    assert (
        essay.suggestions.filter(status=SuggestionStatus.PENDING).count()
        == essay.suggestions.count() - 2
    )


def test_words_rejected_for_a_tag_are_not_suggested_in_other_documents_of_the_project(
    essay, project, owner
):
    suggest(essay)
    her = essay.suggestions.get(quote="Her", tag__slug="film-reference")
    suggestion_reject(suggestion=her, user=owner)
    other = factories.make_document(project, text="I saw the film Her last week.", title="Other")
    suggest(other)
    assert not other.suggestions.filter(quote="Her").exists()


def test_places_already_tagged_by_hand_are_not_suggested(essay, owner):
    start = TEXT.index("Samantha")
    factories.make_span(essay, start, start + len("Samantha"), owner, tag_slug="film-reference")
    suggest(essay)
    assert not essay.suggestions.filter(start=start, quote="Samantha").exists()


def test_project_film_list_adds_suggestions(project):
    project.film_names = "Theodore\n\n Theodore \n"
    project.save()
    assert project.film_name_list == ("Theodore",)
    document = factories.make_document(project, text="Later, Theodore writes again.")
    suggest(document)
    assert list(document.suggestions.values_list("quote", "rule")) == [("Theodore", "project-list")]


def test_result_is_discarded_when_the_text_changes_while_suggesting(essay, monkeypatch):
    original = Suggester.suggest_many
    calls = []

    def edit_during_first_run(self, texts, names=(), batch_size=16, learned=None):
        texts = list(texts)
        calls.extend(texts)
        if len(calls) == 1:
            type(essay).objects.filter(pk=essay.pk).update(text="The film Moon will last.")
        return original(self, texts, names, learned=learned)

    monkeypatch.setattr(Suggester, "suggest_many", edit_during_first_run)
    suggest(essay)
    assert calls == [TEXT, "The film Moon will last."]
    essay.refresh_from_db()
    assert essay.suggestions.exists()
    for suggestion in essay.suggestions.all():
        assert essay.text[suggestion.start : suggestion.end] == suggestion.quote


def test_a_text_that_keeps_changing_fails_the_run_with_a_reason(essay, monkeypatch):
    def always_edit(self, texts, names=(), batch_size=16, learned=None):
        for text in texts:
            type(essay).objects.filter(pk=essay.pk).update(text=text + " More.")
            yield []

    monkeypatch.setattr(Suggester, "suggest_many", always_edit)
    with pytest.raises(DomainError):
        suggest(essay)
    run = SuggestionRun.objects.get(document=essay)
    assert run.status == RunStatus.FAILED
    assert run.error == TEXT_CHANGED_WHILE_SUGGESTING


def test_several_documents_of_several_projects_in_one_call(essay, project, owner):
    other_project = factories.make_project(owner=owner, name="Other project")
    other_project.film_names = "Theodore"
    other_project.save()
    listed = factories.make_document(other_project, text="Later, Theodore writes again.")
    gone = factories.make_document(project, text=TEXT, title="Deleted")
    gone_id = gone.pk
    gone.delete()
    results = documents_suggest(
        document_ids=[essay.pk, gone_id, listed.pk, essay.pk], model="blank:en"
    )
    assert set(results) == {essay.pk, listed.pk}
    assert results[essay.pk] == {
        "added": essay.suggestions.count(),
        "pending": essay.suggestions.count(),
    }
    assert list(listed.suggestions.values_list("quote", flat=True)) == ["Theodore"]
    assert not essay.suggestions.filter(quote="Theodore").exists()
    assert SuggestionRun.objects.get(document=listed).pending == 1


def test_missing_model_fails_the_run_naming_the_setting(essay):
    with pytest.raises(Exception, match="HERLENS_SPACY_MODEL"):
        document_suggest(document_id=essay.pk, model="en_no_such_pipeline")
    run = SuggestionRun.objects.get(document=essay)
    assert run.status == RunStatus.FAILED
    assert "HERLENS_SPACY_MODEL" in run.error


def test_accept_creates_a_span_from_the_suggestion_authored_by_the_reviewer(essay, members):
    suggest(essay)
    suggestion = essay.suggestions.filter(tag__slug="film-reference").first()
    reviewer = members["annotator"]
    span = suggestion_accept(suggestion=suggestion, user=reviewer)
    assert (span.start, span.end, span.tag, span.author) == (
        suggestion.start,
        suggestion.end,
        suggestion.tag,
        reviewer,
    )
    assert span.origin == Origin.SUGGESTION
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.ACCEPTED
    assert suggestion.span == span
    assert suggestion_accept(suggestion=suggestion, user=reviewer) == span


def test_accept_with_other_bounds_and_tag(essay, owner, project):
    suggest(essay)
    suggestion = essay.suggestions.get(quote="Scarlett Johansson")
    claim = factories.tag(project, "claim")
    span = suggestion_accept(
        suggestion=suggestion,
        user=owner,
        start=suggestion.start,
        end=suggestion.start + 8,
        tag=claim,
    )
    assert (span.quote, span.tag) == ("Scarlett", claim)


def test_accept_refuses_when_the_text_changed_since(essay, owner):
    suggest(essay)
    suggestion = essay.suggestions.first()
    type(essay).objects.filter(pk=essay.pk).update(text="x" + TEXT)
    suggestion.refresh_from_db()
    with pytest.raises(DomainError, match="text changed"):
        suggestion_accept(suggestion=suggestion, user=owner)


def test_bulk_accept_of_a_tag_and_its_undo(essay, owner, project):
    suggest(essay)
    film = factories.tag(project, "film-reference")
    pending = essay.suggestions.filter(tag=film).count()
    count, token = suggestions_decide_tag(document=essay, tag=film, accept=True, user=owner)
    assert count == pending
    assert essay.spans.filter(tag=film, origin=Origin.SUGGESTION).count() == pending
    assert essay.suggestions.filter(tag=film, status=SuggestionStatus.ACCEPTED).count() == pending
    assert suggestions_undo(token=token, document=essay) == pending
    assert essay.spans.count() == 0
    assert essay.suggestions.filter(tag=film, status=SuggestionStatus.PENDING).count() == pending


def test_bulk_reject_touches_only_that_tag(essay, owner, project):
    suggest(essay)
    claim = factories.tag(project, "claim")
    count, token = suggestions_decide_tag(document=essay, tag=claim, accept=False, user=owner)
    assert count == essay.suggestions.filter(status=SuggestionStatus.REJECTED).count() > 0
    assert (
        not essay.suggestions.filter(status=SuggestionStatus.REJECTED).exclude(tag=claim).exists()
    )
    suggestions_undo(token=token)
    assert not essay.suggestions.filter(status=SuggestionStatus.REJECTED).exists()


def test_forged_undo_token_is_refused(db):
    with pytest.raises(DomainError, match=SUGGESTION_UNDO_EXPIRED):
        suggestions_undo(token="forged")


def test_database_refuses_duplicate_and_invalid_suggestions(essay, project):
    tag = factories.tag(project, "claim")
    fields = {"document": essay, "start": 0, "end": 7, "tag": tag, "reason": "r", "quote": TEXT[:7]}
    Suggestion.objects.create(score=0.5, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Suggestion.objects.create(score=0.6, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Suggestion.objects.create(score=1.5, **{**fields, "start": 1})
    with pytest.raises(IntegrityError), transaction.atomic():
        Suggestion.objects.create(score=0.5, **{**fields, "start": 7})
    with pytest.raises(IntegrityError), transaction.atomic():
        Suggestion.objects.create(score=0.5, status="accepted", **{**fields, "start": 2})


def test_places_mostly_covered_by_a_span_of_the_same_tag_are_not_suggested(essay, owner):
    start = TEXT.index("Her (2013)")
    factories.make_span(essay, start, start + len("Her (2013)"), owner, tag_slug="film-reference")
    suggest(essay)
    assert not essay.suggestions.filter(quote="Her", tag__slug="film-reference").exists()
    assert essay.suggestions.filter(tag__slug="claim", start__lte=start, end__gte=start).exists()
