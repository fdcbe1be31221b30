"""Numbers in query strings and forms: anything but ASCII digits within an id's range is a 400."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.urls import reverse

from annotations import params
from tests.factories import client_for, make_class

REFUSED = ["²", "٣", "1e3", "-1", " 7x", str(2**63), "12" * 20]


@pytest.mark.parametrize("raw", REFUSED)
def test_only_ascii_digits_within_an_ids_range_are_numbers(raw):
    with pytest.raises(params.BadParameter):
        params.optional_number(QueryDict(f"n={raw}"), "n")


def test_numbers_absent_or_empty_or_repeated():
    query = QueryDict("a=&b=42&s=1&s=2")
    assert params.optional_number(query, "a") is None
    assert params.optional_number(query, "missing") is None
    assert params.required_number(query, "b") == 42
    assert params.number_list(query, "s") == [1, 2]
    with pytest.raises(params.BadParameter, match="“a” is missing"):
        params.required_number(query, "a")


def test_the_message_names_the_parameter_and_the_value():
    with pytest.raises(params.BadParameter) as caught:
        params.optional_number(QueryDict("span=²"), "span")
    assert (
        str(caught.value) == "“span” must be a whole number written with the digits 0-9, not “²”."
    )


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["²", str(2**64), "abc"])
def test_every_view_answers_400_with_the_reason_never_500(value):
    c = make_class()
    teacher = client_for(c.teacher)
    slug, doc = c.project.slug, c.document.pk
    requests = [
        ("get", c.document.get_absolute_url(), {"span": value}),
        ("get", reverse("annotations:agreement", args=[slug]), {"document": value}),
        ("get", reverse("annotations:agreement", args=[slug]), {"a": value, "b": "1"}),
        ("get", reverse("annotations:feedback", args=[slug, doc]), {"student": value}),
        ("post", reverse("annotations:adjudicate-accept", args=[slug, doc]), {"span": value}),
        (
            "post",
            reverse("annotations:adjudicate-agreed", args=[slug, doc]),
            {"min_readers": value},
        ),
        (
            "post",
            reverse("annotations:assign", args=[slug, doc]),
            {"students": value, "everyone": "off"},
        ),
    ]
    for method, url, data in requests:
        response = getattr(teacher, method)(url, data)
        assert response.status_code == 400, (url, data, response.status_code)
        name = next(iter(data))
        assert f"“{name}”" in response.content.decode(), (url, data)
