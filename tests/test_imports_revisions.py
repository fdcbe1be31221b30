"""Importing a file whose document is already in the project makes a new revision of it.

The import page does so always; import_files and the command only when asked (revise=True,
--revise), so that scripts keep their meaning.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from annotations.imports import IMPORTED
from annotations.models import AnchorState, Document, Span
from annotations.services.imports import import_files
from tests import factories

pytestmark = pytest.mark.django_db

FIRST = "Theodore writes letters for strangers.\n\nThe camera stays close to him."
SECOND = "A new opening line.\n\nTheodore writes letters for strangers.\n\nThe lens stays near."


def jsonl(*documents: dict) -> bytes:
    return "\n".join(json.dumps(d, ensure_ascii=False) for d in documents).encode()


@pytest.fixture
def letters(project, owner):
    document = factories.make_document(project, text=FIRST, title="Letters")
    start = FIRST.index("Theodore writes")
    factories.make_span(document, start, start + len("Theodore writes"), owner)
    return document


def test_a_file_with_the_same_title_revises_the_document_and_says_so(project, owner, letters):
    data = jsonl({"title": "Letters", "text": SECOND}, {"title": "New one", "text": "Other."})
    [result] = import_files(
        project=project, user=owner, sources=[("drafts.jsonl", data)], revise=True
    )
    assert result.status == IMPORTED, result.message
    assert result.documents == 1
    assert result.revised == 1
    assert "“Letters” is now revision 2" in result.message
    letters.refresh_from_db()
    assert (letters.revision, letters.text) == (2, SECOND)
    span = Span.objects.get(document=letters)
    assert span.anchor == AnchorState.EXACT
    assert SECOND[span.start : span.end] == "Theodore writes"
    assert Document.objects.filter(project=project).count() == 2


def test_the_result_counts_the_suggestions_dropped_with_their_words(project, owner, letters):
    from annotations.models import Suggestion

    start = FIRST.index("The camera stays close")
    Suggestion.objects.create(
        document=letters,
        start=start,
        end=start + len("The camera stays close"),
        tag=factories.tag(project, "claim"),
        score=0.5,
        reason="x",
        quote="The camera stays close",
    )
    data = jsonl({"title": "Letters", "text": SECOND})
    [result] = import_files(
        project=project, user=owner, sources=[("drafts.jsonl", data)], revise=True
    )
    assert result.status == IMPORTED, result.message
    assert "1 suggestion dropped with its words" in result.message
    assert letters.revisions.get(number=2).lost_suggestions[0]["words"] == "The camera stays close"


def test_an_external_id_matches_before_the_title(project, owner):
    document = factories.make_document(project, text=FIRST, title="Old title")
    document.metadata = {"external_id": "essay-7"}
    document.save()
    data = jsonl({"title": "Renamed", "text": SECOND, "metadata": {"external_id": "essay-7"}})
    [result] = import_files(project=project, user=owner, sources=[("x.jsonl", data)], revise=True)
    assert result.revised == 1
    document.refresh_from_db()
    assert document.text == SECOND


def test_the_same_text_again_is_still_a_duplicate(project, owner, letters):
    data = jsonl({"title": "Letters", "text": FIRST})
    [result] = import_files(
        project=project, user=owner, sources=[("same.jsonl", data)], revise=True
    )
    assert result.duplicates == 1
    assert result.revised == 0
    letters.refresh_from_db()
    assert letters.revision == 1


def test_the_command_revises_only_when_asked(project, owner, letters, tmp_path):
    path = tmp_path / "drafts.jsonl"
    path.write_bytes(jsonl({"title": "Letters", "text": SECOND}))
    call_command("import_documents", project.slug, str(path), stdout=io.StringIO())
    letters.refresh_from_db()
    assert letters.revision == 1
    assert Document.objects.filter(project=project, title="Letters").count() == 2
    Document.objects.filter(project=project, title="Letters").exclude(pk=letters.pk).delete()

    out = io.StringIO()
    call_command("import_documents", project.slug, str(path), "--revise", stdout=out)
    letters.refresh_from_db()
    assert (letters.revision, letters.text) == (2, SECOND)
    assert "revision 2" in out.getvalue()
