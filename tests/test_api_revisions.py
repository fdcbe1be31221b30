"""The API after revisions: PUT with If-Match, `revision` and `anchor`, older revisions."""

from __future__ import annotations

import pytest

from annotations.models import Role
from annotations.services import revisions
from tests import factories
from tests.test_api import Api

pytestmark = pytest.mark.django_db

TEXT = "The voice 🎙️ is lonely. Theodore writes letters.\n\nThe camera stays close. Rain falls."


@pytest.fixture
def essay(project):
    return factories.make_document(project, text=TEXT, title="Letters")


def at(text, words):
    start = text.index(words)
    return start, start + len(words)


def test_put_with_if_match_makes_a_revision_and_spans_report_their_anchor(client, essay, owner):
    api = Api(client, owner)
    factories.make_span(essay, *at(TEXT, "Theodore writes letters"), owner)
    factories.make_span(essay, *at(TEXT, "The camera stays close."), owner)
    factories.make_span(essay, *at(TEXT, "Rain falls."), owner)
    detail = api.get(f"/documents/{essay.pk}")
    assert detail.json()["revision"] == 1
    assert detail["ETag"] == '"1"'
    new = "Preface.\n\n" + TEXT.replace("writes", "wrote").replace("The camera stays close. ", "")
    response = api.call("put", f"/documents/{essay.pk}", {"text": new}, **{"If-Match": "1"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["revision"] == 2
    assert body["text"] == new
    assert response["ETag"] == '"2"'
    assert body["spans"]["changed"] == 1
    assert body["spans"]["orphaned"] == 1

    spans = api.get(f"/documents/{essay.pk}/spans").json()
    assert [(s["anchor"], s["text"]) for s in spans] == [
        ("changed", "Theodore wrote letters"),
        ("exact", "Rain falls."),
        ("orphaned", "The camera stays close."),
    ]
    for span in spans:
        if span["anchor"] == "orphaned":
            assert (span["start"], span["end"]) == (None, None)
        else:
            assert new[span["start"] : span["end"]] == span["text"]


def test_put_with_a_stale_revision_answers_412_and_changes_nothing(client, essay, owner):
    api = Api(client, owner)
    first = api.call(
        "put", f"/documents/{essay.pk}", {"text": TEXT + " One."}, **{"If-Match": '"1"'}
    )
    assert first.status_code == 200
    stale = api.call("put", f"/documents/{essay.pk}", {"text": TEXT + " Two."}, **{"If-Match": "1"})
    assert stale.status_code == 412
    assert "now revision 2" in stale.json()["detail"]
    essay.refresh_from_db()
    assert essay.text == TEXT + " One."


def test_put_without_if_match_is_428_and_a_bad_one_400(client, essay, owner):
    api = Api(client, owner)
    missing = api.call("put", f"/documents/{essay.pk}", {"text": "New."})
    assert missing.status_code == 428
    assert "If-Match" in missing.json()["detail"]
    bad = api.call("put", f"/documents/{essay.pk}", {"text": "New."}, **{"If-Match": "two"})
    assert bad.status_code == 400
    anyone = api.call("put", f"/documents/{essay.pk}", {"text": "New."}, **{"If-Match": "*"})
    assert anyone.status_code == 200


@pytest.mark.parametrize("role", [Role.ANNOTATOR, Role.VIEWER])
def test_only_editors_and_owners_may_put(client, essay, project, role):
    api = Api(client, factories.add_member(project, role))
    response = api.call("put", f"/documents/{essay.pk}", {"text": "x"}, **{"If-Match": "1"})
    assert response.status_code == 403
    essay.refresh_from_db()
    assert essay.text == TEXT


def test_older_revision_reads_its_own_text_and_spans(client, essay, owner):
    api = Api(client, owner)
    span = factories.make_span(essay, *at(TEXT, "Rain falls."), owner)
    revisions.document_revise(document=essay, text="New first line.\n\n" + TEXT, user=owner)
    old = api.get(f"/documents/{essay.pk}?revision=1").json()
    assert (old["revision"], old["text"]) == (1, TEXT)
    (old_span,) = api.get(f"/documents/{essay.pk}/spans?revision=1").json()
    assert old_span["id"] == span.pk
    assert TEXT[old_span["start"] : old_span["end"]] == "Rain falls."
    (current,) = api.get(f"/documents/{essay.pk}/spans").json()
    assert current["start"] == old_span["start"] + len("New first line.\n\n")
    assert api.get(f"/documents/{essay.pk}?revision=5").status_code == 404


def test_orphans_can_be_deleted_through_the_api(client, essay, owner):
    api = Api(client, owner)
    span = factories.make_span(essay, *at(TEXT, "The camera stays close."), owner)
    revisions.document_revise(
        document=essay, text=TEXT.replace("The camera stays close. ", ""), user=owner
    )
    assert api.delete(f"/spans/{span.pk}").status_code == 204
    assert api.get(f"/documents/{essay.pk}/spans").json() == []


def test_put_names_the_suggestions_it_dropped_with_their_words(client, essay, owner, project):
    from annotations.models import Suggestion, SuggestionStatus

    tag = factories.tag(project, "prediction")
    for words, status in [
        ("Rain falls", SuggestionStatus.REJECTED),
        ("Theodore writes letters", SuggestionStatus.PENDING),
        ("The voice", SuggestionStatus.PENDING),
    ]:
        start, end = at(TEXT, words)
        Suggestion.objects.create(
            document=essay,
            start=start,
            end=end,
            tag=tag,
            score=0.6,
            reason="x",
            quote=words,
            status=status,
            **(
                {"decided_by": owner, "decided_at": essay.created_at}
                if status != SuggestionStatus.PENDING
                else {}
            ),
        )
    new = TEXT.replace("writes", "wrote").replace(" Rain falls.", "")
    response = Api(client, owner).call(
        "put", f"/documents/{essay.pk}", {"text": new}, **{"If-Match": "*"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["spans"]["suggestions_dropped"] == 2
    lost = sorted(body["lost_suggestions"], key=lambda item: item["start"])
    assert [(item["words"], item["status"]) for item in lost] == [
        ("Theodore writes letters", "pending"),
        ("Rain falls", "rejected"),
    ]
    for item in lost:
        assert TEXT[item["start"] : item["end"]] == item["words"]
        assert item["tag"] == tag.name
    assert list(Suggestion.objects.filter(document=essay).values_list("quote", flat=True)) == [
        "The voice"
    ]
