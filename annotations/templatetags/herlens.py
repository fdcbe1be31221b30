"""Template helpers for pages whose lists grow with the corpus."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString

from annotations.models import Span

register = template.Library()


@register.simple_tag
def span_entries(spans: Iterable[Span]) -> SafeString:
    """Write the span list's entries, every value passed through html.escape.

    A document can hold thousands of spans: a loop in the template language (or
    format_html per row) costs several times as much as this, and the page waits.
    """
    span_url = reverse("annotations:span", args=[0])[: -len("0/")]
    rows = []
    for span in spans:
        note = " · note" if span.note else ""
        # Class mode: the reference layer is named as such, not after who adjudicated it.
        who = "reference" if span.is_reference else span.author.get_username()
        rows.append(
            f'<li><a class="span-entry" href="?span={span.pk}#span-{span.pk}" data-span="{span.pk}" '
            f'hx-get="{span_url}{span.pk}/" hx-target="#span-panel" hx-swap="outerHTML">'
            f'<span class="swatch" style="--tag: {escape(span.tag.colour)}" aria-hidden="true"></span>'
            f'<span class="entry-quote">{escape(_shorten(span.quote, 90))}</span>'
            f'<span class="muted small">{escape(span.tag.name)} · '
            f"{escape(who)}{note}</span></a></li>"
        )
    return SafeString("\n".join(rows))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@register.simple_tag(takes_context=True)
def flagged_span_count(context: template.Context, document) -> int:
    """Count the spans a revision flagged that the reader may look at (theirs, or all for
    editors and owners): orphans and spans whose words were edited."""
    from annotations.models import AnchorState
    from annotations.permissions import Action, allows

    spans = Span.everything.filter(
        document=document, anchor__in=[AnchorState.CHANGED, AnchorState.ORPHANED]
    )
    if not allows(context.get("role"), Action.EDIT_ANY_SPAN):
        spans = spans.filter(author_id=context["request"].user.pk)
    return spans.count()


@register.simple_tag(takes_context=True)
def may_revise(context: template.Context, document) -> bool:
    """Whether the reader may change the document's text (editors, owners, or its writer)."""
    from annotations.permissions import can_revise

    return can_revise(context.get("role"), context["request"].user, document)
