"""The revision pages: edit with preview, history, compare, review, re-attach, delete orphans."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from annotations.models import AnchorState, Role, Span
from annotations.services import revisions
from tests import factories

pytestmark = pytest.mark.django_db

TEXT = (
    "Samantha 🎬 laughs at the joke. Theodore writes letters for strangers.\n\n"
    "The camera stays close to him. Rain on the window."
)


@pytest.fixture
def essay(project):
    return factories.make_document(project, text=TEXT, title="Letters")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def words(text, part):
    start = text.index(part)
    return start, start + len(part)


def test_editor_previews_then_saves_a_revision(essay, owner):
    span = factories.make_span(essay, *words(TEXT, "Theodore writes letters"), owner)
    gone = factories.make_span(essay, *words(TEXT, "The camera stays close to him."), owner)
    client = client_for(owner)
    page = client.get(reverse("annotations:document-edit", args=[essay.pk]))
    assert page.status_code == 200
    assert "Save as revision 2" in page.content.decode()
    new = TEXT.replace("writes letters", "writes long letters").replace(
        "The camera stays close to him. ", ""
    )
    preview = client.post(
        reverse("annotations:document-edit-preview", args=[essay.pk]),
        {"text": new},
        HTTP_HX_REQUEST="true",
    )
    body = preview.content.decode()
    assert "<strong>1</strong> changed" in body
    assert "<strong>1</strong> orphaned" in body
    assert "Theodore writes long letters" in body
    essay.refresh_from_db()
    assert essay.revision == 1  # a preview writes nothing

    saved = client.post(
        reverse("annotations:document-edit", args=[essay.pk]),
        {"text": new, "base_revision": "1", "message": "Second draft"},
    )
    assert saved.status_code == 302
    assert saved["Location"] == reverse("annotations:document-review", args=[essay.pk])
    essay.refresh_from_db()
    assert (essay.revision, essay.text) == (2, new)
    span.refresh_from_db()
    assert span.anchor == AnchorState.CHANGED
    review = client.get(saved["Location"]).content.decode()
    assert "Saved revision 2." in review
    assert "The camera stays close to him." in review
    assert str(gone.pk) in review


def test_a_stale_save_keeps_the_editors_text_and_says_why(essay, owner):
    revisions.document_revise(document=essay, text=TEXT + " Added.", user=owner)
    response = client_for(owner).post(
        reverse("annotations:document-edit", args=[essay.pk]),
        {"text": "My careful rewrite.", "base_revision": "1"},
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "My careful rewrite." in body
    assert "it is now revision 2" in body
    essay.refresh_from_db()
    assert essay.text == TEXT + " Added."


def test_an_empty_text_is_refused_with_a_message(essay, owner):
    response = client_for(owner).post(
        reverse("annotations:document-edit", args=[essay.pk]), {"text": "  ", "base_revision": "1"}
    )
    assert response.status_code == 400
    assert revisions.EMPTY_REVISION in response.content.decode()


@pytest.mark.parametrize("role", [Role.ANNOTATOR, Role.VIEWER])
def test_only_editors_and_owners_change_the_text(essay, project, role):
    user = factories.add_member(project, role)
    client = client_for(user)
    assert client.get(reverse("annotations:document-edit", args=[essay.pk])).status_code == 403
    response = client.post(
        reverse("annotations:document-edit", args=[essay.pk]), {"text": "x", "base_revision": "1"}
    )
    assert response.status_code == 403
    assert client.get(reverse("annotations:revisions", args=[essay.pk])).status_code == 200


def test_a_stranger_gets_404(essay):
    client = client_for(factories.make_user())
    for name in ("document-edit", "revisions", "revision-compare", "document-review"):
        assert client.get(reverse(f"annotations:{name}", args=[essay.pk])).status_code == 404


def test_history_read_and_compare_side_by_side_and_inline(essay, owner):
    new = "A new opening.\n\n" + TEXT.replace("Rain", "Snow")
    revisions.document_revise(document=essay, text=new, user=owner, message="Snow <b>now</b>")
    client = client_for(owner)
    history = client.get(reverse("annotations:revisions", args=[essay.pk])).content.decode()
    assert "Snow &lt;b&gt;now&lt;/b&gt;" in history
    assert "(current)" in history
    first = client.get(reverse("annotations:revision", args=[essay.pk, 1])).content.decode()
    assert "Rain on the window." in first
    url = reverse("annotations:revision-compare", args=[essay.pk])
    side = client.get(url, {"from": 1, "to": 2}).content.decode()
    assert "<ins>A new opening.</ins>" in side
    assert "<del>Rain</del>" in side
    assert "<ins>Snow</ins>" in side
    inline = client.get(url, {"from": 1, "to": 2, "view": "inline"}).content.decode()
    assert "<del>Rain</del><ins>Snow</ins>" in inline
    assert client.get(url, {"from": 1, "to": 9}).status_code == 404


def test_orphan_is_attached_again_by_a_selection_after_emoji(essay, owner):
    gone = factories.make_span(essay, *words(TEXT, "Theodore writes letters"), owner)
    new = "🎬🎬 " + TEXT.replace("Theodore writes letters", "He types notes")
    revisions.document_revise(document=essay, text=new, user=owner)
    client = client_for(owner)
    page = client.get(reverse("annotations:span-reattach", args=[gone.pk]))
    assert page.status_code == 200
    start, end = words(new, "He types notes")
    response = client.post(
        reverse("annotations:span-reattach", args=[gone.pk]),
        {
            "start": start,
            "end": end,
            "quote": "He types notes",
        },
    )
    assert response.status_code == 302
    gone.refresh_from_db()
    assert (gone.anchor, gone.start, gone.end, gone.quote) == (
        AnchorState.EXACT,
        start,
        end,
        "He types notes",
    )


def test_reattach_without_a_selection_or_with_a_stale_quote_says_so(essay, owner):
    gone = factories.make_span(essay, *words(TEXT, "Theodore writes letters"), owner)
    new = TEXT.replace("Theodore writes letters", "He types notes")
    revisions.document_revise(document=essay, text=new, user=owner)
    client = client_for(owner)
    url = reverse("annotations:span-reattach", args=[gone.pk])
    response = client.post(url, {})
    assert response.status_code == 400
    assert "Select the words" in response.content.decode()
    start, end = words(new, "He types notes")
    response = client.post(url, {"start": start, "end": end, "quote": "other words"})
    assert response.status_code == 400
    assert Span.everything.get(pk=gone.pk).anchor == AnchorState.ORPHANED


def test_orphans_are_deleted_and_changed_spans_confirmed(essay, owner):
    gone = factories.make_span(essay, *words(TEXT, "The camera stays close to him."), owner)
    edited = factories.make_span(essay, *words(TEXT, "Theodore writes letters"), owner)
    new = TEXT.replace("The camera stays close to him. ", "").replace("writes", "wrote")
    revisions.document_revise(document=essay, text=new, user=owner)
    client = client_for(owner)
    client.post(reverse("annotations:orphan-delete", args=[gone.pk]))
    assert not Span.everything.filter(pk=gone.pk).exists()
    assert Span.with_trash.get(pk=gone.pk).deleted_by == owner
    client.post(reverse("annotations:span-confirm", args=[edited.pk]))
    edited.refresh_from_db()
    assert edited.anchor == AnchorState.EXACT
    assert edited.quote == "Theodore wrote letters"


def test_students_review_only_their_own_flagged_spans(essay, project, owner):
    student = factories.add_member(project, Role.ANNOTATOR)
    mine = factories.make_span(essay, *words(TEXT, "The camera stays close"), student)
    theirs = factories.make_span(essay, *words(TEXT, "The camera stays close to him."), owner)
    revisions.document_revise(
        document=essay, text=TEXT.replace("The camera stays close to him. ", ""), user=owner
    )
    client = client_for(student)
    body = client.get(reverse("annotations:document-review", args=[essay.pk])).content.decode()
    assert f'data-span="{mine.pk}"' in body
    assert f'data-span="{theirs.pk}"' not in body
    assert client.post(reverse("annotations:orphan-delete", args=[theirs.pk])).status_code == 403


def test_admin_shows_the_text_but_cannot_change_it(essay, owner):
    owner.is_staff = owner.is_superuser = True
    owner.save()
    client = client_for(owner)
    url = reverse("admin:annotations_document_change", args=[essay.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="text"' not in page.content.decode()
    response = client.post(
        url,
        {
            "project": essay.project_id,
            "title": "Letters",
            "text": "Replaced behind the spans' back.",
            "metadata": "{}",
            "revisions-TOTAL_FORMS": "0",
            "revisions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code in (200, 302)
    essay.refresh_from_db()
    assert essay.text == TEXT


def test_span_history_lists_the_revision_that_changed_it_and_who_confirmed(essay, owner):
    span = factories.make_span(essay, *words(TEXT, "Theodore writes letters"), owner)
    revisions.document_revise(
        document=essay, text=TEXT.replace("writes", "wrote"), user=owner, message="Tense"
    )
    client = client_for(owner)
    client.post(reverse("annotations:span-confirm", args=[span.pk]))
    panel = client.get(
        reverse("annotations:span", args=[span.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Created by owner" in panel
    assert "Words edited by a revision (revision 2) by owner" in panel
    assert "<del>Theodore writes letters</del> → <ins>Theodore wrote letters</ins>" in panel
    assert "New words confirmed (revision 2) by owner" in panel


def test_place_moves_the_readers_offset_through_the_revision(essay, owner):
    added = "A whole new paragraph at the top.\n\n"
    revisions.document_revise(document=essay, text=added + TEXT, user=owner)
    client = client_for(owner)
    offset = TEXT.index("The camera")
    response = client.get(
        reverse("annotations:document-place", args=[essay.pk]), {"from": 1, "at": offset}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#at-{offset + len(added)}")
    plain = client.get(reverse("annotations:document-place", args=[essay.pk]), {"from": "x"})
    assert plain["Location"] == essay.get_absolute_url()


def test_the_live_poll_answers_a_reader_of_an_older_revision_with_a_notice(essay, owner):
    import re

    client = client_for(owner)
    page = client.get(essay.get_absolute_url()).content.decode()
    poll = re.search(r'id="live"[^>]*hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "rv=1" in poll
    assert client.get(poll, HTTP_HX_REQUEST="true").status_code == 204
    revisions.document_revise(document=essay, text=TEXT + " Added.", user=owner)
    notice = client.get(poll, HTTP_HX_REQUEST="true")
    assert notice.status_code == 200
    body = notice.content.decode()
    assert "This text has a new revision (2, by owner)" in body
    assert "from=1" in body


def test_a_student_hands_in_a_new_draft_of_their_essay_when_the_teacher_allows(owner):
    from annotations.services.classes import class_create

    project = class_create(name="Drafts", teacher=owner)
    student = factories.add_member(project, Role.ANNOTATOR)
    other = factories.add_member(project, Role.ANNOTATOR)
    essay = factories.make_document(project, text=TEXT, title="My essay")
    theirs = factories.make_span(essay, *words(TEXT, "Rain on the window"), other)
    teacher, writer, classmate = client_for(owner), client_for(student), client_for(other)
    edit = reverse("annotations:document-edit", args=[essay.pk])
    new = {"text": "Draft two.\n\n" + TEXT, "base_revision": "1"}

    assert writer.post(edit, new).status_code == 403  # not named as its writer yet
    teacher.post(reverse("annotations:document-writer", args=[essay.pk]), {"writer": student.pk})
    assert writer.post(edit, new).status_code == 403  # the class does not allow drafts yet
    project.writers_may_revise = True
    project.save()
    assert classmate.post(edit, new).status_code == 403  # only the essay's writer
    preview = writer.post(
        reverse("annotations:document-edit-preview", args=[essay.pk]),
        {"text": TEXT.replace("Rain on the window.", "")},
    ).content.decode()
    assert "Rain on the window" not in preview  # a classmate's span, in a blind class
    assert writer.post(edit, new).status_code == 302
    essay.refresh_from_db()
    assert essay.revision == 2
    theirs.refresh_from_db()
    assert essay.text[theirs.start : theirs.end] == "Rain on the window"
    page = writer.get(essay.get_absolute_url()).content.decode()
    assert "Hand in a new draft" in page


def test_a_changed_span_is_flagged_on_its_highlight_until_confirmed_in_its_panel(essay, owner):
    edited = factories.make_span(essay, *words(TEXT, "Theodore writes letters"), owner)
    kept = factories.make_span(essay, *words(TEXT, "Rain on the window"), owner, "prediction")
    revisions.document_revise(document=essay, text=TEXT.replace("writes", "wrote"), user=owner)
    client = client_for(owner)
    page = client.get(essay.get_absolute_url()).content.decode()
    essay_html = page[page.index('id="essay"') : page.index("</article>")]
    assert essay_html.count(" chg") == 1
    assert re.search(r'<mark class="[^"]* chg">Theodore wrote letters</mark>', essay_html)
    assert kept.quote in essay_html

    response = client.post(reverse("annotations:span-confirm", args=[edited.pk]), {"back": "text"})
    assert response.url == f"{essay.get_absolute_url()}?span={edited.pk}#span-panel"
    page = client.get(response.url).content.decode()
    assert " chg" not in page[page.index('id="essay"') : page.index("</article>")]
    assert 'id="span-changed"' not in page


def test_suggestions_that_lose_their_words_are_named_before_and_after_saving(essay, owner, project):
    from annotations.models import Suggestion

    tag = factories.tag(project, "claim")
    start, end = words(TEXT, "Rain on the window")
    Suggestion.objects.create(
        document=essay, start=start, end=end, tag=tag, score=0.7, reason="x", quote=TEXT[start:end]
    )
    start, end = words(TEXT, "Theodore writes letters")
    Suggestion.objects.create(
        document=essay, start=start, end=end, tag=tag, score=0.7, reason="x", quote=TEXT[start:end]
    )
    new = TEXT.replace(" Rain on the window.", "")
    client = client_for(owner)
    preview = client.post(
        reverse("annotations:document-edit-preview", args=[essay.pk]), {"text": new}
    )
    listed = preview.content.decode()
    assert 'id="preview-lost-suggestions"' in listed
    assert "<del>Rain on the window</del>" in listed
    assert "Theodore writes letters" not in listed  # its words survive: it moves

    response = client.post(
        reverse("annotations:document-edit", args=[essay.pk]),
        {"text": new, "base_revision": essay.revision},
        follow=True,
    )
    said = " ".join(str(m) for m in response.context["messages"])
    assert "1 suggestion dropped with its words: “Rain on the window” (Claim)" in said
    page = client.get(reverse("annotations:revisions", args=[essay.pk])).content.decode()
    assert "1 suggestion dropped with its words" in page
    assert "<del>Rain on the window</del>" in page
    assert Suggestion.objects.filter(document=essay).count() == 1
