"""The live poll's signed token, and the one-query answer to a poll whose page is current.

The annotate page's poller asks every few seconds with the fingerprint of the
spans it shows (``v``), the revision it shows (``rv``) and a token signed here
naming the document, its project, the reader, their role, when the page read
its spans and the session it was issued to. A class of a hundred polling every
three seconds is most of what the server does, and almost every poll finds
nothing new; ``LivePollMiddleware`` answers those with 204 before the session,
the user or the rest of the middleware are loaded, after one query
(``poll_state``) that checks, on indexes:

- the session the token was issued to still exists and has not expired (a
  log-out ends it), and the poll carries its cookie;
- the reader is still an active member of the project in the same role (a
  removed or demoted member falls through to the full check on the next poll);
- the document is still there at the page's revision;
- the spans this reader may see have the page's fingerprint.

Anything else goes to the full view (views/live.py), which loads the session
and the user and looks the document up through the memberships as every view does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import signing
from django.db.models import Count, Exists, Max, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.dateparse import parse_datetime

from annotations.models import Document, Membership
from annotations.permissions import spans_visible_in

LIVE_SALT = "herlens.live"
#: A poll token is re-issued after this long, so a removed member stops getting updates.
LIVE_MAX_AGE = 600
#: htmx treats 204 as "nothing to swap" and keeps polling (286 would stop it).
NOTHING_CHANGED = 204


def session_mark(session_key: str | None) -> str:
    """A keyed digest of the session key: the token names its session without carrying it."""
    if not session_key:
        return ""
    return salted_hmac(LIVE_SALT + ".session", session_key).hexdigest()[:20]


def live_token(document: Document, user_id: int, role: str, session_key: str | None) -> str:
    """Sign who polls which document (and its project) in which role, from which session.

    ``at`` is when the page's spans were read: a later poll re-draws only what changed since.
    """
    return signing.dumps(
        {
            "d": document.pk,
            "p": document.project_id,
            "u": user_id,
            "r": role,
            "s": session_mark(session_key),
            "at": round(time.time(), 3),
        },
        salt=LIVE_SALT,
    )


def read_live_token(token: str) -> dict | None:
    try:
        return signing.loads(token, salt=LIVE_SALT, max_age=LIVE_MAX_AGE)
    except signing.BadSignature:
        return None


@dataclass(frozen=True, slots=True)
class PollState:
    #: Still an active member of the token's project in the token's role.
    member: bool
    #: The session named by the poll's cookie exists and has not expired.
    session: bool
    #: The document's revision; None when the document is gone (or in another project).
    revision: int | None
    #: ``selectors.live_fingerprint`` of the spans the reader may see.
    fingerprint: str


def poll_state(token: dict, session_key: str = "") -> PollState:
    """Return what a poll with a valid ``token`` needs to know, in one query."""
    reader = get_user_model()(pk=token["u"])
    spans = (
        spans_visible_in(reader, token["r"], document=Document(pk=token["d"]))
        .order_by()
        .values("document_id")
    )
    member = Membership.objects.filter(
        user_id=token["u"], project_id=token["p"], role=token["r"], user__is_active=True
    )
    live_session = Session.objects.filter(session_key=session_key, expire_date__gt=timezone.now())
    row = (
        Document.objects.filter(pk=token["d"], project_id=token["p"])
        .annotate(
            member=Exists(member),
            session=Exists(live_session),
            span_count=Subquery(spans.annotate(n=Count("id")).values("n")),
            span_last=Subquery(spans.annotate(last=Max("updated_at")).values("last")),
        )
        .values_list("member", "session", "revision", "span_count", "span_last")
        .first()
    )
    if row is None:
        return PollState(member=False, session=False, revision=None, fingerprint="")
    member, session, revision, count, last = row
    if isinstance(last, str):  # SQLite hands a subquery's datetime back as text, in UTC
        last = parse_datetime(last)
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    stamp = last.timestamp() if last else 0
    return PollState(bool(member), bool(session), revision, f"{count or 0}.{stamp:.6f}")


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
    state = poll_state(token, session_key)
    reader_revision = request.GET.get("rv", "")
    return (
        state.member
        and state.session
        and state.revision is not None
        and reader_revision in ("", str(state.revision))
        and state.fingerprint == since
    )
