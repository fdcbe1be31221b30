"""Class mode writes and look-ups: joining, accounts, assignments, reveal, comments, reference.

Services follow services.py: keyword-only, atomic, ``DomainError`` with a
message a person can act on. The pure helpers (roster parsing, usernames,
pseudonyms) sit at the top so they can be tested without a database.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher, make_password
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from annotations.concurrency import COMMENT_CHANGED, COMMENT_GONE, EditConflict, Gone
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
from annotations.services import DomainError, project_create

JOIN_CLOSED = "This class is not taking new students; ask your teacher for a new code."
JOIN_UNKNOWN = (
    "No class has this code. Check it with your teacher (letters and digits, like K7QM-2XPA)."
)
ALREADY_MEMBER = "You are already in this class."
LAST_OWNER = "A class needs its teacher: give the owner role to someone else first."
NOT_A_STUDENT = "Only the class's students can be given assignments."
SUBMITTED_LOCK = "You submitted this document; ask your teacher to reopen it to change your spans."
NOT_ASSIGNED = "This document is not assigned to you."
EMPTY_COMMENT = "Write something first."
NO_NAMES = "Paste at least one name or e-mail address, one per line."
TOO_MANY_NAMES = "Create at most {limit} accounts at a time."
REFERENCE_ONLY_FROM_SPAN = "Only a reader's span can be accepted into the reference layer."

#: Letters and digits that cannot be misread for each other (no 0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
BULK_LIMIT = 200
#: How often a member's "last seen" is written at most (a page view is not worth a write each).
SEEN_EVERY_SECONDS = 300
ACCOUNTS_RACE = (
    "Another teacher created accounts with the same names at the same moment; "
    "nothing was created, send the list again."
)
#: PBKDF2 rounds for a one-time password. Slow hashing protects passwords people choose;
#: these are 12 random characters from 31 (59 bits) and must be replaced at first login,
#: where Django rehashes them with its full default. At a million rounds a class of
#: 100 took longer than the web server waits for an answer.
ONE_TIME_PASSWORD_ITERATIONS = 20_000

User = get_user_model()


# --------------------------------------------------------------------------- pure helpers


def new_join_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str:
    """Return a typed or pasted code in stored form: upper case, no dashes or spaces."""
    return re.sub(r"[^A-Z0-9]", "", raw.upper())


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


def new_password() -> str:
    """Return a one-time password easy to read aloud and type: three groups of four."""
    alphabet = CODE_ALPHABET.lower()
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


EMAIL_RE = re.compile(r"[^\s<>,;@]+@[^\s<>,;@]+\.[^\s<>,;@]+")


@dataclass(frozen=True, slots=True)
class RosterLine:
    name: str
    email: str


def parse_roster(text: str) -> list[RosterLine]:
    """Read one person per line: "Ada Lovelace <ada@example.org>", "Ada, ada@x.org", a name or an e-mail."""
    people: list[RosterLine] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        match = EMAIL_RE.search(line)
        email = match.group(0).lower() if match else ""
        name = (line[: match.start()] + line[match.end() :]) if match else line
        name = re.sub(r"[<>,;\t]+", " ", name)
        name = " ".join(name.split())
        people.append(RosterLine(name=name, email=email))
    return people


def username_base(line: RosterLine) -> str:
    """Return a plain ASCII username stem: the e-mail's local part, or first name + last initial."""
    if line.email:
        stem = line.email.split("@", 1)[0]
    else:
        words = line.name.split()
        stem = words[0] + (words[-1][:1] if len(words) > 1 else "") if words else ""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^a-z0-9._-]", "", ascii_stem.lower())[:24]
    return cleaned or "student"


def unique_username(base: str, taken: set[str]) -> str:
    """Return ``base`` or ``base2``, ``base3``... whichever is not taken (case-insensitively)."""
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{base}{n}"
    taken.add(candidate.lower())
    return candidate


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


# --------------------------------------------------------------------------- classes and joining


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
) -> Project:
    if visibility not in Visibility.values:
        raise DomainError("Choose blind or open.")
    project.join_open = join_open
    project.visibility = visibility
    project.allow_self_signup = allow_self_signup
    if join_open and not project.join_code:
        project.join_code = _free_code()
    project.save(
        update_fields=["join_open", "visibility", "allow_self_signup", "join_code", "updated_at"]
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


def _one_time_hash(hasher, password: str) -> str:
    if isinstance(hasher, PBKDF2PasswordHasher):
        return hasher.encode(password, hasher.salt(), iterations=ONE_TIME_PASSWORD_ITERATIONS)
    return make_password(password, hasher=hasher)


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
    hasher = get_hasher()
    created: list[NewAccount] = []
    users = []
    for person in people:
        username = unique_username(username_base(person), taken)
        password = new_password()
        first, _, last = person.name.partition(" ")
        users.append(
            User(
                username=username,
                email=User.objects.normalize_email(person.email),
                password=_one_time_hash(hasher, password),
                first_name=first[:150],
                last_name=last[:150],
            )
        )
        created.append(NewAccount(person.name, person.email, username, password))
    try:
        with transaction.atomic():
            users = User.objects.bulk_create(users)
    except IntegrityError:
        raise DomainError(ACCOUNTS_RACE) from None
    AccountSetup.objects.bulk_create([AccountSetup(user=user, created_by=by) for user in users])
    Membership.objects.bulk_create(
        [Membership(user=user, project=project, role=Role.ANNOTATOR) for user in users]
    )
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
    cutoff = now - timezone.timedelta(seconds=SEEN_EVERY_SECONDS)
    Membership.objects.filter(user_id=user.pk, project_id=project_id).filter(
        Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=cutoff)
    ).update(last_seen_at=now)


# --------------------------------------------------------------------------- assignments


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


def assignments_for(user: AbstractBaseUser, project: Project) -> list[Assignment]:
    """Return the assignments of a class that a student has to do."""
    return list(
        Assignment.objects.filter(document__project=project)
        .filter(Q(everyone=True) | Q(students=user))
        .select_related("document")
        .distinct()
        .order_by("due_at", "created_at")
    )


class Status:
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    SUBMITTED = "submitted"


def statuses(user_ids: Iterable[int], assignments: Sequence[Assignment]) -> dict:
    """Return {(assignment id, user id): (status, span count)} in two queries."""
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
            result[key] = (status, n)
    return result


def is_assigned(assignment: Assignment, user: AbstractBaseUser) -> bool:
    return assignment.everyone or assignment.students.filter(pk=user.pk).exists()


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


def is_locked(user: AbstractBaseUser, role: str | None, document: Document) -> bool:
    """Return whether the user's spans in this document are locked by a submission."""
    if role in (Role.OWNER, Role.EDITOR):
        return False
    return Submission.objects.filter(
        assignment__document=document, student_id=user.pk, state=SubmissionState.SUBMITTED
    ).exists()


@transaction.atomic
def document_reveal(*, document: Document, revealed: bool) -> Document:
    """Let students see each other's spans and the reference here (or hide them again)."""
    document.revealed_at = timezone.now() if revealed else None
    document.save(update_fields=["revealed_at", "updated_at"])
    return document


# --------------------------------------------------------------------------- comments


def _clean_comment(text: str) -> str:
    text = text.strip()
    if not text:
        raise DomainError(EMPTY_COMMENT)
    return text[:5000]


def comment_create(*, span: Span, author: AbstractBaseUser, text: str) -> Comment:
    return Comment.objects.create(span=span, author=author, text=_clean_comment(text))


def comment_update(*, comment: Comment, text: str, version: int | None = None) -> Comment:
    """Change a comment's text; refused with ``EditConflict`` if it changed since ``version``."""
    text = _clean_comment(text)
    with transaction.atomic():
        current = Comment.objects.select_for_update().filter(pk=comment.pk).first()
        if current is None:
            raise Gone(COMMENT_GONE)
        if version is not None and current.version != version:
            raise EditConflict(COMMENT_CHANGED, current)
        Comment.objects.filter(pk=comment.pk).update(
            text=text, updated_at=timezone.now(), version=F("version") + 1
        )
        comment.refresh_from_db()  # inside: a delete may follow the moment this commits
    return comment


def comment_pin(*, comment: Comment, pinned: bool) -> Comment:
    # Pinning is not an edit of the text: leave updated_at alone.
    Comment.objects.filter(pk=comment.pk).update(pinned=pinned)
    comment.pinned = pinned
    return comment


# --------------------------------------------------------------------------- reference layer


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
    from annotations.offsets import OffsetError, check_quote
    from annotations.services import _check_span_fields

    tag = document.project.tags.get(pk=tag_id)
    _check_span_fields(document=document, start=start, end=end, tag=tag)
    if quote is not None:
        try:
            check_quote(document.text, start, end, quote)
        except OffsetError as error:
            raise DomainError(str(error)[:1].upper() + str(error)[1:]) from None
    return Span.objects.get_or_create(
        document=document,
        start=start,
        end=end,
        tag=tag,
        is_reference=True,
        defaults={"author": by, "quote": document.text[start:end], "note": note},
    )


def reference_accept(*, span: Span, by: AbstractBaseUser) -> tuple[Span, bool]:
    """Copy a reader's span into the reference layer."""
    if span.is_reference:
        raise DomainError(REFERENCE_ONLY_FROM_SPAN)
    return reference_add(
        document=span.document, start=span.start, end=span.end, tag_id=span.tag_id, by=by
    )


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


def live_fingerprint(spans) -> str:
    """Return a short string that changes whenever the given spans change (one query).

    Count catches deletions, the latest ``updated_at`` catches additions and
    edits (an undo re-saves the span, so it counts as new).
    """
    row = spans.aggregate(n=Count("id"), last=Max("updated_at"))
    last = row["last"].timestamp() if row["last"] else 0
    return f"{row['n']}.{last:.6f}"


def annotator_ids(document_ids: Iterable[int]) -> list[int]:
    """Return the ids of users with a reader's span in these documents, in id order."""
    return sorted(
        set(
            Span.objects.filter(document_id__in=list(document_ids), is_reference=False)
            .order_by()  # Span's default ordering would defeat DISTINCT
            .values_list("author_id", flat=True)
            .distinct()
        )
    )


def group_by_author(spans: Iterable[Span]) -> dict[int, list[Span]]:
    grouped: dict[int, list[Span]] = defaultdict(list)
    for span in spans:
        grouped[span.author_id].append(span)
    return grouped
