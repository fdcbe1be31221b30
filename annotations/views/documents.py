"""The annotate page: the essay with its highlights, the span list and the span panel."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
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
#: Span list entries sent at once: about a screenful (the rest on scrolling).
LIST_PAGE = 20
#: The most entries one answer lists (``?shown=``, ``?from=``).
MAX_SHOWN = 5000


def span_marks(spans: Iterable[Span | layers.DrawnSpan]) -> list[SpanMark]:
    return [SpanMark(s.pk, s.start, s.end, s.tag_id) for s in spans]


def essay_html(
    document: Document,
    spans: list[layers.DrawnSpan],
    style_of: dict | None = None,
    target: int | None = None,
) -> SafeString:
    """Return the essay as HTML; rendering.py escapes every character of the text."""
    marks = span_marks(spans)
    styles = style_of or {m.id: m.tag_id for m in marks}
    html = document_html(document.text, split_runs(document.text, marks), styles, target=target)
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


def sidebar_context(
    request: HttpRequest, document: Document, role: str, tags: list[Tag], tag_filter: str
) -> dict[str, Any]:
    """Return the span list's counts per tag and its first entries (``LIST_PAGE`` of them).

    The rest comes a page at a time as the reader scrolls (``span_list_page``), so
    a document with thousands of spans sends a screenful, not thousands of entries;
    the database counts and slices them, whatever their number, in a few queries.
    """
    shown = _shown_count(request)
    query = layers.shown_spans_query(request, document, role)
    counts = dict(
        query.order_by().values("tag_id").annotate(n=Count("id")).values_list("tag_id", "n")
    )
    matching = query.filter(tag__slug=tag_filter) if tag_filter else query
    listed = spans_with_tags_and_authors(document, tags, matching[:shown])
    wanted = {tag.pk for tag in tags if not tag_filter or tag.slug == tag_filter}
    matching_count = sum(n for tag_id, n in counts.items() if tag_id in wanted)
    return {
        "tag_rows": [{"tag": tag, "count": counts.get(tag.pk, 0)} for tag in tags],
        "listed_spans": listed,
        "span_total": sum(counts.values()),
        "tag_filter": tag_filter,
        **_more_context(request, document, shown, matching_count - shown),
    }


def _shown_count(request: HttpRequest) -> int:
    """Return how many entries the full list shows: ``?shown=N`` (the no-JavaScript "More" link)."""
    raw = request.GET.get("shown", "")
    return max(LIST_PAGE, min(int(raw), MAX_SHOWN)) if raw.isdigit() else LIST_PAGE


def _more_context(
    request: HttpRequest, document: Document, shown: int, remaining: int
) -> dict[str, Any]:
    if remaining <= 0:
        return {"more_remaining": 0}
    query = request.GET.copy()
    for name in ("span", "shown", "from"):
        query.pop(name, None)
    base = document.get_absolute_url()
    query["from"] = shown
    fragment = f"{base}?{query.urlencode()}"
    query.pop("from")
    query["shown"] = shown + LIST_PAGE
    return {
        "more_remaining": remaining,
        "more_url": fragment,
        "more_link": f"{base}?{query.urlencode()}#span-sidebar",
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
    tag_filter = request.GET.get("tag", "")
    context: dict[str, Any] = {
        "project": document.project,
        "document": document,
        "role": role,
        "tags": tags,
        "can_annotate": allows(role, Action.ANNOTATE),
    }
    # Fragments that do not draw the essay load no more spans than they list.
    if request.htmx and request.GET.get("from", "").isdigit():
        return span_list_page(request, document, role, tags, tag_filter, context)
    if request.htmx and request.htmx.target == "span-sidebar":
        context.update(sidebar_context(request, document, role, tags, tag_filter))
        return render(request, f"{TEMPLATE}#span-sidebar", context)
    if request.htmx and request.htmx.target == "class-bar":
        context.update(layers.class_context(request, document, role))
        return render(request, "annotations/_class_bar.html#class-bar", context)
    # Class mode (views/layers.py): blind rule, chosen layers, reader colours.
    shown = layers.page_layers(request, document, role, tags)
    spans = shown.spans
    context["layers"] = shown
    context.update(sidebar_context(request, document, role, tags, tag_filter))
    # Suggestions (views/suggestions.py): their panel, and the CSS that draws them. Imported
    # here because views/suggestions.py builds on this module.
    from annotations.views.suggestions import suggest_context, suggestion_css

    context.update(suggest_context(document, role, tags))
    if request.htmx and request.htmx.target == "suggest-panel":
        return render(request, f"{TEMPLATE}#suggest-panel", context)
    context["suggestion_css"] = SafeString(suggestion_css(tags))

    selected = None
    if request.GET.get("span", "").isdigit():
        wanted = int(request.GET["span"])
        if any(s.pk == wanted for s in spans):
            selected = spans_with_tags_and_authors(
                document, tags, document.spans.filter(pk=wanted)
            )[0]
    context.update(panel_context(request, selected, role, tags))
    context.update(
        {
            "essay_html": essay_html(
                document, spans, shown.style_of, selected.pk if selected else None
            ),
            "tag_css": layers.layer_css(shown),
            **layers.live_context(request, document, role, shown),
            **layers.class_context(request, document, role),
            "guidelines_html": guidelines_html(document.project.guidelines),
            "shortcuts": {tag.shortcut: tag.slug for tag in tags if tag.shortcut},
            "create_url": reverse("annotations:span-create", args=[document.pk]),
        }
    )
    return render(request, TEMPLATE, context)


def span_list_page(
    request: HtmxHttpRequest,
    document: Document,
    role: str,
    tags: list[Tag],
    tag_filter: str,
    context: dict[str, Any],
) -> HttpResponse:
    """Answer the span list's "More" entry with the next ``LIST_PAGE`` entries (and a new "More")."""
    offset = min(int(request.GET["from"]), MAX_SHOWN)
    query = layers.shown_spans_query(request, document, role)
    if tag_filter:
        query = query.filter(tag__slug=tag_filter)
    rows = list(query[offset : offset + LIST_PAGE + 1])
    listed = spans_with_tags_and_authors(document, tags, rows[:LIST_PAGE])
    remaining = query.count() - offset - LIST_PAGE if len(rows) > LIST_PAGE else 0
    context.update(
        {
            "listed_spans": listed,
            **_more_context(request, document, offset + LIST_PAGE, remaining),
        }
    )
    return render(request, f"{TEMPLATE}#span-entries", context)


@require_GET
def span_detail(request: HtmxHttpRequest, span_id: int) -> HttpResponse:
    """Open a span in the panel; without htmx, the annotate page with the span selected."""
    span, role = span_for(request, span_id)
    if not request.htmx:
        return redirect(f"{span.document.get_absolute_url()}?span={span.pk}#span-panel")
    tags = list(span.document.project.tags.all())
    context = {"document": span.document, **panel_context(request, span, role, tags)}
    return render(request, f"{TEMPLATE}#span-panel", context)
