"""Accounts a teacher created: their one-time password must be replaced at first login.

At login a flag goes into the session (one query, once); the middleware then
sends the user to Django's password change page until they have changed it,
reading only the session, so other requests cost nothing extra.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
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
