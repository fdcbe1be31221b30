"""The live poll of the annotate page: new spans of others appear without a reload.

The page's poller asks every few seconds with the fingerprint of what it shows
(``v``) and a signed token naming the document, the reader and their role
(``t``). Nothing changed: 204 No Content after one indexed query (htmx swaps
nothing and keeps polling). Something changed: the membership is checked
again, and the poller is replaced by a fresh one carrying the re-drawn
paragraphs in a <template>; static/classes.js moves in only the paragraphs
that differ and leaves the one holding the reader's selection until it is free.
An expired or foreign token gets the full check too, and a fresh token.
"""

from __future__ import annotations

from datetime import UTC

from django.db.models import Count, Max, QuerySet, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_datetime
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from annotations.models import Document
from annotations.permissions import spans_visible_in
from annotations.rendering import document_html, split_runs
from annotations.views import layers
from annotations.views.access import HtmxHttpRequest, document_for
from annotations.views.annotate import live_context, read_live_token


def _revision_and_fingerprint(document_id: int, spans: QuerySet) -> tuple[int | None, str]:
    """Return the document's revision and selectors.live_fingerprint(spans), in one query."""
    spans = spans.order_by().values("document_id")
    row = (
        Document.objects.filter(pk=document_id)
        .annotate(
            span_count=Subquery(spans.annotate(n=Count("id")).values("n")),
            span_last=Subquery(spans.annotate(last=Max("updated_at")).values("last")),
        )
        .values_list("revision", "span_count", "span_last")
        .first()
    )
    if row is None:
        return None, ""
    revision, count, last = row
    if isinstance(last, str):  # SQLite hands a subquery's datetime back as text, in UTC
        last = parse_datetime(last)
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    stamp = last.timestamp() if last else 0
    return revision, f"{count or 0}.{stamp:.6f}"


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


#: htmx treats 204 as "nothing to swap" and keeps polling (286 would stop it).
NOTHING_CHANGED = 204
STOP_POLLING = 286
LIVE_STOPPED = (
    "Live updates stopped: this document was removed, or you are no longer a member of "
    "its project. Others' new spans will not appear here; reload to see where you stand."
)
LIVE_STOPPED_HTML = f'<p id="live" class="live-stopped notice" role="status">{LIVE_STOPPED}</p>'


@require_GET
def live_poll(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    token = read_live_token(request.GET.get("t", ""))
    since = request.GET.get("v", "")
    reader_revision = request.GET.get("rv", "")
    if token and token["d"] == document_id and token["u"] == request.user.pk and since:
        # The one query: the document's revision, and the count and latest change of
        # the spans this reader may see.
        revision, fingerprint = _revision_and_fingerprint(
            document_id,
            spans_visible_in(request.user, token["r"], document=Document(pk=document_id)),
        )
        if revision is not None and reader_revision not in ("", str(revision)):
            return _revision_notice(request, document_id, reader_revision)
        if fingerprint == since:
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
    shown = layers.page_layers(request, document, role, tags)
    live = live_context(request, document, role, shown)
    if live["live_fingerprint"] == since:
        # Same spans under a renewed token: swap in the new poller, no paragraphs.
        paragraphs = ""
    else:
        marks, styles = layers.marks_and_styles(shown)
        # rendering.py escapes every character of the text.
        paragraphs = SafeString(
            document_html(document.text, split_runs(document.text, marks), styles)
        )
    context = {
        **live,
        "document": document,
        "paragraphs": paragraphs,
        "tag_css": layers.layer_css(shown),
    }
    response = render(request, "annotations/_live.html", context)
    response["HX-Trigger-After-Settle"] = "liveSpansChanged" if paragraphs else "liveRenewed"
    return response
