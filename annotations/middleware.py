"""The app's middleware: first login with a one-time password, and messages for htmx answers.

Accounts a teacher created must replace their one-time password at first login.
At login a flag goes into the session (one query, once); the middleware then
sends the user to Django's password change page until they have changed it,
reading only the session, so other requests cost nothing extra.

Messages left by an htmx request are shown with its answer, not on the next full page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse

from annotations.models import AccountSetup

SESSION_KEY = "herlens_must_change_password"


def note_first_login(sender, request: HttpRequest, user, **kwargs) -> None:
    if request is not None and AccountSetup.objects.filter(user=user).exists():
        request.session[SESSION_KEY] = True


user_logged_in.connect(note_first_login, dispatch_uid="herlens-note-first-login")


class OneTimePasswordMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY):
            done = reverse("password_change_done")
            if request.path == done:
                AccountSetup.objects.filter(user_id=request.user.pk).delete()
                del session[SESSION_KEY]
            elif request.path not in (reverse("password_change"), reverse("logout")):
                return redirect("password_change")
        return self.get_response(request)


class HtmxMessagesMiddleware:
    """Append pending messages to an htmx answer as an out-of-band #messages swap.

    Views add a message ("Added the tag …", "Class settings saved.") and answer htmx with a
    fragment that has no room for it; left in the session, the message would appear on
    whatever full page the user opens next, long after the action. A plain-text answer
    (an error shown as a toast) already says what the message says, so its messages go.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or response.streaming:
            return response
        if response.status_code == 204 or 300 <= response.status_code < 400:
            return response  # nothing is swapped, or the next page shows them
        if "HX-Redirect" in response or "HX-Refresh" in response:
            return response
        storage = messages.get_messages(request)
        if not len(storage):
            return response
        content_type = response.get("Content-Type", "")
        if content_type.startswith("text/html"):
            # Rendering the partial iterates the storage, which marks the messages as shown.
            html = render_to_string("base.html#messages", {"oob": True}, request=request)
            response.content += html.encode()
        else:
            for _message in storage:
                pass
        return response
