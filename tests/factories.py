"""Objects for tests, built through the same services the app uses."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from annotations.models import Document, Membership, Project, Role, Span, Tag
from annotations.services.classes import class_create
from annotations.services.documents import document_create
from annotations.services.projects import project_create
from annotations.services.spans import span_create

_counter = itertools.count(1)


def make_user(username: str | None = None, password: str = "pass-for-tests") -> AbstractBaseUser:
    username = username or f"user{next(_counter)}"
    return get_user_model().objects.create_user(username=username, password=password)


def make_project(owner: AbstractBaseUser | None = None, name: str | None = None) -> Project:
    owner = owner or make_user()
    name = name or f"Project {next(_counter)}"
    return project_create(name=name, owner=owner)


def add_member(
    project: Project, role: str, user: AbstractBaseUser | None = None
) -> AbstractBaseUser:
    user = user or make_user()
    Membership.objects.create(user=user, project=project, role=role)
    return user


def make_document(
    project: Project, text: str = "A short essay about a film.", title: str = "Essay"
) -> Document:
    return document_create(project=project, title=title, text=text)


def tag(project: Project, slug: str = "claim") -> Tag:
    return project.tags.get(slug=slug)


def make_span(
    document: Document,
    start: int,
    end: int,
    author: AbstractBaseUser,
    tag_slug: str = "claim",
) -> Span:
    span, _ = span_create(
        document=document, start=start, end=end, tag=tag(document.project, tag_slug), author=author
    )
    return span


# --------------------------------------------------------------------------- class mode
CLASS_ESSAY = (
    "The film argues that loneliness is a design problem. It will be remembered for its voice.\n\n"
    "Critics said the ending was too neat, and they may be right about that."
)


@dataclass
class Classroom:
    """A small class: a teacher, three students and a viewer, one essay."""

    project: Project
    document: Document
    teacher: AbstractBaseUser
    alice: AbstractBaseUser
    bob: AbstractBaseUser
    carol: AbstractBaseUser
    viewer: AbstractBaseUser


def make_class(*, visibility: str = "blind") -> Classroom:
    teacher = make_user()
    project = class_create(name=f"Class {teacher.pk}", teacher=teacher)
    project.visibility = visibility
    project.save(update_fields=["visibility"])
    document = make_document(project, text=CLASS_ESSAY, title="On loneliness")
    alice = add_member(project, Role.ANNOTATOR)
    bob = add_member(project, Role.ANNOTATOR)
    carol = add_member(project, Role.ANNOTATOR)
    viewer = add_member(project, Role.VIEWER)
    return Classroom(project, document, teacher, alice, bob, carol, viewer)


def phrase(document: Document, text: str) -> tuple[int, int]:
    start = document.text.index(text)
    return start, start + len(text)


def client_for(user: AbstractBaseUser) -> Client:
    """Return a test client logged in as user."""
    client = Client()
    client.force_login(user)
    return client
