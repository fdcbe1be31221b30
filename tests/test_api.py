"""The JSON API: every endpoint, every role, and the error messages."""

from __future__ import annotations

import json

import pytest

from annotations import throttle
from annotations.api import auth as api_auth
from annotations.models import ApiToken, Document, Role, Span
from annotations.permissions import ROLE_ACTIONS, Action
from annotations.services.tokens import (
    TOKEN_INVALID,
    api_token_create,
    api_token_revoke,
    token_hash,
)
from tests import factories

API = "/api/v1"


class Api:
    """A test client that sends one user's token."""

    def __init__(self, client, user=None, raw: str | None = None):
        self.client = client
        if raw is None and user is not None:
            _token, raw = api_token_create(user=user, name="tests")
        self.headers = {"Authorization": f"Bearer {raw}"} if raw else {}

    def call(self, method: str, path: str, body=None, **headers):
        kwargs = {"headers": {**self.headers, **headers}}
        if body is not None:
            kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
        return getattr(self.client, method)(API + path, **kwargs)

    def get(self, path, **headers):
        return self.call("get", path, **headers)

    def post(self, path, body, **headers):
        return self.call("post", path, body, **headers)

    def patch(self, path, body):
        return self.call("patch", path, body)

    def delete(self, path):
        return self.call("delete", path)


@pytest.fixture
def apis(client, members):
    return {role: Api(client, user) for role, user in members.items()}


@pytest.fixture
def owner_span(document, owner):
    return factories.make_span(document, 0, 3, owner)


# ---- authentication -------------------------------------------------------------------


def test_no_token_gets_401_saying_how_to_send_one(client, project):
    response = Api(client).get("/projects")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Send your API token in the header")
    assert response["WWW-Authenticate"] == 'Bearer realm="herlens"'


@pytest.mark.parametrize(
    "header", ["Bearer hl_wrong", "Bearer ", "Token abc", "Basic Zm9vOmJhcg=="]
)
def test_wrong_token_gets_401(client, project, header):
    response = client.get(API + "/projects", headers={"Authorization": header})
    assert response.status_code == 401
    assert "detail" in response.json()


def test_revoked_token_gets_401(client, owner, project):
    token, raw = api_token_create(user=owner, name="old")
    api_token_revoke(token=token)
    response = Api(client, raw=raw).get("/projects")
    assert response.status_code == 401
    assert response.json()["detail"] == TOKEN_INVALID


def test_only_the_hash_of_a_token_is_stored(owner):
    token, raw = api_token_create(user=owner, name="x")
    stored = ApiToken.objects.values_list("key_hash", "prefix").get()
    assert raw not in stored
    assert stored == (token_hash(raw), raw[:10])
    assert token.active


def test_schema_and_docs_are_for_members_logged_in_or_with_a_token(client, owner):
    assert client.get(API + "/openapi.json").status_code == 401
    assert client.get(API + "/openapi.json").json()["detail"] == api_auth.DOCS_NEED_LOGIN
    anonymous_docs = client.get(API + "/docs")
    assert anonymous_docs.status_code == 302
    assert anonymous_docs["Location"].startswith("/accounts/login/")
    wrong = client.get(API + "/openapi.json", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert wrong.status_code == 401

    _token, raw = api_token_create(user=owner, name="schema")
    schema = client.get(API + "/openapi.json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "herlens API"
    client.force_login(owner)
    docs = client.get(API + "/docs")
    assert docs.status_code == 200
    assert b"/static/ninja/swagger-ui-bundle.js" in docs.content


# ---- projects -------------------------------------------------------------------------


def test_projects_lists_only_the_users_projects_with_tags_and_role(apis, project, members):
    factories.make_project(name="Someone else's")
    data = apis[Role.VIEWER].get("/projects").json()
    assert [p["slug"] for p in data] == [project.slug]
    assert data[0]["role"] == "viewer"
    assert [t["slug"] for t in data[0]["tags"]] == ["claim", "prediction", "film-reference"]


# ---- documents ------------------------------------------------------------------------


def test_documents_list_is_paginated(apis, project, document):
    data = apis[Role.ANNOTATOR].get(f"/projects/{project.slug}/documents?limit=10").json()
    assert data["count"] == 1
    assert data["items"][0]["id"] == document.pk
    assert data["items"][0]["length"] == len(document.text)
    assert "text" not in data["items"][0]


def test_stranger_gets_404_with_a_message(apis, project, document):
    response = apis["stranger"].get(f"/projects/{project.slug}/documents")
    assert response.status_code == 404
    assert response.json() == {"detail": f"You have no project with the address “{project.slug}”."}
    assert apis["stranger"].get(f"/documents/{document.pk}").status_code == 404


def test_create_document_returns_201_with_id_and_normalised_text(apis, project):
    response = apis[Role.EDITOR].post(
        f"/projects/{project.slug}/documents", {"title": "New", "text": "Zoe\u0308\r\nline"}
    )
    assert response.status_code == 201
    data = response.json()
    assert data["text"] == "Zoë\nline"
    assert Document.objects.get(pk=data["id"]).title == "New"


@pytest.mark.parametrize("role", [Role.ANNOTATOR, Role.VIEWER])
def test_members_who_cannot_add_documents_get_403(apis, project, role):
    response = apis[role].post(f"/projects/{project.slug}/documents", {"title": "T", "text": "x"})
    assert response.status_code == 403
    assert response.json() == {"detail": "Only the project's editors and owners can add documents."}
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"title": " ", "text": "x"}, 400, "Give the document a title."),
        (
            {"title": "T", "text": "  "},
            400,
            "The document has no text: paste or type the essay first.",
        ),
        ({"title": "T"}, 422, "The request is not valid: text: Field required."),
        ({"title": "T" * 301, "text": "x"}, 422, None),
        ({"title": "T", "text": "a\x00b"}, 422, None),
    ],
)
def test_bad_documents_get_a_message_and_nothing_is_stored(apis, project, body, status, detail):
    response = apis[Role.OWNER].post(f"/projects/{project.slug}/documents", body)
    assert response.status_code == status
    if detail:
        assert response.json()["detail"] == detail
    assert not Document.objects.exists()


def test_document_detail_has_the_text(apis, document):
    data = apis[Role.VIEWER].get(f"/documents/{document.pk}").json()
    assert data["text"] == document.text
    assert data["metadata"] == {}


@pytest.mark.parametrize("document_id", [0, 999999, 2**70])
def test_unknown_documents_get_404(apis, document_id, project):
    assert apis[Role.OWNER].get(f"/documents/{document_id}").status_code == 404


# ---- spans ----------------------------------------------------------------------------


def test_create_span_counts_code_points_and_returns_its_text(apis, document):
    start = document.text.index("🤖")
    response = apis[Role.ANNOTATOR].post(
        f"/documents/{document.pk}/spans", {"start": start, "end": start + 1, "tag": "Claim"}
    )
    assert response.status_code == 201
    data = response.json()
    assert (data["text"], data["tag"], data["origin"]) == ("🤖", "claim", "manual")
    assert Span.objects.get(pk=data["id"]).quote == "🤖"


def test_span_splitting_a_flag_is_refused_and_nothing_is_stored(apis, project):
    document = factories.make_document(project, text="Vive la \U0001f1eb\U0001f1f7 !")
    response = apis[Role.ANNOTATOR].post(
        f"/documents/{document.pk}/spans", {"start": 0, "end": 9, "tag": "claim"}
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The span ends inside the character")
    assert not Span.objects.exists()
    whole = apis[Role.ANNOTATOR].post(
        f"/documents/{document.pk}/spans", {"start": 8, "end": 10, "tag": "claim"}
    )
    assert whole.status_code == 201
    assert whole.json()["text"] == "\U0001f1eb\U0001f1f7"


@pytest.mark.parametrize("value", [True, "3", 3.0], ids=["true", "string", "float"])
def test_an_offset_that_is_not_a_whole_number_is_refused(apis, document, value):
    response = apis[Role.ANNOTATOR].post(
        f"/documents/{document.pk}/spans", {"start": value, "end": 9, "tag": "claim"}
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("The request is not valid: start:")
    assert not Span.objects.exists()


def test_wrong_tokens_from_one_address_are_throttled_then_even_a_right_one(client, owner):
    _token, raw = api_token_create(user=owner, name="mine")
    for attempt in range(throttle.API_TOKENS.limit):
        assert Api(client, raw=f"wrong-{attempt}").get("/projects").status_code == 401
    refused = Api(client, raw=raw).get("/projects")
    assert refused.status_code == 429
    assert refused.json() == {"detail": throttle.API_TOKENS.message}
    other_address = client.get(
        API + "/projects", HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR="192.0.2.8"
    )
    assert other_address.status_code == 200


def test_span_past_the_end_gets_an_actionable_message(apis, document):
    length = len(document.text)
    response = apis[Role.ANNOTATOR].post(
        f"/documents/{document.pk}/spans", {"start": 1, "end": length + 10, "tag": "claim"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"End {length + 10} is past the end of the document ({length} characters)."
    }
    assert not Span.objects.exists()


def test_unknown_tag_lists_the_projects_tags(apis, document):
    response = apis[Role.ANNOTATOR].post(
        f"/documents/{document.pk}/spans", {"start": 0, "end": 3, "tag": "irony"}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "The project has no tag “irony”; its tags are: Claim (claim), Prediction (prediction), "
        "Film reference (film-reference)."
    )


def test_quote_that_does_not_match_is_refused(apis, document):
    response = apis[Role.ANNOTATOR].post(
        f"/documents/{document.pk}/spans", {"start": 0, "end": 3, "tag": "claim", "quote": "His"}
    )
    assert response.status_code == 400
    assert "does not match the document at 0-3" in response.json()["detail"]


def test_the_same_span_twice_gives_200_and_the_first_span(apis, document):
    body = {"start": 0, "end": 3, "tag": "claim"}
    first = apis[Role.ANNOTATOR].post(f"/documents/{document.pk}/spans", body)
    again = apis[Role.ANNOTATOR].post(f"/documents/{document.pk}/spans", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]


def test_idempotency_key_makes_a_retry_return_the_first_span(apis, document):
    body = {"start": 0, "end": 3, "tag": "claim", "note": "first"}
    url = f"/documents/{document.pk}/spans"
    first = apis[Role.ANNOTATOR].post(url, body, **{"Idempotency-Key": "k-1"})
    retry = apis[Role.ANNOTATOR].post(url, body, **{"Idempotency-Key": "k-1"})
    assert (first.status_code, retry.status_code) == (201, 201)
    assert first.json() == retry.json()
    assert Span.objects.count() == 1


def test_idempotency_key_reused_for_another_request_is_refused(apis, document):
    url = f"/documents/{document.pk}/spans"
    apis[Role.ANNOTATOR].post(
        url, {"start": 0, "end": 3, "tag": "claim"}, **{"Idempotency-Key": "k"}
    )
    response = apis[Role.ANNOTATOR].post(
        url, {"start": 4, "end": 8, "tag": "claim"}, **{"Idempotency-Key": "k"}
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("This Idempotency-Key was already used")
    assert Span.objects.count() == 1


def test_idempotency_key_of_a_deleted_span_gets_409(apis, document):
    url = f"/documents/{document.pk}/spans"
    body = {"start": 0, "end": 3, "tag": "claim"}
    span_id = apis[Role.ANNOTATOR].post(url, body, **{"Idempotency-Key": "k"}).json()["id"]
    apis[Role.ANNOTATOR].delete(f"/spans/{span_id}")
    assert apis[Role.ANNOTATOR].post(url, body, **{"Idempotency-Key": "k"}).status_code == 409


def test_spans_list_in_reading_order(apis, document, owner):
    factories.make_span(document, 4, 8, owner)
    factories.make_span(document, 0, 10, owner, "prediction")
    data = apis[Role.VIEWER].get(f"/documents/{document.pk}/spans").json()
    assert [(s["start"], s["end"]) for s in data] == [(0, 10), (4, 8)]
    assert data[0]["annotator"] == "owner"


def test_annotator_edits_own_span_but_not_others(apis, document, members, owner_span):
    mine = factories.make_span(document, 4, 8, members[Role.ANNOTATOR])
    ok = apis[Role.ANNOTATOR].patch(f"/spans/{mine.pk}", {"note": "why", "tag": "prediction"})
    assert ok.status_code == 200
    assert (ok.json()["note"], ok.json()["tag"]) == ("why", "prediction")
    refused = apis[Role.ANNOTATOR].patch(f"/spans/{owner_span.pk}", {"note": "mine now"})
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("You can change only your own spans")
    owner_span.refresh_from_db()
    assert owner_span.note == ""


def test_editor_deletes_any_span_and_it_is_gone(apis, owner_span):
    assert apis[Role.EDITOR].delete(f"/spans/{owner_span.pk}").status_code == 204
    assert apis[Role.EDITOR].get(f"/spans/{owner_span.pk}").status_code in (404, 405)
    assert not Span.objects.exists()


def test_viewer_cannot_change_or_delete_spans(apis, owner_span):
    assert apis[Role.VIEWER].patch(f"/spans/{owner_span.pk}", {"note": "x"}).status_code == 403
    assert apis[Role.VIEWER].delete(f"/spans/{owner_span.pk}").status_code == 403
    assert Span.objects.filter(pk=owner_span.pk, note="").exists()


def test_stranger_gets_404_for_spans(apis, owner_span, document):
    assert apis["stranger"].patch(f"/spans/{owner_span.pk}", {"note": "x"}).status_code == 404
    assert apis["stranger"].delete(f"/spans/{owner_span.pk}").status_code == 404
    assert apis["stranger"].get(f"/documents/{document.pk}/spans").status_code == 404


# ---- export ---------------------------------------------------------------------------


def test_export_streams_the_chosen_format(apis, project, owner_span):
    response = apis[Role.VIEWER].get(f"/projects/{project.slug}/export?format=jsonl")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-ndjson")
    [line] = b"".join(response.streaming_content).decode().splitlines()
    assert json.loads(line)["spans"][0]["text"] == "Her"


def test_export_csv_exact_with_filters(apis, project, owner_span):
    url = f"/projects/{project.slug}/export?exact=true&tag=claim&origin=manual&document=999"
    body = b"".join(apis[Role.OWNER].get(url).streaming_content)
    assert body.decode().count("\r\n") == 1  # header only: document 999 is not there


def test_export_of_unknown_format_is_422(apis, project):
    assert apis[Role.OWNER].get(f"/projects/{project.slug}/export?format=pdf").status_code == 422


# ---- the permission matrix, from the one table --------------------------------------


ENDPOINTS = [
    # (name, action needed, method, path template, body, success status)
    ("list documents", Action.VIEW, "get", "/projects/{slug}/documents", None, 200),
    ("add document", Action.ADD_DOCUMENTS, "post", "/projects/{slug}/documents",
     {"title": "T", "text": "Some text."}, 201),
    ("read document", Action.VIEW, "get", "/documents/{document}", None, 200),
    ("list spans", Action.VIEW, "get", "/documents/{document}/spans", None, 200),
    ("add span", Action.ANNOTATE, "post", "/documents/{document}/spans",
     {"start": 4, "end": 8, "tag": "claim"}, 201),
    ("edit any span", Action.EDIT_ANY_SPAN, "patch", "/spans/{span}", {"note": "n"}, 200),
    ("delete any span", Action.EDIT_ANY_SPAN, "delete", "/spans/{span}", None, 204),
    ("export", Action.VIEW, "get", "/projects/{slug}/export", None, 200),
]  # fmt: skip


@pytest.mark.parametrize("role", [*Role.values, "stranger"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_role_matrix(apis, project, document, owner_span, role, endpoint):
    _name, action, method, template, body, success = endpoint
    path = template.format(slug=project.slug, document=document.pk, span=owner_span.pk)
    api = apis[role]
    response = api.call(method, path, body)
    if role == "stranger":
        expected = 404
    elif action in ROLE_ACTIONS[role] or (role == Role.OWNER):
        expected = success
    else:
        expected = 403
    assert response.status_code == expected, response.content


@pytest.mark.parametrize("query", ["offset=110120577297135566848", "limit=0", "limit=5000"])
def test_out_of_range_pages_are_422_not_errors(apis, project, query):
    response = apis[Role.OWNER].get(f"/projects/{project.slug}/documents?{query}")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("The request is not valid:")


def test_json_answers_write_non_ascii_text_as_itself(apis, document):
    response = apis[Role.VIEWER].get(f"/documents/{document.pk}")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "🤖".encode() in response.content
