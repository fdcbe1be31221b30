from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from annotations.api import public_urls

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", public_urls()),
    path("", include("annotations.urls")),
]

handler403 = "annotations.views.errors.permission_denied"
handler500 = "annotations.views.errors.server_error"
