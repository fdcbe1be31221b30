"""The annotation domain: projects, their members, tags, documents and spans."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.text import slugify

from annotations.offsets import normalise_text

COLOUR_RE = re.compile(r"^#[0-9a-f]{6}$")

#: The tags every new project starts with: (name, slug, colour, shortcut, hint).
DEFAULT_TAGS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "Claim",
        "claim",
        "#e4a11b",
        "c",
        "An arguable assertion made by the author or reported by them.",
    ),
    ("Prediction", "prediction", "#3b82c4", "p", "A statement about what will or may happen."),
    (
        "Film reference",
        "film-reference",
        "#c2477f",
        "f",
        "A film's title, one of its characters, its director or an actor.",
    ),
)


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    EDITOR = "editor", "Editor"
    ANNOTATOR = "annotator", "Annotator"
    VIEWER = "viewer", "Viewer"


class Origin(models.TextChoices):
    MANUAL = "manual", "Manual"
    SUGGESTION = "suggestion", "Accepted suggestion"


class Project(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    #: Markdown, rendered (HTML switched off, then sanitised) beside the text.
    guidelines = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("annotations:project", kwargs={"slug": self.slug})


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "project"], name="membership_unique_user_project"
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} ({self.role})"


class Tag(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80)
    colour = models.CharField(
        max_length=7,
        default="#888888",
        validators=[RegexValidator(COLOUR_RE, "Use a colour like #3b82c4 (# and six hex digits).")],
    )
    #: One key that tags the current selection on the annotate page; blank for none.
    shortcut = models.CharField(max_length=1, blank=True)
    description = models.TextField(blank=True, help_text="Shown as a hint beside the tag.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "slug"], name="tag_unique_slug_per_project"),
            models.UniqueConstraint(fields=["project", "name"], name="tag_unique_name_per_project"),
            models.UniqueConstraint(
                fields=["project", "shortcut"],
                condition=~Q(shortcut=""),
                name="tag_unique_shortcut_per_project",
            ),
            # Colours go into the page's stylesheet, so only plain hex may be stored.
            models.CheckConstraint(
                condition=Q(colour__regex=r"^#[0-9a-f]{6}$"), name="tag_colour_hex"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.colour = (self.colour or "").lower()
        self.shortcut = (self.shortcut or "").lower()
        if not self.slug:
            self.slug = slugify(self.name)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.colour = (self.colour or "").lower()
        self.shortcut = (self.shortcut or "").lower()
        if not self.slug:
            self.slug = slugify(self.name)
        if self.shortcut and not self.shortcut.isprintable():
            raise ValidationError({"shortcut": "Use one printable key, such as c or 1."})
        if self.shortcut.isspace():
            raise ValidationError({"shortcut": "A space cannot be a shortcut."})


class DocumentQuerySet(models.QuerySet):
    def with_span_counts(self) -> DocumentQuerySet:
        return self.annotate(span_count=models.Count("spans"))


class Document(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=300)
    author = models.CharField(max_length=200, blank=True)
    source = models.CharField(
        max_length=500, blank=True, help_text="Where the text comes from (URL or citation)."
    )
    #: Normalised on save (NFC, "\n" line endings): every offset counts code points into this.
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.text = normalise_text(self.text)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(
            "annotations:document", kwargs={"slug": self.project.slug, "document_id": self.pk}
        )


class Span(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="spans")
    #: Code points into document.text; end is exclusive, so text[start:end] == quote.
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="spans")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="spans"
    )
    note = models.TextField(blank=True)
    #: The text the span covered when made; checked against the document on every write.
    quote = models.TextField()
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.MANUAL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["document", "start", "-end", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__gte=0) & Q(start__lt=F("end")), name="span_start_before_end"
            ),
            # A double-click or a replayed request must not create the same span twice.
            models.UniqueConstraint(
                fields=["document", "start", "end", "tag", "author"], name="span_unique_per_author"
            ),
            models.CheckConstraint(condition=Q(origin__in=Origin.values), name="span_origin_valid"),
        ]
        indexes = [
            # Re-rendering a paragraph asks for the spans that overlap a range of one document.
            models.Index(fields=["document", "start", "end"], name="span_document_range"),
        ]

    def __str__(self) -> str:
        return f"{self.tag} {self.start}-{self.end} in {self.document_id}"

    @property
    def length(self) -> int:
        return self.end - self.start
