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
    revisions,
    spans,
    suggestions,
    trash,
)

app_name = "annotations"

PROJECT = "projects/<slug:slug>/"
DOCUMENT_PAGE = PROJECT + "documents/<int:document_id>/"
DOCUMENT = "documents/<int:document_id>/"
CLASS = PROJECT + "class/"
ADJUDICATE = DOCUMENT_PAGE + "adjudicate/"
SPAN = "spans/<int:span_id>/"
COMMENT = "comments/<int:comment_id>/"
SUGGESTION = "suggestions/<int:suggestion_id>/"

urlpatterns = [
    path("", projects.home, name="home"),
    path("account/", account.account_page, name="account"),
    path("account/tokens/", account.token_create, name="token-create"),
    path("account/tokens/<int:token_id>/revoke/", account.token_revoke, name="token-revoke"),
    path(PROJECT, projects.project_page, name="project"),
    path(PROJECT + "documents/", projects.document_add, name="document-add"),
    path(PROJECT + "tags/", projects.tag_add, name="tag-add"),
    path(PROJECT + "imports/", corpus.import_upload, name="import-upload"),
    path(PROJECT + "imports/<int:job_id>/", corpus.import_job, name="import-job"),
    path(PROJECT + "export/", corpus.export_download, name="export"),
    path(DOCUMENT_PAGE, documents.document_page, name="document"),
    path(DOCUMENT + "spans/", spans.span_create, name="span-create"),
    path(DOCUMENT + "spans/restore/", spans.span_restore, name="span-restore"),
    path(SPAN, documents.span_detail, name="span"),
    # The ids of the W3C Web Annotation export (exports/w3c.py) resolve for members.
    path(PROJECT + "spans/<int:span_id>/", documents.span_permalink, name="span-permalink"),
    path(
        DOCUMENT_PAGE + "revisions/<int:number>/",
        revisions.revision_permalink,
        name="revision-permalink",
    ),
    path(PROJECT + "tags/<str:tag_slug>/", projects.tag_permalink, name="tag-permalink"),
    path(SPAN + "edit/", spans.span_edit, name="span-edit"),
    path(SPAN + "delete/", spans.span_delete, name="span-delete"),
    # Revisions: the text changes only as a new revision, spans follow (views/revisions.py).
    path(DOCUMENT + "edit/", revisions.document_edit, name="document-edit"),
    path(DOCUMENT + "edit/preview/", revisions.document_edit_preview, name="document-edit-preview"),
    path(DOCUMENT + "revisions/", revisions.revision_list, name="revisions"),
    path(DOCUMENT + "revisions/<int:number>/", revisions.revision_detail, name="revision"),
    path(DOCUMENT + "compare/", revisions.revision_compare, name="revision-compare"),
    path(DOCUMENT + "review/", revisions.document_review, name="document-review"),
    path(DOCUMENT + "place/", revisions.document_place, name="document-place"),
    path(DOCUMENT + "writer/", revisions.document_writer, name="document-writer"),
    path(SPAN + "reattach/", revisions.span_reattach, name="span-reattach"),
    path(SPAN + "confirm/", revisions.span_confirm, name="span-confirm"),
    path(SPAN + "orphan-delete/", revisions.orphan_delete, name="orphan-delete"),
    # The trash (views/trash.py).
    path(DOCUMENT + "delete/", trash.document_delete, name="document-delete"),
    path(PROJECT + "trash/", trash.trash_page, name="trash"),
    path(
        "trash/documents/<int:document_id>/restore/",
        trash.document_restore,
        name="document-restore",
    ),
    path("trash/spans/<int:span_id>/restore/", trash.span_restore_from_trash, name="span-untrash"),
    # Class mode
    path("classes/new/", classes.class_new, name="class-new"),
    path("join/", classes.join, name="join"),
    path("join/<str:code>/", classes.join, name="join-code"),
    path(CLASS, classes.class_page, name="class"),
    path(CLASS + "settings/", classes.class_settings, name="class-settings"),
    path(CLASS + "code/", classes.class_code_rotate, name="class-code"),
    path(CLASS + "accounts/", classes.class_accounts, name="class-accounts"),
    path(CLASS + "members/<int:membership_id>/", classes.member_update, name="class-member"),
    path(PROJECT + "assignments/", classes.assignments_page, name="assignments"),
    path(DOCUMENT_PAGE + "assign/", classes.assignment_update, name="assign"),
    path(DOCUMENT_PAGE + "submit/", classes.submit, name="submit"),
    path(DOCUMENT_PAGE + "reopen/<int:user_id>/", classes.reopen, name="reopen"),
    path(DOCUMENT_PAGE + "reveal/", classes.reveal, name="reveal"),
    path(DOCUMENT + "live/", live.live_poll, name="live"),
    path(SPAN + "comments/", discussion.thread, name="comments"),
    path(SPAN + "comments/new/", discussion.comment_add, name="comment-add"),
    path(COMMENT + "edit/", discussion.comment_edit, name="comment-edit"),
    path(COMMENT + "delete/", discussion.comment_delete, name="comment-delete"),
    path(COMMENT + "pin/", discussion.comment_pin, name="comment-pin"),
    path(PROJECT + "agreement/", agreement.agreement_page, name="agreement"),
    path(ADJUDICATE, adjudication.adjudicate_page, name="adjudicate"),
    path(ADJUDICATE + "accept/", adjudication.accept, name="adjudicate-accept"),
    path(ADJUDICATE + "add/", adjudication.add, name="adjudicate-add"),
    path(ADJUDICATE + "reject/<int:span_id>/", adjudication.reject, name="adjudicate-reject"),
    path(ADJUDICATE + "agreed/", adjudication.accept_agreed, name="adjudicate-agreed"),
    path(DOCUMENT_PAGE + "feedback/", adjudication.feedback_page, name="feedback"),
    path(DOCUMENT_PAGE + "compare/", comparison.compare_page, name="compare"),
    # Suggestions
    path(PROJECT + "suggest/", suggestions.project_suggest, name="project-suggest"),
    path(PROJECT + "learn/", suggestions.project_learn, name="project-learn"),
    path(PROJECT + "film-names/", suggestions.project_film_names, name="project-film-names"),
    path(DOCUMENT + "suggestions/", suggestions.suggestion_list, name="suggestions"),
    path(DOCUMENT + "suggestions/run/", suggestions.suggestion_run, name="suggestion-run"),
    path(DOCUMENT + "suggestions/status/", suggestions.suggestion_status, name="suggestion-status"),
    path(DOCUMENT + "suggestions/bulk/", suggestions.suggestion_bulk, name="suggestion-bulk"),
    path(DOCUMENT + "suggestions/undo/", suggestions.suggestion_undo, name="suggestion-undo"),
    path(SUGGESTION + "accept/", suggestions.suggestion_accept, name="suggestion-accept"),
    path(SUGGESTION + "reject/", suggestions.suggestion_reject, name="suggestion-reject"),
]
