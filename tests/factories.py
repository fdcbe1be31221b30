"""Objects for tests, built through the same services the app uses."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from annotations import services
from annotations.models import Document, Membership, Project, Span, Tag

_counter = itertools.count(1)


def make_user(username: str | None = None, password: str = "pass-for-tests") -> AbstractBaseUser:
    username = username or f"user{next(_counter)}"
    return get_user_model().objects.create_user(username=username, password=password)


def make_project(owner: AbstractBaseUser | None = None, name: str | None = None) -> Project:
    owner = owner or make_user()
    name = name or f"Project {next(_counter)}"
    return services.project_create(name=name, owner=owner)


def add_member(
    project: Project, role: str, user: AbstractBaseUser | None = None
) -> AbstractBaseUser:
    user = user or make_user()
    Membership.objects.create(user=user, project=project, role=role)
    return user


def make_document(
    project: Project, text: str = "A short essay about a film.", title: str = "Essay"
) -> Document:
    return services.document_create(project=project, title=title, text=text)


def tag(project: Project, slug: str = "claim") -> Tag:
    return project.tags.get(slug=slug)


def make_span(
    document: Document,
    start: int,
    end: int,
    author: AbstractBaseUser,
    tag_slug: str = "claim",
) -> Span:
    span, _ = services.span_create(
        document=document, start=start, end=end, tag=tag(document.project, tag_slug), author=author
    )
    return span
