"""The annotate page: the essay with its highlights, the span list and the span panel."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from annotations.guidelines import guidelines_html
from annotations.permissions import Action, allows
from annotations.services.classes import membership_seen
from annotations.views import layers
from annotations.views.access import HtmxHttpRequest, document_for, span_for
from annotations.views.annotate import (
    TEMPLATE,
    class_context,
    essay_html,
    live_context,
    panel_context,
    sidebar_context,
    suggest_context,
    suggestion_css,
)


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
    if document.project.is_class and request.htmx.target != "suggest-panel":
        # "Last seen" on the roster: a throttled stamp like last_login, written when
        # the page or its class bar is drawn.
        membership_seen(user=request.user, project_id=document.project_id)
    if request.htmx and request.htmx.target == "class-bar":
        context.update(class_context(request, document, role))
        return render(request, "annotations/_class_bar.html#class-bar", context)
    # Suggestions: their panel, and the CSS that draws them.
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
            **live_context(request, document, role, shown),
            **class_context(request, document, role),
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
