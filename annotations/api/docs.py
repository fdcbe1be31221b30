"""The API's interactive docs: Swagger UI from the files django-ninja ships, never a CDN."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import Swagger

if TYPE_CHECKING:
    from ninja import NinjaAPI


class LocalSwagger(Swagger):
    """Swagger UI rendered from ninja's own template and static files.

    ninja renders them only when it is an installed app, and falls back to a CDN
    otherwise; herlens finds its files through TEMPLATES and STATICFILES_DIRS
    instead (see settings), so this renders them itself.
    """

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        auth = api.auth if isinstance(api.auth, list | tuple) else []
        context = {
            "swagger_settings": json.dumps(self.settings, indent=1),
            "api": api,
            "add_csrf": any(getattr(handler, "csrf", False) for handler in auth),
        }
        return render(request, self.template, context)
