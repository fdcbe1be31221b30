from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.models import Role, Span, Tag
from tests import factories
from tests.factories import client_for

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def create_url(document) -> str:
    return reverse("annotations:span-create", args=[document.pk])


# Pages and their fragments -------------------------------------------------------------


def test_every_page_requires_login(document):
    client = Client()
    for url in [
        reverse("annotations:home"),
        document.project.get_absolute_url(),
        document.get_absolute_url(),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_home_lists_only_my_projects(owner, project):
    factories.make_project(name="Someone else's")
    response = client_for(owner).get(reverse("annotations:home"))
    assert response.status_code == 200
    assert project.name in response.text
    assert "Someone else" not in response.text


def test_document_page_renders_text_highlights_and_sidebar(owner, document):
    span = factories.make_span(document, 0, 10, owner, "film-reference")
    response = client_for(owner).get(document.get_absolute_url())
    assert response.status_code == 200
    body = response.text
    assert "<html" in body
    assert 'id="essay"' in body
    assert 'id="span-sidebar"' in body
    assert 'id="span-panel"' in body
    assert f"<mark class=a{span.tag_id}>" in body
    assert f'data-spans="{span.pk} 0 10"' in body
    assert "Her (2013)" in body
    # Paragraphs stay paragraphs.
    assert body.count('class="para"') == 2


def test_sidebar_fragment_for_htmx_filters_by_tag(owner, document):
    factories.make_span(document, 0, 3, owner, "film-reference")
    factories.make_span(document, 0, 20, owner, "claim")
    response = client_for(owner).get(
        document.get_absolute_url() + "?tag=claim", HTTP_HX_TARGET="span-sidebar", **HTMX
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="span-sidebar"' in response.text
    assert response.text.count('class="span-entry"') == 1
    assert 'data-tag-count="film-reference">1<' in response.text


def test_full_page_filter_works_without_javascript(owner, document):
    factories.make_span(document, 0, 3, owner, "film-reference")
    factories.make_span(document, 0, 20, owner, "claim")
    response = client_for(owner).get(document.get_absolute_url() + "?tag=film-reference")
    assert "<html" in response.text
    assert response.text.count('class="span-entry"') == 1


def _many_spans(document, owner, count: int, tag: str = "claim") -> list[Span]:
    return [factories.make_span(document, n, n + 5, owner, tag) for n in range(count)]


def test_span_list_sends_a_screenful_and_the_rest_as_it_scrolls(owner, document):
    from annotations.views.annotate import LIST_PAGE

    spans = _many_spans(document, owner, LIST_PAGE + 7)
    client = client_for(owner)
    page = client.get(document.get_absolute_url()).text
    assert page.count('class="span-entry"') == LIST_PAGE
    assert f'id="span-total">{len(spans)}<' in page
    # The "More" entry loads the next entries when it comes into view, replacing itself.
    more = re.search(r'<li class="more"><a href="([^"]+)" hx-get="([^"]+)"', page)
    assert more, "no More entry"
    fragment = client.get(more.group(2).replace("&amp;", "&"), **HTMX).text
    assert "<html" not in fragment
    assert fragment.count('class="span-entry"') == 7
    assert 'class="more"' not in fragment
    listed = [int(n) for n in re.findall(r'data-span="(\d+)"', page + fragment)]
    assert listed == [span.pk for span in Span.objects.filter(document=document)]
    # Without JavaScript the link shows a longer list.
    longer = client.get(more.group(1).replace("&amp;", "&")).text
    assert longer.count('class="span-entry"') == len(spans)


def test_more_entries_keep_the_tag_filter(owner, document):
    from annotations.views.annotate import LIST_PAGE

    _many_spans(document, owner, LIST_PAGE + 3, "claim")
    _many_spans(document, owner, 4, "prediction")
    client = client_for(owner)
    page = client.get(document.get_absolute_url() + "?tag=claim").text
    more = re.search(r'hx-get="([^"]+from=[^"]+)"', page).group(1).replace("&amp;", "&")
    assert "tag=claim" in more
    fragment = client.get(more, **HTMX).text
    assert fragment.count('class="span-entry"') == 3
    filtered = client.get(document.get_absolute_url() + "?tag=prediction").text
    assert filtered.count('class="span-entry"') == 4
    assert 'class="more"' not in filtered


def test_a_linked_span_is_the_target_of_its_first_highlight(owner, document):
    span = factories.make_span(document, 0, 10, owner)
    page = client_for(owner).get(document.get_absolute_url() + f"?span={span.pk}").text
    assert page.count(f'id="span-{span.pk}"') == 1
    assert re.search(rf'<mark class=[^ >]+ id="span-{span.pk}">Her \(2013\)</mark>', page)


def test_document_page_query_count_does_not_grow_with_spans(owner, document, project):
    client = client_for(owner)
    factories.make_span(document, 0, 3, owner)
    with CaptureQueriesContext(connection) as few:
        client.get(document.get_absolute_url())
    for start in range(1, 40):
        factories.make_span(document, start, start + 5, owner, "prediction")
    with CaptureQueriesContext(connection) as many:
        client.get(document.get_absolute_url())
    assert len(many) == len(few)


def test_user_text_is_escaped_everywhere(owner, project):
    nasty = "<script>alert(1)</script> <img src=x onerror=alert(1)>"
    document = factories.make_document(project, text=nasty, title=nasty)
    span = factories.make_span(document, 0, 25, owner)
    assert span.quote == "<script>alert(1)</script>"
    Span.objects.filter(pk=span.pk).update(note=nasty)
    project.guidelines = nasty + "\n\n[click](javascript:alert(1))"
    project.save()
    client = client_for(owner)
    for url in [document.get_absolute_url() + f"?span={span.pk}", project.get_absolute_url()]:
        body = client.get(url).text
        assert "<script>alert" not in body
        assert "<img src=x" not in body
        assert 'href="javascript:' not in body
        assert "&lt;script&gt;" in body


def test_span_panel_fragment_and_full_page_redirect(owner, document):
    span = factories.make_span(document, 0, 3, owner)
    client = client_for(owner)
    fragment = client.get(reverse("annotations:span", args=[span.pk]), **HTMX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'id="span-panel"' in fragment.text
    assert "Her" in fragment.text
    full = client.get(reverse("annotations:span", args=[span.pk]))
    assert full.status_code == 302
    assert full["Location"] == f"{document.get_absolute_url()}?span={span.pk}#span-panel"
    page = client.get(full["Location"])
    assert f'data-span="{span.pk}"' in page.text
    assert "Delete span" in page.text


# Span actions --------------------------------------------------------------------------


def test_create_span_with_htmx_returns_panel_and_only_touched_paragraphs(owner, document):
    start = document.text.index("It will")
    response = client_for(owner).post(
        create_url(document),
        {"start": start, "end": start + 7, "tag": "prediction", "quote": "It will"},
        **HTMX,
    )
    assert response.status_code == 201
    span = Span.objects.get()
    assert (span.start, span.end, span.quote, span.tag.slug) == (
        start,
        start + 7,
        "It will",
        "prediction",
    )
    assert "<html" not in response.text
    assert 'id="span-panel"' in response.text
    assert 'id="para-0"' in response.text
    assert 'hx-swap-oob="true"' in response.text
    assert 'id="para-1"' not in response.text
    assert json.loads(response["HX-Trigger-After-Settle"]) == {
        "spansChanged": {"span": span.pk},
        # Read out by screen readers.
        "announce": {"text": f"Added {span.tag.name}: “{span.quote}”."},
        "spanLabel": {
            "id": span.pk,
            "start": f"{span.tag.name}, yours: ",
            "end": f" (end of {span.tag.name})",
        },
    }


def test_replayed_create_returns_the_same_span(owner, document):
    client = client_for(owner)
    data = {"start": 0, "end": 3, "tag": "film-reference", "quote": "Her"}
    first = client.post(create_url(document), data, **HTMX)
    second = client.post(create_url(document), data, **HTMX)
    assert (first.status_code, second.status_code) == (201, 200)
    assert Span.objects.count() == 1


def test_create_span_without_htmx_redirects_to_the_span(owner, document):
    response = client_for(owner).post(create_url(document), {"start": 0, "end": 3, "tag": "claim"})
    span = Span.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{document.get_absolute_url()}?span={span.pk}#span-panel"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"start": 0, "end": 999, "tag": "claim"},
            "End 999 is past the end of the document (84 characters).",
        ),
        ({"start": 0, "end": 3, "tag": "claim", "quote": "His"}, "does not match the document"),
        ({"start": 0, "end": 3, "tag": "nonsense"}, "There is no tag “nonsense” in this project."),
        ({"start": "x", "end": 3, "tag": "claim"}, "Enter a whole number."),
    ],
)
def test_bad_create_gets_a_message_and_changes_nothing(owner, document, data, message):
    assert len(document.text) == 84
    client = client_for(owner)
    response = client.post(create_url(document), data, **HTMX)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert message in response.text
    plain = client.post(create_url(document), data, follow=True)
    assert message in plain.text
    assert not Span.objects.exists()


def test_edit_span_both_branches(owner, document):
    span = factories.make_span(document, 0, 3, owner, "claim")
    client = client_for(owner)
    url = reverse("annotations:span-edit", args=[span.pk])
    response = client.post(url, {"tag": "film-reference", "note": "The title."}, **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'hx-swap-oob="true"' in response.text
    span.refresh_from_db()
    assert (span.tag.slug, span.note) == ("film-reference", "The title.")
    # A tag change from the keyboard sends no note: the note stays.
    client.post(url, {"tag": "claim"}, **HTMX)
    span.refresh_from_db()
    assert (span.tag.slug, span.note) == ("claim", "The title.")
    response = client.post(url, {"tag": "prediction", "note": ""})
    assert response.status_code == 302
    span.refresh_from_db()
    assert (span.tag.slug, span.note) == ("prediction", "")


def test_delete_and_undo_both_branches(owner, document):
    span = factories.make_span(document, 0, 3, owner)
    client = client_for(owner)
    response = client.post(reverse("annotations:span-delete", args=[span.pk]), **HTMX)
    assert response.status_code == 200
    assert not Span.objects.exists()
    assert "Undo" in response.text
    assert 'name="token"' in response.text
    assert json.loads(response["HX-Trigger-After-Settle"]) == {
        "spansChanged": {"span": None},
        "announce": {"text": "Span deleted. Ctrl+Z or the Undo button brings it back."},
    }
    token = response.text.split('name="token" value="')[1].split('"')[0]
    restore = client.post(
        reverse("annotations:span-restore", args=[document.pk]), {"token": token}, **HTMX
    )
    assert restore.status_code == 200
    assert Span.objects.get().pk == span.pk
    # Without htmx the same two actions redirect back to the page.
    assert client.post(reverse("annotations:span-delete", args=[span.pk])).status_code == 302
    restored = client.post(
        reverse("annotations:span-restore", args=[document.pk]), {"token": token}
    )
    assert restored.status_code == 302
    assert Span.objects.exists()


def test_undo_token_of_another_document_is_refused(owner, document, project):
    other = factories.make_document(project, text="Another essay entirely.")
    span = factories.make_span(document, 0, 3, owner)
    client = client_for(owner)
    response = client.post(reverse("annotations:span-delete", args=[span.pk]), **HTMX)
    token = response.text.split('name="token" value="')[1].split('"')[0]
    refused = client.post(
        reverse("annotations:span-restore", args=[other.pk]), {"token": token}, **HTMX
    )
    assert refused.status_code == 400
    assert not Span.objects.exists()


def test_htmx_csrf_header_is_accepted_and_required():
    user = factories.make_user("csrf")
    project = factories.make_project(owner=user)
    document = factories.make_document(project, text="Her is a film.")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.get(document.get_absolute_url())
    token = page.text.split('"x-csrftoken": "')[1].split('"')[0]
    data = {"start": 0, "end": 3, "tag": "film-reference", "quote": "Her"}
    refused = client.post(create_url(document), data, **HTMX)
    assert refused.status_code == 403
    accepted = client.post(create_url(document), data, HTTP_X_CSRFTOKEN=token, **HTMX)
    assert accepted.status_code == 201


# Project page ---------------------------------------------------------------------------


def test_project_page_lists_documents_with_span_counts(owner, document):
    factories.make_span(document, 0, 3, owner)
    factories.make_span(document, 4, 10, owner)
    response = client_for(owner).get(document.project.get_absolute_url())
    assert "<html" in response.text
    assert document.title in response.text
    assert '<td class="num">2</td>' in response.text


def test_add_document_both_branches(owner, project):
    client = client_for(owner)
    url = reverse("annotations:document-add", args=[project.slug])
    plain = client.post(url, {"title": "New essay", "text": "Line one\r\nline two"})
    document = project.documents.get(title="New essay")
    assert plain.status_code == 302
    assert plain["Location"] == document.get_absolute_url()
    assert document.text == "Line one\nline two"
    fragment = client.post(url, {"title": "Second", "text": "More words."}, **HTMX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'id="documents"' in fragment.text
    assert "Second" in fragment.text


def test_add_document_with_empty_text_shows_the_error_and_keeps_the_title(owner, project):
    client = client_for(owner)
    url = reverse("annotations:document-add", args=[project.slug])
    response = client.post(url, {"title": "Kept title", "text": "   "}, **HTMX)
    assert response.status_code == 400
    assert 'id="documents"' in response.text
    assert "This field is required." in response.text
    assert 'value="Kept title"' in response.text
    assert not project.documents.exists()


def test_add_tag_both_branches_and_shortcut_clash(owner, project):
    client = client_for(owner)
    url = reverse("annotations:tag-add", args=[project.slug])
    response = client.post(url, {"name": "Quotation", "colour": "#112233", "shortcut": "Q"}, **HTMX)
    assert response.status_code == 200
    assert 'id="tags"' in response.text
    assert "<html" not in response.text
    tag = Tag.objects.get(project=project, slug="quotation")
    assert (tag.shortcut, tag.colour, tag.position) == ("q", "#112233", 3)
    clash = client.post(url, {"name": "Another", "colour": "#112233", "shortcut": "c"})
    assert clash.status_code == 400
    assert "The key “c” is taken by the tag “Claim”." in clash.text
    bad_colour = client.post(url, {"name": "Bad", "colour": "red", "shortcut": ""})
    assert bad_colour.status_code == 400
    assert "Use a colour like" in bad_colour.text


# Roles ----------------------------------------------------------------------------------


def test_annotator_edits_own_spans_only(members, document):
    annotator = members[Role.ANNOTATOR]
    own = factories.make_span(document, 0, 3, annotator)
    others = factories.make_span(document, 4, 10, members[Role.EDITOR])
    client = client_for(annotator)
    assert (
        client.post(
            reverse("annotations:span-edit", args=[own.pk]), {"note": "mine"}, **HTMX
        ).status_code
        == 200
    )
    refused = client.post(reverse("annotations:span-delete", args=[others.pk]), **HTMX)
    assert refused.status_code == 403
    assert "only your own spans" in refused.text
    assert Span.objects.filter(pk=others.pk).exists()


def test_viewer_gets_a_page_explaining_403(members, document):
    response = client_for(members[Role.VIEWER]).post(
        create_url(document), {"start": 0, "end": 3, "tag": "claim"}
    )
    assert response.status_code == 403
    assert "you can read, but not annotate" in response.text
    assert "<html" in response.text


def test_pages_go_out_gzipped_when_the_browser_accepts_it(owner, document):
    import gzip

    client = client_for(owner)
    plain = client.get(document.get_absolute_url())
    packed = client.get(document.get_absolute_url(), HTTP_ACCEPT_ENCODING="gzip, br")
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert b"Her (2013)" in gzip.decompress(packed.content)


def test_a_short_answer_goes_out_as_it_is_a_longer_one_gzipped(owner, document):
    import gzip

    from annotations.middleware import UNCOMPRESSED_BELOW
    from annotations.services.tokens import api_token_create

    _token, raw = api_token_create(user=owner, name="short")
    short = Client().post(
        f"/api/v1/documents/{document.pk}/spans",
        data=json.dumps({"start": 0, "end": 3, "tag": "claim"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}", "Accept-Encoding": "gzip"},
    )
    assert short.status_code == 201
    assert len(short.content) < UNCOMPRESSED_BELOW
    assert "Content-Encoding" not in short
    assert short.json()["start"] == 0
    longer = client_for(owner).post(
        create_url(document),
        {"start": 4, "end": 8, "tag": "claim"},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_ENCODING="gzip",
    )
    assert longer.status_code == 201
    assert longer["Content-Encoding"] == "gzip"
    assert len(gzip.decompress(longer.content)) >= UNCOMPRESSED_BELOW
