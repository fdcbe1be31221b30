"""Whose spans the annotate page draws, and in which colours.

The annotate page asks ``page_layers`` for its spans instead of reading
``document.spans``: it applies the blind rule (permissions.spans_visible_in),
the reader's choice of layers (``?layers=12,15,ref``), and when several
readers' spans show at once gives each reader a colour family.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.safestring import SafeString

from annotations import params
from annotations.compiled import CompiledQuery
from annotations.models import AnchorState, Document, Span, Tag
from annotations.permissions import member_span_rule, sees_every_span, spans_visible_in
from annotations.rendering import SpanMark, tag_css

#: Hues (degrees) of the annotator colour families, far apart on the colour wheel.
FAMILY_HUES = (210, 28, 130, 330, 265, 50, 175, 0, 95, 300)
REFERENCE_KEY = "ref"
REFERENCE_COLOUR = "#222222"
#: The span fields ``page_layers`` loads, in ``DrawnSpan``'s order.
DRAWN_FIELDS = ("id", "start", "end", "tag_id", "author_id", "is_reference", "anchor")


@dataclass(frozen=True, slots=True)
class DrawnSpan:
    """What the page needs of a span to draw and colour it."""

    pk: int
    start: int
    end: int
    tag_id: int
    author_id: int
    is_reference: bool
    #: exact or changed (orphans are never drawn).
    anchor: str = "exact"


@dataclass
class Layers:
    spans: list[DrawnSpan]
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
    return {part for part in parts if params.is_id(part) or part == REFERENCE_KEY}


def _family_colour(hue: int, shade: int) -> str:
    """Return "#rrggbb" for a reader's hue, one shade per tag so tags stay apart."""
    lightness = (0.38, 0.52, 0.30, 0.62, 0.45)[shade % 5]
    r, g, b = colorsys.hls_to_rgb(hue / 360, lightness, 0.72)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def _layer_key(span: Span | DrawnSpan) -> str:
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
    the document, which one DISTINCT query gives without loading their spans
    (asked only when colours follow readers or the reader chose layers: tag
    colours need no more than the spans in range).
    ``families``: a colour family per reader; by default in classes only.
    """
    if families is None:
        # The tag owns the colour, in a class too: a reader's hue would hide the tag and clash
        # with another tag's colour. Readers are told apart by the layer filter, the spoken
        # labels and the side-by-side view (views/comparison.py).
        families = False
    wanted = selected_layers(_page_query(request) if query is None else query)
    every_reader = within is not None and (families or bool(wanted))
    visible, readers, names = _visible(request, document, role, within, every_reader)
    keys = {REFERENCE_KEY if is_ref else str(uid) for uid, is_ref in readers}
    chosen = wanted & keys
    shown = [s for s in visible if not chosen or _layer_key(s) in chosen]
    tag_style = {s.pk: s.tag_id for s in shown}
    tag_rules = tag_css((tag.pk, tag.colour) for tag in tags)
    if len(keys) <= 1:
        return Layers(shown, tag_style, tag_rules)
    order = sorted(names, key=lambda uid: (uid != request.user.pk, names[uid]))
    shown_keys = {_layer_key(s) for s in shown}
    legend = _legend(order, names, request.user.pk, keys, shown_keys, families=families)
    if not families:
        return Layers(shown, tag_style, tag_rules, legend, chosen, multi=True)
    shade_of = {tag.pk: n for n, tag in enumerate(tags)}
    rules: list[tuple[str, str]] = [(str(tag.pk), tag.colour) for tag in tags]
    for n, uid in enumerate(order):
        rules.extend((f"{tag.pk}-{uid}", _family_colour(_hue(n), shade_of[tag.pk])) for tag in tags)
    if REFERENCE_KEY in keys:
        rules.extend((f"{tag.pk}-{REFERENCE_KEY}", REFERENCE_COLOUR) for tag in tags)
    style: dict[int, Any] = {
        s.pk: f"{s.tag_id}-{REFERENCE_KEY if s.is_reference else s.author_id}" for s in shown
    }
    return Layers(shown, style, tag_css(rules), legend, chosen, multi=True)


def _legend(
    order: list[int],
    names: dict[int, str],
    me: int,
    keys: set[str],
    shown_keys: set[str],
    *,
    families: bool,
) -> list[dict[str, Any]]:
    """The layer filter's entries: each reader (you first), then the reference layer."""
    legend = [
        {
            "key": str(uid),
            "label": "you" if uid == me else names[uid],
            # A project that is not a class keeps each tag's colour, as its toolbar, span
            # list and export show it; the filter still picks whose spans are drawn.
            "colour": _family_colour(_hue(n), 0) if families else None,
            "shown": str(uid) in shown_keys,
        }
        for n, uid in enumerate(order)
    ]
    if REFERENCE_KEY in keys:
        legend.append(
            {
                "key": REFERENCE_KEY,
                "label": "reference",
                "colour": REFERENCE_COLOUR if families else None,
                "shown": REFERENCE_KEY in shown_keys,
            }
        )
    return legend


def _hue(n: int) -> int:
    return FAMILY_HUES[n % len(FAMILY_HUES)]


def _visible(
    request: HttpRequest,
    document: Document,
    role: str,
    within: tuple[int, int] | None,
    every_reader: bool,
) -> tuple[list[DrawnSpan], set[tuple[int, bool]], dict[int, str]]:
    """Return the visible spans (in ``within`` if given), their (reader, is_reference), names.

    ``every_reader``: the readers of the whole document, not only of the spans in range.

    Plain rows, not model instances: a document's thousands of spans load several
    times faster, and drawing and colouring need no more (the span list queries
    its own rows). Names are looked up only when several readers show.
    """
    if within is not None:
        visible = _overlapping_rows(request, document, role, *within)
    else:
        rows = spans_visible_in(request.user, role, document=document).values_list(*DRAWN_FIELDS)
        visible = [DrawnSpan(*row) for row in rows]
    if not every_reader:
        readers = {(s.author_id, s.is_reference) for s in visible}
    else:
        visible_spans = spans_visible_in(request.user, role, document=document)
        # order_by(): without it the default ordering would join DISTINCT and return every row.
        readers = set(visible_spans.order_by().values_list("author_id", "is_reference").distinct())
    names: dict[int, str] = {}
    if len(readers) > 1:
        names = dict(
            get_user_model()
            .objects.filter(pk__in={uid for uid, is_ref in readers if not is_ref})
            .values_list("pk", "username")
        )
    return visible, readers, names


def _overlapping(document_id: int, low: int, high: int, user_id: int | None = None) -> QuerySet:
    # spans_visible_in(...).filter(start__lt=high, end__gt=low) by ids, to be compiled once;
    # user_id: the blind rule of a reader who does not see every span.
    spans = Span.objects.filter(document_id=document_id, start__lt=high, end__gt=low)
    if user_id is not None:
        spans = spans.filter(member_span_rule(user_id))
    # The model's order without its first key (the document, which would join its table).
    return spans.order_by("start", "-end", "id").values_list(*DRAWN_FIELDS)


_OVERLAPPING_FOR_ALL = CompiledQuery(_overlapping, "document_id", "low", "high")
_OVERLAPPING_FOR_MEMBER = CompiledQuery(_overlapping, "document_id", "low", "high", "user_id")


def _overlapping_rows(
    request: HttpRequest, document: Document, role: str | None, low: int, high: int
) -> list[DrawnSpan]:
    """The spans this reader may see that overlap [low, high): re-drawing a few paragraphs
    after an action, the query every action makes."""
    if role is None or not request.user.is_authenticated:
        return []
    if sees_every_span(role):
        rows = _OVERLAPPING_FOR_ALL.rows(document_id=document.pk, low=low, high=high)
    else:
        rows = _OVERLAPPING_FOR_MEMBER.rows(
            document_id=document.pk, low=low, high=high, user_id=request.user.pk
        )
    return [DrawnSpan(*row) for row in rows]


def _page_query(request: HttpRequest) -> str:
    """The query holding the layer choice: this request's, or for a fragment its page's."""
    htmx = getattr(request, "htmx", None)
    if "layers" not in request.GET and htmx and htmx.current_url:
        # A fragment (the span list) keeps the layer choice of the page it is on.
        return urlsplit(htmx.current_url).query
    return request.GET.urlencode()


def marks_and_styles(layers: Layers, start: int = 0, end: int | None = None):
    """Return (SpanMark list, style map) for the spans overlapping [start, end)."""
    marks = [
        SpanMark(s.pk, s.start, s.end, layers.style_of[s.pk], s.anchor == AnchorState.CHANGED)
        for s in layers.spans
        if end is None or (s.start < end and start < s.end)
    ]
    return marks, {m.id: layers.style_of[m.id] for m in marks}


def changed_marks(
    request: HttpRequest,
    document: Document,
    role: str,
    low: int,
    high: int,
    tags: list[Tag] | None = None,
):
    """Return marks and styles for re-drawn paragraphs after a span action.

    The layer choice lives in the page's URL, which htmx sends as HX-Current-URL.
    ``tags``: the project's tags, when the caller has read them already.
    """
    current = getattr(request, "htmx", None) and request.htmx.current_url or ""
    if tags is None:
        tags = list(document.project.tags.all())
    query = urlsplit(current).query
    layers = page_layers(request, document, role, tags, query=query, within=(low, high))
    return marks_and_styles(layers, low, high)


def layer_css(layers: Layers) -> SafeString:
    # tag_css checks every colour is plain hex before it reaches the stylesheet.
    return SafeString(layers.css)


def shown_spans_query(request: HttpRequest, document: Document, role: str):
    """Return a queryset of the spans ``page_layers`` shows, without loading them.

    For fragments that list a page of spans or count them (the span list): the
    same blind rule and layer choice, answered by the database in one or two
    small queries whatever the number of spans.
    """
    visible = spans_visible_in(request.user, role, document=document)
    chosen = selected_layers(_page_query(request))
    if not chosen:
        return visible
    readers = set(visible.order_by().values_list("author_id", "is_reference").distinct())
    keys = {REFERENCE_KEY if is_ref else str(uid) for uid, is_ref in readers}
    chosen &= keys
    if len(keys) <= 1 or not chosen:
        return visible
    rule = Q(is_reference=False, author_id__in=[int(key) for key in chosen if key.isdigit()])
    if REFERENCE_KEY in chosen:
        rule |= Q(is_reference=True)
    return visible.filter(rule)
