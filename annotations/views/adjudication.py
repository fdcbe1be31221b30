"""Adjudication into the reference layer, and each reader's feedback against it.

The reference layer is spans with ``is_reference`` (see models.Span): the
adjudicator accepts a reader's span (or a corrected copy of it), rejects a
reference span, or accepts in bulk every passage at least N readers marked
alike. Students see the reference, and their feedback, once the document is revealed.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_POST

from annotations import agreement, params
from annotations.feedback import combined, compare_to_reference
from annotations.forms import SpanCreateForm
from annotations.models import Role, Span
from annotations.permissions import Action, allows, sees_every_span, spans_visible_in
from annotations.rendering import document_html, split_runs
from annotations.services.classes import reference_accept_agreed, reference_add, reference_remove
from annotations.services.errors import DomainError
from annotations.views import layers
from annotations.views.access import HtmxHttpRequest, document_for, require
from annotations.views.errors import form_error, plain_text

TEMPLATE = "annotations/adjudicate.html"
FEEDBACK_TEMPLATE = "annotations/feedback.html"
NOT_REVEALED = "Your feedback appears here once your teacher reveals this document."


def _candidates(spans: list[Span], reference: list[Span]) -> list[dict[str, Any]]:
    """Group readers' spans by passage and tag: who marked it, and whether it is in the reference."""
    in_reference = {(s.start, s.end, s.tag_id): s for s in reference}
    groups: dict[tuple[int, int, int], list[Span]] = defaultdict(list)
    for span in spans:
        groups[(span.start, span.end, span.tag_id)].append(span)
    rows = []
    for key, members in groups.items():
        first = members[0]
        rows.append(
            {
                "span": first,
                "readers": sorted({m.author.get_username() for m in members}),
                "count": len({m.author_id for m in members}),
                "reference": in_reference.get(key),
            }
        )
    rows.sort(key=lambda r: (r["span"].start, r["span"].end, r["span"].tag_id))
    return rows


def _adjudication_context(request, document, role) -> dict[str, Any]:
    spans = list(
        spans_visible_in(request.user, role, document=document)
        .select_related("tag", "author")
        .order_by("start")
    )
    reference = [s for s in spans if s.is_reference]
    readers = [s for s in spans if not s.is_reference]
    tags = list(document.project.tags.all())
    # The essay shows every reader's layer and the reference together, one colour family
    # each (views/layers.py); ?layers= narrows it as on the annotate page.
    current = request.htmx.current_url if request.htmx and request.htmx.current_url else ""
    query = request.GET.urlencode() or urlsplit(current).query
    # Tags keep their colours here too; "Readers side by side" compares the readers.
    shown = layers.page_layers(request, document, role, tags, query=query)
    marks, styles = layers.marks_and_styles(shown)
    reader_count = len({s.author_id for s in readers})
    return {
        "project": document.project,
        "document": document,
        "role": role,
        "tags": tags,
        "candidates": _candidates(readers, reference),
        "reference": reference,
        "reader_count": reader_count,
        "majority": reader_count // 2 + 1 if reader_count else 1,
        # rendering.py escapes every character of the text; tag_css checks colours.
        "essay_html": SafeString(
            document_html(document.text, split_runs(document.text, marks), styles)
        ),
        "tag_css": layers.layer_css(shown),
        "layers": shown,
        "shortcuts": {tag.shortcut: tag.slug for tag in tags if tag.shortcut},
    }


def _adjudicator_document(request, slug, document_id):
    document, role = document_for(request, document_id, slug)
    require(role, Action.ADJUDICATE)
    return document, role


def _answer(request: HtmxHttpRequest, document, role) -> HttpResponse:
    context = _adjudication_context(request, document, role)
    if request.htmx:
        return render(request, f"{TEMPLATE}#adjudication", context)
    return redirect(reverse("annotations:adjudicate", args=[document.project.slug, document.pk]))


@require_GET
def adjudicate_page(request: HtmxHttpRequest, slug: str, document_id: int) -> HttpResponse:
    document, role = _adjudicator_document(request, slug, document_id)
    context = _adjudication_context(request, document, role)
    if request.htmx and request.htmx.target == "adjudication":
        return render(request, f"{TEMPLATE}#adjudication", context)
    return render(request, TEMPLATE, context)


@require_POST
def accept(request: HtmxHttpRequest, slug: str, document_id: int) -> HttpResponse:
    """Accept a reader's span, optionally with corrected start/end, into the reference."""
    document, role = _adjudicator_document(request, slug, document_id)
    source = get_object_or_404(
        Span, pk=params.required_number(request.POST, "span"), document=document, is_reference=False
    )
    try:
        start = params.optional_number(request.POST, "start")
        end = params.optional_number(request.POST, "end")
        tag_id = params.optional_number(request.POST, "tag")
        start = source.start if start is None else start
        end = source.end if end is None else end
        tag_id = source.tag_id if tag_id is None else tag_id
        _span, created = reference_add(
            document=document, start=start, end=end, tag_id=tag_id, by=request.user
        )
    except (ValueError, DomainError, document.project.tags.model.DoesNotExist) as exc:
        message = (
            str(exc) if isinstance(exc, DomainError) else "Give start, end and tag as numbers."
        )
        if request.htmx:
            return plain_text(message, status=400)
        messages.error(request, message)
        return redirect(reverse("annotations:adjudicate", args=[slug, document.pk]))
    if not request.htmx:
        messages.success(request, "Accepted." if created else "Already in the reference.")
    return _answer(request, document, role)


@require_POST
def add(request: HtmxHttpRequest, slug: str, document_id: int) -> HttpResponse:
    """Put a passage selected in the adjudication essay straight into the reference."""
    document, role = _adjudicator_document(request, slug, document_id)
    form = SpanCreateForm(request.POST, project=document.project)
    message = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            reference_add(
                document=document,
                start=data["start"],
                end=data["end"],
                tag_id=data["tag"].pk,
                by=request.user,
                quote=data["quote"] if "quote" in request.POST else None,
            )
        except DomainError as exc:
            message = str(exc)
    else:
        message = form_error(form)
    if message:
        if request.htmx:
            return plain_text(message, status=400)
        messages.error(request, message)
    return _answer(request, document, role)


@require_POST
def reject(request: HtmxHttpRequest, slug: str, document_id: int, span_id: int) -> HttpResponse:
    """Take a span out of the reference layer (readers' own spans are never touched)."""
    document, role = _adjudicator_document(request, slug, document_id)
    span = get_object_or_404(Span, pk=span_id, document=document, is_reference=True)
    reference_remove(span=span, user=request.user)
    if not request.htmx:
        messages.success(request, "Removed from the reference.")
    return _answer(request, document, role)


@require_POST
def accept_agreed(request: HtmxHttpRequest, slug: str, document_id: int) -> HttpResponse:
    document, role = _adjudicator_document(request, slug, document_id)
    min_readers = params.optional_number(request.POST, "min_readers", maximum=10_000) or 0
    try:
        added = reference_accept_agreed(document=document, min_readers=min_readers, by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Accepted {added} passage{'s' if added != 1 else ''}.")
    if request.htmx:
        response = _answer(request, document, role)
        return response
    return redirect(reverse("annotations:adjudicate", args=[slug, document.pk]))


# --------------------------------------------------------------------------- feedback


def _units(spans) -> list[agreement.Unit]:
    return [agreement.Unit(s.author_id, s.tag_id, s.start, s.end) for s in spans]


def _class_rows(document, spans: list[Span], reference: list[Span]) -> tuple[dict, list[dict]]:
    """Each student's spans against the reference, as totals (the teacher's overview)."""
    # The class's rows: the teacher's and editors' own spans are not a student's work.
    staff = set(
        document.project.memberships.filter(role__in=(Role.OWNER, Role.EDITOR)).values_list(
            "user_id", flat=True
        )
    )
    by_author: dict[int, list[Span]] = defaultdict(list)
    for span in spans:
        if not span.is_reference and span.author_id not in staff:
            by_author[span.author_id].append(span)
    users = get_user_model().objects.in_bulk(list(by_author))
    class_rows = []
    for uid, mine in sorted(by_author.items(), key=lambda kv: users[kv[0]].get_username()):
        result = compare_to_reference(_units(mine), _units(reference))
        total = combined(result.values())
        class_rows.append(
            {
                "user": users[uid],
                "found": len(total.found),
                "boundary": len(total.boundary),
                "missed": len(total.missed),
                "extra": len(total.extra),
                "precision": total.precision,
                "recall": total.recall,
            }
        )
    return users, class_rows


@require_GET
def feedback_page(request: HtmxHttpRequest, slug: str, document_id: int) -> HttpResponse:
    """A student: their spans against the reference. The teacher: the class, or one student."""
    document, role = document_for(request, document_id, slug)
    teacher = sees_every_span(role)
    tags = {t.pk: t for t in document.project.tags.all()}
    context: dict[str, Any] = {
        "project": document.project,
        "document": document,
        "role": role,
        "is_teacher": teacher,
    }
    if not teacher and document.revealed_at is None:
        context["not_revealed"] = NOT_REVEALED
        return render(request, FEEDBACK_TEMPLATE, context)
    # The same rule as every page: after reveal a student sees the reference layer.
    spans = list(spans_visible_in(request.user, role, document=document).select_related("tag"))
    reference = [s for s in spans if s.is_reference]
    context["has_reference"] = bool(reference)
    student_id = request.user.pk
    if teacher:
        student_id = params.optional_number(request.GET, "student")
        users, context["class_rows"] = _class_rows(document, spans, reference)
        if student_id is None:
            return render(request, FEEDBACK_TEMPLATE, context)
        context["student"] = users.get(student_id) or get_object_or_404(
            get_user_model(), pk=student_id, memberships__project=document.project
        )
    elif role not in (Role.ANNOTATOR,) and not allows(role, Action.ANNOTATE):
        raise PermissionDenied("Feedback is for the class's students.")
    mine = [s for s in spans if not s.is_reference and s.author_id == student_id]
    result = compare_to_reference(_units(mine), _units(reference))
    text = document.text
    rows = []
    for tag_id, feedback in result.items():
        rows.append(
            {
                "tag": tags[tag_id],
                "feedback": feedback,
                "found": [text[u.start : u.end] for u, _ in feedback.found],
                "boundary": [
                    {"mine": text[u.start : u.end], "reference": text[r.start : r.end]}
                    for u, r in feedback.boundary
                ],
                "missed": [text[u.start : u.end] for u in feedback.missed],
                "extra": [text[u.start : u.end] for u in feedback.extra],
            }
        )
    rows.sort(key=lambda r: r["tag"].position)
    context["rows"] = rows
    return render(request, FEEDBACK_TEMPLATE, context)
