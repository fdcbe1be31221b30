from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotations.models import ApiToken
from annotations.services.tokens import (
    TOKEN_NAME_MISSING,
    TOKEN_PREFIX,
    api_token_create,
    api_token_user,
)
from tests import factories


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def test_account_page_lists_tokens_without_their_secret(owner_client, owner):
    api_token_create(user=owner, name="notebook")
    page = owner_client.get(reverse("annotations:account")).content.decode()
    assert "<html" in page
    assert "notebook" in page
    assert ApiToken.objects.get().prefix in page


def test_created_token_is_shown_once_and_works(owner_client, owner, client):
    response = owner_client.post(reverse("annotations:token-create"), {"name": "course"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = response.context["new_token"]
    assert raw in response.content.decode()
    assert api_token_user(raw) == owner
    again = owner_client.get(reverse("annotations:account")).content.decode()
    assert raw not in again


def test_token_needs_a_name(owner_client):
    response = owner_client.post(reverse("annotations:token-create"), {"name": " "})
    assert response.status_code == 400
    assert TOKEN_NAME_MISSING in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoking_a_token_stops_it(owner_client, owner):
    token, raw = api_token_create(user=owner, name="old")
    response = owner_client.post(reverse("annotations:token-revoke", args=[token.pk]))
    assert response.status_code == 302
    assert api_token_user(raw) is None


def test_another_users_token_cannot_be_revoked(owner_client, db):
    token, raw = api_token_create(user=factories.make_user("other"), name="theirs")
    response = owner_client.post(reverse("annotations:token-revoke", args=[token.pk]))
    assert response.status_code == 404
    assert api_token_user(raw) is not None


def test_account_page_needs_login(client, db):
    response = client.get(reverse("annotations:account"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_create_api_token_command_prints_a_working_token(owner):
    out = io.StringIO()
    call_command("create_api_token", "owner", "--name", "cron", stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith(TOKEN_PREFIX)
    assert api_token_user(raw) == owner
    assert ApiToken.objects.get().name == "cron"


def test_create_api_token_command_refuses_unknown_users(db):
    with pytest.raises(CommandError, match="no user “ghost”"):
        call_command("create_api_token", "ghost")
