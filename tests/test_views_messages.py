"""Messages an htmx action leaves come with its answer, not on the next page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from annotations.models import Role
from tests.factories import make_class

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_htmx_answer_carries_its_message_out_of_band_and_the_next_page_does_not(owner, project):
    client = client_for(owner)
    url = reverse("annotations:tag-add", args=[project.slug])
    response = client.post(url, {"name": "Quotation", "colour": "#112233", "shortcut": ""}, **HTMX)
    assert response.status_code == 200
    assert 'id="tags"' in response.text
    assert (
        '<div id="messages" class="messages" role="status" aria-live="polite" hx-swap-oob="true">'
        in response.text
    )
    assert "Added the tag “Quotation”." in response.text
    assert "Added the tag" not in client.get(project.get_absolute_url()).text


def test_plain_post_keeps_its_message_for_the_page_it_redirects_to(owner, project):
    client = client_for(owner)
    url = reverse("annotations:tag-add", args=[project.slug])
    response = client.post(url, {"name": "Quotation", "colour": "#112233", "shortcut": ""})
    assert response.status_code == 302
    page = client.get(response["Location"]).text
    assert "Added the tag “Quotation”." in page
    assert "hx-swap-oob" not in page


def test_htmx_fragment_without_messages_is_left_alone(owner, document):
    response = client_for(owner).get(
        document.get_absolute_url(), **HTMX, HTTP_HX_TARGET="span-sidebar"
    )
    assert 'id="messages"' not in response.text


def test_plain_text_error_answer_drops_the_message_it_already_says():
    c = make_class()
    teacher = client_for(c.teacher)
    membership = c.project.memberships.get(user=c.teacher)
    url = reverse("annotations:class-member", args=[c.project.slug, membership.pk])
    refused = teacher.post(url, {"role": Role.ANNOTATOR}, **HTMX)
    assert refused.status_code == 400
    assert refused["Content-Type"].startswith("text/plain")
    page = teacher.get(reverse("annotations:class", args=[c.project.slug])).text
    assert refused.text not in page


def test_class_settings_saved_message_shows_with_the_htmx_answer():
    c = make_class()
    teacher = client_for(c.teacher)
    response = teacher.post(
        reverse("annotations:class-settings", args=[c.project.slug]), {"visibility": "open"}, **HTMX
    )
    assert "Class settings saved." in response.text
    assert (
        "Class settings saved."
        not in teacher.get(reverse("annotations:class", args=[c.project.slug])).text
    )
