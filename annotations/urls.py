from __future__ import annotations

from django.urls import path

from annotations.views import account, corpus, documents, projects, spans

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
    path("spans/<int:span_id>/edit/", spans.span_edit, name="span-edit"),
    path("spans/<int:span_id>/delete/", spans.span_delete, name="span-delete"),
]
