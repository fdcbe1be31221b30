"""API tokens: created for a user, shown once, stored as a hash, revoked."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Expression
from django.utils import timezone

from annotations.models import (
    ApiToken,
)
from annotations.services.errors import DomainError

#: API tokens start with this, so a leaked one is recognisable (and secret scanners can find it).
TOKEN_PREFIX = "hl_"
TOKEN_NAME_MISSING = "Give the token a name that says what it is for."
TOKEN_INVALID = (
    "The API token is not valid or has been revoked; create a new one on your account page."
)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def api_token_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """Create an API token and return it with the raw token, which is shown once and not kept."""
    import secrets

    name = name.strip()
    if not name:
        raise DomainError(TOKEN_NAME_MISSING)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], key_hash=token_hash(raw), prefix=raw[:10]
    )
    return token, raw


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token; requests with it are refused from now on."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_find(raw: str, **also: Expression) -> ApiToken | None:
    """Return the active token a raw token names, with its user, or None.

    ``also``: expressions to read in the same query (the caller's throttle), as attributes.
    """
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(raw), revoked_at__isnull=True, user__is_active=True)
        .annotate(**also)
        .first()
    )


def api_token_used(token: ApiToken) -> AbstractBaseUser:
    """Note that the token was used (at most once a minute, not a write per request); return its user."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def api_token_user(raw: str) -> AbstractBaseUser | None:
    """Return the active user a raw token belongs to, or None; note when it was used."""
    token = api_token_find(raw)
    return None if token is None else api_token_used(token)
