"""Documents: storing a pasted text (normalised) and finding a text already stored."""

from __future__ import annotations

import hashlib

from django.db import transaction

from annotations.models import (
    Document,
    Project,
    Revision,
)
from annotations.offsets import normalise_text
from annotations.services.errors import EMPTY_TEXT, EMPTY_TITLE, DomainError
from annotations.services.suggestions import suggestion_run_enqueue


@transaction.atomic
def document_create(
    *,
    project: Project,
    title: str,
    text: str,
    author: str = "",
    source: str = "",
    suggest: bool = True,
) -> Document:
    """Store a document with its text normalised (NFC, "\\n" line endings).

    With ``suggest`` the suggestion task is enqueued once the document is committed.
    """
    text = normalise_text(text)
    title = title.strip()
    if not title:
        raise DomainError(EMPTY_TITLE)
    if not text.strip():
        raise DomainError(EMPTY_TEXT)
    document = Document.objects.create(
        project=project, title=title, text=text, author=author.strip(), source=source.strip()
    )
    Revision.objects.create(document=document, number=1, text=text, created_at=document.created_at)
    if suggest:
        suggestion_run_enqueue(document=document)
    return document


def text_fingerprint(text: str) -> str:
    """Return the fingerprint that finds the same text twice (after normalising)."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def project_fingerprints(project: Project) -> set[str]:
    """Return the fingerprints of the texts already in a project (one pass, little memory)."""
    texts = Document.objects.filter(project=project).values_list("text", flat=True)
    return {text_fingerprint(text) for text in texts.iterator(chunk_size=200)}
