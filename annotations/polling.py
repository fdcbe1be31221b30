"""The live poll's signed token, and the one-query answer to a poll whose page is current.

The annotate page's poller asks every few seconds with the fingerprint of the
spans it shows (``v``), the revision it shows (``rv``) and a token signed here
naming the document, its project, the reader, their role, when the page read
its spans and the session it was issued to. A class of a hundred polling every
three seconds is most of what the server does, and almost every poll finds
nothing new; ``quiet_polls.QuietPolls`` answers those with 204 before Django handles
the request (``LivePollMiddleware`` where a request reaches Django without it, before
the session, the user or the rest of the middleware are loaded), after one query
(``poll_state``) that checks, on indexes:

- the session the token was issued to still exists and has not expired (a
  log-out ends it), and the poll carries its cookie;
- the reader is still an active member of the project in the same role (a
  removed or demoted member falls through to the full check on the next poll);
- the document is still there at the page's revision;
- nothing changed the spans this reader may see since the page read them: the
  document's count of span changes (``models.SpanChanges``, kept by database
  triggers) is the one the token carries. Only when it moved does the query read the
  spans this reader may see, to compare their fingerprint with the page's (a change
  to a classmate's hidden span moves the count but not this reader's fingerprint).

Anything else goes to the full view (views/live.py), which loads the session
and the user and looks the document up through the memberships as every view does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import signing
from django.db import connection
from django.db.models import CharField, Exists, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.dateparse import parse_datetime

from annotations.models import Document, Membership, Role, SpanChanges
from annotations.permissions import SEES_ALL_ROLES, sees_every_span, spans_visible_in
from annotations.selectors import EMPTY_FINGERPRINT, fingerprint_expression

LIVE_SALT = "herlens.live"
#: A poll token is re-issued after this long, so a removed member stops getting updates.
LIVE_MAX_AGE = 600
#: htmx treats 204 as "nothing to swap" and keeps polling (286 would stop it).
NOTHING_CHANGED = 204


def session_mark(session_key: str | None) -> str:
    """A keyed digest of the session key: the token names its session without carrying it."""
    if not session_key:
        return ""
    return _session_mark(session_key, settings.SECRET_KEY)


#: A poll worker sees the same few hundred sessions and tokens every few seconds: their
#: HMACs were a tenth of a quiet poll's cost. Keyed by the secret too, so a new key
#: (tests override it) never meets an answer made with the old one.
@lru_cache(maxsize=4096)
def _session_mark(session_key: str, secret_key: str) -> str:
    return salted_hmac(LIVE_SALT + ".session", session_key, secret=secret_key).hexdigest()[:20]


def live_token(
    document: Document, user_id: int, role: str, session_key: str | None, changes: int
) -> str:
    """Sign who polls which document (and its project) in which role, from which session.

    ``at`` is when the page's spans were read: a later poll re-draws only what changed since.
    ``c`` is the document's count of span changes (``span_changes``) read no later than
    the page's fingerprint: while the count stays there, the fingerprint does too.
    """
    return signing.dumps(
        {
            "d": document.pk,
            "p": document.project_id,
            "u": user_id,
            "r": role,
            "s": session_mark(session_key),
            "at": round(time.time(), 3),
            "c": changes,
        },
        salt=LIVE_SALT,
    )


def read_live_token(token: str) -> dict | None:
    """Return what a live token signed, or None if it is forged or older than LIVE_MAX_AGE.

    Its age is counted from ``at``, which it signed when it was made.
    """
    try:
        payload = _verified(token, settings.SECRET_KEY)
    except signing.BadSignature:
        return None
    if not isinstance(payload.get("at"), int | float) or time.time() - payload["at"] > LIVE_MAX_AGE:
        return None
    return dict(payload)


@lru_cache(maxsize=4096)
def _verified(token: str, secret_key: str) -> dict:
    """The token's payload once its signature is checked (only valid ones are kept)."""
    return signing.loads(token, key=secret_key, salt=LIVE_SALT)


@dataclass(frozen=True, slots=True)
class PollState:
    #: Still an active member of the token's project in the token's role.
    member: bool
    #: The session named by the poll's cookie exists and has not expired.
    session: bool
    #: The document's revision; None when the document is gone (or in another project).
    revision: int | None
    #: The document's count of span changes (models.SpanChanges; 0 before the first).
    changes: int
    #: ``selectors.live_fingerprint`` of the spans the reader may see (one pass over them);
    #: None when only the count was read (``quick``).
    fingerprint: str | None


#: Stand-ins the poll's query is built with (``_compiled``), replaced by each poll's values.
_STAND_INS = {
    "u": -7_000_001,
    "p": -7_000_002,
    "d": -7_000_003,
    "r": "\x00role",
    "s": "\x00session",
}
_COMPILED: dict[tuple[str, bool, bool], tuple[str, list[tuple[str, object]]]] = {}


def span_changes() -> Coalesce:
    """The poll's document's count of span changes, 0 before its first (one row, by key)."""
    count = SpanChanges.objects.filter(document_id=OuterRef("pk")).values("changes")
    return Coalesce(Subquery(count), Value(0))


def _compiled(sees_all: bool, quick: bool) -> tuple[str, list[tuple[str, object]]]:
    """Return the poll's SQL and where each parameter comes from, built once per query shape.

    Building the query with the ORM cost a poll several times what running it does; the
    shape depends only on whether the role sees every span (permissions.py decides which
    spans a reader sees, as for every other query) and on whether it reads the spans'
    fingerprint or only the count of changes (``quick``). Each parameter is a token field
    (``("token", key)``) or a constant of the query (``("value", value)``).
    """
    key = (connection.alias, sees_all, quick)
    if key in _COMPILED:
        return _COMPILED[key]
    stand = _STAND_INS
    reader = get_user_model()(pk=stand["u"])
    role = next(iter(SEES_ALL_ROLES)) if sees_all else Role.ANNOTATOR
    spans = (
        spans_visible_in(reader, role, document=Document(pk=stand["d"]))
        .order_by()
        .values("document_id")
    )
    member = Membership.objects.filter(
        user_id=stand["u"], project_id=stand["p"], role=stand["r"], user__is_active=True
    )
    session = Session.objects.filter(session_key=stand["s"]).values("expire_date")
    fingerprint = (
        Value(None, output_field=CharField())
        if quick
        else Subquery(spans.annotate(f=fingerprint_expression()).values("f"))
    )
    # One statement: on PostgreSQL its subqueries share one snapshot, so the count and
    # the fingerprint read together agree (views/live.py signs them into the next token).
    query = (
        Document.objects.filter(pk=stand["d"], project_id=stand["p"])
        .annotate(
            member=Exists(member),
            session_expires=Subquery(session),
            changes=span_changes(),
            fingerprint=fingerprint,
        )
        .values_list("member", "session_expires", "revision", "changes", "fingerprint")
    )[:1]
    sql, params = query.query.sql_with_params()
    by_value = {value: name for name, value in stand.items()}
    slots = [
        ("token", by_value[value]) if value in by_value else ("value", value) for value in params
    ]
    _COMPILED[key] = (sql, slots)
    return sql, slots


def _as_datetime(value) -> datetime | None:
    if isinstance(value, str):  # SQLite hands a subquery's datetime back as text, in UTC
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def poll_state(token: dict, session_key: str = "", *, quick: bool = False) -> PollState:
    """Return what a poll with a valid ``token`` needs to know, in one query.

    ``quick`` reads the count of span changes only, not the spans' fingerprint.
    """
    sql, slots = _compiled(sees_every_span(token["r"]), quick)
    values = {**token, "s": session_key}
    params = [values[what] if source == "token" else what for source, what in slots]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return PollState(member=False, session=False, revision=None, changes=0, fingerprint="")
    member, expires, revision, changes, fingerprint = row
    expires = _as_datetime(expires)
    return PollState(
        member=bool(member),
        session=expires is not None and expires > timezone.now(),
        revision=revision,
        changes=changes,
        # No visible span: the subquery's group is empty.
        fingerprint=None if quick else fingerprint or EMPTY_FINGERPRINT,
    )


def known_state(request: HttpRequest, token: dict) -> PollState:
    """Return the poll state the middleware read for this very token, or read it now."""
    known = getattr(request, "herlens_poll_state", None)
    if known is not None and known[0] == token:
        return known[1]
    return poll_state(token)


def nothing_new(request: HttpRequest, document_id: int) -> bool:
    """Whether a poll may be answered 204 without the session, the user or the full view.

    False sends it to the full view, which decides as before; so every doubt here
    (no token, another session, a changed role, revision or fingerprint) costs one
    full check, never a missed update.
    """
    token = read_live_token(request.GET.get("t", ""))
    since = request.GET.get("v", "")
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    if not token or not since or not session_key or token.get("d") != document_id:
        return False
    if "p" not in token or not constant_time_compare(token.get("s", ""), session_mark(session_key)):
        return False
    reader_revision = request.GET.get("rv", "")
    if "c" in token:
        # Nothing changed since the page read its spans: 204 without reading them.
        state = poll_state(token, session_key, quick=True)
        if _current(state, reader_revision) and state.changes == token["c"]:
            return True
    state = poll_state(token, session_key)
    # A poll that finds something new goes on to the full view, which takes this state
    # rather than asking again (the fingerprint reads every span the reader may see).
    request.herlens_poll_state = (token, state)
    return _current(state, reader_revision) and state.fingerprint == since


def _current(state: PollState, reader_revision: str) -> bool:
    """The reader is still a member in the token's role, in their session, at the revision."""
    return (
        state.member
        and state.session
        and state.revision is not None
        and reader_revision in ("", str(state.revision))
    )
