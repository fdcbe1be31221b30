"""The account page: personal API tokens, created (shown once) and revoked."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from annotations.services.errors import DomainError
from annotations.services.tokens import api_token_create, api_token_revoke
from annotations.views.access import HtmxHttpRequest

TEMPLATE = "annotations/account.html"


def _context(request: HtmxHttpRequest, **extra) -> dict:
    return {"tokens": request.user.api_tokens.all(), **extra}


@require_GET
def account_page(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, TEMPLATE, _context(request))


@never_cache
@require_POST
def token_create(request: HtmxHttpRequest) -> HttpResponse:
    """Create a token and show it in this response only; it is never shown again."""
    try:
        token, raw = api_token_create(user=request.user, name=request.POST.get("name", ""))
    except DomainError as error:
        return render(request, TEMPLATE, _context(request, error=str(error)), status=400)
    return render(request, TEMPLATE, _context(request, new_token=raw, new_token_name=token.name))


@require_POST
def token_revoke(request: HtmxHttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(request.user.api_tokens, pk=token_id)
    api_token_revoke(token=token)
    messages.success(request, f"Revoked the token “{token.name}”.")
    return redirect("annotations:account")
