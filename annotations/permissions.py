"""Who may do what: one table from role to actions, and the querysets a user may see.

Every object a view touches is looked up through the user's memberships, so an
object of a project the user is not in is simply not found (404), never
"forbidden" (which would confirm it exists).
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from annotations.models import Document, Membership, Project, Role, Span


class Action(StrEnum):
    VIEW = "view"
    ANNOTATE = "annotate"
    EDIT_OWN_SPANS = "edit_own_spans"
    EDIT_ANY_SPAN = "edit_any_span"
    ADD_DOCUMENTS = "add_documents"
    MANAGE_TAGS = "manage_tags"


#: The whole permission model. Tests generate their role x endpoint matrix from it.
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.EDITOR: frozenset(Action),
    Role.ANNOTATOR: frozenset({Action.VIEW, Action.ANNOTATE, Action.EDIT_OWN_SPANS}),
    Role.VIEWER: frozenset({Action.VIEW}),
}

FORBIDDEN_MESSAGES: dict[Action, str] = {
    Action.ANNOTATE: "Your role in this project is viewer: you can read, but not annotate.",
    Action.EDIT_OWN_SPANS: "Your role in this project is viewer: you can read, but not change spans.",
    Action.EDIT_ANY_SPAN: "You can change only your own spans; editors and owners can change everyone's.",
    Action.ADD_DOCUMENTS: "Only the project's editors and owners can add documents.",
    Action.MANAGE_TAGS: "Only the project's editors and owners can change its tags.",
}

User = AbstractBaseUser | AnonymousUser


def allows(role: str | None, action: Action) -> bool:
    """Return whether a role may perform an action (no role: nothing)."""
    return role is not None and action in ROLE_ACTIONS.get(role, frozenset())


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


def visible_documents(user: User) -> QuerySet[Document]:
    if not user.is_authenticated:
        return Document.objects.none()
    return Document.objects.filter(project__memberships__user=user)


def visible_spans(user: User) -> QuerySet[Span]:
    if not user.is_authenticated:
        return Span.objects.none()
    return Span.objects.filter(document__project__memberships__user=user)


def role_in(user: User, project: Project) -> str | None:
    """Return the user's role in the project, or None for a stranger."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user=user, project=project).values_list("role", flat=True).first()
    )
