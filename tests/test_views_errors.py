"""Failed htmx actions answer with a message; tags in any script; keys the page keeps."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from annotations import forms
from annotations.middleware import DATABASE_UNAVAILABLE
from annotations.models import Role, SpanDeletion, Tag
from annotations.selectors import SPAN_GONE, span_deletion_note
from annotations.views import errors
from tests import factories
from tests.factories import client_for

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def add_tag(client, project, name, shortcut="", htmx=True):
    url = reverse("annotations:tag-add", args=[project.slug])
    data = {"name": name, "colour": "#112233", "shortcut": shortcut, "description": ""}
    return client.post(url, data, **(HTMX if htmx else {}))


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Предсказание", "предсказание"),
        ("Цитата", "цитата"),
        ("!!!", "u21-21-21"),
        ("引用", "引用"),
    ],
)
def test_tags_in_any_script_or_of_symbols_only(owner, project, name, slug):
    response = add_tag(client_for(owner), project, name)
    assert response.status_code == 200
    tag = Tag.objects.get(project=project, name=name)
    assert tag.slug == slug
    assert name in response.text


def test_unicode_tag_is_usable_on_the_annotate_page(owner, project):
    client = client_for(owner)
    add_tag(client, project, "Предсказание", shortcut="п")
    document = factories.make_document(project, text="Машины будут писать эссе.")
    response = client.post(
        reverse("annotations:span-create", args=[document.pk]),
        {"start": 0, "end": 6, "tag": "предсказание", "quote": "Машины"},
        **HTMX,
    )
    assert response.status_code == 201
    page = client.get(document.get_absolute_url() + "?tag=предсказание")
    assert "Машины" in page.text


@pytest.mark.parametrize("name", ["Claim!", "claim", "CLAIM", " Claim ", "claim."])
def test_a_name_differing_only_by_case_or_punctuation_is_a_form_error(owner, project, name):
    response = add_tag(client_for(owner), project, name)
    assert response.status_code == 400
    assert "tag names must differ in more than case, spaces or punctuation" in response.text
    assert 'id="tags"' in response.text
    assert project.tags.count() == 3


@pytest.mark.parametrize("key", sorted(forms.RESERVED_SHORTCUTS))
def test_keys_the_page_uses_are_refused(owner, project, key):
    response = add_tag(client_for(owner), project, "Quotation", shortcut=key)
    assert response.status_code == 400
    assert f"The key “{key}” is used by the page itself" in response.text
    assert not project.tags.filter(name="Quotation").exists()


def test_a_pasted_text_over_the_limit_is_a_form_error_naming_the_limit(owner, project):
    client = client_for(owner)
    text = "Ж" * (forms.PASTE_MAX_BYTES // 2 + 10)  # two bytes each in UTF-8
    url = reverse("annotations:document-add", args=[project.slug])
    response = client.post(url, {"title": "Long", "text": text}, **HTMX)
    assert response.status_code == 400
    assert "pasting takes up to 2 MB" in response.text
    assert "Import it as a file" in response.text
    assert not project.documents.exists()


def test_the_paste_form_states_its_limit(owner, project):
    page = client_for(owner).get(project.get_absolute_url())
    assert 'id="paste-limit"' in page.text
    assert "Up to 2 MB of text" in page.text
    assert f'data-max-bytes="{forms.PASTE_MAX_BYTES}"' in page.text


def test_pasting_updates_the_suggestion_summary_out_of_band(owner, project):
    client = client_for(owner)
    url = reverse("annotations:document-add", args=[project.slug])
    response = client.post(url, {"title": "New", "text": "A new essay."}, **HTMX)
    assert response.status_code == 200
    assert 'id="suggestions"' in response.text
    assert 'hx-swap-oob="true"' in response.text
    assert "1 queued" in response.text


def test_editing_a_span_another_member_deleted_says_who(owner, project):
    editor = factories.add_member(project, Role.EDITOR, factories.make_user("eddie"))
    document = factories.make_document(project)
    span = factories.make_span(document, 0, 7, owner)
    client_for(editor).post(reverse("annotations:span-delete", args=[span.pk]), **HTMX)
    response = client_for(owner).post(
        reverse("annotations:span-edit", args=[span.pk]), {"note": "typed"}, **HTMX
    )
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/plain")
    assert response.text.startswith("This span was deleted by eddie at ")
    assert response[errors.NEXT_HEADER] == "reload"


def test_who_deleted_stays_hidden_from_a_stranger_and_from_a_blind_classmate():
    c = factories.make_class(visibility="blind")
    span = factories.make_span(c.document, 0, 3, c.alice)
    client_for(c.alice).post(reverse("annotations:span-delete", args=[span.pk]), **HTMX)
    assert span_deletion_note(span.pk, c.bob) == SPAN_GONE
    assert span_deletion_note(span.pk, factories.make_user()) is None
    assert span_deletion_note(span.pk, c.alice).startswith("You deleted this span")
    assert span_deletion_note(span.pk, c.teacher).startswith(
        f"This span was deleted by {c.alice.get_username()}"
    )


def test_undo_forgets_the_deletion(owner, project):
    document = factories.make_document(project)
    span = factories.make_span(document, 0, 7, owner)
    client = client_for(owner)
    answer = client.post(reverse("annotations:span-delete", args=[span.pk]), **HTMX)
    token = answer.text.split('name="token" value="')[1].split('"')[0]
    client.post(reverse("annotations:span-restore", args=[document.pk]), {"token": token}, **HTMX)
    assert span_deletion_note(span.pk, owner) is None


def test_restoring_from_the_trash_forgets_the_deletion_too(owner, project):
    document = factories.make_document(project)
    span = factories.make_span(document, 0, 7, owner)
    client = client_for(owner)
    client.post(reverse("annotations:span-delete", args=[span.pk]), **HTMX)
    assert span_deletion_note(span.pk, owner).startswith("You deleted this span")
    client.post(reverse("annotations:span-untrash", args=[span.pk]))
    assert span_deletion_note(span.pk, owner) is None
    assert not SpanDeletion.objects.filter(span_id=span.pk).exists()


def test_a_removed_document_says_so_and_offers_the_projects(owner, project):
    document = factories.make_document(project)
    url = reverse("annotations:span-create", args=[document.pk])
    document.delete()
    response = client_for(owner).post(url, {"start": 0, "end": 1, "tag": "claim"}, **HTMX)
    assert response.status_code == 404
    assert response.text == errors.DOCUMENT_GONE
    assert response[errors.NEXT_HEADER] == "home"


def test_without_htmx_a_missing_span_is_still_the_404_page(owner, project):
    response = client_for(owner).post(reverse("annotations:span-edit", args=[99999]))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_crash_in_an_htmx_action_is_a_plain_message(owner, project, monkeypatch):
    document = factories.make_document(project)
    span = factories.make_span(document, 0, 7, owner)

    def explode(**_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("annotations.views.spans.span_update", explode)
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    response = client.post(reverse("annotations:span-edit", args=[span.pk]), {"note": "x"}, **HTMX)
    assert response.status_code == 500
    assert response.text == errors.SERVER_ERROR


def test_a_database_gone_mid_action_is_a_503_saying_try_again_not_a_crash(
    owner, project, monkeypatch
):
    """A restart between writing the span and drawing its paragraph: the span is kept, and
    the reader is told to try again (which finds the span already there), not "it broke"."""
    document = factories.make_document(project)

    def restarting(*_args, **_kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr("annotations.views.annotate.changed_paragraphs", restarting)
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    url = reverse("annotations:span-create", args=[document.pk])
    data = {"start": 0, "end": 7, "tag": "claim", "quote": document.text[0:7]}
    response = client.post(url, data, **HTMX)
    assert response.status_code == 503
    assert response.text == DATABASE_UNAVAILABLE
    assert response["Retry-After"]
    assert document.spans.count() == 1


def test_w3c_annotation_ids_resolve_to_the_span_for_members_only(owner, project):
    document = factories.make_document(project)
    span = factories.make_span(document, 0, 7, owner)
    client = client_for(owner)
    export = client.get(reverse("annotations:export", args=[project.slug]), {"format": "w3c"})
    body = b"".join(export.streaming_content).decode()
    span_id = f"http://testserver/projects/{project.slug}/spans/{span.pk}"
    assert f'"{span_id}"' in body
    # The id has no trailing slash; Django's APPEND_SLASH adds it, then the span opens.
    answer = client.get(span_id, follow=True)
    assert (
        answer.redirect_chain[-1][0] == f"{document.get_absolute_url()}?span={span.pk}#span-panel"
    )
    assert answer.status_code == 200
    tag_id = f"http://testserver/projects/{project.slug}/tags/claim"
    assert f'"{tag_id}"' in body
    tag_answer = client.get(tag_id, follow=True)
    assert tag_answer.redirect_chain[-1][0] == f"{project.get_absolute_url()}#tags"
    assert client_for(factories.make_user()).get(span_id, follow=True).status_code == 404


def test_a_logged_out_htmx_action_is_told_to_log_in_not_given_the_login_page(owner, project):
    document = factories.make_document(project)
    span = factories.make_span(document, 0, 7, owner)
    response = Client().post(
        reverse("annotations:span-edit", args=[span.pk]), {"note": "typed"}, **HTMX
    )
    assert response.status_code == 401
    assert response.text == errors.SESSION_ENDED
    assert response[errors.NEXT_HEADER] == "login"
    # Without htmx: the usual redirect to the login page.
    plain = Client().post(reverse("annotations:span-edit", args=[span.pk]), {"note": "typed"})
    assert plain.status_code == 302


def test_a_body_over_the_server_limit_gets_a_page_that_names_the_paste_limit(
    owner, project, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    url = reverse("annotations:document-add", args=[project.slug])
    response = client.post(url, {"title": "Big", "text": "x" * 5000})
    assert response.status_code == 400
    assert "Pasting takes up to 2 MB" in response.text


def test_a_refused_security_token_on_htmx_asks_to_log_in_again(owner, project):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    url = reverse("annotations:tag-add", args=[project.slug])
    response = client.post(url, {"name": "Quotation"}, **HTMX)
    assert response.status_code == 403
    assert response.text == errors.SESSION_ENDED
    plain = client.post(url, {"name": "Quotation"})
    assert plain.status_code == 403
    assert "CSRF" in plain.text


def test_the_model_refuses_a_page_key_too(project):
    from django.core.exceptions import ValidationError

    from annotations.models import Tag

    tag = Tag(project=project, name="Quotation", shortcut="j")
    with pytest.raises(ValidationError, match="is used by the page itself"):
        tag.full_clean()
