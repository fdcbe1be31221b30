"""The project list and a project's page: its documents, tags, and adding to both."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from annotations.forms import PASTE_MAX_BYTES, DocumentForm, TagForm, human_bytes
from annotations.guidelines import guidelines_html
from annotations.models import Document, FormSubmission, Membership, Tag
from annotations.permissions import Action, allows, spans_visible_in
from annotations.services.documents import document_create
from annotations.services.errors import DomainError
from annotations.services.projects import tag_create
from annotations.services.submissions import FIELD, create_once
from annotations.views.access import HtmxHttpRequest, project_for, require
from annotations.views.suggestions import project_suggestion_context

PROJECT_TEMPLATE = "annotations/project.html"
EXPORT_FORMATS = (
    ("csv", "CSV (one row per span)"),
    ("jsonl", "JSON Lines (one document per line)"),
    ("spacy", "spaCy DocBin (.spacy)"),
    ("w3c", "W3C Web Annotation (JSON-LD)"),
)
TAG_EXISTS = "This project has a tag with that name already."


@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("project")
        .annotate(document_count=Count("project__documents"))
        .order_by("project__name")
    )
    return render(request, "annotations/home.html", {"memberships": memberships})


def _project_context(request, project, role, document_form=None, tag_form=None) -> dict:
    # Counts only of the spans this member may see: a blind class shows a student theirs.
    visible = Q(spans__in=spans_visible_in(request.user, role, project=project))
    return {
        "project": project,
        "role": role,
        "documents": project.documents.annotate(span_count=Count("spans", filter=visible)).order_by(
            "created_at", "id"
        ),
        "tags": project.tags.annotate(span_count=Count("spans", filter=visible)),
        "can_add_documents": allows(role, Action.ADD_DOCUMENTS),
        "can_manage_tags": allows(role, Action.MANAGE_TAGS),
        "document_form": document_form or DocumentForm(),
        "tag_form": tag_form or TagForm(project=project),
        "guidelines_html": guidelines_html(project.guidelines),
        "export_formats": EXPORT_FORMATS,
        "paste_limit": human_bytes(PASTE_MAX_BYTES),
        "import_file_limit": human_bytes(settings.HERLENS_IMPORT_LIMITS["max_file_bytes"]),
        # Only authors of spans this reader may see: a blind class hides classmates' names.
        "annotators": get_user_model()
        .objects.filter(spans__in=spans_visible_in(request.user, role, project=project))
        .distinct()
        .order_by("username")
        .values_list("username", flat=True),
        **project_suggestion_context(project, role),
    }


@require_GET
def project_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project, role = project_for(request, slug)
    return render(request, PROJECT_TEMPLATE, _project_context(request, project, role))


@require_POST
def document_add(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project, role = project_for(request, slug)
    require(role, Action.ADD_DOCUMENTS)
    form = DocumentForm(request.POST)
    if form.is_valid():
        try:
            document, created = create_once(
                request,
                "document",
                lambda: document_create(project=project, **form.cleaned_data),
                Document,
            )
        except DomainError as error:
            form.add_error("text" if "text" in str(error) else "title", str(error))
        else:
            if document is None:  # sent twice, and deleted since the first
                return redirect(project.get_absolute_url())
            if created:
                messages.success(request, f"Added “{document.title}”.")
            if request.htmx:
                context = _project_context(request, project, role)
                response = render(request, f"{PROJECT_TEMPLATE}#documents", context)
                if context["show_suggestions"]:
                    # The new document's suggestions are queued: the summary beside it says so.
                    stats = render_to_string(
                        f"{PROJECT_TEMPLATE}#suggestion-stats", {**context, "oob": True}, request
                    )
                    response.content += stats.encode()
                return response
            return redirect(document.get_absolute_url())
    context = _project_context(request, project, role, document_form=form)
    if request.htmx:
        return render(request, f"{PROJECT_TEMPLATE}#documents", context, status=400)
    return render(request, PROJECT_TEMPLATE, context, status=400)


@require_POST
def tag_add(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project, role = project_for(request, slug)
    require(role, Action.MANAGE_TAGS)
    form = TagForm(request.POST, project=project)
    if form.is_valid() or _sent_before(request, "tag"):
        try:
            tag, created = create_once(
                request, "tag", lambda: tag_create(tag=form.save(commit=False)), Tag
            )
        except ValidationError as error:
            # The form cannot see the project-wide rules (unique name, slug); the model can.
            form.add_error(None, TAG_EXISTS if _is_duplicate(error) else error.messages)
        else:
            if created:
                messages.success(request, f"Added the tag “{tag.name}”.")
            if request.htmx:
                return render(
                    request, f"{PROJECT_TEMPLATE}#tags", _project_context(request, project, role)
                )
            return redirect(project.get_absolute_url())
    context = _project_context(request, project, role, tag_form=form)
    if request.htmx:
        return render(request, f"{PROJECT_TEMPLATE}#tags", context, status=400)
    return render(request, PROJECT_TEMPLATE, context, status=400)


def _sent_before(request: HtmxHttpRequest, kind: str) -> bool:
    """Whether this form's token was used already: its second send fails validation (the tag
    exists, made by the first) but must answer like the first."""
    token = request.POST.get(FIELD, "")
    return (
        bool(token)
        and FormSubmission.objects.filter(user=request.user, token=token, kind=kind).exists()
    )


def _is_duplicate(error: ValidationError) -> bool:
    return any("already exists" in message for message in error.messages)


@require_GET
def tag_permalink(request: HtmxHttpRequest, slug: str, tag_slug: str) -> HttpResponse:
    """Where an exported tag's id leads: the project's list of tags."""
    project, _role = project_for(request, slug)
    get_object_or_404(project.tags, slug=tag_slug)
    return redirect(f"{project.get_absolute_url()}#tags")
