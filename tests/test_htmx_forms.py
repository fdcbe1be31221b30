"""The {% htmx_post %} tag: the attributes of an element that posts through htmx."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.template import engines
from django.urls import NoReverseMatch, path, reverse


def _echo(request, value):
    return HttpResponse(value)


#: A view whose URL carries any text, for the escaping tests (pytest.mark.urls below).
urlpatterns = [path("echo/<path:value>/", _echo, name="echo")]


def render(tag: str, **context) -> str:
    template = engines["django"].from_string("{% load htmx_forms %}<form " + tag + ">")
    return template.render(context)


def test_form_posts_to_the_view_plainly_and_through_htmx():
    url = reverse("annotations:tag-add", args=["essays"])
    html = render('{% htmx_post "annotations:tag-add" slug target="#tags" %}', slug="essays")
    assert html == (
        f'<form method="post" action="{url}" hx-post="{url}" hx-target="#tags" hx-swap="outerHTML">'
    )


def test_disable_guards_against_a_double_submit():
    html = render(
        '{% htmx_post "annotations:span-delete" 7 target="#span-panel" disable="find button" %}'
    )
    assert html.endswith('hx-swap="outerHTML" hx-disabled-elt="find button" hx-sync="this:drop">')


def test_without_disable_no_guard_is_written():
    html = render('{% htmx_post "annotations:span-delete" 7 target="#span-panel" %}')
    assert "hx-disabled-elt" not in html
    assert "hx-sync" not in html


def test_trigger_swap_and_an_element_that_is_not_a_form():
    url = reverse("annotations:document-seen", args=["essays", 3])
    html = render(
        '{% htmx_post "annotations:document-seen" "essays" 3 trigger="load" swap="none" form=False %}'
    )
    assert html == f'<form hx-post="{url}" hx-trigger="load" hx-swap="none">'


def test_a_target_built_from_a_variable():
    html = render(
        '{% htmx_post "annotations:comment-add" 5 target="#comments-"|add:key %}', key="5"
    )
    assert 'hx-target="#comments-5"' in html


def test_hostile_target_is_escaped():
    html = render(
        '{% htmx_post "annotations:span-edit" 1 target=target disable=disable %}',
        target='"><script>alert(1)</script>',
        disable="a & b",
    )
    assert 'hx-target="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert 'hx-disabled-elt="a &amp; b"' in html
    assert "<script>" not in html


@pytest.mark.urls(__name__)
def test_hostile_url_is_escaped():
    # reverse() percent-encodes quotes and angle brackets, but leaves & and ' as they are.
    html = render('{% htmx_post "echo" value target="#x" %}', value="a&b'c\"<d>")
    assert 'action="/echo/a&amp;b&#x27;c%22%3Cd%3E/"' in html
    assert 'hx-post="/echo/a&amp;b&#x27;c%22%3Cd%3E/"' in html


def test_unknown_view_fails_as_the_url_tag_does():
    with pytest.raises(NoReverseMatch):
        render('{% htmx_post "annotations:no-such-view" target="#x" %}')
