"""Revising a document's text, reading and comparing its revisions, reviewing moved spans.

Editors and owners edit the text in a plain textarea; before saving, a preview says
what would happen to the spans (moved, changed, orphaned). The review page lists the
spans a revision flagged: a changed span is confirmed or attached elsewhere, an
orphan is attached again by selecting its new words, or deleted.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from annotations import revision_diff
from annotations.anchoring import AnchorState, PositionMap, diff_opcodes
from annotations.models import AnchorState as SpanAnchor
from annotations.models import Revision, Role, Span
from annotations.offsets import OffsetError
from annotations.permissions import (
    Action,
    allows,
    can_revise,
    sees_every_span,
    spans_visible_in,
    visible_documents,
)
from annotations.services import revisions, trash
from annotations.views.access import HtmxHttpRequest, document_for, require
from annotations.wording import counted

EDIT_TEMPLATE = "annotations/revision_edit.html"
NO_SELECTION = "Select the words in the text first, then press Attach here."
#: Paragraphs of the inline preview diff (a long essay's preview stays readable).
PREVIEW_LIST_LIMIT = 50


def _plan_context(plan: revisions.RevisionPlan) -> dict:
    return {
        "plan": plan,
        "summary": plan.summary,
        "changed": plan.listed(AnchorState.CHANGED)[:PREVIEW_LIST_LIMIT],
        "orphaned": plan.listed(AnchorState.ORPHANED)[:PREVIEW_LIST_LIMIT],
        "stats": revision_diff.stats(plan.old_text, plan.new_text),
        "unchanged": plan.old_text == plan.new_text,
        "lost_suggestions": plan.lost_suggestions,
    }


@require_http_methods(["GET", "POST"])
def document_edit(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    """The text in a textarea; saving makes the next revision and moves the spans."""
    document, role = document_for(request, document_id)
    _require_revise(request, role, document)
    context = {
        "project": document.project,
        "document": document,
        "text": document.text,
        "base_revision": document.revision,
        "message": "",
    }
    if request.method == "GET":
        return render(request, EDIT_TEMPLATE, context)
    text = request.POST.get("text", "")
    context.update({"text": text, "message": request.POST.get("message", "")})
    try:
        base = int(request.POST.get("base_revision", ""))
    except ValueError:
        base = None
    context["base_revision"] = base or document.revision
    try:
        revision = revisions.document_revise(
            document=document,
            text=text,
            user=request.user,
            expected_revision=base,
            message=request.POST.get("message", ""),
        )
    except revisions.StaleRevision as error:
        # The editor's text stays in the box; the current one is a link away.
        context["error"] = str(error)
        context["stale"] = True
        return render(request, EDIT_TEMPLATE, context, status=409)
    except revisions.DomainError as error:
        context["error"] = str(error)
        return render(request, EDIT_TEMPLATE, context, status=400)
    messages.success(request, _saved_message(revision))
    if revision.summary.get("changed") or revision.summary.get("orphaned"):
        return redirect("annotations:document-review", document_id=document.pk)
    return redirect(document.get_absolute_url())


def _saved_message(revision: Revision) -> str:
    summary = revision.summary
    parts = [f"Saved revision {revision.number}."]
    parts.append(f"{summary.get('exact', 0)} spans on the same words")
    if summary.get("moved"):
        parts[-1] += f" ({summary['moved']} moved with the text)"
    parts[-1] += "."
    if summary.get("changed"):
        parts.append(f"{summary['changed']} with edited words to check.")
    if summary.get("orphaned"):
        parts.append(
            f"{summary['orphaned']} whose words are gone, kept as orphans to attach again."
        )
    lost = revision.lost_suggestions
    if lost:
        shown = ", ".join(f"“{item['words'][:40]}” ({item['tag']})" for item in lost[:3])
        more = f" and {len(lost) - 3} more" if len(lost) > 3 else ""
        parts.append(
            f"{counted(len(lost), 'suggestion')} dropped with {'its' if len(lost) == 1 else 'their'}"
            f" words: {shown}{more} (the Revisions page lists them; new suggestions come for "
            "the new text)."
        )
    return " ".join(parts)


@require_POST
def document_edit_preview(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    """What saving the text in the box would do to the spans (nothing is written)."""
    document, role = document_for(request, document_id)
    _require_revise(request, role, document)
    try:
        plan = revisions.revision_plan(document=document, text=request.POST.get("text", ""))
    except revisions.DomainError as error:
        return render(
            request, f"{EDIT_TEMPLATE}#preview", {"document": document, "error": str(error)}
        )
    if not sees_every_span(role):
        # A student handing in a draft sees what happens to the spans they may see.
        visible = set(
            spans_visible_in(request.user, role, document=document, with_orphans=True).values_list(
                "pk", flat=True
            )
        )
        plan.spans = [move for move in plan.spans if move.span.pk in visible]
        plan.suggestions = []  # the editors look after the suggestions
    context = {"document": document, **_plan_context(plan)}
    return render(request, f"{EDIT_TEMPLATE}#preview", context)


@require_GET
def revision_list(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    document, role = document_for(request, document_id)
    revisions.current_revision(document)
    history = list(document.revisions.select_related("created_by").order_by("-number"))
    writers = []
    if document.project.is_class and allows(role, Action.REVISE):
        writers = list(
            get_user_model()
            .objects.filter(memberships__project=document.project, memberships__role=Role.ANNOTATOR)
            .order_by("username")
        )
    return render(
        request,
        "annotations/revisions.html",
        {
            "project": document.project,
            "document": document,
            "revisions": history,
            "can_revise": can_revise(role, request.user, document),
            "can_manage": allows(role, Action.REVISE),
            "writers": writers,
        },
    )


@require_GET
def revision_detail(request: HtmxHttpRequest, document_id: int, number: int) -> HttpResponse:
    document, _role = document_for(request, document_id)
    revisions.current_revision(document)
    revision = get_object_or_404(document.revisions.select_related("created_by"), number=number)
    return render(
        request,
        "annotations/revision_detail.html",
        {
            "project": document.project,
            "document": document,
            "revision": revision,
            "paragraphs": revision.text.split("\n\n"),
        },
    )


@require_GET
def revision_permalink(
    request: HtmxHttpRequest, slug: str, document_id: int, number: int
) -> HttpResponse:
    """Where an exported annotation of an older revision points: that revision's text."""
    document, _role = document_for(request, document_id, slug)
    return redirect("annotations:revision", document_id=document.pk, number=number)


@require_GET
def revision_compare(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    document, _role = document_for(request, document_id)
    revisions.current_revision(document)
    numbers = list(document.revisions.order_by("number").values_list("number", flat=True))
    try:
        newer = int(request.GET.get("to", document.revision))
        older = int(request.GET.get("from", max(1, newer - 1)))
    except ValueError:
        raise Http404("No such revision.") from None
    texts = dict(document.revisions.filter(number__in=[older, newer]).values_list("number", "text"))
    if older not in texts or newer not in texts:
        raise Http404("No such revision.")
    view = "inline" if request.GET.get("view") == "inline" else "side"
    old_text, new_text = texts[older], texts[newer]
    context = {
        "project": document.project,
        "document": document,
        "numbers": numbers,
        "older": older,
        "newer": newer,
        "view": view,
        "stats": revision_diff.stats(old_text, new_text),
    }
    if view == "inline":
        context["pieces"] = revision_diff.inline(old_text, new_text)
    else:
        context["rows"] = revision_diff.side_by_side(old_text, new_text)
    return render(request, "annotations/revision_compare.html", context)


@require_GET
def document_review(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    """The spans a revision flagged: changed ones to confirm, orphans to attach or delete."""
    document, role = document_for(request, document_id)
    spans = Span.everything.filter(
        document=document, anchor__in=[SpanAnchor.CHANGED, SpanAnchor.ORPHANED]
    ).select_related("tag", "author")
    if not allows(role, Action.EDIT_ANY_SPAN):
        spans = spans.filter(author=request.user)
    spans = list(spans.order_by("anchor", "created_at", "pk"))
    return render(
        request,
        "annotations/review.html",
        {
            "project": document.project,
            "document": document,
            "orphans": [s for s in spans if s.anchor == SpanAnchor.ORPHANED],
            "changed": [s for s in spans if s.anchor == SpanAnchor.CHANGED],
        },
    )


def _require_revise(request: HtmxHttpRequest, role: str, document) -> None:
    if not can_revise(role, request.user, document):
        require(role, Action.REVISE)  # 403 with the reason


@require_POST
def document_writer(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    """Name the student who wrote a class essay (who may then hand in new drafts)."""
    document, role = document_for(request, document_id)
    require(role, Action.REVISE)
    raw = request.POST.get("writer", "")
    writer = None
    if raw.isdigit():
        writer = (
            get_user_model()
            .objects.filter(memberships__project=document.project, pk=int(raw))
            .first()
        )
        if writer is None:
            raise Http404("No such member.")
    revisions.document_writer_set(document=document, writer=writer)
    messages.success(
        request,
        f"{writer.get_username()} wrote this essay."
        if writer
        else "No writer named for this essay.",
    )
    return redirect("annotations:revisions", document_id=document.pk)


def _flagged_span_for(request: HtmxHttpRequest, span_id: int) -> tuple[Span, str]:
    """Look a span up (orphans too) through the user's memberships; 403 unless theirs to edit."""
    documents = visible_documents(request.user)
    span = get_object_or_404(
        Span.everything.select_related("document__project", "tag", "author").filter(
            document__in=documents
        ),
        pk=span_id,
    )
    _document, role = document_for(request, span.document_id)
    if span.author_id != request.user.pk or span.is_reference:
        require(role, Action.EDIT_ANY_SPAN)
    else:
        require(role, Action.EDIT_OWN_SPANS)
    return span, role


@require_http_methods(["GET", "POST"])
def span_reattach(request: HtmxHttpRequest, span_id: int) -> HttpResponse:
    """Select the words an orphan (or a changed span) belongs to now, and attach it there."""
    span, _role = _flagged_span_for(request, span_id)
    document = span.document
    context = {"project": document.project, "document": document, "span": span}
    if request.method == "POST":
        try:
            start, end = int(request.POST["start"]), int(request.POST["end"])
        except (KeyError, ValueError):
            context["error"] = NO_SELECTION
            return render(request, "annotations/reattach.html", context, status=400)
        try:
            revisions.span_reattach(
                span=span, start=start, end=end, user=request.user, quote=request.POST.get("quote")
            )
        except (OffsetError, revisions.DomainError) as error:
            context["error"] = str(error)
            return render(request, "annotations/reattach.html", context, status=400)
        messages.success(request, f"Attached “{span.quote[:60]}” again.")
        return redirect("annotations:document-review", document_id=document.pk)
    return render(request, "annotations/reattach.html", context)


@require_POST
def span_confirm(request: HtmxHttpRequest, span_id: int) -> HttpResponse:
    """A changed span's new words are right: it is no longer flagged."""
    span, _role = _flagged_span_for(request, span_id)
    revisions.span_anchor_confirm(span=span, user=request.user)
    messages.success(request, f"Kept “{span.quote[:60]}” on its new words.")
    if request.POST.get("back") == "text":  # pressed in the span panel of the annotate page
        return redirect(f"{span.document.get_absolute_url()}?span={span.pk}#span-panel")
    return redirect("annotations:document-review", document_id=span.document_id)


@require_POST
def orphan_delete(request: HtmxHttpRequest, span_id: int) -> HttpResponse:
    span, _role = _flagged_span_for(request, span_id)
    if span.anchor != SpanAnchor.ORPHANED:
        raise Http404("Only orphans are deleted here; delete a placed span from its panel.")
    document_id = span.document_id
    trash.span_trash(span=span, user=request.user)
    messages.success(
        request, f"Moved the orphan “{span.quote[:60]}” to the trash (restorable for 30 days)."
    )
    return redirect(reverse("annotations:document-review", kwargs={"document_id": document_id}))


@require_GET
def document_place(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    """Open the current revision where the reader was on an older one.

    ``from`` is the revision the reader had open and ``at`` an offset into it (the
    paragraph they were reading); the offset is moved through the diff of the two
    texts, so the page opens on the same words even when text was added above them.
    """
    document, _role = document_for(request, document_id)
    url = document.get_absolute_url()
    try:
        older, offset = int(request.GET.get("from", "")), int(request.GET.get("at", ""))
    except ValueError:
        return redirect(url)
    old = document.revisions.filter(number=older).values_list("text", flat=True).first()
    if old is None or not 0 <= offset <= len(old) or older == document.revision:
        return redirect(f"{url}#at-{max(0, offset)}" if older == document.revision else url)
    positions = PositionMap(diff_opcodes(old, document.text), len(old), len(document.text))
    return redirect(f"{url}#at-{positions.start(offset)}")
