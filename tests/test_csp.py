"""Every page carries a Content-Security-Policy that runs no inline script, and needs none."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests import factories

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def script_sources(policy: str) -> str:
    return next(part.strip() for part in policy.split(";") if part.strip().startswith("script-src"))


@pytest.mark.django_db
def test_pages_send_the_policy_and_hold_no_inline_script_or_handler(project, owner):
    document = factories.make_document(project, text="An essay with <b>markup</b> in it.")
    admin = get_user_model().objects.create_superuser("site-admin", "", "pass-for-tests")
    admin_client = Client()
    admin_client.force_login(admin)
    pages = [
        (Client(), "/accounts/login/"),
        (factories.client_for(owner), "/"),
        (factories.client_for(owner), project.get_absolute_url()),
        (factories.client_for(owner), document.get_absolute_url()),
        (factories.client_for(owner), "/accounts/password_change/"),
        (admin_client, "/admin/"),
        (admin_client, "/admin/annotations/project/"),
    ]
    for client, path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert script_sources(response["Content-Security-Policy"]) == "script-src 'self'", path
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), (path, INLINE_SCRIPT.search(html).group())
        assert not HANDLER.search(html), (path, HANDLER.search(html).group())


def test_htmx_is_told_not_to_eval(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert '"allowEval": false' in html
