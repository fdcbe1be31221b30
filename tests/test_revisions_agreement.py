"""After a revision, agreement, feedback and the comparison read one revision's spans.

Every placed span stands on the current text (spans with edited words included);
orphans have no place in it and must not count, or two readers who agreed on words
a revision removed would still count as agreeing (or crash a measure on offsets).
"""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from annotations import agreement
from annotations.models import AnchorState, Role, Span
from annotations.services import revisions
from annotations.services.classes import document_reveal, reference_add
from annotations.views.agreement import project_agreement
from tests import factories

pytestmark = pytest.mark.django_db

TEXT = (
    "Theodore writes letters for strangers.\n\n"
    "The camera stays close to him. Rain on the window.\n\n"
    "Samantha laughs at the joke."
)
NEW = TEXT.replace("writes", "wrote").replace("The camera stays close to him. ", "")


def at(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


@pytest.fixture
def revised(project, owner):
    """Two readers and the reference layer, then a revision: one change, one orphan each."""
    document = factories.make_document(project, text=TEXT, title="Letters")
    ana = factories.add_member(project, Role.ANNOTATOR, factories.make_user("ana"))
    ben = factories.add_member(project, Role.ANNOTATOR, factories.make_user("ben"))
    for reader in (ana, ben):
        factories.make_span(document, *at(TEXT, "Theodore writes letters"), reader)
        factories.make_span(document, *at(TEXT, "The camera stays close to him."), reader)
    factories.make_span(document, *at(TEXT, "Rain on the window"), ana, "prediction")
    factories.make_span(document, *at(TEXT, "Samantha laughs"), ben, "prediction")
    claim, prediction = (factories.tag(project, slug) for slug in ("claim", "prediction"))
    for words, tag in [
        ("Theodore writes letters", claim),
        ("The camera stays close to him.", claim),
        ("Samantha laughs", prediction),
    ]:
        reference_add(
            document=document,
            **dict(zip(("start", "end"), at(TEXT, words), strict=True)),
            tag_id=tag.pk,
            by=owner,
        )
    revisions.document_revise(document=document, text=NEW, user=owner, suggest=False)
    document.refresh_from_db()
    spans = Span.everything.filter(document=document)
    assert spans.filter(anchor=AnchorState.ORPHANED).count() == 3
    assert spans.filter(anchor=AnchorState.CHANGED).count() == 3
    return document, ana, ben


def test_agreement_counts_changed_spans_on_the_new_words_and_leaves_orphans_out(
    project, owner, revised
):
    document, ana, ben = revised
    request = RequestFactory().get("/")
    request.user = owner
    data = project_agreement(request, project, Role.OWNER, document.pk)

    claim, prediction = (factories.tag(project, slug) for slug in ("claim", "prediction"))
    expected_units = [
        agreement.Unit(ana.pk, claim.pk, *at(NEW, "Theodore wrote letters")),
        agreement.Unit(ben.pk, claim.pk, *at(NEW, "Theodore wrote letters")),
        agreement.Unit(ana.pk, prediction.pk, *at(NEW, "Rain on the window")),
        agreement.Unit(ben.pk, prediction.pk, *at(NEW, "Samantha laughs")),
    ]
    tags = [tag.pk for tag in project.tags.all()]
    expected = agreement.tag_reports(expected_units, len(NEW), sorted([ana.pk, ben.pk]), tags)
    assert data["reports"] == expected
    by_tag = {report.tag: report for report in data["reports"]}
    assert by_tag[claim.pk].f1_exact == 1.0
    assert by_tag[claim.pk].span_count == 2
    assert by_tag[prediction.pk].f1_exact == 0.0


def test_feedback_compares_a_students_spans_with_the_reference_of_the_same_revision(
    project, revised
):
    document, ana, _ben = revised
    document_reveal(document=document, revealed=True)
    client = Client()
    client.force_login(ana)
    response = client.get(
        reverse("annotations:feedback", kwargs={"slug": project.slug, "document_id": document.pk})
    )
    assert response.status_code == 200
    rows = {row["tag"].slug: row for row in response.context["rows"]}
    assert rows["claim"]["found"] == ["Theodore wrote letters"]
    # The orphaned reference span is not "missed", nor ana's orphan "extra".
    assert rows["claim"]["missed"] == []
    assert rows["claim"]["extra"] == []
    assert rows["prediction"]["missed"] == ["Samantha laughs"]
    assert rows["prediction"]["extra"] == ["Rain on the window"]


def test_the_comparison_lists_the_passages_of_the_current_revision_only(project, owner, revised):
    document, _ana, _ben = revised
    client = Client()
    client.force_login(owner)
    response = client.get(
        reverse("annotations:compare", kwargs={"slug": project.slug, "document_id": document.pk})
    )
    assert response.status_code == 200
    quotes = {row["quote"] for row in response.context["rows"]}
    assert quotes == {"Theodore wrote letters", "Rain on the window", "Samantha laughs"}
