"""Counting failed guesses (join codes, API tokens) per client, and refusing past a limit.

Counted in the database, so every web process sees the same count. While a
client is over the limit every attempt is refused, the right one too: otherwise
guessing would simply go on and be told when it succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from annotations.models import Throttle

TOO_MANY = "Too many wrong {what} from your network; wait {minutes} minutes and try again."


@dataclass(frozen=True, slots=True)
class Rule:
    """How many wrong guesses of one kind a client may make before it has to wait."""

    scope: str
    #: Failures allowed in one window before every attempt is refused until it ends.
    limit: int
    window: timedelta
    #: How the message names what was guessed ("join codes").
    what: str

    @property
    def message(self) -> str:
        return TOO_MANY.format(what=self.what, minutes=int(self.window.total_seconds() // 60))


def login_addresses() -> Rule:
    """Wrong passwords from one address, across usernames (settings decide the numbers)."""
    return Rule(
        "login-address",
        limit=settings.HERLENS_LOGIN_ADDRESS_LIMIT,
        window=settings.AXES_COOLOFF_TIME,
        what="passwords",
    )


JOIN_CODES = Rule("join-code", limit=20, window=timedelta(minutes=10), what="join codes")
API_TOKENS = Rule("api-token", limit=20, window=timedelta(minutes=10), what="API tokens")


def client_key(request: HttpRequest) -> str:
    """Return who a request counts as: its address, as the log-in throttle sees it."""
    return get_client_ip_address(request) or "unknown"


def _blocking(rule: Rule, key: str, since: datetime | None = None) -> QuerySet[Throttle]:
    since = since or timezone.now() - rule.window
    return Throttle.objects.filter(
        scope=rule.scope, key=key, window_start__gt=since, failures__gte=rule.limit
    )


def is_blocked(rule: Rule, key: str) -> bool:
    """Whether this client has failed ``rule.limit`` times within the current window."""
    return _blocking(rule, key).exists()


def blocked(rule: Rule, key: str, since: datetime | None = None) -> Exists:
    """``is_blocked`` as a condition another query can carry: one round trip, not two.

    ``since``: when the current window began (now minus ``rule.window``), for a query
    built once and run later."""
    return Exists(_blocking(rule, key, since))


def record_failure(rule: Rule, key: str) -> None:
    """Count one failure; a window that has ended starts again from this one."""
    now = timezone.now()
    with transaction.atomic():
        # Windows that have ended count for nothing: clear them, so the table holds only
        # the clients of the last window.
        Throttle.objects.filter(scope=rule.scope, window_start__lte=now - rule.window).exclude(
            key=key
        ).delete()
        updated = Throttle.objects.filter(
            scope=rule.scope, key=key, window_start__gt=now - rule.window
        ).update(failures=F("failures") + 1)
        if updated:
            return
        try:
            with transaction.atomic():
                Throttle.objects.update_or_create(
                    scope=rule.scope,
                    key=key,
                    defaults={"window_start": now, "failures": 1},
                )
        except IntegrityError:  # another process made the row first: count on it
            Throttle.objects.filter(scope=rule.scope, key=key).update(failures=F("failures") + 1)
