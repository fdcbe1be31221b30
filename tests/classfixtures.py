"""A small class for class-mode tests: a teacher, three students, an essay with their spans."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from annotations import classroom
from annotations.models import Document, Project, Role
from tests import factories

ESSAY = (
    "The film argues that loneliness is a design problem. It will be remembered for its voice.\n\n"
    "Critics said the ending was too neat, and they may be right about that."
)


@dataclass
class Classroom:
    project: Project
    document: Document
    teacher: AbstractBaseUser
    alice: AbstractBaseUser
    bob: AbstractBaseUser
    carol: AbstractBaseUser
    viewer: AbstractBaseUser


def make_class(*, visibility: str = "blind") -> Classroom:
    teacher = factories.make_user()
    project = classroom.class_create(name=f"Class {teacher.pk}", teacher=teacher)
    project.visibility = visibility
    project.save(update_fields=["visibility"])
    document = factories.make_document(project, text=ESSAY, title="On loneliness")
    alice = factories.add_member(project, Role.ANNOTATOR)
    bob = factories.add_member(project, Role.ANNOTATOR)
    carol = factories.add_member(project, Role.ANNOTATOR)
    viewer = factories.add_member(project, Role.VIEWER)
    return Classroom(project, document, teacher, alice, bob, carol, viewer)


def phrase(document: Document, text: str) -> tuple[int, int]:
    start = document.text.index(text)
    return start, start + len(text)
