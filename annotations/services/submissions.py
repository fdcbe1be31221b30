"""Create forms that take effect once, however often they are sent.

A create form carries a random token (``{% once_field %}``). The first request
with it claims the token in the same transaction as the object it creates; a
double click or a retry with the same token waits for that transaction, then
finds the claim and answers with the object the first request made. A form
without a token (an old page) simply creates, as before.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from annotations.models import FormSubmission

FIELD = "once"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
#: Claims older than this are deleted when new ones are made (a form is not resent after a day).
KEEP = timedelta(days=1)

M = TypeVar("M", bound=models.Model)


def new_token() -> str:
    return secrets.token_urlsafe(18)


def create_once(
    request: HttpRequest, kind: str, create: Callable[[], M], model: type[M]
) -> tuple[M | None, bool]:
    """Run ``create`` unless this form was sent before; return (object, created).

    A repeated form returns the object the first send made (None if it has been
    deleted since) and False. Errors from ``create`` leave the token unclaimed, so
    the corrected form can be sent again.
    """
    token = request.POST.get(FIELD, "")
    if not _TOKEN.match(token):
        return create(), True
    try:
        with transaction.atomic():
            claim = FormSubmission.objects.create(user=request.user, token=token, kind=kind)
            made = create()
            claim.object_id = made.pk
            claim.save(update_fields=["object_id"])
    except IntegrityError:
        earlier = FormSubmission.objects.filter(user=request.user, token=token, kind=kind).first()
        if earlier is None:
            raise  # not a repeat: the create itself broke a rule of the database
        return model.objects.filter(pk=earlier.object_id).first(), False
    if secrets.randbelow(100) == 0:  # now and then, forget old claims
        FormSubmission.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
    return made, True
