from __future__ import annotations

from django.urls import path

from annotations.views import (
    account,
    adjudication,
    agreement,
    classes,
    comparison,
    corpus,
    discussion,
    documents,
    live,
    projects,
    spans,
    suggestions,
)

app_name = "annotations"

urlpatterns = [
    path("", projects.home, name="home"),
    path("account/", account.account_page, name="account"),
    path("account/tokens/", account.token_create, name="token-create"),
    path("account/tokens/<int:token_id>/revoke/", account.token_revoke, name="token-revoke"),
    path("projects/<slug:slug>/", projects.project_page, name="project"),
    path("projects/<slug:slug>/documents/", projects.document_add, name="document-add"),
    path("projects/<slug:slug>/tags/", projects.tag_add, name="tag-add"),
    path("projects/<slug:slug>/imports/", corpus.import_upload, name="import-upload"),
    path("projects/<slug:slug>/imports/<int:job_id>/", corpus.import_job, name="import-job"),
    path("projects/<slug:slug>/export/", corpus.export_download, name="export"),
    path(
        "projects/<slug:slug>/documents/<int:document_id>/",
        documents.document_page,
        name="document",
    ),
    path("documents/<int:document_id>/spans/", spans.span_create, name="span-create"),
    path("documents/<int:document_id>/spans/restore/", spans.span_restore, name="span-restore"),
    path("spans/<int:span_id>/", documents.span_detail, name="span"),
    # The ids of the W3C Web Annotation export (exports/w3c.py) resolve for members.
    path(
        "projects/<slug:slug>/spans/<int:span_id>/",
        documents.span_permalink,
        name="span-permalink",
    ),
    path(
        "projects/<slug:slug>/tags/<str:tag_slug>/",
        projects.tag_permalink,
        name="tag-permalink",
    ),
    path("spans/<int:span_id>/edit/", spans.span_edit, name="span-edit"),
    path("spans/<int:span_id>/delete/", spans.span_delete, name="span-delete"),
    # Class mode
    path("classes/new/", classes.class_new, name="class-new"),
    path("join/", classes.join, name="join"),
    path("join/<str:code>/", classes.join, name="join-code"),
    path("projects/<slug:slug>/class/", classes.class_page, name="class"),
    path("projects/<slug:slug>/class/settings/", classes.class_settings, name="class-settings"),
    path("projects/<slug:slug>/class/code/", classes.class_code_rotate, name="class-code"),
    path("projects/<slug:slug>/class/accounts/", classes.class_accounts, name="class-accounts"),
    path(
        "projects/<slug:slug>/class/members/<int:membership_id>/",
        classes.member_update,
        name="class-member",
    ),
    path("projects/<slug:slug>/assignments/", classes.assignments_page, name="assignments"),
    path(
        "projects/<slug:slug>/documents/<int:document_id>/assign/",
        classes.assignment_update,
        name="assign",
    ),
    path(
        "projects/<slug:slug>/documents/<int:document_id>/submit/",
        classes.submit,
        name="submit",
    ),
    path(
        "projects/<slug:slug>/documents/<int:document_id>/reopen/<int:user_id>/",
        classes.reopen,
        name="reopen",
    ),
    path(
        "projects/<slug:slug>/documents/<int:document_id>/reveal/",
        classes.reveal,
        name="reveal",
    ),
    path("documents/<int:document_id>/live/", live.live_poll, name="live"),
    path("spans/<int:span_id>/comments/", discussion.thread, name="comments"),
    path("spans/<int:span_id>/comments/new/", discussion.comment_add, name="comment-add"),
    path("comments/<int:comment_id>/edit/", discussion.comment_edit, name="comment-edit"),
    path("comments/<int:comment_id>/delete/", discussion.comment_delete, name="comment-delete"),
    path("comments/<int:comment_id>/pin/", discussion.comment_pin, name="comment-pin"),
    path("projects/<slug:slug>/agreement/", agreement.agreement_page, name="agreement"),
    path(
        "projects/<slug:slug>/documents/<int:document_id>/adjudicate/",
        adjudication.adjudicate_page,
        name="adjudicate",
    ),
    path(
        "projects/<slug:slug>/documents/<int:document_id>/adjudicate/accept/",
        adjudication.accept,
        name="adjudicate-accept",
    ),
    path(
        "projects/<slug:slug>/documents/<int:document_id>/adjudicate/add/",
        adjudication.add,
        name="adjudicate-add",
    ),
    path(
        "projects/<slug:slug>/documents/<int:document_id>/adjudicate/reject/<int:span_id>/",
        adjudication.reject,
        name="adjudicate-reject",
    ),
    path(
        "projects/<slug:slug>/documents/<int:document_id>/adjudicate/agreed/",
        adjudication.accept_agreed,
        name="adjudicate-agreed",
    ),
    path(
        "projects/<slug:slug>/documents/<int:document_id>/compare/",
        comparison.compare_page,
        name="compare",
    ),
    path(
        "projects/<slug:slug>/documents/<int:document_id>/feedback/",
        adjudication.feedback_page,
        name="feedback",
    ),
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
