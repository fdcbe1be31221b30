"""Template helpers for screen readers on the annotate page (see annotations/accessibility.py)."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString

from annotations.accessibility import span_labels
from annotations.models import Span

register = template.Library()


@register.simple_tag(takes_context=True)
def span_label_data(context: template.Context, spans: Iterable[Span]) -> SafeString:
    """Write every shown span's spoken label as JSON (#span-labels), for static/herlens-access.js."""
    return json_script(span_labels(spans, context["request"].user), "span-labels")
