from __future__ import annotations

from collections.abc import Callable

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

SITE = ""
PROJECT = "projects/<slug:slug>/"
DOCUMENT_PAGE = PROJECT + "documents/<int:document_id>/"
DOCUMENT = "documents/<int:document_id>/"
CLASS = PROJECT + "class/"
ADJUDICATE = DOCUMENT_PAGE + "adjudicate/"
SPAN = "spans/<int:span_id>/"
COMMENT = "comments/<int:comment_id>/"
SUGGESTION = "suggestions/<int:suggestion_id>/"
TRASH = "trash/"

# One row a route: (prefix, rest of the path, view, name), in the order Django tries them.
ROUTES: list[tuple[str, str, Callable, str]] = [
    (SITE, "", projects.home, "home"),
    (SITE, "account/", account.account_page, "account"),
    (SITE, "account/tokens/", account.token_create, "token-create"),
    (SITE, "account/tokens/<int:token_id>/revoke/", account.token_revoke, "token-revoke"),
    (PROJECT, "", projects.project_page, "project"),
    (PROJECT, "documents/", projects.document_add, "document-add"),
    (PROJECT, "tags/", projects.tag_add, "tag-add"),
    (PROJECT, "imports/", corpus.import_upload, "import-upload"),
    (PROJECT, "imports/<int:job_id>/", corpus.import_job, "import-job"),
    (PROJECT, "export/", corpus.export_download, "export"),
    (DOCUMENT_PAGE, "", documents.document_page, "document"),
    (DOCUMENT, "spans/", spans.span_create, "span-create"),
    (DOCUMENT, "spans/restore/", spans.span_restore, "span-restore"),
    (SPAN, "", documents.span_detail, "span"),
    # The ids of the W3C Web Annotation export (exports/w3c.py) resolve for members.
    (PROJECT, "spans/<int:span_id>/", documents.span_permalink, "span-permalink"),
    (DOCUMENT_PAGE, "revisions/<int:number>/", revisions.revision_permalink, "revision-permalink"),
    (PROJECT, "tags/<str:tag_slug>/", projects.tag_permalink, "tag-permalink"),
    (SPAN, "edit/", spans.span_edit, "span-edit"),
    (SPAN, "delete/", spans.span_delete, "span-delete"),
    # Revisions: the text changes only as a new revision, spans follow (views/revisions.py).
    (DOCUMENT, "edit/", revisions.document_edit, "document-edit"),
    (DOCUMENT, "edit/preview/", revisions.document_edit_preview, "document-edit-preview"),
    (DOCUMENT, "revisions/", revisions.revision_list, "revisions"),
    (DOCUMENT, "revisions/<int:number>/", revisions.revision_detail, "revision"),
    (DOCUMENT, "compare/", revisions.revision_compare, "revision-compare"),
    (DOCUMENT, "review/", revisions.document_review, "document-review"),
    (DOCUMENT, "place/", revisions.document_place, "document-place"),
    (DOCUMENT, "writer/", revisions.document_writer, "document-writer"),
    (SPAN, "reattach/", revisions.span_reattach, "span-reattach"),
    (SPAN, "confirm/", revisions.span_confirm, "span-confirm"),
    (SPAN, "orphan-delete/", revisions.orphan_delete, "orphan-delete"),
    # The trash (views/trash.py).
    (DOCUMENT, "delete/", trash.document_delete, "document-delete"),
    (PROJECT, "trash/", trash.trash_page, "trash"),
    (TRASH, "documents/<int:document_id>/restore/", trash.document_restore, "document-restore"),
    (TRASH, "spans/<int:span_id>/restore/", trash.span_restore_from_trash, "span-untrash"),
    # Class mode
    (SITE, "classes/new/", classes.class_new, "class-new"),
    (SITE, "join/", classes.join, "join"),
    (SITE, "join/<str:code>/", classes.join, "join-code"),
    (CLASS, "", classes.class_page, "class"),
    (CLASS, "settings/", classes.class_settings, "class-settings"),
    (CLASS, "code/", classes.class_code_rotate, "class-code"),
    (CLASS, "accounts/", classes.class_accounts, "class-accounts"),
    (CLASS, "members/<int:membership_id>/", classes.member_update, "class-member"),
    (PROJECT, "assignments/", classes.assignments_page, "assignments"),
    (DOCUMENT_PAGE, "assign/", classes.assignment_update, "assign"),
    (DOCUMENT_PAGE, "submit/", classes.submit, "submit"),
    (DOCUMENT_PAGE, "reopen/<int:user_id>/", classes.reopen, "reopen"),
    (DOCUMENT_PAGE, "reveal/", classes.reveal, "reveal"),
    (DOCUMENT_PAGE, "seen/", classes.document_seen, "document-seen"),
    (DOCUMENT, "live/", live.live_poll, "live"),
    (SPAN, "comments/", discussion.thread, "comments"),
    (SPAN, "comments/new/", discussion.comment_add, "comment-add"),
    (COMMENT, "edit/", discussion.comment_edit, "comment-edit"),
    (COMMENT, "delete/", discussion.comment_delete, "comment-delete"),
    (COMMENT, "pin/", discussion.comment_pin, "comment-pin"),
    (PROJECT, "agreement/", agreement.agreement_page, "agreement"),
    (ADJUDICATE, "", adjudication.adjudicate_page, "adjudicate"),
    (ADJUDICATE, "accept/", adjudication.accept, "adjudicate-accept"),
    (ADJUDICATE, "add/", adjudication.add, "adjudicate-add"),
    (ADJUDICATE, "reject/<int:span_id>/", adjudication.reject, "adjudicate-reject"),
    (ADJUDICATE, "agreed/", adjudication.accept_agreed, "adjudicate-agreed"),
    (DOCUMENT_PAGE, "feedback/", adjudication.feedback_page, "feedback"),
    (DOCUMENT_PAGE, "compare/", comparison.compare_page, "compare"),
    # Suggestions
    (PROJECT, "suggest/", suggestions.project_suggest, "project-suggest"),
    (PROJECT, "learn/", suggestions.project_learn, "project-learn"),
    (PROJECT, "film-names/", suggestions.project_film_names, "project-film-names"),
    (DOCUMENT, "suggestions/", suggestions.suggestion_list, "suggestions"),
    (DOCUMENT, "suggestions/run/", suggestions.suggestion_run, "suggestion-run"),
    (DOCUMENT, "suggestions/status/", suggestions.suggestion_status, "suggestion-status"),
    (DOCUMENT, "suggestions/bulk/", suggestions.suggestion_bulk, "suggestion-bulk"),
    (DOCUMENT, "suggestions/undo/", suggestions.suggestion_undo, "suggestion-undo"),
    (SUGGESTION, "accept/", suggestions.suggestion_accept, "suggestion-accept"),
    (SUGGESTION, "reject/", suggestions.suggestion_reject, "suggestion-reject"),
]

urlpatterns = [path(prefix + rest, view, name=name) for prefix, rest, view, name in ROUTES]
