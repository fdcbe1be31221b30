"""The trash: documents and spans deleted, revised while away, restored, purged."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annotations.models import Document, Role, Span
from annotations.services import revisions, trash
from tests import factories

pytestmark = pytest.mark.django_db

TEXT = "The machine speaks softly. Theodore writes letters.\n\nRain on the window."


@pytest.fixture
def essay(project):
    return factories.make_document(project, text=TEXT, title="Letters")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def at(text, words):
    start = text.index(words)
    return start, start + len(words)


def test_a_deleted_document_is_found_nowhere_until_restored_with_its_spans(essay, owner, project):
    span = factories.make_span(essay, *at(TEXT, "Theodore"), owner)
    client = client_for(owner)
    response = client.post(reverse("annotations:document-delete", args=[essay.pk]))
    assert response.status_code == 302
    assert client.get(essay.get_absolute_url()).status_code == 404
    assert not Document.objects.filter(pk=essay.pk).exists()
    assert not Span.everything.filter(pk=span.pk).exists()
    page = client.get(reverse("annotations:trash", args=[project.slug])).content.decode()
    assert f'data-document="{essay.pk}"' in page
    client.post(reverse("annotations:document-restore", args=[essay.pk]))
    assert client.get(essay.get_absolute_url()).status_code == 200
    assert Span.objects.filter(pk=span.pk).exists()


def test_a_span_in_the_trash_follows_revisions_and_comes_back_on_its_words(essay, owner):
    span = factories.make_span(essay, *at(TEXT, "Rain on the window"), owner)
    trash.span_trash(span=span, user=owner)
    assert not Span.objects.filter(pk=span.pk).exists()
    new = "A first line.\n\n" + TEXT
    revision = revisions.document_revise(document=essay, text=new, user=owner)
    assert revision.summary["exact"] == 0  # the trash is not counted
    trash.span_untrash(span=span, user=owner)
    span.refresh_from_db()
    assert new[span.start : span.end] == "Rain on the window"
    assert [e.kind for e in span.events.all()] == ["deleted", "moved", "restored"]


def test_a_deleted_span_can_be_made_again_and_then_not_restored_beside_it(essay, owner):
    span = factories.make_span(essay, *at(TEXT, "Theodore"), owner)
    trash.span_trash(span=span, user=owner)
    factories.make_span(essay, *at(TEXT, "Theodore"), owner)
    with pytest.raises(revisions.DomainError, match="cannot come back"):
        trash.span_untrash(span=span, user=owner)


def test_restoring_after_thirty_days_is_refused_and_purge_deletes_for_good(essay, owner):
    span = factories.make_span(essay, *at(TEXT, "Theodore"), owner)
    trash.span_trash(span=span, user=owner)
    Span.with_trash.filter(pk=span.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    span.refresh_from_db()
    with pytest.raises(revisions.DomainError, match="more than 30 days"):
        trash.span_untrash(span=span, user=owner)
    call_command("purge_trash", stdout=io.StringIO())
    assert not Span.with_trash.filter(pk=span.pk).exists()


@pytest.mark.parametrize("role", [Role.ANNOTATOR, Role.VIEWER])
def test_only_editors_and_owners_delete_documents_and_see_the_trash(essay, project, role):
    client = client_for(factories.add_member(project, role))
    assert client.post(reverse("annotations:document-delete", args=[essay.pk])).status_code == 403
    assert client.get(reverse("annotations:trash", args=[project.slug])).status_code == 403
    assert Document.objects.filter(pk=essay.pk).exists()


def test_a_stranger_cannot_restore(essay, owner):
    trash.document_trash(document=essay, user=owner)
    client = client_for(factories.make_user())
    response = client.post(reverse("annotations:document-restore", args=[essay.pk]))
    assert response.status_code == 404


def test_deleting_in_the_panel_goes_to_the_trash_and_undo_works_after_a_revision(essay, owner):
    from annotations.services.spans import span_delete, span_restore, span_update

    span = factories.make_span(essay, *at(TEXT, "Rain on the window"), owner)
    span_update(span=span, tag=factories.tag(essay.project, "prediction"), note="wet", user=owner)
    token = span_delete(span=span, user=owner)
    assert Span.with_trash.get(pk=span.pk).deleted_by == owner
    new = "Before it all.\n\n" + TEXT
    revisions.document_revise(document=essay, text=new, user=owner)
    restored = span_restore(token=token, user=owner)
    assert new[restored.start : restored.end] == "Rain on the window"
    kinds = [e.kind for e in restored.events.all()]
    assert kinds == ["retagged", "note", "deleted", "moved", "restored"]
    retag = restored.events.get(kind="retagged")
    assert (retag.detail["before"], retag.detail["after"]) == ("Claim", "Prediction")
