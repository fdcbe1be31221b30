"""Who is calling: API tokens (throttled when wrong) and the docs open to members only."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.errors import HttpError
from ninja.security import HttpBearer

from annotations import throttle
from annotations.services.tokens import api_token_for_client, api_token_used

TOKEN_MISSING = (
    "Send your API token in the header “Authorization: Bearer <token>”; "
    "create a token on your account page."
)
DOCS_NEED_LOGIN = (
    "Log in to read the API's documentation and schema, or send your API token in the "
    "header “Authorization: Bearer <token>”."
)


def token_user(request: HttpRequest, token: str) -> Any:
    """Return the token's user, or None; wrong tokens from one address are throttled.

    A blocked address is refused even with a right token. The token and the block are
    read in one query; a wrong token asks about the block again, as there is no row to carry it.
    """
    rule, key = throttle.API_TOKENS, throttle.client_key(request)
    found = api_token_for_client(token, key)
    if found is None:
        if throttle.is_blocked(rule, key):
            raise HttpError(429, rule.message)
        throttle.record_failure(rule, key)
        return None
    if found.client_blocked:
        raise HttpError(429, rule.message)
    return api_token_used(found)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_user(request, token)
        if user is not None:
            request.user = user
        return user


def members_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Open the docs and the schema to a logged-in person or a valid API token, no one else.

    What the API offers is not a secret, but a stranger has no use for it and
    it maps the attack surface; the page sends strangers to the log-in page,
    the schema answers them 401.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            user = None
            if scheme.lower() == "bearer" and token.strip():
                try:
                    user = token_user(request, token.strip())
                except HttpError as error:
                    return JsonResponse({"detail": str(error)}, status=error.status_code)
            if user is None:
                if request.path.endswith(".json"):
                    return JsonResponse({"detail": DOCS_NEED_LOGIN}, status=401)
                return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper
