"""The annotation domain: projects, their members, tags, documents and spans."""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
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
    #: Film titles, characters and people (aliases too), one per line: extra film-reference
    #: suggestions wherever they occur, on top of the rules that need no list.
    film_names = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("annotations:project", kwargs={"slug": self.slug})

    @property
    def film_name_list(self) -> tuple[str, ...]:
        """Return the project's film names, one per non-empty line, without duplicates."""
        names = (line.strip() for line in self.film_names.splitlines())
        return tuple(dict.fromkeys(name for name in names if name))


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


class SuggestionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class Suggestion(models.Model):
    """A span the pipeline proposes; a reviewer accepts it (making a Span) or rejects it.

    Decided suggestions stay, so the same words are never proposed again for the
    same tag, and the project page can count what each rule earns.
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="suggestions")
    #: Code points into document.text, end exclusive, like Span.
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="suggestions")
    score = models.FloatField()
    #: Names the cue that fired, for the reviewer: 'future modal "will" + time frame "by 2035"'.
    reason = models.CharField(max_length=500)
    #: The rule's stable name (counts per rule on the project page).
    rule = models.CharField(max_length=40, blank=True)
    quote = models.TextField()
    status = models.CharField(
        max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    #: The span an acceptance created (kept for undo and for counting).
    span = models.ForeignKey(
        Span, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "start", "-end", "tag_id"]
        constraints = [
            # A task that runs twice (at-least-once delivery) must not duplicate suggestions.
            models.UniqueConstraint(
                fields=["document", "start", "end", "tag"], name="suggestion_unique_place_tag"
            ),
            models.CheckConstraint(
                condition=Q(start__gte=0) & Q(start__lt=F("end")),
                name="suggestion_start_before_end",
            ),
            models.CheckConstraint(
                condition=Q(status__in=SuggestionStatus.values), name="suggestion_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=1), name="suggestion_score_0_1"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_at__isnull=False)),
                name="suggestion_decided_at_iff_decided",
            ),
        ]
        indexes = [
            models.Index(fields=["document", "status"], name="suggestion_document_status"),
            # Words rejected for a tag are not suggested again anywhere in the project.
            models.Index(
                fields=["tag"],
                condition=Q(status="rejected"),
                name="suggestion_rejected_by_tag",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tag} {self.start}-{self.end} in {self.document_id} ({self.status})"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class SuggestionRun(models.Model):
    """The state of computing suggestions for one document: what the page polls."""

    document = models.OneToOneField(
        Document, on_delete=models.CASCADE, related_name="suggestion_run"
    )
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    #: The background task's result id, to tell a stale worker from the current one.
    task_id = models.CharField(max_length=64, blank=True)
    #: Why it failed, for the page (never a traceback).
    error = models.TextField(blank=True)
    #: Suggestions added by the last run, and pending after it.
    added = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)
    #: Base pipeline used (HERLENS_SPACY_MODEL), so a change of model can be seen.
    model = models.CharField(max_length=200, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RunStatus.values), name="run_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"suggestions for {self.document_id}: {self.status}"

    #: A run queued or running for longer than this probably lost its worker (killed,
    #: restarted): the page stops polling and offers Suggest again.
    STALE_AFTER = timedelta(minutes=10)

    @property
    def is_finished(self) -> bool:
        return self.status in {RunStatus.DONE, RunStatus.FAILED}

    @property
    def is_stale(self) -> bool:
        since = self.started_at if self.status == RunStatus.RUNNING else self.queued_at
        return (
            not self.is_finished and since is not None and timezone.now() - since > self.STALE_AFTER
        )

    @property
    def is_active(self) -> bool:
        """Whether the page should poll: queued or running, and not stale."""
        return not self.is_finished and not self.is_stale
