"""Error pages that an htmx request can show as a message."""

from __future__ import annotations

from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.views.defaults import permission_denied as default_permission_denied


def plain_text(message: str, *, status: int) -> HttpResponse:
    """An error answer for htmx: herlens.js shows a 4xx body as a message, swapping nothing."""
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def form_error(form: Form) -> str:
    """Return a form's errors as one line, for the plain-text answer."""
    return " ".join(str(message) for errors in form.errors.values() for message in errors)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer 403 as plain text for htmx (shown as a message), as a page otherwise."""
    if request.headers.get("HX-Request") == "true":
        message = str(exception) or "You may not do that in this project."
        return plain_text(message, status=403)
    return default_permission_denied(request, exception)
