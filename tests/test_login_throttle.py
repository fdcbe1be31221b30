"""Log-in throttling: wrong passwords for one account, or from one address, pause log-ins."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from tests import factories

LIMIT = settings.AXES_FAILURE_LIMIT


def log_in(client, username, password, address="203.0.113.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_after_the_limit_even_the_right_password_is_refused_with_a_clear_page(client, db):
    factories.make_user("ana", password="right-horse-battery")
    for _ in range(LIMIT - 1):
        assert log_in(client, "ana", "wrong").status_code == 200  # the form again, with its error
    assert log_in(client, "ana", "wrong").status_code == 429  # the failure that reaches the limit
    response = log_in(client, "ana", "right-horse-battery")
    assert response.status_code == 429
    assert "Log-in paused" in response.content.decode()
    assert "15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_fifty_wrong_passwords_from_many_addresses_still_lock_the_account(client, db):
    factories.make_user("ana", password="right-horse-battery")
    for attempt in range(50):
        log_in(client, "ana", "wrong", address=f"198.51.100.{attempt}")
    response = log_in(client, "ana", "right-horse-battery", address="192.0.2.1")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_one_address_trying_many_accounts_is_paused(client, db):
    factories.make_user("li", password="right-horse-battery")
    for attempt in range(settings.HERLENS_LOGIN_ADDRESS_LIMIT):
        log_in(client, f"guess{attempt}", "wrong")
    response = log_in(client, "li", "right-horse-battery")
    assert response.status_code == 429
    assert "Log-in paused" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_classroom_behind_one_address_mistyping_is_not_paused(client, db):
    """Thirty students, one address: a typo each does not lock the class out."""
    for student in range(30):
        factories.make_user(f"student{student}", password="right-horse-battery")
    for student in range(30):
        log_in(client, f"student{student}", "typo")
    for student in range(30):
        assert log_in(client, f"student{student}", "right-horse-battery").status_code == 302
        client.logout()


def test_a_few_mistakes_then_the_right_password_logs_in_and_resets_the_count(client, db):
    factories.make_user("ana", password="right-horse-battery")
    for _ in range(LIMIT - 1):
        log_in(client, "ana", "wrong")
    response = log_in(client, "ana", "right-horse-battery")
    assert response.status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        log_in(client, "ana", "wrong")
    assert log_in(client, "ana", "right-horse-battery").status_code == 302


def test_forwarded_for_header_does_not_escape_the_lock(client, db):
    factories.make_user("ana", password="right-horse-battery")
    for attempt in range(settings.HERLENS_LOGIN_ADDRESS_LIMIT):
        client.post(
            reverse("login"),
            {"username": f"other{attempt}", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}",
        )
    response = client.post(
        reverse("login"),
        {"username": "ana", "password": "right-horse-battery"},
        HTTP_X_FORWARDED_FOR="192.0.2.99",
    )
    assert response.status_code == 429
