"""The live poll of the annotate page: new spans of others appear without a reload.

The page's poller asks every few seconds with the fingerprint of what it shows
(``v``) and a signed token naming the document, the reader and their role
(``t``). Most polls find nothing changed and are answered 204 No Content by
``quiet_polls.QuietPolls`` (or ``middleware.LivePollMiddleware``) after one query,
before the session or the user are loaded (annotations/polling.py says what that query checks: the membership in
the same role among others, so a reader removed or given another role falls through
to this view at once; htmx swaps nothing on 204 and keeps polling). Here, after the
session and user: the same query, then 204 if nothing changed. Something changed: the
membership is checked again, and the poller is replaced by a fresh one carrying, in a <template>, the
paragraphs touched by spans changed or deleted since the token was issued (so
the answer grows with the change, not with the essay); static/classes.js
moves in only the paragraphs that differ and leaves the one holding the
reader's selection until it is free. An expired or foreign token gets the full
check too, a fresh token and every paragraph.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from annotations.models import Document, SpanRemoval
from annotations.permissions import spans_visible_in
from annotations.polling import NOTHING_CHANGED, known_state, read_live_token
from annotations.rendering import (
    document_html,
    paragraph_bounds,
    paragraph_html,
    paragraphs_touching,
    split_runs,
)
from annotations.views import layers
from annotations.views.access import HtmxHttpRequest, document_for
from annotations.views.annotate import live_context

#: Changes stamped this long before a page read its spans may still have been missed by it
#: (a transaction that committed while the page was being drawn); re-drawn to be sure.
LIVE_MARGIN = timedelta(seconds=2)


def _revision_notice(
    request: HtmxHttpRequest, document_id: int, reader_revision: str
) -> HttpResponse:
    """Tell a reader whose page shows an older revision that a new one exists.

    The notice replaces the poller, so polling stops; its link reloads the page at
    the same place (views/revisions.py document_place moves the offset).
    """
    try:
        document, _role = document_for(request, document_id)
    except Http404:
        return HttpResponse(status=STOP_POLLING)
    revision = (
        document.revisions.filter(number=document.revision).select_related("created_by").first()
    )
    context = {"document": document, "revision": revision, "reader_revision": reader_revision}
    return render(request, "annotations/_revision_notice.html", context)


#: htmx stops polling on 286 (204, NOTHING_CHANGED, swaps nothing and keeps polling).
STOP_POLLING = 286
LIVE_STOPPED = (
    "Live updates stopped: this document was removed, or you are no longer a member of "
    "its project. Others' new spans will not appear here; reload to see where you stand."
)
LIVE_STOPPED_HTML = f'<p id="live" class="live-stopped notice" role="status">{LIVE_STOPPED}</p>'


@require_GET
def live_poll(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    token = read_live_token(request.GET.get("t", ""))
    since = since_fingerprint(request)
    reader_revision = request.GET.get("rv", "")
    valid = token and token["d"] == document_id and token["u"] == request.user.pk and "p" in token
    # The middleware's one query, here after the session and user were loaded as for any view
    # (polling.py): still a member in the same role, the revision, the spans' fingerprint.
    state = known_state(request, token) if valid else None
    if state is not None and state.member:
        if state.revision is not None and reader_revision not in ("", str(state.revision)):
            return _revision_notice(request, document_id, reader_revision)
        if since and state.fingerprint == since:
            return HttpResponse(status=NOTHING_CHANGED)
    elif reader_revision.isdigit():
        current = Document.objects.filter(pk=document_id).values_list("revision", flat=True).first()
        if current is not None and current != int(reader_revision):
            return _revision_notice(request, document_id, reader_revision)
    try:
        document, role = document_for(request, document_id)
    except Http404:
        # No longer a member, or the document is gone: 286 makes htmx stop polling, and the
        # answer replaces the poller with a line saying why the page stopped updating.
        return HttpResponse(LIVE_STOPPED_HTML, status=STOP_POLLING)
    tags = list(document.project.tags.all())
    since = _redraw_since(token, document, role, document_id, request)
    # Read before the spans are, so a change made meanwhile shows as new on the next poll.
    same_role = state is not None and token["r"] == role
    fingerprint = state.fingerprint if same_role else None
    changes = state.changes if same_role else None
    if since is None:
        shown = layers.page_layers(request, document, role, tags)
        live = live_context(request, document, role, shown, fingerprint, changes)
        if live["live_fingerprint"] == since_fingerprint(request):
            # Same spans under a renewed token: swap in the new poller, no paragraphs.
            paragraphs = ""
        else:
            marks, styles = layers.marks_and_styles(shown)
            # rendering.py escapes every character of the text.
            paragraphs = SafeString(
                document_html(document.text, split_runs(document.text, marks), styles)
            )
    else:
        paragraphs, shown = changed_since(request, document, role, tags, since)
        live = live_context(request, document, role, shown, fingerprint, changes)
    context = {
        **live,
        "document": document,
        "paragraphs": paragraphs,
        "tag_css": layers.layer_css(shown),
        # The re-drawn spans' spoken labels (static/herlens-access.js).
        "labelled_spans": shown.spans if paragraphs else (),
        "tags": tags,
    }
    response = render(request, "annotations/_live.html", context)
    response["HX-Trigger-After-Settle"] = "liveSpansChanged" if paragraphs else "liveRenewed"
    return response


def since_fingerprint(request: HtmxHttpRequest) -> str:
    return request.GET.get("v", "")


def _redraw_since(
    token, document: Document, role: str, document_id: int, request
) -> datetime | None:
    """Return since when the poller's page may have missed changes, or None to re-draw it all.

    A valid token says when its page read the spans (``at``), so only the paragraphs
    changed since need re-drawing, unless the document itself changed since (its text,
    or a reveal that shows a whole class's spans at once) or the reader's role did.
    """
    if not token or token["d"] != document_id or token["u"] != request.user.pk:
        return None
    if "at" not in token or token["r"] != role:
        return None
    since = datetime.fromtimestamp(token["at"], tz=UTC) - LIVE_MARGIN
    if document.updated_at > since or document.project.updated_at > since:
        return None
    return since


def changed_since(
    request: HtmxHttpRequest, document: Document, role: str, tags: list, since: datetime
) -> tuple[str, layers.Layers]:
    """Re-draw the paragraphs touched by spans changed or deleted since ``since``.

    Work and answer grow with what changed, not with the document: each group of
    touched paragraphs loads only the spans overlapping it.
    """
    visible = spans_visible_in(request.user, role, document=document)
    ranges = list(visible.filter(updated_at__gt=since).values_list("start", "end"))
    ranges += SpanRemoval.objects.filter(document=document, removed_at__gt=since).values_list(
        "start", "end"
    )
    text = document.text
    bounds = paragraph_bounds(text)
    touched = sorted({i for start, end in ranges for i in paragraphs_touching(bounds, start, end)})
    parts: list[str] = []
    shown = None
    for group in _runs_of_consecutive(touched):
        low, high = bounds[group[0]][1], bounds[group[-1]][2]
        shown = layers.page_layers(request, document, role, tags, within=(low, high))
        marks, styles = layers.marks_and_styles(shown, low, high)
        parts.extend(
            paragraph_html(text, paragraph, styles)
            for paragraph in split_runs(text, marks, only=group)
        )
    if shown is None:
        shown = layers.page_layers(request, document, role, tags, within=(0, 0))
    # rendering.py escapes every character of the text.
    return SafeString("\n".join(parts)), shown


def _runs_of_consecutive(indexes: list[int]) -> list[list[int]]:
    groups: list[list[int]] = []
    for index in indexes:
        if groups and groups[-1][-1] == index - 1:
            groups[-1].append(index)
        else:
            groups.append([index])
    return groups
