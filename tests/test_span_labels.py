"""What screen readers hear of highlights: each distinct label once, with the ids of its spans."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from annotations.accessibility import span_labels
from tests import factories
from tests.factories import client_for


def row(pk: int, tag_id: int, author_id: int, is_reference: bool = False) -> SimpleNamespace:
    return SimpleNamespace(pk=pk, tag_id=tag_id, author_id=author_id, is_reference=is_reference)


def test_labels_are_grouped_by_what_they_say():
    viewer = SimpleNamespace(pk=1)
    spans = [row(10, 1, 1), row(11, 2, 2), row(12, 1, 1), row(13, 1, 2), row(14, 1, 3, True)]
    labels = span_labels(spans, viewer, {1: "Claim", 2: "Film reference"}, {2: "Zoë"})
    assert labels == [
        ("Claim, yours: ", " (end of Claim)", "10 12"),
        ("Film reference, by Zoë: ", " (end of Film reference)", "11"),
        ("Claim, by Zoë: ", " (end of Claim)", "13"),
        ("Claim, reference: ", " (end of Claim)", "14"),
    ]


@pytest.mark.django_db
def test_page_lists_every_drawn_span_once_in_its_labels():
    owner = factories.make_user()
    project = factories.make_project(owner)
    document = factories.make_document(project, text="Ein Satz über Filme. Noch einer, mit Gefühl.")
    spans = [
        factories.make_span(document, 0, 8, owner),
        factories.make_span(document, 4, 19, owner, "prediction"),
        factories.make_span(document, 21, 30, owner),
    ]
    page = client_for(owner).get(document.get_absolute_url()).text
    data = json.loads(re.search(r'id="span-labels"[^>]*>([^<]*)<', page).group(1))
    ids = [int(i) for _start, _end, listed in data for i in listed.split()]
    assert sorted(ids) == sorted(span.pk for span in spans)


def test_references_by_different_readers_share_one_label_in_page_order():
    viewer = SimpleNamespace(pk=1)
    spans = [row(20, 1, 2, True), row(21, 1, 1), row(22, 1, 3, True), row(23, 1, 2, True)]
    labels = span_labels(spans, viewer, {1: "Claim"}, {2: "Zoë", 3: "Ana"})
    assert labels == [
        ("Claim, reference: ", " (end of Claim)", "20 22 23"),
        ("Claim, yours: ", " (end of Claim)", "21"),
    ]
