"""What a log-in, or a failed one, notes for later: the receivers of Django's login signals.

Kept apart from middleware.py, which imports much of the web side, so that the app
can connect them at start-up without loading it in every management command.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from annotations import throttle
from annotations.models import AccountSetup

#: Set in the session of an account that must still replace its one-time password
#: (middleware.OneTimePasswordMiddleware sends it to the password change page).
SESSION_KEY = "herlens_must_change_password"


def note_first_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Remember, in the session, that a teacher-made account has not changed its password yet."""
    if request is not None and AccountSetup.objects.filter(user=user).exists():
        request.session[SESSION_KEY] = True


def note_failed_login(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Count a wrong password against the client's address (throttle.py)."""
    if request is not None:
        throttle.record_failure(throttle.login_addresses(), throttle.client_key(request))
