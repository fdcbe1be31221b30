"""The annotate page's presenter: the context the page and each of its fragments render from.

The page (views/documents.py) and every view that answers with a piece of it
(spans, suggestions, the live poll, the span panel) build that piece here, so
one place says what the span panel, the span list, the suggestion panel, the
class bar and the live poller show. Whose spans and in which colours is
views/layers.py's; who may see what is permissions.py's.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString
from django_htmx.http import trigger_client_event

from annotations import params
from annotations.accessibility import span_label
from annotations.guidelines import guidelines_html
from annotations.models import (
    AnchorState,
    Assignment,
    Document,
    Span,
    SuggestionRun,
    SuggestionStatus,
    Tag,
)
from annotations.permissions import (
    Action,
    allows,
    can_edit_span,
    sees_every_span,
    sees_suggestions,
    spans_visible_in,
)
from annotations.polling import live_token
from annotations.rendering import (
    SpanMark,
    document_html,
    document_html_chunks,
    paragraph_range,
    paragraphs_html,
    safe_colour,
    split_runs,
)
from annotations.selectors import (
    SUBMITTED_LOCK,
    document_span_changes,
    is_assigned,
    is_locked,
    live_fingerprint,
    spans_with_tags_and_authors,
    statuses,
)
from annotations.views import layers
from annotations.views.access import HtmxHttpRequest
from annotations.views.errors import plain_text
from annotations.views.layers import Layers

TEMPLATE = "annotations/document.html"
#: Span list entries sent at once: about a screenful (the rest on scrolling).
LIST_PAGE = 20
#: The most entries one answer lists (``?shown=``, ``?from=``).
MAX_SHOWN = 5000
#: The plain (no JavaScript) list shows this many pending suggestions at a time.
LIST_LIMIT = 40
POLL_SECONDS = 3
#: What the whole page shows besides the span list; a fragment asks for the parts it draws.
#: "essay-html" is the essay itself, which ``streamed_page`` writes while sending instead.
PAGE = ("class", "suggestions", "panel", "essay", "essay-html")
#: The essay's first paragraphs sent at once, with everything above them: more than a screenful.
FIRST_SCREEN_CHARACTERS = 5000
#: Where the essay goes in the page rendered around it (``streamed_page``); user text is
#: escaped, so no document can contain it.
ESSAY_PLACE = SafeString("<!--herlens:essay-->")
ESSAY_FAILED = (
    '<p class="message error" role="alert">The rest of this essay could not be shown. '
    "Reload the page; if it happens again, tell whoever runs this site.</p>"
)
logger = logging.getLogger("herlens.errors")


def page_context(
    request: HtmxHttpRequest,
    document: Document,
    role: str,
    tags: list[Tag],
    shown: Layers | None = None,
    *,
    parts: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Return the context of the annotate page: the span list always, the ``parts`` asked for.

    Parts: "class" (the class bar), "suggestions" (their panel), and for the
    whole page "panel" (the selected span), "essay" (text, colours, live poll,
    guidelines, keys). ``shown`` (the spans drawn, views/layers.py) is needed
    for the page's parts only: the span list counts and slices in the database.
    """
    context: dict[str, Any] = {
        "project": document.project,
        "document": document,
        "role": role,
        "tags": tags,
        "can_annotate": allows(role, Action.ANNOTATE),
        "layers": shown,
        **sidebar_context(request, document, role, tags, request.GET.get("tag", "")),
    }
    if "class" in parts:
        context.update(class_context(request, document, role))
    if "suggestions" in parts:
        context.update(suggest_context(document, role, tags))
    selected = None
    if "panel" in parts:
        span_id = params.optional_number(request.GET, "span")
        if span_id is not None and any(s.pk == span_id for s in shown.spans):
            [selected] = spans_with_tags_and_authors(
                document, tags, document.spans.filter(pk=span_id)
            )
        context.update(panel_context(request, selected, role, tags))
    if "essay" in parts:
        if "essay-html" in parts:
            target = selected.pk if selected else None
            context["essay_html"] = essay_html(document, shown.spans, shown.style_of, target)
        context.update(
            {
                "tag_css": layers.layer_css(shown),
                "suggestion_css": SafeString(suggestion_css(tags)),
                **live_context(request, document, role, shown),
                "guidelines_html": guidelines_html(document.project.guidelines),
                "shortcuts": {tag.shortcut: tag.slug for tag in tags if tag.shortcut},
                "create_url": reverse("annotations:span-create", args=[document.pk]),
            }
        )
    return context


class StreamedPage(StreamingHttpResponse):
    """A page sent as it is written; reading ``content`` (a test, a check) joins it first."""

    @property
    def content(self) -> bytes:
        joined = b"".join(self.streaming_content)
        self.streaming_content = [joined]
        return joined

    @property
    def text(self) -> str:
        return self.content.decode(self.charset)


def streamed_page(request: HttpRequest, context: dict[str, Any], shown: Layers) -> StreamedPage:
    """Send the annotate page with its first screenful of essay before the rest is written.

    ``context`` is ``page_context`` without "essay-html": every query and permission check
    is done, and the page around the essay rendered, before the first byte, so whatever
    can fail answers with the usual error page. Only the essay's later paragraphs (pure
    computing on what was read) are written while the first ones are on their way; if that
    fails all the same, the page says so where the essay stops, and ends as usual.
    """
    page = render_to_string(TEMPLATE, {**context, "essay_html": ESSAY_PLACE}, request=request)
    head, tail = page.split(ESSAY_PLACE)
    span = context.get("span")
    chunks = document_html_chunks(
        context["document"].text,
        span_marks(shown.spans),
        shown.style_of or {s.pk: s.tag_id for s in shown.spans},
        target=span.pk if span is not None else None,
        first_characters=FIRST_SCREEN_CHARACTERS,
    )
    first = head + next(chunks, "")

    def stream() -> Iterator[str]:
        yield first
        try:
            yield from chunks
        except Exception:
            logger.exception("Could not write the rest of the essay of %s", request.path)
            yield ESSAY_FAILED
        yield tail

    response = StreamedPage(stream(), content_type="text/html; charset=utf-8")
    # middleware.FlushingGZipMiddleware sends each piece as it comes, compressed.
    response.flush_each_chunk = True
    return response


def span_marks(spans: Iterable[Span | layers.DrawnSpan]) -> list[SpanMark]:
    return [
        SpanMark(s.pk, s.start, s.end, s.tag_id, s.anchor == AnchorState.CHANGED) for s in spans
    ]


def essay_html(
    document: Document,
    spans: list[layers.DrawnSpan],
    style_of: dict | None = None,
    target: int | None = None,
) -> SafeString:
    """Return the essay as HTML; rendering.py escapes every character of the text.

    ``target``: the span a link opened (?span=), whose first highlight gets its anchor.
    """
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
    if editable and is_locked(request.user, role, span.document):
        editable = False
    return {"span": span, "tags": tags, "can_edit_span": editable}


def sidebar_context(
    request: HttpRequest, document: Document, role: str, tags: list[Tag], tag_filter: str
) -> dict[str, Any]:
    """Return the span list's counts per tag and its first entries (``LIST_PAGE`` of them).

    The rest comes a page at a time as the reader scrolls (``span_list_context``), so
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


def span_list_context(
    request: HttpRequest, document: Document, role: str, tags: list[Tag]
) -> dict[str, Any]:
    """The span list's next ``LIST_PAGE`` entries from ``?from=`` (and a new "More" entry)."""
    offset = min(int(request.GET["from"]), MAX_SHOWN)
    query = layers.shown_spans_query(request, document, role)
    tag_filter = request.GET.get("tag", "")
    if tag_filter:
        query = query.filter(tag__slug=tag_filter)
    rows = list(query[offset : offset + LIST_PAGE + 1])
    remaining = query.count() - offset - LIST_PAGE if len(rows) > LIST_PAGE else 0
    return {
        "document": document,
        "listed_spans": spans_with_tags_and_authors(document, tags, rows[:LIST_PAGE]),
        **_more_context(request, document, offset + LIST_PAGE, remaining),
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


def suggestion_css(tags: list[Tag]) -> str:
    """Write the ::highlight rules that draw suggestions dashed in their tag's colour."""
    rules = []
    for tag in tags:
        colour = safe_colour(tag.colour)
        rules.append(
            f"::highlight(sg-{tag.pk}){{text-decoration:underline dashed {colour};"
            f"text-decoration-thickness:2px;background-color:{colour}14}}"
        )
    return "\n".join(rules)


def suggest_context(document: Document, role: str, tags: list[Tag]) -> dict[str, Any]:
    """What the suggestion panel shows: the run state, counts per tag, the first pending ones."""
    if not sees_suggestions(document.project, role):
        return {"document": document, "show_suggestions": False, "suggest_tags": []}
    pending = document.suggestions.filter(status=SuggestionStatus.PENDING)
    counts = Counter(pending.values_list("tag_id", flat=True))
    run = SuggestionRun.objects.filter(document=document).first()
    listed = list(pending.order_by("start", "-end", "tag_id")[:LIST_LIMIT])
    tag_by_id = {tag.pk: tag for tag in tags}
    for suggestion in listed:
        suggestion.tag = tag_by_id[suggestion.tag_id]
    return {
        "document": document,
        "run": run,
        "suggestion_rows": [
            {"tag": tag, "count": counts[tag.pk]} for tag in tags if counts.get(tag.pk)
        ],
        "suggestion_total": sum(counts.values()),
        "listed_suggestions": listed,
        "can_review": allows(role, Action.ANNOTATE),
        "show_suggestions": True,
        "suggest_tags": [
            {"id": t.pk, "slug": t.slug, "name": t.name, "colour": t.colour, "shortcut": t.shortcut}
            for t in tags
        ],
    }


def live_context(
    request: HttpRequest,
    document: Document,
    role: str,
    layers: Layers,
    fingerprint: str | None = None,
    changes: int | None = None,
) -> dict[str, Any]:
    """Return what the page's poller element needs: its URL with the current fingerprint.

    ``fingerprint``, ``changes``: the spans' fingerprint and count of changes (polling.py)
    when the caller read them already, for this role, before reading the spans it draws.
    """
    if fingerprint is None or changes is None:  # the count first: a later change moves it
        changes = document_span_changes(document.pk)
        fingerprint = live_fingerprint(spans_visible_in(request.user, role, document=document))
    token = live_token(document, request.user.pk, role, request.session.session_key, changes)
    query = {"v": fingerprint, "t": token, "rv": document.revision}  # a newer rv stops the poll
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
    assignment = Assignment.objects.filter(document=document).first()
    teacher = allows(role, Action.TEACH) or sees_every_span(role)
    context: dict[str, Any] = {
        "class_mode": True,
        "assignment": assignment,
        "is_teacher": teacher,
        "blind": project.visibility == "blind" and document.revealed_at is None,
        "locked": is_locked(request.user, role, document),
        "submitted_lock": SUBMITTED_LOCK,
        "can_adjudicate": allows(role, Action.ADJUDICATE),
        "can_teach": allows(role, Action.TEACH),
    }
    if assignment is not None and not teacher:
        progress = statuses([request.user.pk], [assignment])[(assignment.pk, request.user.pk)]
        context["my_status"] = progress.status
        context["assigned"] = is_assigned(assignment, request.user)
    return context


def bad_request(
    request: HtmxHttpRequest, document: Document, message: str, *, status: int = 400
) -> HttpResponse:
    """A refused action: plain text for htmx, else a message on the document page. ``status``
    404 says the span is gone."""
    if request.htmx:
        # Not swapped: herlens.js shows 4xx bodies as a message and keeps the selection.
        return plain_text(message, status=status)
    messages.error(request, message)
    return redirect(document.get_absolute_url())


#: Read out by screen readers after an action (the page's live region, static/herlens-failures.js).
ANNOUNCE_CREATED = "Added {tag}: “{quote}”."
ANNOUNCE_SAVED = "Saved the {tag} span."
ANNOUNCE_DELETED = "Span deleted. Ctrl+Z or the Undo button brings it back."
ANNOUNCE_RESTORED = "Restored {tag}: “{quote}”."
ANNOUNCE_ACCEPTED = "Accepted as {tag}: “{quote}”."
ANNOUNCE_REJECTED = "Suggestion rejected."


def announcement(template: str, span: Span | None) -> str:
    if span is None:
        return template
    quote = span.quote if len(span.quote) <= 80 else span.quote[:79] + "…"
    return template.format(tag=span.tag.name, quote=quote)


def announce(response: HttpResponse, text: str) -> HttpResponse:
    """Ask the page to read ``text`` out (an htmx event; the page's live region speaks it)."""
    return trigger_client_event(response, "announce", {"text": text}, after="settle")


def changed_paragraphs(
    request, document: Document, role: str, start: int, end: int, tags: list[Tag] | None = None
) -> str:
    low, high = paragraph_range(document.text, start, end)
    # Only spans this reader may see, coloured as on their page (views/layers.py).
    marks, styles = layers.changed_marks(request, document, role, low, high, tags)
    return paragraphs_html(document.text, marks, styles, start, end)


def action_response(
    request: HtmxHttpRequest,
    document: Document,
    role: str,
    span: Span | None,
    changed: tuple[int, int],
    *,
    undo_token: str = "",
    status: int = 200,
    conflict: dict | None = None,
    announce_text: str = "",
    tags: list[Tag] | None = None,
) -> HttpResponse:
    """The span panel and the changed paragraphs; ``conflict`` adds "keep theirs / use mine".

    ``tags``: the project's tags, when the view has read them already.
    """
    if not request.htmx:
        anchor = f"?span={span.pk}#span-panel" if span is not None else ""
        return redirect(document.get_absolute_url() + anchor)
    if tags is None:
        tags = list(document.project.tags.all())
    context = {
        "document": document,
        "undo_token": undo_token,
        "conflict": conflict,
        **panel_context(request, span, role, tags),
    }
    panel = render_to_string(f"{TEMPLATE}#span-panel", context, request=request)
    paragraphs = changed_paragraphs(request, document, role, *changed, tags)
    response = HttpResponse(panel + paragraphs, status=status)
    if announce_text:
        announce(response, announce_text)
    if span is not None:
        # What a screen reader says of the new or changed highlight (static/herlens-access.js).
        label = {"id": span.pk, **span_label(span, request.user)}
        trigger_client_event(response, "spanLabel", label, after="settle")
    # After settle, so the out-of-band paragraphs are in place when listeners run.
    return trigger_client_event(
        response, "spansChanged", {"span": span.pk if span else None}, after="settle"
    )


def span_response(
    request: HtmxHttpRequest,
    document: Document,
    role: str,
    span: Span,
    template: str,
    *,
    status: int = 200,
    tags: list[Tag] | None = None,
) -> HttpResponse:
    """``action_response`` for a span drawn where it now stands, announced with ``template``
    (one of the ANNOUNCE_ messages) filled in with its tag and words."""
    announce_text = announcement(template, span)
    return action_response(
        request,
        document,
        role,
        span,
        (span.start, span.end),
        status=status,
        announce_text=announce_text,
        tags=tags,
    )
