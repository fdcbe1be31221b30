"""Adjudication end to end: readers annotate, the teacher builds the reference, students get feedback."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import Span
from annotations.services.classes import document_reveal
from annotations.views import adjudication
from tests import factories
from tests.factories import client_for, make_class, phrase

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_adjudication_to_feedback_end_to_end():
    c = make_class()
    d, slug = c.document, c.project.slug
    design = phrase(d, "loneliness is a design problem")
    for student in (c.alice, c.bob):
        factories.make_span(d, *design, student)
    neat_bob = factories.make_span(d, *phrase(d, "the ending was too neat"), c.bob)
    factories.make_span(d, *phrase(d, "ending was too neat"), c.alice)  # boundary
    factories.make_span(d, *phrase(d, "remembered for its voice"), c.alice)  # will be extra
    teacher = client_for(c.teacher)

    page = teacher.get(reverse("annotations:adjudicate", args=[slug, d.pk]))
    assert page.status_code == 200
    assert "2 of 2" in page.text

    # Bulk: the passage both readers marked alike.
    response = teacher.post(
        reverse("annotations:adjudicate-agreed", args=[slug, d.pk]), {"min_readers": "2"}, **HTMX
    )
    assert 'id="adjudication"' in response.text
    assert "<html" not in response.text
    # One reader's span, accepted as is, then one accepted with corrected boundaries.
    teacher.post(reverse("annotations:adjudicate-accept", args=[slug, d.pk]), {"span": neat_bob.pk})
    they = phrase(d, "they may be right")
    teacher.post(
        reverse("annotations:adjudicate-accept", args=[slug, d.pk]),
        {"span": neat_bob.pk, "start": they[0], "end": they[1]},
    )
    reference = Span.objects.filter(document=d, is_reference=True).order_by("start")
    assert [r.quote for r in reference] == [
        "loneliness is a design problem",
        "the ending was too neat",
        "they may be right",
    ]
    # Reject the edited one again.
    teacher.post(reverse("annotations:adjudicate-reject", args=[slug, d.pk, reference[2].pk]))
    assert Span.objects.filter(document=d, is_reference=True).count() == 2

    feedback_url = reverse("annotations:feedback", args=[slug, d.pk])
    alice = client_for(c.alice)
    assert adjudication.NOT_REVEALED in alice.get(feedback_url).text

    document_reveal(document=d, revealed=True)
    mine = alice.get(feedback_url).text
    assert "Found (1)" in mine
    assert "Same passage, other boundaries (1)" in mine
    assert "Missed (0)" in mine
    assert "Extra (1)" in mine
    assert "precision 0.67 · recall 1.00" in mine

    overview = teacher.get(feedback_url).text
    assert c.alice.get_username() in overview
    assert c.bob.get_username() in overview
    one = teacher.get(feedback_url + f"?student={c.bob.pk}").text
    assert "Found (2)" in one


def test_students_cannot_adjudicate():
    c = make_class()
    span = factories.make_span(c.document, 0, 3, c.alice)
    alice = client_for(c.alice)
    slug, pk = c.project.slug, c.document.pk
    assert alice.get(reverse("annotations:adjudicate", args=[slug, pk])).status_code == 403
    assert (
        alice.post(
            reverse("annotations:adjudicate-accept", args=[slug, pk]), {"span": span.pk}
        ).status_code
        == 403
    )
    assert (
        alice.post(
            reverse("annotations:adjudicate-agreed", args=[slug, pk]), {"min_readers": 1}
        ).status_code
        == 403
    )
    assert not Span.objects.filter(is_reference=True).exists()


def test_accept_with_bad_offsets_says_why_htmx():
    c = make_class()
    span = factories.make_span(c.document, 0, 3, c.alice)
    response = client_for(c.teacher).post(
        reverse("annotations:adjudicate-accept", args=[c.project.slug, c.document.pk]),
        {"span": span.pk, "start": "5", "end": "99999"},
        **HTMX,
    )
    assert response.status_code == 400
    assert not Span.objects.filter(is_reference=True).exists()


def test_adjudicate_fragment_for_htmx():
    c = make_class()
    response = client_for(c.teacher).get(
        reverse("annotations:adjudicate", args=[c.project.slug, c.document.pk]),
        **HTMX,
        HTTP_HX_TARGET="adjudication",
    )
    assert 'id="adjudication"' in response.text
    assert "<html" not in response.text


def test_add_a_selected_passage_to_the_reference_checks_the_quote():
    c = make_class()
    d, slug = c.document, c.project.slug
    start, end = phrase(d, "too neat")
    url = reverse("annotations:adjudicate-add", args=[slug, d.pk])
    teacher = client_for(c.teacher)
    stale = teacher.post(
        url, {"start": start, "end": end, "tag": "claim", "quote": "too near"}, **HTMX
    )
    assert stale.status_code == 400
    assert not Span.objects.filter(is_reference=True).exists()
    response = teacher.post(
        url, {"start": start, "end": end, "tag": "claim", "quote": "too neat"}, **HTMX
    )
    assert 'id="adjudication"' in response.text
    assert Span.objects.get(is_reference=True).quote == "too neat"
    assert client_for(c.alice).post(url, {"start": 0, "end": 3, "tag": "claim"}).status_code == 403


def test_feedback_without_a_reference_says_so_instead_of_zero_figures():
    c = make_class()
    d, slug = c.document, c.project.slug
    factories.make_span(d, *phrase(d, "design problem"), c.alice)
    document_reveal(document=d, revealed=True)
    url = reverse("annotations:feedback", args=[slug, d.pk])
    teacher = client_for(c.teacher).get(url).text
    assert "There is no reference layer for this document yet." in teacher
    assert reverse("annotations:adjudicate", args=[slug, d.pk]) in teacher
    assert "The class against the reference" not in teacher
    student = client_for(c.alice).get(url).text
    assert "once your teacher has built it" in student
    assert "precision" not in student


def test_class_feedback_rows_are_the_students_not_the_teacher():
    c = make_class()
    d, slug = c.document, c.project.slug
    factories.make_span(d, *phrase(d, "design problem"), c.alice)
    factories.make_span(d, *phrase(d, "too neat"), c.teacher)
    Span.objects.create(
        document=d,
        start=phrase(d, "design problem")[0],
        end=phrase(d, "design problem")[1],
        quote="design problem",
        tag=factories.tag(c.project),
        author=c.teacher,
        is_reference=True,
    )
    page = client_for(c.teacher).get(reverse("annotations:feedback", args=[slug, d.pk])).text
    table = page.split("The class against the reference")[1].split("</table>")[0]
    assert f">{c.alice.get_username()}</a>" in table
    assert f">{c.teacher.get_username()}</a>" not in table
