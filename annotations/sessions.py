"""Sessions as Django's database backend keeps them, read by a query compiled once.

Every page and action of a logged-in reader loads its session; the ORM building that
one-row lookup cost several times what the database then took to answer it.
Everything else (writing, expiry, clearing) is Django's own.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone

from annotations.compiled import CompiledQuery


def _unexpired(session_key: str, now: datetime) -> QuerySet:
    # The lookup of Django's SessionStore._get_session_from_db, as plain columns.
    return Session.objects.filter(session_key=session_key, expire_date__gt=now).values_list(
        "session_data", "expire_date"
    )


_UNEXPIRED = CompiledQuery(_unexpired, text=("session_key",), moments=("now",))


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Session | None:
        rows = _UNEXPIRED.rows(session_key=self.session_key, now=timezone.now())
        if not rows:
            self._session_key = None
            return None
        data, expires = rows[0]
        return Session(session_key=self.session_key, session_data=data, expire_date=expires)
