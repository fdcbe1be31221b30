"""The annotate page: the essay with its highlights, the span list and the span panel."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from annotations.views import layers
from annotations.views.access import HtmxHttpRequest, document_for, span_for
from annotations.views.annotate import (
    PAGE,
    TEMPLATE,
    page_context,
    panel_context,
    span_list_context,
)


@require_GET
def document_page(request: HtmxHttpRequest, slug: str, document_id: int) -> HttpResponse:
    document, role = document_for(request, document_id, slug)
    tags = list(document.project.tags.all())
    target = request.htmx.target if request.htmx else None
    # Fragments that do not draw the essay load no more spans than they list.
    if request.htmx and request.GET.get("from", "").isdigit():
        context = span_list_context(request, document, role, tags)
        return render(request, f"{TEMPLATE}#span-entries", context)
    if target == "span-sidebar":
        return render(
            request, f"{TEMPLATE}#span-sidebar", page_context(request, document, role, tags)
        )
    if target == "class-bar":
        context = page_context(request, document, role, tags, parts=("class",))
        return render(request, "annotations/_class_bar.html#class-bar", context)
    if target == "suggest-panel":
        context = page_context(request, document, role, tags, parts=("suggestions",))
        return render(request, f"{TEMPLATE}#suggest-panel", context)
    # Class mode (views/layers.py): blind rule, chosen layers, reader colours.
    shown = layers.page_layers(request, document, role, tags)
    return render(request, TEMPLATE, page_context(request, document, role, tags, shown, parts=PAGE))


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
