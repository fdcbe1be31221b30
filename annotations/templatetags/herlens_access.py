"""Template helpers for screen readers on the annotate page (see annotations/accessibility.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django import template
from django.contrib.auth import get_user_model
from django.utils.html import json_script
from django.utils.safestring import SafeString

from annotations.accessibility import span_labels
from annotations.models import Span, Tag

if TYPE_CHECKING:  # the rows' type only; template tags do not call views
    from annotations.views.layers import DrawnSpan

register = template.Library()


@register.simple_tag(takes_context=True)
def span_label_data(
    context: template.Context, spans: Iterable[Span | DrawnSpan], tags: Iterable[Tag] = ()
) -> SafeString:
    """Write every shown span's spoken label as JSON (#span-labels), for static/herlens-access.js.

    Each distinct label once, with its spans' ids: ``[[start, end, "id id ..."], ...]``.
    """
    return json_script(_label_rows(context, spans, tags), "span-labels")


@register.simple_tag(takes_context=True)
def span_label_json(
    context: template.Context, spans: Iterable[Span | DrawnSpan], tags: Iterable[Tag] = ()
) -> str:
    """The same labels as plain JSON, for an attribute (escaped there like any other text).

    A live update carries the labels of the spans it re-draws: a span another reader
    has just added is named like every span the page was sent with.
    """
    return json.dumps(_label_rows(context, spans, tags), ensure_ascii=False)


def _label_rows(
    context: template.Context, spans: Iterable[Span | DrawnSpan], tags: Iterable[Tag]
) -> list[tuple[str, str, str]]:
    """The labels of the spans; the page draws plain rows (views/layers.py): tags are named
    from ``tags``, readers other than the viewer with one query."""
    spans = list(spans)
    viewer = context["request"].user
    # request.user is a lazy proxy: read its id once, not once per span.
    viewer_id = viewer.pk
    tag_names = {tag.pk: tag.name for tag in tags}
    if any(span.tag_id not in tag_names for span in spans):
        tag_names.update(
            Tag.objects.filter(pk__in={span.tag_id for span in spans}).values_list("pk", "name")
        )
    others = {s.author_id for s in spans if not s.is_reference and s.author_id != viewer_id}
    author_names: dict[int, str] = {}
    if others:
        author_names = dict(
            get_user_model().objects.filter(pk__in=others).values_list("pk", "username")
        )
    return span_labels(spans, viewer, tag_names, author_names)
