"""Create forms take effect once: a double click or a resent form makes one object."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from annotations.models import Comment, Document, FormSubmission, Project, Role, Tag
from tests import factories
from tests.concurrency import at_once
from tests.factories import client_for

HTMX = {"HX-Request": "true"}


def _once(page: str) -> str:
    match = re.search(r'name="once" value="([^"]+)"', page)
    assert match, "the form carries no once token"
    return match.group(1)


@pytest.mark.django_db(transaction=True)
def test_a_comment_form_sent_twice_at_once_makes_one_comment(project, document):
    alice = factories.add_member(project, Role.ANNOTATOR)
    span = factories.make_span(document, 0, 3, alice)
    thread = client_for(alice).get(reverse("annotations:comments", args=[span.pk]), headers=HTMX)
    token = _once(thread.text)
    assert 'hx-disabled-elt="find button[type=submit]"' in thread.text
    url = reverse("annotations:comment-add", args=[span.pk])

    def send(_number: int) -> int:
        client = Client()
        client.force_login(alice)
        return client.post(url, {"text": "Only once", "once": token}, headers=HTMX).status_code

    assert at_once(5, send) == [200] * 5  # the fault: five comments
    assert Comment.objects.filter(span=span).count() == 1


@pytest.mark.django_db
def test_a_document_form_sent_twice_makes_one_document(project, owner):
    client = client_for(owner)
    token = _once(client.get(project.get_absolute_url()).text)
    url = reverse("annotations:document-add", args=[project.slug])
    form = {"title": "Twice", "text": "A text sent twice.", "once": token}
    first = client.post(url, form)
    second = client.post(url, form)
    document = Document.objects.get(project=project, title="Twice")
    assert first["Location"] == second["Location"] == document.get_absolute_url()


@pytest.mark.django_db
def test_a_tag_form_sent_twice_answers_like_the_first(project, owner):
    client = client_for(owner)
    token = _once(client.get(project.get_absolute_url()).text)
    url = reverse("annotations:tag-add", args=[project.slug])
    form = {"name": "Irony", "colour": "#123456", "once": token}
    assert client.post(url, form, headers=HTMX).status_code == 200
    again = client.post(url, form, headers=HTMX)
    assert again.status_code == 200  # not "a tag with this name exists"
    assert Tag.objects.filter(project=project, name="Irony").count() == 1
    # Without the token, the same name is refused as before.
    form.pop("once")
    assert client.post(url, form, headers=HTMX).status_code == 400


@pytest.mark.django_db
def test_a_class_form_sent_twice_makes_one_class(owner):
    client = client_for(owner)
    url = reverse("annotations:class-new")
    token = _once(client.get(url).text)
    form = {"name": "Group B", "once": token}
    first, second = client.post(url, form), client.post(url, form)
    assert first["Location"] == second["Location"]
    assert Project.objects.filter(name="Group B").count() == 1
    assert FormSubmission.objects.filter(kind="class").count() == 1


@pytest.mark.django_db
def test_a_refused_form_can_be_corrected_and_sent_with_its_token(project, owner):
    client = client_for(owner)
    token = _once(client.get(project.get_absolute_url()).text)
    url = reverse("annotations:document-add", args=[project.slug])
    assert client.post(url, {"title": "T", "text": "   ", "once": token}).status_code == 400
    client.post(url, {"title": "T", "text": "Now with text.", "once": token})
    assert Document.objects.filter(project=project, title="T").count() == 1


def test_plain_forms_that_create_are_sent_once_by_the_browser():
    from pathlib import Path

    templates = Path(__file__).resolve().parent.parent / "templates" / "annotations"
    assert "data-once" in (templates / "class.html").read_text()  # one-time passwords
    assert "data-once" in (templates / "class_new.html").read_text()
