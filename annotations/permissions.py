"""Who may do what: one table from role to actions, and the querysets a user may see.

Every object a view touches is looked up through the user's memberships, so an
object of a project the user is not in is simply not found (404), never
"forbidden" (which would confirm it exists).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import DEFAULT_DB_ALIAS
from django.db.models import F, Q, QuerySet

from annotations.compiled import CompiledQuery
from annotations.models import Comment, Document, Membership, Project, Role, Span, Visibility
from annotations.params import MAX_ID


class Action(StrEnum):
    VIEW = "view"
    ANNOTATE = "annotate"
    EDIT_OWN_SPANS = "edit_own_spans"
    EDIT_ANY_SPAN = "edit_any_span"
    ADD_DOCUMENTS = "add_documents"
    MANAGE_TAGS = "manage_tags"
    #: Class mode: roster, join code, assignments, reveal, pinning feedback.
    TEACH = "teach"
    #: Class mode: build the reference layer from everyone's spans.
    ADJUDICATE = "adjudicate"
    #: Change a document's text (a new revision; the spans follow).
    REVISE = "revise"


#: The whole permission model. Tests generate their role x endpoint matrix from it.
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.EDITOR: frozenset(Action) - {Action.TEACH},
    Role.ANNOTATOR: frozenset({Action.VIEW, Action.ANNOTATE, Action.EDIT_OWN_SPANS}),
    Role.VIEWER: frozenset({Action.VIEW}),
}

FORBIDDEN_MESSAGES: dict[Action, str] = {
    Action.ANNOTATE: "Your role in this project is viewer: you can read, but not annotate.",
    Action.EDIT_OWN_SPANS: "Your role in this project is viewer: you can read, but not change spans.",
    Action.EDIT_ANY_SPAN: "You can change only your own spans; editors and owners can change everyone's.",
    Action.ADD_DOCUMENTS: "Only the project's editors and owners can add documents.",
    Action.MANAGE_TAGS: "Only the project's editors and owners can change its tags.",
    Action.TEACH: "Only the class's teacher can do that.",
    Action.ADJUDICATE: "Only the teacher or an editor can build the reference layer.",
    Action.REVISE: "Only the project's editors and owners can change a document's text.",
}

#: Why a student in a blind class has no suggestions.
SUGGESTIONS_HIDDEN = (
    "In a blind class, suggestions are for the teacher: they would show what classmates "
    "accepted or rejected."
)

User = AbstractBaseUser | AnonymousUser


def allows(role: str | None, action: Action) -> bool:
    """Return whether a role may perform an action (no role: nothing)."""
    return role is not None and action in ROLE_ACTIONS.get(role, frozenset())


def can_revise(role: str | None, user: User, document: Document) -> bool:
    """Return whether a member may change a document's text (make a new revision).

    Editors and owners always; in a class that allows it, the student who wrote the
    essay too (a new draft).
    """
    if allows(role, Action.REVISE):
        return True
    project = document.project
    return (
        allows(role, Action.ANNOTATE)
        and project.is_class
        and project.writers_may_revise
        and document.written_by_id is not None
        and document.written_by_id == user.pk
    )


def can_edit_span(role: str | None, user: User, span: Span) -> bool:
    """Return whether a member with this role may change or delete this span."""
    if allows(role, Action.EDIT_ANY_SPAN):
        return True
    return allows(role, Action.EDIT_OWN_SPANS) and span.author_id == user.pk


def visible_projects(user: User) -> QuerySet[Project]:
    """Return the projects a user is a member of."""
    if not user.is_authenticated:
        return Project.objects.none()
    return Project.objects.filter(memberships__user=user)


def visible_documents(user: User, *, with_role: bool = False) -> QuerySet[Document]:
    """Return the documents of the user's projects.

    ``with_role``: each document also carries ``member_role``, the user's role in its
    project, read from the membership the filter joins (one query, not two, per action).
    """
    if not user.is_authenticated:
        return Document.objects.none()
    documents = Document.objects.filter(project__memberships__user=user)
    if with_role:
        documents = documents.annotate(member_role=F("project__memberships__role"))
    return documents


# All but the text, which comes from ``document_text``.
_DOCUMENT_FIELDS = [
    field.attname for field in Document._meta.concrete_fields if field.attname != "text"
]
_PROJECT_FIELDS = [field.attname for field in Project._meta.concrete_fields]


def _document_and_role(user_id: int, document_id: int) -> QuerySet:
    # The rule of visible_documents(with_role=True), as plain columns: the document, its
    # project (as select_related would read it) and the role, from the membership the filter joins.
    return Document.objects.filter(
        project__memberships__user_id=user_id, pk=document_id
    ).values_list(
        *_DOCUMENT_FIELDS,
        *(f"project__{name}" for name in _PROJECT_FIELDS),
        "project__memberships__role",
    )[:1]


_DOCUMENT_AND_ROLE = CompiledQuery(_document_and_role, "user_id", "document_id")
_TEXT = CompiledQuery(
    lambda document_id: Document.with_trash.filter(pk=document_id).values_list("text"),
    "document_id",
)


#: Characters of text each process keeps (the texts used last); a text longer is read each time.
TEXTS_KEPT_CHARACTERS = 4_000_000
_texts: OrderedDict[tuple, str] = OrderedDict()
_texts_lock = threading.Lock()


def document_text(document: Document) -> str:
    """The document's text, read once per revision by each process.

    The text changes only as a new revision (services/revisions.document_revise), so the
    revision names it; the creation and the last change of the row are part of the key
    too, so that an id used again (a test database emptied) or a revision written in a
    transaction that was rolled back cannot give another text. Every action on a long
    essay read its 50,000 characters again, a fifth of a millisecond on PostgreSQL.
    """
    key = (document.pk, document.created_at, document.revision, document.updated_at)
    with _texts_lock:
        if key in _texts:
            _texts.move_to_end(key)
            return _texts[key]
    rows = _TEXT.rows(document_id=document.pk)
    if not rows:  # pragma: no cover - deleted between the two queries
        raise Document.DoesNotExist
    text = rows[0][0]
    with _texts_lock:
        _texts[key] = text
        kept = sum(map(len, _texts.values()))
        while _texts and kept > TEXTS_KEPT_CHARACTERS:
            kept -= len(_texts.popitem(last=False)[1])
    return text


def document_with_role(user: User, document_id: int) -> Document | None:
    """Return a document of the user's projects with its project and ``member_role`` set, or None.

    ``visible_documents(user, with_role=True).select_related("project")`` for one document,
    without compiling that query again on every request (annotations/compiled.py).
    """
    if not user.is_authenticated or not 0 < document_id <= MAX_ID:
        return None
    rows = _DOCUMENT_AND_ROLE.rows(user_id=user.pk, document_id=document_id)
    if not rows:
        return None
    row, split = rows[0], len(_DOCUMENT_FIELDS)
    document = Document.from_db(DEFAULT_DB_ALIAS, _DOCUMENT_FIELDS, row[:split])
    document.text = document_text(document)
    project = Project.from_db(DEFAULT_DB_ALIAS, _PROJECT_FIELDS, row[split:-1])
    Document.project.field.set_cached_value(document, project)
    document.member_role = row[-1]
    return document


# --------------------------------------------------------------------------- who sees which span
#
# Blind mode is decided here and nowhere else. Pages, fragments, the live poll,
# exports and the API ask ``spans_visible_in`` (one document or one project,
# role known) or ``visible_spans`` (all projects of a user) and never filter
# Span.objects themselves.

#: Roles that see every span of their projects, blind or not.
SEES_ALL_ROLES = frozenset({Role.OWNER, Role.EDITOR})


def sees_every_span(role: str | None) -> bool:
    return role in SEES_ALL_ROLES


def _member_span_rule(user: User) -> Q:
    return member_span_rule(user.pk)


def member_span_rule(user_id: int) -> Q:
    """Return the spans a member outside SEES_ALL_ROLES may see (the blind rule).

    Their own spans always; other readers' spans when the project is open or the
    document revealed; the reference layer only once the document is revealed.
    """
    return (
        Q(author_id=user_id, is_reference=False)
        | Q(is_reference=False, document__project__visibility=Visibility.OPEN)
        | Q(document__revealed_at__isnull=False)
    )


def span_visibility(user: User, role: str | None) -> Q:
    """Return the condition on spans that a member with ``role`` may see, for any span query.

    For callers that build their own span queries across documents (exports):
    ``Span.objects.filter(document__project=project).filter(span_visibility(user, role))``.
    """
    if role is None or not user.is_authenticated:
        return Q(pk__in=[])
    if sees_every_span(role):
        return Q()
    return _member_span_rule(user)


def spans_visible_in(
    user: User,
    role: str | None,
    *,
    document: Document | None = None,
    project: Project | None = None,
    with_orphans: bool = False,
) -> QuerySet[Span]:
    """Return the spans of one document (or one project) a member with ``role`` may see.

    ``role`` is the user's role in that project (``role_in`` gives it); None
    means a stranger, who sees nothing. Exports and the API call this with
    ``project=`` to stay blind-safe. ``with_orphans`` adds the spans a revision
    left without a place (the API and the JSONL export list them).
    """
    if (document is None) == (project is None):
        raise TypeError("Give exactly one of document= or project=.")
    if role is None or not user.is_authenticated:
        return Span.objects.none()
    manager = Span.everything if with_orphans else Span.objects
    spans = (
        manager.filter(document=document)
        if document is not None
        else manager.filter(document__project=project)
    )
    if sees_every_span(role):
        return spans
    return spans.filter(_member_span_rule(user))


def sees_suggestions(project: Project, role: str | None) -> bool:
    """Return whether a member reviews the machine's suggestions in this project.

    A suggestion and its accepted/rejected state are shared by everyone who reads
    the document, so in a blind project they would show what classmates decided;
    there only owners and editors (the teacher) see and review them.
    """
    if role is None:
        return False
    return sees_every_span(role) or project.visibility == Visibility.OPEN


def visible_spans(user: User, with_orphans: bool = False) -> QuerySet[Span]:
    """Return every span the user may see in any of their projects, blind mode applied."""
    if not user.is_authenticated:
        return Span.objects.none()
    manager = Span.everything if with_orphans else Span.objects
    # One filter() call, so both conditions use the same membership row.
    return manager.filter(
        Q(document__project__memberships__user=user)
        & (Q(document__project__memberships__role__in=SEES_ALL_ROLES) | _member_span_rule(user))
    )


def comments_visible_in(user: User, role: str | None, *, document: Document) -> QuerySet[Comment]:
    """Return the comments of a document a member may see: those on spans they may see."""
    return Comment.objects.filter(span__in=spans_visible_in(user, role, document=document))


def role_in(user: User, project: Project) -> str | None:
    """Return the user's role in the project, or None for a stranger."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user=user, project=project).values_list("role", flat=True).first()
    )
