"""Class mode's writes: classes and joining, student accounts, roles, assignments, submissions,
reveal, comments and the reference layer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from annotations.models import (
    AccountSetup,
    Assignment,
    Comment,
    Document,
    Membership,
    Project,
    Role,
    Span,
    Submission,
    SubmissionState,
    Visibility,
)
from annotations.roster import (
    new_join_code,
    new_password,
    normalise_code,
    parse_roster,
    unique_username,
    username_base,
)
from annotations.selectors import is_assigned
from annotations.services.errors import DomainError
from annotations.services.projects import project_create
from annotations.services.spans import check_span_fields, span_get_or_create

JOIN_CLOSED = "This class is not taking new students; ask your teacher for a new code."
JOIN_UNKNOWN = (
    "No class has this code. Check it with your teacher (letters and digits, like K7QM-2XPA)."
)
ALREADY_MEMBER = "You are already in this class."
LAST_OWNER = "A class needs its teacher: give the owner role to someone else first."
NOT_A_STUDENT = "Only the class's students can be given assignments."
NOT_ASSIGNED = "This document is not assigned to you."
NOT_A_REFERENCE_SPAN = "Only a span of the reference layer can be removed from it."
EMPTY_COMMENT = "Write something first."
NO_NAMES = "Paste at least one name or e-mail address, one per line."
TOO_MANY_NAMES = "Create at most {limit} accounts at a time."
BULK_LIMIT = 200
#: How often a member's "last seen" is written at most (a page view is not worth a write each).
SEEN_EVERY_SECONDS = 300

User = get_user_model()


@transaction.atomic
def class_create(*, name: str, teacher: AbstractBaseUser, description: str = "") -> Project:
    """Create a class: a project owned by the teacher, blind, with an open join code."""
    project = project_create(name=name, owner=teacher, description=description)
    project.is_class = True
    project.visibility = Visibility.BLIND
    project.join_code = _free_code()
    project.join_open = True
    project.save(update_fields=["is_class", "visibility", "join_code", "join_open", "updated_at"])
    return project


def _free_code() -> str:
    for _ in range(20):
        code = new_join_code()
        if not Project.objects.filter(join_code=code).exists():
            return code
    raise DomainError("Could not find a free join code; try again.")  # pragma: no cover


@transaction.atomic
def join_code_rotate(*, project: Project) -> Project:
    """Give the class a new code (the old link stops working) and open it."""
    project.join_code = _free_code()
    project.join_open = True
    project.save(update_fields=["join_code", "join_open", "updated_at"])
    return project


def class_settings_update(
    *,
    project: Project,
    join_open: bool,
    visibility: str,
    allow_self_signup: bool,
    writers_may_revise: bool | None = None,
) -> Project:
    if visibility not in Visibility.values:
        raise DomainError("Choose blind or open.")
    project.join_open = join_open
    project.visibility = visibility
    project.allow_self_signup = allow_self_signup
    if writers_may_revise is not None:
        project.writers_may_revise = writers_may_revise
    if join_open and not project.join_code:
        project.join_code = _free_code()
    project.save(
        update_fields=[
            *("join_open", "visibility", "allow_self_signup", "writers_may_revise"),
            *("join_code", "updated_at"),
        ]
    )
    return project


def class_for_code(code: str) -> Project:
    """Return the class a code opens, or raise DomainError (unknown or closed)."""
    code = normalise_code(code)
    project = Project.objects.filter(join_code=code, is_class=True).first() if code else None
    if project is None:
        raise DomainError(JOIN_UNKNOWN)
    if not project.join_open:
        raise DomainError(JOIN_CLOSED)
    return project


@transaction.atomic
def class_join(*, code: str, user: AbstractBaseUser) -> tuple[Project, bool]:
    """Make the user a student (annotator) of the class the code opens; the bool says if new."""
    project = class_for_code(code)
    try:
        with transaction.atomic():
            _membership, created = Membership.objects.get_or_create(
                user=user, project=project, defaults={"role": Role.ANNOTATOR}
            )
    except IntegrityError:  # pragma: no cover - a double submit racing itself
        created = False
    return project, created


@dataclass(frozen=True, slots=True)
class NewAccount:
    name: str
    email: str
    username: str
    #: Shown once on the page that created it; only its hash is stored.
    password: str


@transaction.atomic
def accounts_create(*, project: Project, text: str, by: AbstractBaseUser) -> list[NewAccount]:
    """Create one student account per line, join them to the class, return one-time passwords."""
    people = parse_roster(text)
    if not people:
        raise DomainError(NO_NAMES)
    if len(people) > BULK_LIMIT:
        raise DomainError(TOO_MANY_NAMES.format(limit=BULK_LIMIT))
    bases = {username_base(p) for p in people}
    pattern = "|".join(re.escape(b) for b in bases)
    taken = {
        u.lower()
        for u in User.objects.filter(username__iregex=rf"^({pattern})[0-9]*$").values_list(
            "username", flat=True
        )
    }
    created: list[NewAccount] = []
    for person in people:
        username = unique_username(username_base(person), taken)
        password = new_password()
        first, _, last = person.name.partition(" ")
        user = User.objects.create_user(
            username=username,
            email=person.email,
            password=password,
            first_name=first[:150],
            last_name=last[:150],
        )
        AccountSetup.objects.create(user=user, created_by=by)
        Membership.objects.create(user=user, project=project, role=Role.ANNOTATOR)
        created.append(NewAccount(person.name, person.email, username, password))
    return created


@transaction.atomic
def membership_change(*, membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise DomainError("Choose one of the roles.")
    if membership.role == Role.OWNER and role != Role.OWNER:
        owners = Membership.objects.filter(project_id=membership.project_id, role=Role.OWNER)
        if owners.count() <= 1:
            raise DomainError(LAST_OWNER)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    """Remove a member; their spans stay (they are part of the class's corpus)."""
    if membership.role == Role.OWNER:
        owners = Membership.objects.filter(project_id=membership.project_id, role=Role.OWNER)
        if owners.count() <= 1:
            raise DomainError(LAST_OWNER)
    membership.delete()


def membership_seen(*, user: AbstractBaseUser, project_id: int) -> None:
    """Note that the member is active now; one conditional UPDATE, skipped if noted recently."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=SEEN_EVERY_SECONDS)
    Membership.objects.filter(user_id=user.pk, project_id=project_id).filter(
        Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=cutoff)
    ).update(last_seen_at=now)


@transaction.atomic
def assignment_set(
    *,
    document: Document,
    by: AbstractBaseUser,
    everyone: bool,
    students: Sequence[AbstractBaseUser] = (),
    due_at: datetime | None = None,
) -> Assignment:
    """Assign a document to the whole class or to chosen students (replacing the choice)."""
    student_ids = {s.pk for s in students}
    if not everyone:
        if not student_ids:
            raise DomainError("Choose at least one student, or assign to everyone.")
        members = set(
            Membership.objects.filter(
                project_id=document.project_id, user_id__in=student_ids, role=Role.ANNOTATOR
            ).values_list("user_id", flat=True)
        )
        if members != student_ids:
            raise DomainError(NOT_A_STUDENT)
    assignment, _ = Assignment.objects.update_or_create(
        document=document,
        defaults={"everyone": everyone, "due_at": due_at, "created_by": by},
    )
    assignment.students.set([] if everyone else sorted(student_ids))
    return assignment


@transaction.atomic
def assignment_remove(*, document: Document) -> None:
    Assignment.objects.filter(document=document).delete()


@transaction.atomic
def submission_submit(*, assignment: Assignment, student: AbstractBaseUser) -> Submission:
    if not is_assigned(assignment, student):
        raise DomainError(NOT_ASSIGNED)
    submission, _ = Submission.objects.update_or_create(
        assignment=assignment,
        student=student,
        defaults={"state": SubmissionState.SUBMITTED, "submitted_at": timezone.now()},
    )
    return submission


@transaction.atomic
def submission_reopen(*, submission: Submission) -> Submission:
    submission.state = SubmissionState.REOPENED
    submission.reopened_at = timezone.now()
    submission.save(update_fields=["state", "reopened_at"])
    return submission


@transaction.atomic
def document_reveal(*, document: Document, revealed: bool) -> Document:
    """Let students see each other's spans and the reference here (or hide them again)."""
    document.revealed_at = timezone.now() if revealed else None
    document.save(update_fields=["revealed_at", "updated_at"])
    return document


def _clean_comment(text: str) -> str:
    text = text.strip()
    if not text:
        raise DomainError(EMPTY_COMMENT)
    return text[:5000]


def comment_create(*, span: Span, author: AbstractBaseUser, text: str) -> Comment:
    return Comment.objects.create(span=span, author=author, text=_clean_comment(text))


def comment_update(*, comment: Comment, text: str) -> Comment:
    comment.text = _clean_comment(text)
    comment.save(update_fields=["text", "updated_at"])
    return comment


def comment_delete(*, comment: Comment) -> None:
    comment.delete()


def comment_pin(*, comment: Comment, pinned: bool) -> Comment:
    # Pinning is not an edit of the text: leave updated_at alone.
    Comment.objects.filter(pk=comment.pk).update(pinned=pinned)
    comment.pinned = pinned
    return comment


@transaction.atomic
def reference_add(
    *,
    document: Document,
    start: int,
    end: int,
    tag_id: int,
    by: AbstractBaseUser,
    note: str = "",
    quote: str | None = None,
) -> tuple[Span, bool]:
    """Put a passage into the document's reference layer; the bool says if it is new there.

    ``quote``, when given, must equal the text at [start, end) (a stale page must not
    put the wrong words into the reference).
    """
    tag = document.project.tags.get(pk=tag_id)
    check_span_fields(document=document, start=start, end=end, tag=tag, quote=quote)
    return span_get_or_create(document, start, end, tag, author=by, is_reference=True, note=note)


def reference_remove(*, span: Span, user: AbstractBaseUser | None = None) -> None:
    """Take a span out of the reference layer (into the trash); readers' own spans are
    never touched."""
    from annotations.services.trash import span_trash

    if not span.is_reference:
        raise DomainError(NOT_A_REFERENCE_SPAN)
    span_trash(span=span, user=user)


@transaction.atomic
def reference_accept_agreed(
    *,
    document: Document,
    min_readers: int,
    by: AbstractBaseUser,
    readers: Iterable[int] | None = None,
) -> int:
    """Accept every passage that at least ``min_readers`` readers marked exactly alike.

    Returns how many reference spans were added. ``readers`` limits whose
    spans count (default: every reader).
    """
    if min_readers < 1:
        raise DomainError("Ask for at least one reader.")
    spans = Span.objects.filter(document=document, is_reference=False)
    if readers is not None:
        spans = spans.filter(author_id__in=list(readers))
    groups = (
        spans.values("start", "end", "tag_id")
        .annotate(readers=Count("author_id", distinct=True))
        .filter(readers__gte=min_readers)
    )
    added = 0
    for group in groups:
        _span, created = reference_add(
            document=document,
            start=group["start"],
            end=group["end"],
            tag_id=group["tag_id"],
            by=by,
        )
        added += created
    return added
