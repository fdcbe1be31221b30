"""Blind mode leaks: a student never receives another student's span or comment before reveal.

Every page, fragment and live endpoint of the annotate loop and of class mode
is requested as a student (and as a viewer); the answer must carry no id,
author, note or comment of a classmate. The same requests after reveal, and in
an open class, show the classmate's span, so the check can fail.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from annotations.services.classes import (
    assignment_set,
    comment_create,
    document_reveal,
    reference_add,
)
from annotations.services.tokens import api_token_create
from tests import factories
from tests.factories import make_class, phrase

pytestmark = pytest.mark.django_db

SPAN_ID_PATTERNS = (
    r'id="span-(\d+)"',
    r'data-span="(\d+)"',
    r"/spans/(\d+)/",
)


def span_ids(html: str) -> set[int]:
    found: set[int] = factories.drawn_span_ids(html)
    for pattern in SPAN_ID_PATTERNS:
        for match in re.findall(pattern, html):
            found.update(int(part) for part in match.split())
    return found


@pytest.fixture
def blind():
    c = make_class(visibility="blind")
    d = c.document
    c.alice_span = factories.make_span(d, *phrase(d, "loneliness is a design problem"), c.alice)
    c.bob_span = factories.make_span(d, *phrase(d, "loneliness is a design"), c.bob)
    c.bob_span.note = "BOBS-PRIVATE-NOTE"
    c.bob_span.save()
    c.bob_comment = comment_create(span=c.bob_span, author=c.bob, text="BOBS-PRIVATE-COMMENT")
    c.teacher_ref, _ = reference_add(
        document=d,
        start=c.bob_span.start,
        end=c.bob_span.end,
        tag_id=c.bob_span.tag_id,
        by=c.teacher,
    )
    assignment_set(document=d, by=c.teacher, everyone=True)
    return c


def student_requests(c, reader):
    """Yield (label, response) for every GET endpoint, and the POSTs a student can make."""
    from django.test import Client

    client = Client()
    client.force_login(reader)
    d, slug = c.document, c.project.slug
    htmx = {"HTTP_HX_REQUEST": "true"}
    yield "annotate page", client.get(d.get_absolute_url())
    yield "annotate page, layers", client.get(d.get_absolute_url() + f"?layers={c.bob.pk}")
    yield (
        "sidebar fragment",
        client.get(d.get_absolute_url(), **htmx, HTTP_HX_TARGET="span-sidebar"),
    )
    yield (
        "span panel of classmate",
        client.get(reverse("annotations:span", args=[c.bob_span.pk]), **htmx),
    )
    yield "span page of classmate", client.get(reverse("annotations:span", args=[c.bob_span.pk]))
    yield "thread of classmate", client.get(reverse("annotations:comments", args=[c.bob_span.pk]))
    yield (
        "thread fragment",
        client.get(reverse("annotations:comments", args=[c.bob_span.pk]), **htmx),
    )
    yield "own thread", client.get(reverse("annotations:comments", args=[c.alice_span.pk]), **htmx)
    live = reverse("annotations:live", args=[d.pk])
    yield "live poll, stale", client.get(live + "?v=stale&t=bad", **htmx)
    yield "assignments", client.get(reverse("annotations:assignments", args=[slug]))
    yield "project page", client.get(c.project.get_absolute_url())
    yield "feedback", client.get(reverse("annotations:feedback", args=[slug, d.pk]))
    yield "agreement", client.get(reverse("annotations:agreement", args=[slug]))
    yield "adjudicate", client.get(reverse("annotations:adjudicate", args=[slug, d.pk]))
    yield "class page", client.get(reverse("annotations:class", args=[slug]))
    yield "readers side by side", client.get(reverse("annotations:compare", args=[slug, d.pk]))
    yield (
        "readers side by side, pseudonyms, classmate's layer",
        client.get(
            reverse("annotations:compare", args=[slug, d.pk]),
            {"pseudonyms": "1", "layers": str(c.bob.pk)},
        ),
    )
    yield (
        "exported id of a classmate's span",
        client.get(reverse("annotations:span-permalink", args=[slug, c.bob_span.pk])),
    )
    # Writes a student can make return fragments: they must not carry classmates' spans.
    start, end = phrase(d, "design problem")
    yield (
        "span create fragment",
        client.post(
            reverse("annotations:span-create", args=[d.pk]),
            {"start": start, "end": end, "tag": "claim", "quote": "design problem"},
            **htmx,
            HTTP_HX_CURRENT_URL="http://testserver" + d.get_absolute_url(),
        ),
    )
    yield (
        "edit classmate span",
        client.post(
            reverse("annotations:span-edit", args=[c.bob_span.pk]), {"tag": "claim"}, **htmx
        ),
    )
    yield (
        "delete classmate span",
        client.post(reverse("annotations:span-delete", args=[c.bob_span.pk]), **htmx),
    )
    yield (
        "comment on classmate span",
        client.post(
            reverse("annotations:comment-add", args=[c.bob_span.pk]), {"text": "hi"}, **htmx
        ),
    )
    for name in ("comment-edit", "comment-delete", "comment-pin"):
        yield (
            name,
            client.post(
                reverse(f"annotations:{name}", args=[c.bob_comment.pk]), {"text": "x"}, **htmx
            ),
        )
    export = reverse("annotations:export", args=[slug])
    for fmt in ("csv", "jsonl", "w3c"):
        yield f"export {fmt}", _body(client.get(export, {"format": fmt, "exact": "1"}))
    yield "export csv, reference only", _body(client.get(export, {"reference": "1"}))
    # The JSON API, with the reader's own token.
    _token, raw = api_token_create(user=reader, name="blind test")
    api = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    yield "api spans", client.get(f"/api/v1/documents/{d.pk}/spans", **api)
    yield (
        "api edit classmate span",
        client.patch(
            f"/api/v1/spans/{c.bob_span.pk}",
            '{"note": "x"}',
            content_type="application/json",
            **api,
        ),
    )
    yield "api export", _body(client.get(f"/api/v1/projects/{slug}/export?format=jsonl", **api))
    yield "api document", client.get(f"/api/v1/documents/{d.pk}", **api)
    # Suggestions are shared by the whole document: in a blind class students get none.
    for name in ("suggestions", "suggestion-status"):
        yield name, client.get(reverse(f"annotations:{name}", args=[d.pk]), **htmx)
    for name in ("suggestion-run", "suggestion-bulk", "suggestion-undo"):
        yield (
            name,
            client.post(reverse(f"annotations:{name}", args=[d.pk]), {"tag": "claim"}, **htmx),
        )


class _Streamed:
    """A streamed answer read whole, so the leak checks can look at its body."""

    def __init__(self, response) -> None:
        self.status_code = response.status_code
        self.content = (
            b"".join(response.streaming_content) if response.streaming else response.content
        )


def _body(response) -> _Streamed:
    return _Streamed(response)


def assert_nothing_of_bob(c, label, response):
    body = response.content.decode()
    assert response.status_code in (200, 201, 204, 302, 403, 404), (label, response.status_code)
    leaked = span_ids(body) & {c.bob_span.pk, c.teacher_ref.pk}
    assert not leaked, f"{label}: classmate span ids {leaked}"
    assert "BOBS-PRIVATE" not in body, label
    assert c.bob.get_username() not in body, label


@pytest.mark.parametrize("reader_name", ["alice", "viewer"])
def test_blind_class_leaks_nothing_of_a_classmate(blind, reader_name):
    reader = getattr(blind, reader_name)
    labels = []
    for label, response in student_requests(blind, reader):
        assert_nothing_of_bob(blind, label, response)
        labels.append(label)
    assert len(labels) == 38


def test_blind_class_keeps_classmate_spans_and_comments_untouched(blind):
    list(student_requests(blind, blind.alice))
    blind.bob_span.refresh_from_db()
    blind.bob_comment.refresh_from_db()
    assert blind.bob_comment.text == "BOBS-PRIVATE-COMMENT"
    assert not blind.bob_comment.pinned


def test_student_sees_own_span_in_blind_class(blind):
    from django.test import Client

    client = Client()
    client.force_login(blind.alice)
    body = client.get(blind.document.get_absolute_url()).content.decode()
    assert blind.alice_span.pk in span_ids(body)


def test_after_reveal_the_classmate_span_and_comment_show(blind):
    from django.test import Client

    document_reveal(document=blind.document, revealed=True)
    client = Client()
    client.force_login(blind.alice)
    page = client.get(blind.document.get_absolute_url()).content.decode()
    assert {blind.bob_span.pk, blind.teacher_ref.pk} <= span_ids(page)
    thread = client.get(reverse("annotations:comments", args=[blind.bob_span.pk])).content
    assert b"BOBS-PRIVATE-COMMENT" in thread


def test_open_class_shows_classmate_span_but_not_reference_before_reveal(blind):
    from django.test import Client

    blind.project.visibility = "open"
    blind.project.save()
    client = Client()
    client.force_login(blind.alice)
    ids = span_ids(client.get(blind.document.get_absolute_url()).content.decode())
    assert blind.bob_span.pk in ids
    assert blind.teacher_ref.pk not in ids


def test_teacher_sees_every_span_in_blind_class(blind):
    from django.test import Client

    client = Client()
    client.force_login(blind.teacher)
    ids = span_ids(client.get(blind.document.get_absolute_url()).content.decode())
    assert {blind.alice_span.pk, blind.bob_span.pk, blind.teacher_ref.pk} <= ids


def test_project_page_counts_only_the_spans_a_student_may_see(blind):
    from django.test import Client

    client = Client()
    client.force_login(blind.alice)
    page = client.get(blind.project.get_absolute_url()).text
    assert '<td class="num">1</td>' in page
    teacher = Client()
    teacher.force_login(blind.teacher)
    assert '<td class="num">3</td>' in teacher.get(blind.project.get_absolute_url()).text


#: Endpoints the matrix above requests as a student.
COVERED = {
    "document",
    "span",
    "comments",
    "live",
    "assignments",
    "project",
    "feedback",
    "agreement",
    "adjudicate",
    "class",
    "compare",
    "span-permalink",
    "span-create",
    "span-edit",
    "span-delete",
    "comment-add",
    "comment-edit",
    "comment-delete",
    "comment-pin",
    "export",
    "suggestions",
    "suggestion-status",
    "suggestion-run",
    "suggestion-bulk",
    "suggestion-undo",
    "suggestion-accept",
    "suggestion-reject",
}
#: Endpoints that never answer with a span or comment of someone else (checked by reading them).
NO_SPANS = {
    "home",  # project names and counts of documents
    "document-add",  # adds a document, answers with the documents list (no spans)
    "tag-add",  # answers with the tag list and counts (same visible counts as the project page)
    "span-restore",  # restores the reader's own deleted span only (token is signed)
    "class-new",
    "join",
    "join-code",
    "class-settings",
    "class-code",
    "class-accounts",
    "class-member",
    "assign",
    "submit",
    "reopen",
    "reveal",
    "document-seen",  # a 204 that notes the reader's last activity
    "adjudicate-accept",  # teachers and editors only (403 for students, tested there)
    "adjudicate-add",
    "adjudicate-reject",
    "adjudicate-agreed",
    "account",  # the reader's own API tokens
    "token-create",
    "token-revoke",
    "import-upload",  # editors and owners only; answers with file results, never spans
    "import-job",
    "project-suggest",  # editors and owners only
    "project-learn",  # editors and owners only; queues a training, answers with a redirect
    "project-film-names",  # editors and owners only; a list of names, not spans
    "tag-permalink",  # redirects to the project's tag list
    "document-edit",  # editors and owners only
    "document-edit-preview",  # editors and owners only
    "revisions",  # texts, authors of revisions and counts, no span
    "revision",
    "revision-compare",
    "revision-permalink",  # a redirect to the revision page (W3C targets of an older revision)
    "document-review",  # a student sees only their own flagged spans (tested in test_views_revisions)
    "span-reattach",  # the reader's own span, or editors and owners
    "span-confirm",
    "orphan-delete",
    "document-place",  # a redirect to the document page
    "document-writer",  # editors and owners only
    "document-delete",  # editors and owners only
    "trash",  # editors and owners only
    "document-restore",
    "span-untrash",
}


def test_every_endpoint_is_in_the_blind_matrix_or_known_to_show_no_spans():
    from annotations.urls import urlpatterns

    names = {pattern.name for pattern in urlpatterns}
    missing = names - COVERED - NO_SPANS
    assert not missing, (
        f"New endpoints {sorted(missing)}: add them to student_requests() in this file "
        "(and to COVERED), or to NO_SPANS if they never show spans or comments."
    )


def test_student_export_holds_only_their_own_spans_until_reveal(blind):
    import csv
    import io

    from django.test import Client

    client = Client()
    client.force_login(blind.alice)
    url = reverse("annotations:export", args=[blind.project.slug])
    rows = list(csv.DictReader(io.StringIO(client.get(url, {"exact": "1"}).getvalue().decode())))
    assert {int(row["span_id"]) for row in rows} == {blind.alice_span.pk}
    document_reveal(document=blind.document, revealed=True)
    rows = list(csv.DictReader(io.StringIO(client.get(url, {"exact": "1"}).getvalue().decode())))
    assert {int(row["span_id"]) for row in rows} == {
        blind.alice_span.pk,
        blind.bob_span.pk,
        blind.teacher_ref.pk,
    }
    reference = client.get(url, {"exact": "1", "reference": "1", "pseudonyms": "1"})
    [row] = list(csv.DictReader(io.StringIO(reference.getvalue().decode())))
    assert (int(row["span_id"]), row["is_reference"]) == (blind.teacher_ref.pk, "true")
    assert row["annotator"].startswith("annotator-")
    assert blind.teacher.get_username() not in reference.getvalue().decode()


def test_students_in_a_blind_class_get_no_suggestions_the_teacher_does(blind):
    from django.test import Client

    from annotations.models import Suggestion

    d = blind.document
    suggestion = Suggestion.objects.create(
        document=d,
        start=0,
        end=5,
        tag=d.project.tags.first(),
        score=0.5,
        reason="test cue",
        quote=d.text[0:5],
    )
    student = Client()
    student.force_login(blind.alice)
    page = student.get(d.get_absolute_url()).text
    assert 'id="suggest-panel"' not in page
    assert student.get(reverse("annotations:suggestions", args=[d.pk])).status_code == 403
    refused = student.post(reverse("annotations:suggestion-reject", args=[suggestion.pk]))
    assert refused.status_code == 403
    assert "suggestions are for the teacher" in refused.text
    suggestion.refresh_from_db()
    assert suggestion.status == "pending"
    teacher = Client()
    teacher.force_login(blind.teacher)
    assert 'id="suggest-panel"' in teacher.get(d.get_absolute_url()).text
    blind.project.visibility = "open"
    blind.project.save()
    assert 'id="suggest-panel"' in student.get(d.get_absolute_url()).text
