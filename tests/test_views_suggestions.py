"""The suggestion views: both branches (full page and htmx fragment), permissions, polling."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotations.models import Origin, Role, RunStatus, SuggestionRun, SuggestionStatus
from annotations.services.decisions import (
    suggestion_accept,
    suggestion_reject,
    suggestions_decide_tag,
)
from annotations.services.suggestions import document_suggest
from tests import factories
from tests.factories import client_for

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
TEXT = (
    "Critics argue that the film Her (2013) is naive.\n\n"
    "Within a decade, most of us will talk to our phones. Samantha, played by Scarlett Johansson, laughs."
)


def triggers(response) -> dict:
    return json.loads(response.get("HX-Trigger-After-Settle", "{}"))


@pytest.fixture
def essay(project):
    document = factories.make_document(project, text=TEXT, title="Essay")
    document_suggest(document_id=document.pk, model="blank:en")
    return document


def url(name: str, *args) -> str:
    return reverse(f"annotations:{name}", args=args)


def test_document_page_shows_the_suggestion_panel_and_their_css(owner, essay):
    response = client_for(owner).get(essay.get_absolute_url())
    body = response.text
    assert "<html" in body
    assert 'id="suggest-panel"' in body
    assert 'id="review-panel"' in body
    assert "::highlight(sg-" in body
    assert "Accept all" in body
    assert 'id="suggest-tags"' in body


def test_suggest_panel_fragment_for_htmx(owner, essay):
    response = client_for(owner).get(
        essay.get_absolute_url(), HTTP_HX_TARGET="suggest-panel", **HTMX
    )
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<section id="suggest-panel"')


def test_suggestion_list_is_json_without_htmx_and_the_panel_with_it(owner, essay):
    client = client_for(owner)
    data = client.get(url("suggestions", essay.pk)).json()
    assert data["text"] == essay.text
    assert len(data["suggestions"]) == essay.suggestions.count()
    first = data["suggestions"][0]
    assert set(first) == {"id", "start", "end", "tag", "score", "reason"}
    # A page that has the text asks for the suggestions alone.
    again = client.get(url("suggestions", essay.pk) + "?text=0").json()
    assert "text" not in again
    assert again["suggestions"] == data["suggestions"]
    fragment = client.get(url("suggestions", essay.pk), **HTMX)
    assert "<html" not in fragment.text
    assert 'id="suggest-panel"' in fragment.text


def test_suggestion_text_is_escaped_in_the_panel(owner, project):
    document = factories.make_document(
        project, text="The film <b>Evil</b> (2001) will <script>x</script> age."
    )
    document_suggest(document_id=document.pk, model="blank:en")
    body = client_for(owner).get(document.get_absolute_url()).text
    assert "<script>x</script>" not in body
    assert "&lt;script&gt;" in body


def test_stranger_gets_404_and_viewer_403(members, essay):
    suggestion = essay.suggestions.first()
    stranger = client_for(members["stranger"])
    for target in [url("suggestions", essay.pk), url("suggestion-status", essay.pk)]:
        assert stranger.get(target).status_code == 404
    for target in [
        url("suggestion-accept", suggestion.pk),
        url("suggestion-reject", suggestion.pk),
        url("suggestion-run", essay.pk),
        url("suggestion-bulk", essay.pk),
    ]:
        assert stranger.post(target).status_code == 404
        assert client_for(members[Role.VIEWER]).post(target).status_code == 403
    assert client_for(members[Role.VIEWER]).get(url("suggestions", essay.pk)).status_code == 200


def test_status_polls_while_running_and_stops_with_286_when_done(owner, essay):
    client = client_for(owner)
    SuggestionRun.objects.filter(document=essay).update(status=RunStatus.RUNNING)
    running = client.get(url("suggestion-status", essay.pk), **HTMX)
    assert running.status_code == 200
    assert 'hx-trigger="every 2s"' in running.text
    SuggestionRun.objects.filter(document=essay).update(status=RunStatus.DONE)
    done = client.get(url("suggestion-status", essay.pk), **HTMX)
    assert done.status_code == 286
    assert "every 2s" not in done.text
    assert triggers(done) == {"suggestionsChanged": {}}
    full = client.get(url("suggestion-status", essay.pk))
    assert full.status_code == 302


def test_failed_run_shows_the_reason_and_a_retry_button(owner, essay):
    SuggestionRun.objects.filter(document=essay).update(
        status=RunStatus.FAILED, error="the model is missing"
    )
    body = client_for(owner).get(essay.get_absolute_url()).text
    assert "Failed: the model is missing" in body
    assert ">Retry</button>" in body


def test_suggest_button_queues_the_task(members, essay):
    client = client_for(members[Role.ANNOTATOR])
    response = client.post(url("suggestion-run", essay.pk), **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="suggest-status"' in response.text
    assert SuggestionRun.objects.get(document=essay).status == RunStatus.QUEUED
    assert 'hx-trigger="every 2s"' in response.text
    full = client.post(url("suggestion-run", essay.pk))
    assert full.status_code == 302


def test_suggest_button_runs_the_task_once_committed(
    owner, essay, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(owner).post(url("suggestion-run", essay.pk), **HTMX)
    assert SuggestionRun.objects.get(document=essay).status == RunStatus.DONE


def test_accept_htmx_answers_like_a_span_action(members, essay):
    reviewer = members[Role.ANNOTATOR]
    suggestion = essay.suggestions.get(quote="Her")
    response = client_for(reviewer).post(url("suggestion-accept", suggestion.pk), **HTMX)
    assert response.status_code == 201
    assert 'id="span-panel"' in response.text
    assert 'hx-swap-oob="true"' in response.text
    span = essay.spans.get()
    assert (span.quote, span.origin, span.author) == ("Her", Origin.SUGGESTION, reviewer)
    assert triggers(response) == {
        "spansChanged": {"span": span.pk},
        "suggestionsChanged": {"accepted": suggestion.pk},
        "announce": {"text": f"Accepted as {span.tag.name}: “Her”."},
        "spanLabel": {
            "id": span.pk,
            "start": f"{span.tag.name}, yours: ",
            "end": f" (end of {span.tag.name})",
        },
    }


def test_accept_with_changed_bounds_and_tag(owner, essay):
    suggestion = essay.suggestions.get(quote="Scarlett Johansson")
    start = suggestion.start
    response = client_for(owner).post(
        url("suggestion-accept", suggestion.pk), {"start": start, "end": start + 8, "tag": "claim"}
    )
    assert response.status_code == 302
    span = essay.spans.get()
    assert (span.quote, span.tag.slug) == ("Scarlett", "claim")


def test_accept_with_bad_bounds_is_a_400_for_htmx(owner, essay):
    suggestion = essay.suggestions.first()
    response = client_for(owner).post(
        url("suggestion-accept", suggestion.pk), {"start": 5, "end": 99999}, **HTMX
    )
    assert response.status_code == 400
    assert not essay.spans.exists()


def test_reject_both_branches(owner, essay):
    client = client_for(owner)
    first, second = essay.suggestions.all()[:2]
    response = client.post(url("suggestion-reject", first.pk), **HTMX)
    assert response.status_code == 200
    assert 'id="suggest-panel"' in response.text
    assert triggers(response) == {
        "suggestionsChanged": {"rejected": first.pk},
        "announce": {"text": "Suggestion rejected."},
    }
    assert client.post(url("suggestion-reject", second.pk)).status_code == 302
    assert essay.suggestions.filter(status=SuggestionStatus.REJECTED).count() == 2


def test_bulk_accept_offers_undo_and_undo_restores(owner, essay):
    client = client_for(owner)
    pending = essay.suggestions.filter(tag__slug="film-reference").count()
    response = client.post(
        url("suggestion-bulk", essay.pk), {"tag": "film-reference", "action": "accept"}, **HTMX
    )
    assert response.status_code == 200
    assert f"Accepted {pending} Film reference suggestions." in response.text
    # The run's state counts what is left to review now, not when the run finished.
    left = essay.suggestions.filter(status=SuggestionStatus.PENDING).count()
    assert f"new, {left} to review." in response.text
    # The answer is the panel with Undo: the panel must not reload itself over it.
    assert triggers(response)["suggestionsChanged"] == {"panel": True}
    assert 'name="token"' in response.text
    assert 'hx-swap-oob="true"' in response.text
    assert essay.spans.count() == pending
    token = response.text.split('name="token" value="')[1].split('"')[0]
    undo = client.post(url("suggestion-undo", essay.pk), {"token": token}, **HTMX)
    assert undo.status_code == 200
    assert essay.spans.count() == 0
    assert (
        essay.suggestions.filter(status=SuggestionStatus.PENDING).count()
        == essay.suggestions.count()
    )


def test_bulk_reject_without_htmx_redirects(owner, essay):
    response = client_for(owner).post(
        url("suggestion-bulk", essay.pk), {"tag": "claim", "action": "reject"}
    )
    assert response.status_code == 302
    assert not essay.suggestions.filter(tag__slug="claim", status=SuggestionStatus.PENDING).exists()


def test_bulk_with_unknown_tag_or_action_is_refused(owner, essay):
    client = client_for(owner)
    assert (
        client.post(
            url("suggestion-bulk", essay.pk), {"tag": "nope", "action": "accept"}, **HTMX
        ).status_code
        == 400
    )
    assert (
        client.post(
            url("suggestion-bulk", essay.pk), {"tag": "claim", "action": "maybe"}, **HTMX
        ).status_code
        == 400
    )


def test_undo_token_of_another_document_is_refused(owner, essay, project):
    other = factories.make_document(project, text=TEXT, title="Other")
    document_suggest(document_id=other.pk, model="blank:en")
    claim = factories.tag(project, "claim")
    _count, token = suggestions_decide_tag(document=other, tag=claim, accept=False, user=owner)
    response = client_for(owner).post(url("suggestion-undo", essay.pk), {"token": token}, **HTMX)
    assert response.status_code == 400


def test_project_suggest_is_for_editors(members, essay, project):
    response = client_for(members[Role.EDITOR]).post(url("project-suggest", project.slug))
    assert response.status_code == 302
    assert SuggestionRun.objects.get(document=essay).status == RunStatus.QUEUED
    assert (
        client_for(members[Role.ANNOTATOR]).post(url("project-suggest", project.slug)).status_code
        == 403
    )


def test_project_page_counts_suggestions_per_tag_and_rule(owner, essay, project):
    her = essay.suggestions.get(quote="Her")
    suggestion_accept(suggestion=her, user=owner)
    suggestion_reject(suggestion=essay.suggestions.get(quote="Samantha"), user=owner)
    response = client_for(owner).get(project.get_absolute_url())
    body = response.text
    assert 'id="suggestions"' in body
    assert "Film reference: </span><code>title-year</code>" in body
    assert "Documents: 1 done" in body
    row = body.split("<code>title-year</code>")[1].split("</tr>")[0]
    assert [cell.split(">")[-1] for cell in row.split("</td>")[1:5]] == ["1", "0", "0", "100%"]


def test_film_names_are_saved_by_owners_and_refused_to_annotators(members, project):
    response = client_for(members[Role.OWNER]).post(
        url("project-film-names", project.slug), {"film_names": " Her \r\nSamantha\n\nHer\n"}
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.film_names == "Her\nSamantha"
    assert project.film_name_list == ("Her", "Samantha")
    refused = client_for(members[Role.ANNOTATOR]).post(
        url("project-film-names", project.slug), {"film_names": "x"}
    )
    assert refused.status_code == 403
    stranger = client_for(members["stranger"])
    forbidden = stranger.post(url("project-film-names", project.slug), {"film_names": "x"})
    assert forbidden.status_code == 404


def test_a_run_without_progress_for_long_stops_polling_and_offers_suggest_again(owner, essay):
    long_ago = timezone.now() - SuggestionRun.STALE_AFTER - timedelta(minutes=1)
    SuggestionRun.objects.filter(document=essay).update(
        status=RunStatus.RUNNING, started_at=long_ago
    )
    response = client_for(owner).get(url("suggestion-status", essay.pk), **HTMX)
    assert response.status_code == 286
    assert "was the worker stopped?" in response.text
    assert "disabled" not in response.text.split("<button")[1].split(">")[0]
