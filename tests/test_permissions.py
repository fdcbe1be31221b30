"""A role x endpoint matrix, generated from the one permission table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from annotations.models import Role
from annotations.permissions import ROLE_ACTIONS, Action
from annotations.services.classes import document_reveal
from annotations.services.spans import span_delete
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = [Role.OWNER, Role.EDITOR, Role.ANNOTATOR, Role.VIEWER, "stranger"]


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    url: Callable[[dict], str]
    action: Action
    data: Callable[[dict], dict] = lambda objects: {}


ENDPOINTS = [
    Endpoint("project page", "get", lambda o: o["project"].get_absolute_url(), Action.VIEW),
    Endpoint("document page", "get", lambda o: o["document"].get_absolute_url(), Action.VIEW),
    Endpoint(
        "sidebar fragment",
        "get",
        lambda o: o["document"].get_absolute_url() + "?tag=claim",
        Action.VIEW,
    ),
    Endpoint(
        "span panel", "get", lambda o: reverse("annotations:span", args=[o["span"].pk]), Action.VIEW
    ),
    Endpoint(
        "add document",
        "post",
        lambda o: reverse("annotations:document-add", args=[o["project"].slug]),
        Action.ADD_DOCUMENTS,
        lambda o: {"title": "T", "text": "Words."},
    ),
    Endpoint(
        "add tag",
        "post",
        lambda o: reverse("annotations:tag-add", args=[o["project"].slug]),
        Action.MANAGE_TAGS,
        lambda o: {"name": "New tag", "colour": "#123456", "shortcut": ""},
    ),
    Endpoint(
        "create span",
        "post",
        lambda o: reverse("annotations:span-create", args=[o["document"].pk]),
        Action.ANNOTATE,
        lambda o: {"start": 4, "end": 8, "tag": "claim"},
    ),
    # The span below belongs to the owner, so others need the right to edit anyone's spans.
    Endpoint(
        "edit span",
        "post",
        lambda o: reverse("annotations:span-edit", args=[o["span"].pk]),
        Action.EDIT_ANY_SPAN,
        lambda o: {"note": "n"},
    ),
    Endpoint(
        "delete span",
        "post",
        lambda o: reverse("annotations:span-delete", args=[o["span"].pk]),
        Action.EDIT_ANY_SPAN,
    ),
    Endpoint(
        "restore span",
        "post",
        lambda o: reverse("annotations:span-restore", args=[o["document"].pk]),
        Action.EDIT_OWN_SPANS,
        lambda o: {"token": o["token"]},
    ),
]


def expected_status(role: str, action: Action) -> str:
    if role == "stranger":
        return "404"
    return "ok" if action in ROLE_ACTIONS[role] else "403"


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(role, endpoint, htmx, members, project, document, owner):
    span = factories.make_span(document, 0, 3, owner)
    deleted = factories.make_span(document, 10, 14, owner)
    token = span_delete(span=deleted)
    objects = {"project": project, "document": document, "span": span, "token": token}
    client = Client()
    client.force_login(members[role])
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = getattr(client, endpoint.method)(
        endpoint.url(objects), endpoint.data(objects), **headers
    )
    expected = expected_status(role, endpoint.action)
    if expected == "ok":
        assert response.status_code in (200, 201, 302), response.content[:300]
    else:
        assert response.status_code == int(expected)


# Class mode: the blind rule as exports and the API call it ------------------------------


def test_spans_visible_in_project_applies_the_blind_rule():
    from annotations.permissions import spans_visible_in
    from tests.factories import make_class, phrase

    c = make_class(visibility="blind")
    d = c.document
    mine = factories.make_span(d, *phrase(d, "design problem"), c.alice)
    theirs = factories.make_span(d, *phrase(d, "too neat"), c.bob)
    assert list(spans_visible_in(c.alice, "annotator", project=c.project)) == [mine]
    assert set(spans_visible_in(c.teacher, "owner", project=c.project)) == {mine, theirs}
    assert not spans_visible_in(c.alice, None, project=c.project).exists()
    document_reveal(document=d, revealed=True)
    assert set(spans_visible_in(c.alice, "annotator", project=c.project)) == {mine, theirs}


def test_spans_visible_in_wants_document_or_project():
    from annotations.permissions import spans_visible_in

    with pytest.raises(TypeError):
        spans_visible_in(factories.make_user(), "owner")
