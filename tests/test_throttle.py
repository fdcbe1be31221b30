"""Counting failed guesses per client: refused past the limit, free again when the window ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from annotations import throttle
from annotations.models import Throttle

RULE = throttle.Rule("test", limit=3, window=timedelta(minutes=10), what="guesses")


@pytest.mark.django_db
def test_blocked_after_the_limit_and_only_that_client():
    for _ in range(RULE.limit - 1):
        throttle.record_failure(RULE, "198.51.100.1")
    assert not throttle.is_blocked(RULE, "198.51.100.1")
    throttle.record_failure(RULE, "198.51.100.1")
    assert throttle.is_blocked(RULE, "198.51.100.1")
    assert not throttle.is_blocked(RULE, "198.51.100.2")
    assert not throttle.is_blocked(throttle.Rule("other", 3, RULE.window, "x"), "198.51.100.1")


@pytest.mark.django_db
def test_a_window_that_has_ended_starts_counting_again():
    for _ in range(RULE.limit):
        throttle.record_failure(RULE, "198.51.100.1")
    Throttle.objects.update(window_start=timezone.now() - RULE.window - timedelta(seconds=1))
    assert not throttle.is_blocked(RULE, "198.51.100.1")
    throttle.record_failure(RULE, "198.51.100.1")
    assert Throttle.objects.get().failures == 1
    assert not throttle.is_blocked(RULE, "198.51.100.1")


def test_message_names_what_and_how_long():
    assert (
        RULE.message == "Too many wrong guesses from your network; wait 10 minutes and try again."
    )


@pytest.mark.django_db
def test_ended_windows_of_other_clients_are_cleared():
    throttle.record_failure(RULE, "198.51.100.1")
    Throttle.objects.update(window_start=timezone.now() - RULE.window - timedelta(seconds=1))
    throttle.record_failure(RULE, "198.51.100.2")
    assert list(Throttle.objects.values_list("key", flat=True)) == ["198.51.100.2"]
