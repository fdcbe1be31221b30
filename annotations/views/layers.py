"""What the annotate page shows in class mode: whose spans, in which colours, and live updates.

The annotate page asks ``page_layers`` for its spans instead of reading
``document.spans``: it applies the blind rule (permissions.spans_visible_in),
the reader's choice of layers (``?layers=12,15,ref``), and when several
readers' spans show at once gives each reader a colour family.
"""

from __future__ import annotations

import colorsys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.contrib.auth import get_user_model
from django.core import signing
from django.http import HttpRequest
from django.urls import reverse
from django.utils.safestring import SafeString

from annotations import classroom
from annotations.models import Assignment, Document, Span, Tag
from annotations.permissions import Action, allows, sees_every_span, spans_visible_in
from annotations.rendering import SpanMark, tag_css

#: Hues (degrees) of the annotator colour families, far apart on the colour wheel.
FAMILY_HUES = (210, 28, 130, 330, 265, 50, 175, 0, 95, 300)
REFERENCE_KEY = "ref"
LIVE_SALT = "herlens.live"
#: A poll token is re-issued after this long, so a removed member stops getting updates.
LIVE_MAX_AGE = 600
POLL_SECONDS = 3


@dataclass
class Layers:
    spans: list[Span]
    #: span id -> the key of its colour rules (tag id, or "tagid-k" per reader family).
    style_of: dict[int, Any]
    css: str
    #: [{"key", "label", "colour", "shown"}] for the filter; empty when only one layer exists.
    legend: list[dict[str, Any]] = field(default_factory=list)
    selected: set[str] = field(default_factory=set)
    multi: bool = False


def selected_layers(query: str) -> set[str]:
    """Return the chosen layer keys from a query ("layers=12,ref" or "layers=12&layers=ref").

    Empty means all layers.
    """
    values = parse_qs(query).get("layers", [])
    parts = {part for raw in values for part in raw.split(",")}
    return {part for part in parts if part.isdigit() or part == REFERENCE_KEY}


def _family_colour(hue: int, shade: int) -> str:
    """Return "#rrggbb" for a reader's hue, one shade per tag so tags stay apart."""
    lightness = (0.38, 0.52, 0.30, 0.62, 0.45)[shade % 5]
    r, g, b = colorsys.hls_to_rgb(hue / 360, lightness, 0.72)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def _layer_key(span: Span) -> str:
    return REFERENCE_KEY if span.is_reference else str(span.author_id)


def page_layers(
    request: HttpRequest,
    document: Document,
    role: str,
    tags: list[Tag],
    query: str | None = None,
    within: tuple[int, int] | None = None,
    *,
    families: bool | None = None,
) -> Layers:
    """Return the spans the page shows and how to colour them.

    ``within`` (start, end) loads only the spans overlapping that range, for
    re-drawing a few paragraphs: the colours still depend on every reader in
    the document, which one DISTINCT query gives without loading their spans.
    ``families``: a colour family per reader; by default in classes only.
    """
    if families is None:
        # The tag owns the colour, in a class too: a reader's hue would hide the tag and clash
        # with another tag's colour. Readers are told apart by the layer filter, the spoken
        # labels and the side-by-side view (views/comparison.py).
        families = False
    from annotations.views.documents import spans_with_tags_and_authors

    visible_spans = spans_visible_in(request.user, role, document=document)
    if within is None:
        visible = spans_with_tags_and_authors(document, tags, visible_spans)
        readers = {(s.author_id, s.is_reference) for s in visible}
        names = {s.author_id: s.author.get_username() for s in visible if not s.is_reference}
    else:
        low, high = within
        nearby = visible_spans.filter(start__lt=high, end__gt=low)
        visible = spans_with_tags_and_authors(document, tags, nearby)
        # order_by(): without it the default ordering would join DISTINCT and return every row.
        readers = set(visible_spans.order_by().values_list("author_id", "is_reference").distinct())
        names = dict(
            get_user_model()
            .objects.filter(pk__in={uid for uid, is_ref in readers if not is_ref})
            .values_list("pk", "username")
        )
    keys = {REFERENCE_KEY if is_ref else str(uid) for uid, is_ref in readers}
    if query is None:
        query = request.GET.urlencode()
        htmx = getattr(request, "htmx", None)
        if "layers" not in request.GET and htmx and htmx.current_url:
            # A fragment (the span list) keeps the layer choice of the page it is on.
            query = urlsplit(htmx.current_url).query
    chosen = selected_layers(query) & keys
    shown = [s for s in visible if not chosen or _layer_key(s) in chosen]
    shown_keys = {_layer_key(s) for s in shown}
    if len(keys) <= 1:
        style = {s.pk: s.tag_id for s in shown}
        css = tag_css((tag.pk, tag.colour) for tag in tags)
        return Layers(shown, style, css)

    order = sorted(names, key=lambda uid: (uid != request.user.pk, names[uid]))
    if not families:
        # A project that is not a class keeps each tag's colour, as its toolbar, span list and
        # export show it; the filter still picks whose spans are drawn.
        legend = [
            {
                "key": str(uid),
                "label": "you" if uid == request.user.pk else names[uid],
                "colour": None,
                "shown": str(uid) in shown_keys,
            }
            for uid in order
        ]
        if REFERENCE_KEY in keys:
            legend.append(
                {
                    "key": REFERENCE_KEY,
                    "label": "reference",
                    "colour": None,
                    "shown": REFERENCE_KEY in shown_keys,
                }
            )
        style = {s.pk: s.tag_id for s in shown}
        css = tag_css((tag.pk, tag.colour) for tag in tags)
        return Layers(shown, style, css, legend, chosen, multi=True)
    shade_of = {tag.pk: n for n, tag in enumerate(tags)}
    legend = []
    rules: list[tuple[str, str]] = [(str(tag.pk), tag.colour) for tag in tags]
    for n, uid in enumerate(order):
        hue = FAMILY_HUES[n % len(FAMILY_HUES)]
        legend.append(
            {
                "key": str(uid),
                "label": "you" if uid == request.user.pk else names[uid],
                "colour": _family_colour(hue, 0),
                "shown": str(uid) in shown_keys,
            }
        )
        rules.extend((f"{tag.pk}-{uid}", _family_colour(hue, shade_of[tag.pk])) for tag in tags)
    if REFERENCE_KEY in keys:
        legend.append(
            {
                "key": REFERENCE_KEY,
                "label": "reference",
                "colour": "#222222",
                "shown": REFERENCE_KEY in shown_keys,
            }
        )
        rules.extend((f"{tag.pk}-ref", "#222222") for tag in tags)
    style: dict[int, Any] = {
        s.pk: f"{s.tag_id}-{REFERENCE_KEY if s.is_reference else s.author_id}" for s in shown
    }
    return Layers(shown, style, tag_css(rules), legend, chosen, multi=True)


def marks_and_styles(layers: Layers, start: int = 0, end: int | None = None):
    """Return (SpanMark list, style map) for the spans overlapping [start, end)."""
    marks = [
        SpanMark(s.pk, s.start, s.end, layers.style_of[s.pk])
        for s in layers.spans
        if end is None or (s.start < end and start < s.end)
    ]
    return marks, {m.id: layers.style_of[m.id] for m in marks}


def changed_marks(request: HttpRequest, document: Document, role: str, low: int, high: int):
    """Return marks and styles for re-drawn paragraphs after a span action.

    The layer choice lives in the page's URL, which htmx sends as HX-Current-URL.
    """
    current = getattr(request, "htmx", None) and request.htmx.current_url or ""
    tags = list(document.project.tags.all())
    query = urlsplit(current).query
    layers = page_layers(request, document, role, tags, query=query, within=(low, high))
    return marks_and_styles(layers, low, high)


# --------------------------------------------------------------------------- live updates


def live_token(document: Document, user_id: int, role: str) -> str:
    """Sign who polls which document in which role, so the poll needs no membership query."""
    return signing.dumps({"d": document.pk, "u": user_id, "r": role}, salt=LIVE_SALT)


def read_live_token(token: str) -> dict | None:
    try:
        return signing.loads(token, salt=LIVE_SALT, max_age=LIVE_MAX_AGE)
    except signing.BadSignature:
        return None


def live_context(
    request: HttpRequest, document: Document, role: str, layers: Layers
) -> dict[str, Any]:
    """Return what the page's poller element needs: its URL with the current fingerprint."""
    fingerprint = classroom.live_fingerprint(
        spans_visible_in(request.user, role, document=document)
    )
    query = {"v": fingerprint, "t": live_token(document, request.user.pk, role)}
    if layers.selected:
        query["layers"] = ",".join(sorted(layers.selected))
    return {
        "live_url": reverse("annotations:live", args=[document.pk]) + "?" + urlencode(query),
        "live_seconds": POLL_SECONDS,
        "live_fingerprint": fingerprint,
    }


def class_context(request: HttpRequest, document: Document, role: str) -> dict[str, Any]:
    """Return the class-mode bits of the annotate page: assignment, submission, reveal."""
    project = document.project
    if not project.is_class:
        return {"class_mode": False}
    classroom.membership_seen(user=request.user, project_id=project.pk)
    assignment = Assignment.objects.filter(document=document).first()
    teacher = allows(role, Action.TEACH) or sees_every_span(role)
    context: dict[str, Any] = {
        "class_mode": True,
        "assignment": assignment,
        "is_teacher": teacher,
        "blind": project.visibility == "blind" and document.revealed_at is None,
        "locked": classroom.is_locked(request.user, role, document),
        "submitted_lock": classroom.SUBMITTED_LOCK,
        "can_adjudicate": allows(role, Action.ADJUDICATE),
        "can_teach": allows(role, Action.TEACH),
    }
    if assignment is not None and not teacher:
        status = classroom.statuses([request.user.pk], [assignment])[
            (assignment.pk, request.user.pk)
        ]
        context["my_status"] = status[0]
        context["assigned"] = classroom.is_assigned(assignment, request.user)
    return context


def layer_css(layers: Layers) -> SafeString:
    # tag_css checks every colour is plain hex before it reaches the stylesheet.
    return SafeString(layers.css)


def keys_of(spans: Iterable[Span]) -> set[str]:
    return {_layer_key(s) for s in spans}
