"""Comment threads: write, edit and delete your own; the teacher pins; visibility follows the span."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import Comment
from annotations.services.classes import EMPTY_COMMENT, comment_create
from tests import factories
from tests.factories import client_for, make_class, phrase

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def thread():
    c = make_class(visibility="open")
    c.span = factories.make_span(c.document, *phrase(c.document, "design problem"), c.alice)
    return c


def test_thread_fragment_and_page(thread):
    url = reverse("annotations:comments", args=[thread.span.pk])
    client = client_for(thread.bob)
    fragment = client.get(url, **HTMX)
    assert f'id="comments-{thread.span.pk}"' in fragment.text
    assert "<html" not in fragment.text
    assert "<html" in client.get(url).text


def test_comment_add_edit_delete_own(thread):
    client = client_for(thread.bob)
    response = client.post(
        reverse("annotations:comment-add", args=[thread.span.pk]), {"text": "<b>why</b>?"}, **HTMX
    )
    assert "&lt;b&gt;why&lt;/b&gt;?" in response.text
    comment = Comment.objects.get()
    client.post(reverse("annotations:comment-edit", args=[comment.pk]), {"text": "Better"}, **HTMX)
    comment.refresh_from_db()
    assert comment.text == "Better"
    client.post(reverse("annotations:comment-delete", args=[comment.pk]), **HTMX)
    assert not Comment.objects.exists()


def test_empty_comment_is_refused_with_message(thread):
    response = client_for(thread.bob).post(
        reverse("annotations:comment-add", args=[thread.span.pk]), {"text": " "}, **HTMX
    )
    assert response.status_code == 400
    assert EMPTY_COMMENT in response.text


def test_others_cannot_edit_or_delete_a_comment(thread):
    comment = comment_create(span=thread.span, author=thread.alice, text="mine")
    client = client_for(thread.bob)
    assert (
        client.post(
            reverse("annotations:comment-edit", args=[comment.pk]), {"text": "x"}
        ).status_code
        == 403
    )
    assert client.post(reverse("annotations:comment-delete", args=[comment.pk])).status_code == 403


def test_only_the_teacher_pins_and_pinned_comes_first(thread):
    first = comment_create(span=thread.span, author=thread.bob, text="first")
    feedback = comment_create(span=thread.span, author=thread.teacher, text="Good catch")
    url = reverse("annotations:comment-pin", args=[feedback.pk])
    assert client_for(thread.alice).post(url, {"pinned": "1"}).status_code == 403
    response = client_for(thread.teacher).post(url, {"pinned": "1"}, **HTMX)
    assert "Feedback from the teacher" in response.text
    assert response.text.index("Good catch") < response.text.index("first")
    assert first.pk


def test_viewer_reads_but_cannot_comment(thread):
    client = client_for(thread.viewer)
    page = client.get(reverse("annotations:comments", args=[thread.span.pk]), **HTMX)
    assert "comment-new" not in page.text
    response = client.post(reverse("annotations:comment-add", args=[thread.span.pk]), {"text": "x"})
    assert response.status_code == 403
