"""The session store: Django's database sessions, read by a query compiled once."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from annotations.sessions import SessionStore


def test_the_app_uses_it():
    assert settings.SESSION_ENGINE == "annotations.sessions"


def test_a_saved_session_loads_as_django_loads_it(db):
    saved = SessionStore()
    saved["colour"] = "blue"
    saved.create()
    mine, djangos = SessionStore(saved.session_key), DjangoStore(saved.session_key)
    assert mine.load() == djangos.load() == {"colour": "blue"}
    assert mine.session_key == saved.session_key


def test_an_expired_or_unknown_session_loads_empty_and_gets_no_key(db):
    saved = SessionStore()
    saved["colour"] = "blue"
    saved.create()
    Session.objects.filter(session_key=saved.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    expired = SessionStore(saved.session_key)
    assert expired.load() == {}
    assert expired.session_key is None
    unknown = SessionStore("x" * 32)
    assert unknown.load() == {}
    assert unknown.session_key is None


def test_a_logged_in_reader_stays_logged_in(client, owner):
    client.force_login(owner)
    assert client.get("/").context["user"] == owner
