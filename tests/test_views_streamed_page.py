"""The annotate page is streamed: the same page as rendered whole, errors before the first byte."""

from __future__ import annotations

import gzip
import re
import zlib
from unittest import mock

import pytest
from django.db import OperationalError
from django.template.loader import render_to_string
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from annotations import rendering
from annotations.models import Role
from annotations.views import annotate, layers
from annotations.views.access import document_for
from tests import factories
from tests.factories import client_for

pytestmark = pytest.mark.django_db

#: Paragraphs in several scripts and registers, long enough that the essay goes in two pieces.
PARAGRAPHS = [
    "Ο Θεόδωρος γράφει γράμματα για άλλους· η φωνή του μηχανήματος τον ακούει χωρίς να κουραστεί.",
    "映画の終わりに、彼は屋上で夜明けを待つ。言葉は少ないが、画面は静かに語る。",
    "lol the OS literally ghosts him 😭😭 but like… was she ever *there*?? idk man 🤖",
    "In the final act, the camera withdraws; what remains is a city lit like a switchboard.",
    "Naïve readers call it a romance — cynics, a product demo. Both miss the letter-writing.",
]


def long_text() -> str:
    paragraphs = [PARAGRAPHS[n % len(PARAGRAPHS)] + f" ({n})" for n in range(90)]
    return "\n\n".join(paragraphs)


def annotated_document():
    owner = factories.make_user()
    project = factories.make_project(owner)
    reader = factories.add_member(project, Role.ANNOTATOR)
    document = factories.make_document(project, text=long_text(), title="Ἀθῆναι & <Her>")
    text = document.text
    for n, (start, length) in enumerate([(3, 40), (30, 200), (5200, 90), (len(text) - 60, 50)]):
        author = owner if n % 2 else reader
        factories.make_span(document, start, start + length, author, ("claim", "prediction")[n % 2])
    return owner, document


def same_but_tokens(html: str) -> str:
    """The page with what differs between two renders blanked: CSRF and live-poll tokens."""
    html = re.sub(r'(csrfmiddlewaretoken" value="|x-csrftoken": ")[^"]+', r"\1-", html)
    return re.sub(r"t=[^&\"]+", "t=-", html)


def whole_page(user, client, document) -> str:
    """The page as it was rendered before streaming: one template render with the essay in it."""
    request = RequestFactory().get(document.get_absolute_url())
    request.user = user
    request.session = client.session
    request.htmx = HtmxDetails(request)
    document, role = document_for(request, document.pk)
    tags = list(document.project.tags.all())
    shown = layers.page_layers(request, document, role, tags)
    context = annotate.page_context(request, document, role, tags, shown, parts=annotate.PAGE)
    return render_to_string(annotate.TEMPLATE, context, request=request)


def test_streamed_page_is_the_page_rendered_whole():
    owner, document = annotated_document()
    client = client_for(owner)
    response = client.get(document.get_absolute_url())
    assert response.status_code == 200
    assert response.streaming
    pieces = [piece.decode() for piece in response.streaming_content]
    assert len(pieces) >= 3  # head and first screenful, the rest of the essay, the rest
    assert 'id="para-0"' in pieces[0]
    assert "</html>" not in pieces[0]
    streamed = "".join(pieces)
    assert same_but_tokens(streamed) == same_but_tokens(whole_page(owner, client, document))
    assert "&lt;Her&gt;" in streamed


def test_linked_span_keeps_its_anchor_in_a_later_piece():
    owner, document = annotated_document()
    late = document.spans.get(start=5200)
    response = client_for(owner).get(f"{document.get_absolute_url()}?span={late.pk}")
    page = "".join(piece.decode() for piece in response.streaming_content)
    assert page.count(f'id="span-{late.pk}"') == 1


def test_chunks_join_to_the_whole_essay():
    text = long_text()
    marks = [rendering.SpanMark(1, 0, 30, 1), rendering.SpanMark(2, 20, 6000, 2)]
    paragraphs = rendering.split_runs(text, marks)
    whole = rendering.document_html(text, paragraphs, {1: 1, 2: 2}, target=2)
    chunks = list(
        rendering.document_html_chunks(text, marks, {1: 1, 2: 2}, target=2, first_characters=500)
    )
    assert len(chunks) == 2
    assert "".join(chunks) == whole


def test_a_stranger_gets_the_usual_404_page_not_a_stream():
    _owner, document = annotated_document()
    response = client_for(factories.make_user()).get(document.get_absolute_url())
    assert response.status_code == 404
    assert not response.streaming


def test_a_failing_query_answers_with_the_error_page_before_any_byte():
    owner, document = annotated_document()
    with mock.patch.object(layers, "page_layers", side_effect=OperationalError("gone")):
        response = client_for(owner).get(document.get_absolute_url())
    assert response.status_code == 503
    assert not response.streaming
    assert "database is not reachable" in response.text


def test_a_failure_after_the_first_piece_says_so_and_ends_the_page(caplog):
    owner, document = annotated_document()
    real = rendering.document_html

    def fails_on_the_second(text, paragraphs, *args, **kwargs):
        if paragraphs and paragraphs[0].index > 0:
            raise ValueError("broken run")
        return real(text, paragraphs, *args, **kwargs)

    with mock.patch.object(rendering, "document_html", side_effect=fails_on_the_second):
        response = client_for(owner).get(document.get_absolute_url())
        page = "".join(piece.decode() for piece in response.streaming_content)
    assert 'id="para-0"' in page
    assert annotate.ESSAY_FAILED in page
    assert page.rstrip().endswith("</html>")
    assert "Could not write the rest of the essay" in caplog.text


def test_gzipped_stream_sends_a_readable_first_screenful():
    owner, document = annotated_document()
    response = client_for(owner).get(document.get_absolute_url(), HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    pieces = list(response.streaming_content)
    # The first piece alone decompresses to the head and first paragraphs.
    first = zlib.decompressobj(wbits=31).decompress(pieces[0])
    assert b'id="para-0"' in first
    page = gzip.decompress(b"".join(pieces)).decode()
    plain = client_for(owner).get(document.get_absolute_url())
    assert same_but_tokens(page) == same_but_tokens(plain.text)
