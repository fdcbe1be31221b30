"""The annotate page: the essay with its highlights, the span list and the span panel."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from annotations import classroom
from annotations.guidelines import guidelines_html
from annotations.models import Document, Span, Tag
from annotations.permissions import Action, allows, can_edit_span
from annotations.rendering import SpanMark, document_html, split_runs
from annotations.views import layers
from annotations.views.access import HtmxHttpRequest, document_for, span_for

TEMPLATE = "annotations/document.html"


def span_marks(spans: list[Span]) -> list[SpanMark]:
    return [SpanMark(s.pk, s.start, s.end, s.tag_id) for s in spans]


def essay_html(document: Document, spans: list[Span], style_of: dict | None = None) -> SafeString:
    """Return the essay as HTML; rendering.py escapes every character of the text."""
    marks = span_marks(spans)
    styles = style_of or {m.id: m.tag_id for m in marks}
    html = document_html(document.text, split_runs(document.text, marks), styles)
    return SafeString(html)


def panel_context(
    request: HttpRequest, span: Span | None, role: str, tags: list[Tag]
) -> dict[str, Any]:
    editable = span is not None and can_edit_span(role, request.user, span)
    # A handed-in submission locks the student's spans (class mode): offer no Save or Delete
    # that could only be refused.
    if editable and classroom.is_locked(request.user, role, span.document):
        editable = False
    return {"span": span, "tags": tags, "can_edit_span": editable}


def sidebar_context(spans: list[Span], tags: list[Tag], tag_filter: str) -> dict[str, Any]:
    counts = Counter(span.tag_id for span in spans)
    tag_rows = [{"tag": tag, "count": counts.get(tag.pk, 0)} for tag in tags]
    listed = [span for span in spans if not tag_filter or span.tag.slug == tag_filter]
    return {
        "tag_rows": tag_rows,
        "listed_spans": listed,
        "span_total": len(spans),
        "tag_filter": tag_filter,
    }


def spans_with_tags_and_authors(
    document: Document, tags: list[Tag], spans: Iterable[Span] | None = None
) -> list[Span]:
    """Return the document's spans (or the given ones) in reading order, tags and authors attached.

    Two queries whatever the number of spans; joining tag and author into every
    row would build three model instances per span.
    """
    spans = list(document.spans.all() if spans is None else spans)
    tag_by_id = {tag.pk: tag for tag in tags}
    author_ids = {span.author_id for span in spans}
    authors = {user.pk: user for user in get_user_model().objects.filter(pk__in=author_ids)}
    for span in spans:
        span.tag = tag_by_id[span.tag_id]
        span.author = authors[span.author_id]
    return spans


@require_GET
def document_page(request: HtmxHttpRequest, slug: str, document_id: int) -> HttpResponse:
    document, role = document_for(request, document_id, slug)
    tags = list(document.project.tags.all())
    # Class mode (views/layers.py): blind rule, chosen layers, reader colours.
    shown = layers.page_layers(request, document, role, tags)
    spans = shown.spans
    tag_filter = request.GET.get("tag", "")
    context: dict[str, Any] = {
        "project": document.project,
        "document": document,
        "role": role,
        "tags": tags,
        "can_annotate": allows(role, Action.ANNOTATE),
        "layers": shown,
        **sidebar_context(spans, tags, tag_filter),
    }
    if request.htmx and request.htmx.target == "span-sidebar":
        return render(request, f"{TEMPLATE}#span-sidebar", context)
    if request.htmx and request.htmx.target == "class-bar":
        context.update(layers.class_context(request, document, role))
        return render(request, "annotations/_class_bar.html#class-bar", context)
    # Suggestions (views/suggestions.py): their panel, and the CSS that draws them. Imported
    # here because views/suggestions.py builds on this module.
    from annotations.views.suggestions import suggest_context, suggestion_css

    context.update(suggest_context(document, role, tags))
    if request.htmx and request.htmx.target == "suggest-panel":
        return render(request, f"{TEMPLATE}#suggest-panel", context)
    context["suggestion_css"] = SafeString(suggestion_css(tags))

    selected = None
    if request.GET.get("span", "").isdigit():
        selected = next((s for s in spans if s.pk == int(request.GET["span"])), None)
    context.update(panel_context(request, selected, role, tags))
    context.update(
        {
            "essay_html": essay_html(document, spans, shown.style_of),
            "tag_css": layers.layer_css(shown),
            **layers.live_context(request, document, role, shown),
            **layers.class_context(request, document, role),
            "guidelines_html": guidelines_html(document.project.guidelines),
            "shortcuts": {tag.shortcut: tag.slug for tag in tags if tag.shortcut},
            "create_url": reverse("annotations:span-create", args=[document.pk]),
        }
    )
    return render(request, TEMPLATE, context)


@require_GET
def span_detail(request: HtmxHttpRequest, span_id: int) -> HttpResponse:
    """Open a span in the panel; without htmx, the annotate page with the span selected."""
    span, role = span_for(request, span_id)
    if not request.htmx:
        return redirect(f"{span.document.get_absolute_url()}?span={span.pk}#span-panel")
    tags = list(span.document.project.tags.all())
    context = {"document": span.document, **panel_context(request, span, role, tags)}
    return render(request, f"{TEMPLATE}#span-panel", context)


@require_GET
def span_permalink(request: HtmxHttpRequest, slug: str, span_id: int) -> HttpResponse:
    """Where an exported annotation's id leads: the span open on its document's page."""
    span, _role = span_for(request, span_id)
    if span.document.project.slug != slug:
        raise Http404
    return redirect(f"{span.document.get_absolute_url()}?span={span.pk}#span-panel")
