from __future__ import annotations

from django.urls import path

from annotations.views import documents, projects, spans, suggestions

app_name = "annotations"

urlpatterns = [
    path("", projects.home, name="home"),
    path("projects/<slug:slug>/", projects.project_page, name="project"),
    path("projects/<slug:slug>/documents/", projects.document_add, name="document-add"),
    path("projects/<slug:slug>/tags/", projects.tag_add, name="tag-add"),
    path(
        "projects/<slug:slug>/documents/<int:document_id>/",
        documents.document_page,
        name="document",
    ),
    path("documents/<int:document_id>/spans/", spans.span_create, name="span-create"),
    path("documents/<int:document_id>/spans/restore/", spans.span_restore, name="span-restore"),
    path("spans/<int:span_id>/", documents.span_detail, name="span"),
    path("spans/<int:span_id>/edit/", spans.span_edit, name="span-edit"),
    path("spans/<int:span_id>/delete/", spans.span_delete, name="span-delete"),
    # Suggestions
    path("projects/<slug:slug>/suggest/", suggestions.project_suggest, name="project-suggest"),
    path(
        "projects/<slug:slug>/film-names/",
        suggestions.project_film_names,
        name="project-film-names",
    ),
    path(
        "documents/<int:document_id>/suggestions/", suggestions.suggestion_list, name="suggestions"
    ),
    path(
        "documents/<int:document_id>/suggestions/run/",
        suggestions.suggestion_run,
        name="suggestion-run",
    ),
    path(
        "documents/<int:document_id>/suggestions/status/",
        suggestions.suggestion_status,
        name="suggestion-status",
    ),
    path(
        "documents/<int:document_id>/suggestions/bulk/",
        suggestions.suggestion_bulk,
        name="suggestion-bulk",
    ),
    path(
        "documents/<int:document_id>/suggestions/undo/",
        suggestions.suggestion_undo,
        name="suggestion-undo",
    ),
    path(
        "suggestions/<int:suggestion_id>/accept/",
        suggestions.suggestion_accept,
        name="suggestion-accept",
    ),
    path(
        "suggestions/<int:suggestion_id>/reject/",
        suggestions.suggestion_reject,
        name="suggestion-reject",
    ),
]
