"""Suggestions on the annotate page: run them, watch the task, accept, reject, bulk and undo.

Every action works as a plain form post (redirect back to the page) and, for
htmx, answers with the fragment it changes. Accepting answers like a span
action (span panel plus the changed paragraphs out of band); everything that
changes suggestions triggers ``suggestionsChanged`` so the list and the review
mode in herlens-suggest.js reload them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from annotations import params
from annotations.models import (
    Document,
    Project,
    RunStatus,
    Suggestion,
    SuggestionRun,
    SuggestionStatus,
)
from annotations.permissions import (
    SUGGESTIONS_HIDDEN,
    Action,
    allows,
    sees_suggestions,
    visible_documents,
)
from annotations.services import decisions as decision_services
from annotations.services.decisions import (
    suggestions_decide_tag,
    suggestions_undo,
)
from annotations.services.errors import DomainError
from annotations.services.learning import (
    learning_enqueue,
    learning_enqueue_if_due,
    learning_overview,
)
from annotations.services.projects import project_film_names_update
from annotations.services.suggestions import suggestion_run_enqueue, suggestion_runs_enqueue
from annotations.suggest.limits import MIN_SPANS
from annotations.views.access import HtmxHttpRequest, document_for, project_for, require
from annotations.views.annotate import (
    ANNOUNCE_ACCEPTED,
    ANNOUNCE_REJECTED,
    TEMPLATE,
    announce,
    bad_request,
    changed_paragraphs,
    span_response,
    suggest_context,
)

EVENT = "suggestionsChanged"


def project_suggestion_context(project: Project, role: str) -> dict[str, Any]:
    """Per tag and rule: how many suggestions were accepted, rejected and pending; run states."""
    if not sees_suggestions(project, role):
        return {"show_suggestions": False}
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    counts = (
        Suggestion.objects.filter(document__project=project)
        .values_list("tag__name", "tag__colour", "rule", "status")
        .annotate(n=Count("id"))
        .order_by("tag__position", "tag__name", "rule")
    )
    for tag_name, colour, rule, status, n in counts:
        row = rows.setdefault(
            (tag_name, rule),
            {
                "tag": tag_name,
                "colour": colour,
                "rule": rule or "—",
                "accepted": 0,
                "rejected": 0,
                "pending": 0,
            },
        )
        row[status] = n
    for row in rows.values():
        decided = row["accepted"] + row["rejected"]
        row["precision"] = f"{row['accepted'] / decided:.0%}" if decided else "—"
    runs = Counter(
        SuggestionRun.objects.filter(document__project=project).values_list("status", flat=True)
    )
    return {
        **learning_overview(project),
        "learning_min_spans": MIN_SPANS,
        "show_suggestions": True,
        "suggestion_stats": list(rows.values()),
        "suggestion_runs": {status: runs.get(status, 0) for status in RunStatus.values},
        "can_run_suggestions": allows(role, Action.ADD_DOCUMENTS),
        "can_edit_film_names": allows(role, Action.MANAGE_TAGS),
    }


@require_POST
def project_film_names(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Save the project's list of film titles, characters and people (one per line)."""
    project, role = project_for(request, slug)
    require(role, Action.MANAGE_TAGS)
    project_film_names_update(project=project, names=request.POST.get("film_names", ""))
    count = len(project.film_name_list)
    messages.success(
        request, f"Saved {count} film name(s). Run Suggest to use them on existing documents."
    )
    return redirect(project.get_absolute_url() + "#suggestions")


def _suggestion_for(request: HtmxHttpRequest, suggestion_id: int) -> tuple[Suggestion, str]:
    """Look the suggestion up through the user's memberships (stranger: 404)."""
    visible = Suggestion.objects.filter(document__in=visible_documents(request.user).values("pk"))
    suggestion = get_object_or_404(
        visible.select_related("document__project", "tag"), pk=suggestion_id
    )
    document, role = document_for(request, suggestion.document_id)
    _require_suggestions(document, role)
    return suggestion, role


def _require_suggestions(document: Document, role: str) -> None:
    if not sees_suggestions(document.project, role):
        raise PermissionDenied(SUGGESTIONS_HIDDEN)


def _panel(request: HtmxHttpRequest, document: Document, role: str, **extra: Any) -> HttpResponse:
    tags = list(document.project.tags.all())
    context = {**suggest_context(document, role, tags), **extra}
    return render(request, f"{TEMPLATE}#suggest-panel", context)


@require_GET
def suggestion_list(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    """The pending suggestions as JSON (for drawing and review), or the panel for htmx."""
    document, role = document_for(request, document_id)
    _require_suggestions(document, role)
    if request.htmx:
        return _panel(request, document, role)
    rows = document.suggestions.filter(status=SuggestionStatus.PENDING).values_list(
        "pk", "start", "end", "tag_id", "score", "reason"
    )
    answer: dict[str, Any] = {
        "suggestions": [
            {"id": pk, "start": s, "end": e, "tag": t, "score": round(sc, 2), "reason": r}
            for pk, s, e, t, sc, r in rows
        ],
    }
    # The text, for moving a suggestion's bounds by whole words before accepting; a page
    # that has it already asks with ?text=0 after every decision.
    if request.GET.get("text") != "0":
        answer["text"] = document.text
    return JsonResponse(answer)


@require_GET
def suggestion_status(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    """The task's state; polled every 2 s while queued or running, stopped (286) once finished."""
    document, role = document_for(request, document_id)
    _require_suggestions(document, role)
    if not request.htmx:
        return redirect(document.get_absolute_url() + "#suggest-panel")
    run = SuggestionRun.objects.filter(document=document).first()
    context = {"document": document, "run": run, "can_review": allows(role, Action.ANNOTATE)}
    html = render_to_string(f"{TEMPLATE}#suggest-status", context, request=request)
    if run is None or not run.is_active:
        response = HttpResponseStopPolling(html)
        return trigger_client_event(response, EVENT, {}, after="settle")
    return HttpResponse(html)


@require_POST
def suggestion_run(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    """Queue the suggestion task for this document (the Suggest and Retry buttons)."""
    document, role = document_for(request, document_id)
    _require_suggestions(document, role)
    require(role, Action.ANNOTATE)
    run = suggestion_run_enqueue(document=document)
    if not request.htmx:
        messages.success(request, "Suggestions are being computed; this page shows them when done.")
        return redirect(document.get_absolute_url() + "#suggest-panel")
    run.refresh_from_db()
    context = {"document": document, "run": run, "can_review": True}
    return render(request, f"{TEMPLATE}#suggest-status", context)


@require_POST
def project_suggest(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Queue suggestions for every document of a project."""
    project, role = project_for(request, slug)
    require(role, Action.ADD_DOCUMENTS)
    # Enough new decisions since the last training: train first (the training queues the
    # project's suggestions again when it is done).
    learning_enqueue_if_due(project=project)
    count = suggestion_runs_enqueue(documents=list(project.documents.only("pk")))
    messages.success(request, f"Suggestions queued for {count} document(s).")
    return redirect(project.get_absolute_url())


@require_POST
def project_learn(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Queue a training of the project's suggester from its spans and decisions."""
    project, role = project_for(request, slug)
    require(role, Action.ADD_DOCUMENTS)
    run = learning_enqueue(project=project)
    messages.success(
        request,
        f"Training version {run.version} queued; suggestions are computed again when it is done.",
    )
    return redirect(project.get_absolute_url() + "#learning")


@require_POST
def suggestion_accept(request: HtmxHttpRequest, suggestion_id: int) -> HttpResponse:
    """Accept a suggestion, optionally with other bounds (start, end) or another tag."""
    suggestion, role = _suggestion_for(request, suggestion_id)
    document = suggestion.document
    require(role, Action.ANNOTATE)
    try:
        start = _int_or_none(request.POST.get("start"))
        end = _int_or_none(request.POST.get("end"))
        tag = None
        if request.POST.get("tag"):
            tag = document.project.tags.find(request.POST["tag"], by_name=False)
            if tag is None:
                raise DomainError("There is no such tag in this project.")
        span = decision_services.suggestion_accept(
            suggestion=suggestion, user=request.user, start=start, end=end, tag=tag
        )
    except DomainError as error:
        return bad_request(request, document, str(error))
    if not request.htmx:
        messages.success(request, f"Accepted as {span.tag.name}.")
        return redirect(document.get_absolute_url() + "#suggest-panel")
    response = span_response(request, document, role, span, ANNOUNCE_ACCEPTED, status=201)
    return trigger_client_event(response, EVENT, {"accepted": suggestion.pk}, after="settle")


@require_POST
def suggestion_reject(request: HtmxHttpRequest, suggestion_id: int) -> HttpResponse:
    suggestion, role = _suggestion_for(request, suggestion_id)
    document = suggestion.document
    require(role, Action.ANNOTATE)
    decision_services.suggestion_reject(suggestion=suggestion, user=request.user)
    if not request.htmx:
        messages.success(request, "Suggestion rejected; it will not be suggested again.")
        return redirect(document.get_absolute_url() + "#suggest-panel")
    response = announce(_panel(request, document, role), ANNOUNCE_REJECTED)
    return trigger_client_event(response, EVENT, {"rejected": suggestion.pk}, after="settle")


@require_POST
def suggestion_bulk(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    """Accept or reject every pending suggestion of one tag; the answer offers Undo."""
    document, role = document_for(request, document_id)
    _require_suggestions(document, role)
    require(role, Action.ANNOTATE)
    tag = document.project.tags.find(request.POST.get("tag", ""), by_name=False)
    action = request.POST.get("action")
    if tag is None or action not in {"accept", "reject"}:
        return bad_request(request, document, "Choose a tag and accept or reject.")
    pending = document.suggestions.filter(tag=tag, status=SuggestionStatus.PENDING)
    bounds = [(s, e) for s, e in pending.values_list("start", "end")]
    count, token = suggestions_decide_tag(
        document=document, tag=tag, accept=action == "accept", user=request.user
    )
    verb = "Accepted" if action == "accept" else "Rejected"
    note = f"{verb} {count} {tag.name} suggestion{'s' if count != 1 else ''}."
    if not request.htmx:
        messages.success(request, note)
        return redirect(document.get_absolute_url() + "#suggest-panel")
    response = _panel(request, document, role, bulk_note=note, bulk_token=token)
    if action == "accept" and bounds:
        low, high = min(s for s, _ in bounds), max(e for _, e in bounds)
        response.content += changed_paragraphs(request, document, role, low, high).encode()
        trigger_client_event(response, "spansChanged", {"span": None}, after="settle")
    # The answer is the fresh panel with Undo: {"panel": true} keeps it from reloading over it.
    return trigger_client_event(response, EVENT, {"panel": True}, after="settle")


@require_POST
def suggestion_undo(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    document, role = document_for(request, document_id)
    _require_suggestions(document, role)
    require(role, Action.ANNOTATE)
    token = request.POST.get("token", "")
    try:
        restored = suggestions_undo(token=token, document=document)
    except DomainError as error:
        return bad_request(request, document, str(error))
    if not request.htmx:
        messages.success(request, f"Undone: {restored} suggestion(s) are pending again.")
        return redirect(document.get_absolute_url() + "#suggest-panel")
    response = _panel(request, document, role)
    response.content += changed_paragraphs(request, document, role, 0, len(document.text)).encode()
    trigger_client_event(response, "spansChanged", {"span": None}, after="settle")
    return trigger_client_event(response, EVENT, {"panel": True}, after="settle")


def _int_or_none(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    if not params.is_id(value.strip()):
        raise DomainError("Start and end must be whole numbers.")
    return int(value)
