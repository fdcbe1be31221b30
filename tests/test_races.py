"""Requests racing each other end in one write and a clear answer, never a 500 or a duplicate.

These run for real from many threads (transaction=True: each thread its own connection).
"""

from __future__ import annotations

import pytest
from django.test import Client

from annotations import services
from annotations.models import IdempotencyKey, Role, Span
from tests import factories
from tests.concurrency import at_once

API = "/api/v1"
pytestmark = pytest.mark.django_db(transaction=True)


def _token(user) -> str:
    _token, raw = services.api_token_create(user=user, name="race")
    return raw


def test_one_idempotency_key_with_fifty_bodies_creates_one_span(project, document):
    annotator = factories.add_member(project, Role.ANNOTATOR)
    raw = _token(annotator)
    words = [(i, i + 3) for i in range(0, 50)]

    def post(number: int) -> int:
        start, end = words[number]
        return (
            Client()
            .post(
                f"{API}/documents/{document.pk}/spans",
                {"start": start, "end": end, "tag": "claim"},
                content_type="application/json",
                headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": "same-key"},
            )
            .status_code
        )

    statuses = at_once(50, post)
    assert Span.objects.filter(author=annotator).count() == 1
    assert IdempotencyKey.objects.filter(user=annotator).count() == 1
    assert sorted(set(statuses)) in ([201, 422], [201])
    assert statuses.count(201) == 1
