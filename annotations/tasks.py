"""Background tasks: thin wrappers that take ids and call a service."""

from __future__ import annotations

from django.conf import settings
from django_tasks import task

from annotations import services


@task()
def suggest_document(document_id: int) -> dict[str, int]:
    """Compute and store the suggestions of one document (safe to run more than once)."""
    return services.document_suggest(document_id=document_id, model=settings.HERLENS_SPACY_MODEL)


@task()
def suggest_documents(document_ids: list[int]) -> dict[str, int]:
    """Compute and store the suggestions of several documents in batches (a project's run)."""
    results = services.documents_suggest(
        document_ids=document_ids, model=settings.HERLENS_SPACY_MODEL
    )
    return {
        "documents": len(results),
        "added": sum(counts["added"] for counts in results.values()),
        "pending": sum(counts["pending"] for counts in results.values()),
    }
