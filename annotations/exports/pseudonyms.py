"""Stable pseudonyms for sharing a corpus: annotator-01, annotator-02... instead of usernames."""

from __future__ import annotations

from collections.abc import Iterable

from annotations.models import Membership, Project, Span


def pseudonym_map(user_ids: Iterable[int]) -> dict[int, str]:
    """Map user ids to annotator-01, annotator-02... in id order, so the mapping is stable."""
    ordered = sorted(set(user_ids))
    width = max(2, len(str(len(ordered))))
    return {uid: f"annotator-{n:0{width}d}" for n, uid in enumerate(ordered, start=1)}


def project_pseudonyms(project: Project) -> dict[int, str]:
    """Map everyone who is or was in the project (members and span authors) to a pseudonym.

    For sharing a class corpus: exports replace author names with these. The
    numbering follows user ids, so it does not change when members come or go.
    """
    members = Membership.objects.filter(project=project).values_list("user_id", flat=True)
    authors = (
        Span.objects.filter(document__project=project)
        .order_by()  # Span's default ordering would defeat DISTINCT
        .values_list("author_id", flat=True)
        .distinct()
    )
    return pseudonym_map({*members, *authors})
