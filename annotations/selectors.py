"""Read queries the pages share: spans with their tags and authors, class progress, locks
and the live fingerprint.

Who may see what is decided in permissions.py; these functions take what it
allows and shape it for a page, in a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import DEFAULT_DB_ALIAS
from django.db.models import CharField, Count, Max, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from annotations.compiled import CompiledQuery
from annotations.models import (
    Assignment,
    Document,
    Membership,
    Project,
    Role,
    Span,
    SpanChanges,
    SpanDeletion,
    Submission,
    SubmissionState,
    Tag,
    Visibility,
)
from annotations.permissions import sees_every_span

SUBMITTED_LOCK = "You submitted this document; ask your teacher to reopen it to change your spans."

_TAG_FIELDS = [field.attname for field in Tag._meta.concrete_fields]
_PROJECT_TAGS = CompiledQuery(
    lambda project_id: Tag.objects.filter(project_id=project_id).values_list(*_TAG_FIELDS),
    "project_id",
)


def project_tags(project: Project) -> list[Tag]:
    """Return ``list(project.tags.all())``, in the same order, from a query compiled once:
    every span action reads them (annotations/compiled.py)."""
    return [
        Tag.from_db(DEFAULT_DB_ALIAS, _TAG_FIELDS, row)
        for row in _PROJECT_TAGS.rows(project_id=project.pk)
    ]


def assignments_for(user: AbstractBaseUser, project: Project) -> list[Assignment]:
    """Return the assignments of a class that a student has to do."""
    return list(
        Assignment.objects.filter(document__project=project)
        .filter(Q(everyone=True) | Q(students=user))
        .select_related("document")
        .distinct()
        .order_by("due_at", "created_at")
    )


class Progress(NamedTuple):
    """Where a student is with an assignment."""

    status: str  #: one of Status
    spans: int


class Status:
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    SUBMITTED = "submitted"


def statuses(
    user_ids: Iterable[int], assignments: Sequence[Assignment]
) -> dict[tuple[int, int], Progress]:
    """Return {(assignment id, user id): Progress} in two queries."""
    user_ids = list(user_ids)
    documents = {a.document_id: a.pk for a in assignments}
    counts = {
        (documents[row["document_id"]], row["author_id"]): row["n"]
        for row in Span.objects.filter(
            document_id__in=documents, author_id__in=user_ids, is_reference=False
        )
        .values("document_id", "author_id")
        .annotate(n=Count("id"))
    }
    submitted = {
        (row[0], row[1])
        for row in Submission.objects.filter(
            assignment__in=assignments, student_id__in=user_ids, state=SubmissionState.SUBMITTED
        ).values_list("assignment_id", "student_id")
    }
    result = {}
    for assignment in assignments:
        for uid in user_ids:
            key = (assignment.pk, uid)
            n = counts.get(key, 0)
            if key in submitted:
                status = Status.SUBMITTED
            elif n:
                status = Status.IN_PROGRESS
            else:
                status = Status.NOT_STARTED
            result[key] = Progress(status, n)
    return result


def is_assigned(assignment: Assignment, user: AbstractBaseUser) -> bool:
    return assignment.everyone or assignment.students.filter(pk=user.pk).exists()


def is_locked(user: AbstractBaseUser, role: str | None, document: Document) -> bool:
    """Return whether the user's spans in this document are locked by a submission."""
    if role in (Role.OWNER, Role.EDITOR):
        return False
    return Submission.objects.filter(
        assignment__document=document, student_id=user.pk, state=SubmissionState.SUBMITTED
    ).exists()


#: The fingerprint of no spans at all (``live_fingerprint``'s count 0 and no latest change).
EMPTY_FINGERPRINT = "0."


def fingerprint_expression() -> Concat:
    """The spans' count and latest change as one text, computed in one pass over them.

    The database writes the text (its own way of writing a time), so the page and the
    poll (annotations/polling.py) must both take it from here to compare equal.
    """
    return Concat(Cast(Count("id"), CharField()), Value("."), Cast(Max("updated_at"), CharField()))


def live_fingerprint(spans) -> str:
    """Return a short string that changes whenever the given spans change (one query).

    Count catches deletions, the latest ``updated_at`` catches additions and
    edits (an undo re-saves the span, so it counts as new).
    """
    return spans.aggregate(fingerprint=fingerprint_expression())["fingerprint"] or EMPTY_FINGERPRINT


def document_span_changes(document_id: int) -> int:
    """Return how many times the document's spans (or what decides who sees them) changed.

    Database triggers keep the count (models.SpanChanges); 0 before the first change.
    """
    counted = SpanChanges.objects.filter(document_id=document_id).values_list("changes", flat=True)
    return counted.first() or 0


def spans_with_tags_and_authors(
    document: Document, tags: list[Tag], spans: Iterable[Span] | None = None
) -> list[Span]:
    """Return the document's spans (or the given ones) in reading order, tags and authors attached.

    Two queries whatever the number of spans; joining tag and author into every
    row would build three model instances per span.
    """
    spans = list(document.spans.all() if spans is None else spans)
    tag_by_id = {tag.pk: tag for tag in tags}
    author_ids = {span.author_id for span in spans}
    authors = {user.pk: user for user in get_user_model().objects.filter(pk__in=author_ids)}
    for span in spans:
        span.tag = tag_by_id[span.tag_id]
        span.author = authors[span.author_id]
    return spans


# --------------------------------------------------------------------------- deleted spans
# A second tab, or a classmate's page, may still show a span that was deleted; its next
# action meets "not found", and the answer says what happened (views/errors.py).
SPAN_DELETED_BY = (
    "This span was deleted by {who} at {when}. Reload the page to see the document as it is now."
)
SPAN_DELETED_BY_YOU = "You deleted this span at {when} (in another tab?). Reload the page to see the document as it is now."
SPAN_GONE = (
    "This span no longer exists: it was deleted. Reload the page to see the document as it is now."
)


def span_deletion_note(span_id: int, viewer: AbstractBaseUser) -> str | None:
    """Return what happened to a span this viewer asked for, or None if there is nothing to tell.

    Only a member of the span's project hears about it, and who deleted it only when the
    viewer could have seen the span (their own, or a project whose spans they all see).
    """
    if Span.objects.filter(pk=span_id).exists():
        return None
    deletion = (
        SpanDeletion.objects.filter(span_id=span_id)
        .select_related("document__project", "deleted_by")
        .first()
    )
    if deletion is None:
        return None
    role = (
        Membership.objects.filter(user=viewer, project_id=deletion.document.project_id)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        return None
    project = deletion.document.project
    could_see = (
        deletion.span_author_id == viewer.pk
        or sees_every_span(role)
        or project.visibility == Visibility.OPEN
        or deletion.document.revealed_at is not None
    )
    when = timezone.localtime(deletion.deleted_at).strftime("%H:%M")
    if deletion.deleted_by_id == viewer.pk:
        return SPAN_DELETED_BY_YOU.format(when=when)
    if not could_see or deletion.deleted_by is None:
        return SPAN_GONE
    return SPAN_DELETED_BY.format(who=deletion.deleted_by.get_username(), when=when)
