"""Readers side by side: passages, cells and agreement (pure), and the page's blind rule."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.charts import ink_on
from annotations.comparison import BOUNDS_DIFFER, MISSED, TAGS_DIFFER, Mark, passages
from tests import factories
from tests.factories import client_for, make_class, phrase


def test_overlapping_spans_of_any_tag_share_a_passage():
    marks = [
        Mark(1, "a", 1, 0, 10),
        Mark(2, "b", 1, 0, 10),
        Mark(3, "b", 2, 8, 14),
        Mark(4, "a", 1, 20, 25),
    ]
    rows = passages(marks, ["a", "b"])
    assert [(r.start, r.end) for r in rows] == [(0, 14), (20, 25)]
    first, second = rows
    assert first.differences == [TAGS_DIFFER, BOUNDS_DIFFER]
    assert [m.span_id for m in first.cells["b"].marks] == [2, 3]
    assert second.differences == [MISSED]
    assert (second.marked_by, second.compared) == (1, 2)


def test_agreement_needs_everyone_with_the_same_tag_and_bounds():
    rows = passages([Mark(1, "a", 1, 3, 9), Mark(2, "b", 1, 3, 9)], ["a", "b"])
    assert rows[0].agreed
    assert rows[0].cells["a"].off_bounds == frozenset()


def test_the_odd_bounds_are_flagged_against_the_most_common():
    marks = [Mark(1, "a", 1, 0, 10), Mark(2, "b", 1, 0, 10), Mark(3, "c", 1, 0, 8)]
    row = passages(marks, ["a", "b", "c"])[0]
    assert row.cells["c"].off_bounds == frozenset({3})
    assert row.cells["a"].off_bounds == frozenset()
    assert row.differences == [BOUNDS_DIFFER]


def test_readers_not_chosen_are_left_out_and_the_reference_does_not_count():
    marks = [Mark(1, "a", 1, 0, 5), Mark(2, "b", 1, 0, 5), Mark(3, "ref", 2, 0, 5)]
    rows = passages(marks, ["a"], also_shown=["ref"])
    assert rows[0].agreed
    assert [m.span_id for m in rows[0].cells["ref"].marks] == [3]
    assert "b" not in rows[0].cells


def test_ink_is_readable_on_every_tag_colour():
    assert ink_on("#ffffff") == "#000000"
    assert ink_on("#000000") == "#ffffff"
    assert ink_on("#3b82c4") == "#000000"


@pytest.mark.django_db
def test_the_page_keeps_the_blind_rule_and_answers_strangers_404():
    c = make_class(visibility="blind")
    factories.make_span(c.document, *phrase(c.document, "design problem"), c.alice)
    factories.make_span(c.document, *phrase(c.document, "design problem"), c.bob, "prediction")
    url = reverse("annotations:compare", args=[c.project.slug, c.document.pk])
    teacher_page = client_for(c.teacher).get(url)
    assert teacher_page.status_code == 200
    assert c.alice.get_username() in teacher_page.text
    assert c.bob.get_username() in teacher_page.text
    assert "tags differ" in teacher_page.text
    # A reader's column heading opens their layer on the annotate page.
    assert f'href="{c.document.get_absolute_url()}?layers={c.alice.pk}"' in teacher_page.text
    student_page = client_for(c.alice).get(url)
    assert c.bob.get_username() not in student_page.text
    assert "once your teacher reveals" in student_page.text
    assert client_for(factories.make_user()).get(url).status_code == 404


@pytest.mark.django_db
def test_pseudonyms_hide_names_and_only_disagreements_hides_agreed_rows():
    c = make_class(visibility="open")
    for student in (c.alice, c.bob):
        factories.make_span(c.document, *phrase(c.document, "design problem"), student)
    factories.make_span(c.document, *phrase(c.document, "too neat"), c.alice)
    url = reverse("annotations:compare", args=[c.project.slug, c.document.pk])
    client = client_for(c.teacher)
    page = client.get(url, {"pseudonyms": "1"})
    assert c.alice.get_username() not in page.text
    assert "annotator-" in page.text
    only = client.get(url, {"only": "disagreements"})
    assert "too neat" in only.text
    assert "design problem" not in only.text.split("<tbody>")[1]
    # A student cannot ask for pseudonyms (the option is the teacher's).
    assert "annotator-" not in client_for(c.alice).get(url, {"pseudonyms": "1"}).text
