"""API tokens: created for a user, shown once, stored as a hash, revoked."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import QuerySet
from django.utils import timezone

from annotations import throttle
from annotations.compiled import CompiledQuery
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


def _active(key_hash: str) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(key_hash=key_hash, revoked_at__isnull=True, user__is_active=True)


def api_token_find(raw: str) -> ApiToken | None:
    """Return the active token a raw token names, with its user, or None."""
    return _active(token_hash(raw)).select_related("user").first()


@cache
def _fields() -> tuple[list[str], list[str]]:
    token = [field.attname for field in ApiToken._meta.concrete_fields]
    return token, [field.attname for field in get_user_model()._meta.concrete_fields]


def _token_user_and_block(key_hash: str, client: str, since: datetime) -> QuerySet:
    # api_token_find's query, as plain columns, with whether throttle.API_TOKENS blocks the client.
    token, user = _fields()
    blocked = throttle.blocked(throttle.API_TOKENS, client, since)
    return (
        _active(key_hash)
        .annotate(client_blocked=blocked)
        .values_list(*token, *(f"user__{name}" for name in user), "client_blocked")[:1]
    )


_TOKEN_USER_AND_BLOCK = CompiledQuery(
    _token_user_and_block, text=("key_hash", "client"), moments=("since",)
)


def api_token_for_client(raw: str, client: str) -> ApiToken | None:
    """``api_token_find``, the token also saying whether throttle.API_TOKENS blocks the client
    (``client_blocked``): one query, compiled once (annotations/compiled.py), as every API
    request asks it."""
    since = timezone.now() - throttle.API_TOKENS.window
    rows = _TOKEN_USER_AND_BLOCK.rows(key_hash=token_hash(raw), client=client, since=since)
    if not rows:
        return None
    token_fields, user_fields = _fields()
    row, split = rows[0], len(token_fields)
    token = ApiToken.from_db(DEFAULT_DB_ALIAS, token_fields, row[:split])
    user = get_user_model().from_db(DEFAULT_DB_ALIAS, user_fields, row[split:-1])
    ApiToken.user.field.set_cached_value(token, user)
    token.client_blocked = bool(row[-1])
    return token


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
