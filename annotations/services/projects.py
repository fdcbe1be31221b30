"""Projects: creating one with its default tags, and the project-wide settings."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.text import slugify

from annotations.models import (
    DEFAULT_TAGS,
    Membership,
    Project,
    Role,
    Tag,
)
from annotations.offsets import normalise_text
from annotations.services.errors import DomainError

SLUG_TAKEN = "A project with the address “{slug}” exists already; choose another."


@transaction.atomic
def project_create(
    *,
    name: str,
    owner: AbstractBaseUser,
    slug: str = "",
    description: str = "",
    guidelines: str = "",
    with_default_tags: bool = True,
) -> Project:
    """Create a project owned by ``owner`` with the three default tags."""
    slug = slugify(slug or name)[:80]
    if not slug:
        raise DomainError("Give the project a name with at least one letter or digit.")
    if Project.objects.filter(slug=slug).exists():
        raise DomainError(SLUG_TAKEN.format(slug=slug))
    project = Project.objects.create(
        name=name.strip(), slug=slug, description=description, guidelines=guidelines
    )
    Membership.objects.create(user=owner, project=project, role=Role.OWNER)
    if with_default_tags:
        fields = ("name", "slug", "colour", "shortcut", "description")
        for position, values in enumerate(DEFAULT_TAGS):
            Tag.objects.create(
                project=project, position=position, **dict(zip(fields, values, strict=True))
            )
    return project


def project_film_names_update(*, project: Project, names: str) -> Project:
    """Store the project's film names, one per line, trimmed and without duplicates."""
    lines = (line.strip() for line in normalise_text(names).splitlines())
    project.film_names = "\n".join(dict.fromkeys(line for line in lines if line))
    project.save(update_fields=["film_names", "updated_at"])
    return project


@transaction.atomic
def tag_create(*, tag: Tag) -> Tag:
    """Store a new tag (checked by its form) at the end of its project's toolbar."""
    tag.position = Tag.objects.filter(project_id=tag.project_id).count()
    tag.full_clean()
    tag.save()
    return tag
