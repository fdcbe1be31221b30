"""The annotation domain: projects, their members, tags, documents and spans."""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from annotations.offsets import normalise_text
from annotations.params import is_id

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
    """A member's role in a project; each label is the value in title case."""

    OWNER = "owner"
    EDITOR = "editor"
    ANNOTATOR = "annotator"
    VIEWER = "viewer"


class Origin(models.TextChoices):
    MANUAL = "manual", "Manual"
    SUGGESTION = "suggestion", "Accepted suggestion"


class Visibility(models.TextChoices):
    #: Annotators see only their own spans until the document is revealed.
    BLIND = "blind", "Blind: students see only their own spans until you reveal a document"
    OPEN = "open", "Open: everyone sees everyone's spans"


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
    # --- class mode
    #: A class: the owner teaches, students join with a code and get assignments.
    is_class = models.BooleanField(default=False)
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.OPEN)
    #: Short code a logged-in user enters (or follows as a link) to join as annotator.
    join_code = models.CharField(max_length=16, blank=True)
    join_open = models.BooleanField(default=False)
    #: Whether someone without an account may create one on the join page.
    allow_self_signup = models.BooleanField(default=False)
    #: Whether a student may hand in a new draft (a revision) of an essay they wrote.
    writers_may_revise = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["join_code"], condition=~Q(join_code=""), name="project_unique_join_code"
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=Visibility.values), name="project_visibility_valid"
            ),
        ]

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
    #: Last time the member opened a document of the project (updated at most every few minutes).
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "project"], name="membership_unique_user_project"
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} ({self.role})"


#: Keys the annotate, review and adjudication pages use themselves (static/herlens.js,
#: herlens-suggest.js, classes.js); a tag on one of them would never fire or would
#: change what the key does (x in review would retag instead of rejecting).
RESERVED_SHORTCUTS = frozenset("rxjkhla?[]")
RESERVED_SHORTCUT = (
    "The key “{key}” is used by the page itself ({keys}); choose another, such as a letter "
    "or a digit."
)


def optional_user(related_name: str = "+") -> models.ForeignKey:
    """A person an object keeps only as a record (who deleted, edited, decided): deleting their
    account keeps the object and forgets the name."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name=related_name,
    )


def reserved_shortcut_message(key: str) -> str:
    keys = " ".join(sorted(RESERVED_SHORTCUTS)) + " Enter Esc"
    return RESERVED_SHORTCUT.format(key=key, keys=keys)


def tag_slug(name: str) -> str:
    """Return the slug of a tag name, in any script ("Предсказание" -> "предсказание").

    A name of symbols only ("!!!") has no letter to keep; its characters' code points stand in.
    """
    slug = slugify(name, allow_unicode=True)[:80]
    if slug:
        return slug
    return "u" + "-".join(f"{ord(char):x}" for char in name.strip())[:79]


class TagQuerySet(models.QuerySet):
    def find(self, key: str, *, by_name: bool = True, by_id: bool = False) -> Tag | None:
        """Return the tag a person named: by slug, else by id (digits), else by name in any case."""
        if not key:
            return None
        if by_id and is_id(key):
            # Digits may be a slug or an id: one query asks for both, the slug wins.
            found = list(self.filter(Q(slug=key) | Q(pk=int(key)))[:2])
            tag = min(found, key=lambda each: each.slug != key, default=None)
        else:
            tag = self.filter(slug=key).first()
        if tag is None and by_name:
            tag = self.filter(name__iexact=key.strip()).first()
        return tag


class Tag(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, allow_unicode=True)
    colour = models.CharField(
        max_length=7,
        default="#888888",
        validators=[RegexValidator(COLOUR_RE, "Use a colour like #3b82c4 (# and six hex digits).")],
    )
    #: One key that tags the current selection on the annotate page; blank for none.
    shortcut = models.CharField(max_length=1, blank=True)
    description = models.TextField(blank=True, help_text="Shown as a hint beside the tag.")
    position = models.PositiveSmallIntegerField(default=0)

    objects = TagQuerySet.as_manager()

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
        self._normalise()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self._normalise()
        if self.shortcut and not self.shortcut.isprintable():
            raise ValidationError({"shortcut": "Use one printable key, such as c or 1."})
        if self.shortcut.isspace():
            raise ValidationError({"shortcut": "A space cannot be a shortcut."})
        if self.shortcut in RESERVED_SHORTCUTS:
            raise ValidationError({"shortcut": reserved_shortcut_message(self.shortcut)})

    def _normalise(self) -> None:
        self.colour = (self.colour or "").lower()
        self.shortcut = (self.shortcut or "").lower()
        if not self.slug:
            self.slug = tag_slug(self.name)


class AnchorState(models.TextChoices):
    """Where a span stands after the text was revised (see annotations/anchoring.py)."""

    EXACT = "exact", "On the same words"
    CHANGED = "changed", "Its words were edited"
    ORPHANED = "orphaned", "Its words are gone"


class DocumentQuerySet(models.QuerySet):
    def with_span_counts(self) -> DocumentQuerySet:
        # Orphans have no place in the text, and the trash is not the text's either.
        return self.annotate(
            span_count=models.Count(
                "spans",
                filter=Q(spans__deleted_at__isnull=True) & ~Q(spans__anchor=AnchorState.ORPHANED),
            )
        )


class LiveDocumentManager(models.Manager.from_queryset(DocumentQuerySet)):
    """Documents not in the trash: the default, so a trashed document is found nowhere."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


#: How long a deleted document or span can be restored from the trash.
TRASH_DAYS = 30


class Document(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=300)
    author = models.CharField(max_length=200, blank=True)
    source = models.CharField(
        max_length=500, blank=True, help_text="Where the text comes from (URL or citation)."
    )
    #: Normalised on save (NFC, "\n" line endings): every offset counts code points into this.
    text = models.TextField()
    #: Extra fields that came with the text on import (other CSV columns, JSONL metadata).
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    #: In a blind project, when the teacher let students see each other's spans here.
    revealed_at = models.DateTimeField(null=True, blank=True)
    #: Number of the current revision; ``text`` is always that revision's text and
    #: changes only through annotations.services.revisions.document_revise.
    revision = models.PositiveIntegerField(default=1, db_default=1)
    #: In the trash since then (restorable for TRASH_DAYS days); null for a live document.
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = optional_user()
    #: In a class, the student who wrote the essay (may hand in new drafts when allowed).
    written_by = optional_user(related_name="written_documents")
    #: Where the sentences and paragraphs of ``text`` begin and end
    #: (annotations.sentences.text_breaks), so an export need not scan the text again;
    #: kept by save() and the import. Null: not worked out (the export scans the text).
    sentence_breaks = models.BinaryField(null=True, blank=True, editable=False)

    objects = LiveDocumentManager()
    #: Documents in the trash too.
    with_trash = DocumentQuerySet.as_manager()  # noqa: DJ012 - a manager, which ruff takes for a field

    class Meta:
        ordering = ["created_at", "id"]
        base_manager_name = "with_trash"

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.text = normalise_text(self.text)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:  # any iterable: read once
            update_fields = kwargs["update_fields"] = set(update_fields)
        if update_fields is None or "text" in update_fields:
            # Imported here: the splitter's expression is compiled on first use, not
            # in the start-up of every command.
            from annotations.sentences import text_breaks

            self.sentence_breaks = text_breaks(self.text)
            if update_fields is not None:
                update_fields.add("sentence_breaks")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(
            "annotations:document", kwargs={"slug": self.project.slug, "document_id": self.pk}
        )


class Revision(models.Model):
    """One version of a document's text; the highest number is the current text."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    #: Null for the text a document was created or imported with before revisions existed.
    created_by = optional_user()
    created_at = models.DateTimeField(default=timezone.now)
    #: What the editor said about the change ("second draft", "typos fixed").
    message = models.CharField(max_length=300, blank=True)
    #: What the revision did to the spans: {"exact": n, "changed": n, "orphaned": n, ...}.
    summary = models.JSONField(default=dict, blank=True)
    #: The spans as they stood on this revision when the next one replaced it (one
    #: object per span: id, start, end, quote, tag, author, note, anchor), so an
    #: older revision can be read and exported with its own spans.
    spans_snapshot = models.JSONField(null=True, blank=True)
    #: The suggestions this revision dropped because their words were edited or removed:
    #: {"words", "tag", "status", "start", "end"} each, offsets into the revision before.
    lost_suggestions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="revision_unique_number_per_document"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="revision_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.document} revision {self.number}"


class PlacedSpanManager(models.Manager):
    """Spans that have a place in the current text: orphans and the trash are left out.

    The default manager, so every page, export and count that does not ask for
    orphans on purpose (``Span.everything``) only ever sees offsets it can use.
    """

    def get_queryset(self) -> models.QuerySet:
        return (
            super()
            .get_queryset()
            .filter(deleted_at__isnull=True)
            .exclude(anchor=AnchorState.ORPHANED)
        )


class LiveSpanManager(models.Manager):
    """Spans not in the trash, orphans included."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class Span(models.Model):
    # No index of its own: span_document_range and span_document_updated start with the
    # document and serve every lookup by it; one more index would only slow every write.
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="spans", db_index=False
    )
    #: Code points into document.text; end is exclusive, so text[start:end] == quote.
    #: Both null only for an orphan (its words are gone from the current revision).
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="spans")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="spans"
    )
    note = models.TextField(blank=True)
    #: The text the span covered when made; checked against the document on every write.
    quote = models.TextField()
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.MANUAL)
    #: Part of the adjudicated reference layer (author is whoever accepted it into the layer).
    is_reference = models.BooleanField(default=False)
    #: exact: on the words it was made on; changed: a revision edited words inside it;
    #: orphaned: a revision removed its words (quote keeps them, offsets are null).
    #: (Database defaults too: imports write spans with plain INSERTs.)
    anchor = models.CharField(
        max_length=8,
        choices=AnchorState.choices,
        default=AnchorState.EXACT,
        db_default=AnchorState.EXACT,
    )
    #: The text either side of the quote when it was orphaned, to find it again later.
    prefix = models.TextField(blank=True, default="", db_default="")
    suffix = models.TextField(blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    #: Counts the span's edits: a write naming an older version was made on a stale copy
    #: and is refused (409), so two people saving at once cannot overwrite each other unseen.
    version = models.PositiveIntegerField(default=1, db_default=1)
    #: Who made the last edit (the author until someone else edits it).
    updated_by = optional_user()

    #: In the trash since then (restorable for TRASH_DAYS days); null for a live span.
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = optional_user()

    objects = PlacedSpanManager()
    #: Every span of a document, orphans included (not the trash).
    everything = LiveSpanManager()  # noqa: DJ012 - a manager, which ruff takes for a field
    #: Spans in the trash too.
    with_trash = models.Manager()  # noqa: DJ012 - a manager, which ruff takes for a field

    class Meta:
        ordering = ["document", "start", "-end", "id"]
        base_manager_name = "with_trash"
        constraints = [
            # A placed span covers at least one character; an orphan has no offsets.
            models.CheckConstraint(
                condition=(
                    ~Q(anchor="orphaned")
                    & Q(start__isnull=False, end__isnull=False)
                    & Q(start__gte=0)
                    & Q(start__lt=F("end"))
                )
                | Q(anchor="orphaned", start__isnull=True, end__isnull=True),
                name="span_start_before_end",
            ),
            models.CheckConstraint(
                condition=Q(anchor__in=AnchorState.values), name="span_anchor_valid"
            ),
            # A double-click or a replayed request must not create the same span twice.
            # (Spans in the trash do not count: a deleted span can be made again.)
            models.UniqueConstraint(
                fields=["document", "start", "end", "tag", "author"],
                condition=Q(is_reference=False, deleted_at__isnull=True),
                name="span_unique_per_author",
            ),
            # The reference layer holds each passage and tag once, whoever adjudicated it.
            models.UniqueConstraint(
                fields=["document", "start", "end", "tag"],
                condition=Q(is_reference=True, deleted_at__isnull=True),
                name="span_unique_reference",
            ),
            models.CheckConstraint(condition=Q(origin__in=Origin.values), name="span_origin_valid"),
        ]
        indexes = [
            # Re-rendering a paragraph asks for the spans that overlap a range of one document.
            models.Index(fields=["document", "start", "end"], name="span_document_range"),
            # The live poll asks for the count and latest change of one document's spans.
            models.Index(fields=["document", "updated_at"], name="span_document_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.tag} {self.start}-{self.end} in {self.document_id}"

    @property
    def length(self) -> int:
        return 0 if self.is_orphan else self.end - self.start

    @property
    def is_orphan(self) -> bool:
        return self.anchor == AnchorState.ORPHANED


class SpanEventKind(models.TextChoices):
    CREATED = "created", "Created"
    RETAGGED = "retagged", "Tag changed"
    NOTE = "note", "Note edited"
    MOVED = "moved", "Moved with a revision"
    CHANGED = "changed", "Words edited by a revision"
    ORPHANED = "orphaned", "Words removed by a revision"
    REFOUND = "refound", "Words found again by a revision"
    REATTACHED = "reattached", "Attached to new words"
    CONFIRMED = "confirmed", "New words confirmed"
    DELETED = "deleted", "Deleted"
    RESTORED = "restored", "Restored"


class SpanEvent(models.Model):
    """One line of a span's history: who did what to it, and when."""

    span = models.ForeignKey(Span, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=SpanEventKind.choices)
    #: Null when nobody in particular did it (a revision saved through the API is still
    #: someone's; this is for rows written before history was kept).
    actor = optional_user()
    created_at = models.DateTimeField(default=timezone.now)
    #: The document's revision the event happened on.
    revision = models.PositiveIntegerField(null=True, blank=True)
    #: What changed, for the panel: {"from": ..., "to": ...}.
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["span", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SpanEventKind.values), name="spanevent_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["span", "created_at"], name="spanevent_span_time")]

    def __str__(self) -> str:
        return f"{self.kind} span {self.span_id}"


#: How long a deleted span's place is kept: longer than a live poll token lives (10 minutes).
REMOVAL_KEPT = timedelta(hours=1)


class SpanRemoval(models.Model):
    """Where a span was, for a while after it was deleted.

    A live poll re-draws only the paragraphs that changed since the poller was
    issued: those of spans changed since (``Span.updated_at``) and those of spans
    deleted since, which only this row remembers.
    """

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    removed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["document", "removed_at"], name="span_removal_document_time"),
        ]

    def __str__(self) -> str:
        return f"removed {self.start}-{self.end} in {self.document_id}"


class SpanChanges(models.Model):
    """How many times the spans a reader of one document may see have changed: a number
    the live poll compares instead of reading every span (annotations/polling.py).

    Written only by database triggers (migration 0017), in the transaction of the write,
    so every path counts: the ORM, imports by COPY or bulk insert, undo, the trash,
    re-anchoring after a revision. The triggers count every insert, update and delete of
    a span, a change of a document's ``revealed_at`` and of a project's ``visibility``
    (what permissions.py's blind rule reads besides the spans). No foreign key: a span
    deleted with its document still counts, after the document's row may be gone.
    """

    document_id = models.BigIntegerField(primary_key=True)
    changes = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.changes} span changes in {self.document_id}"


@receiver(post_delete, sender=Span)
def remember_removed_span(sender, instance: Span, origin=None, **kwargs) -> None:
    """Keep a deleted span's place (see SpanRemoval), whichever code deleted it.

    Spans that go with their document, project or author leave nothing to re-draw.
    """
    deleted_spans = isinstance(origin, Span) or (
        isinstance(origin, models.QuerySet) and origin.model is Span
    )
    if not deleted_spans:
        return
    now = timezone.now()
    SpanRemoval.objects.filter(
        document_id=instance.document_id, removed_at__lt=now - REMOVAL_KEPT
    ).delete()
    SpanRemoval.objects.create(
        document_id=instance.document_id, start=instance.start, end=instance.end, removed_at=now
    )


# --------------------------------------------------------------------------- class mode


class Assignment(models.Model):
    """A document the teacher set as work, for the whole class or for chosen students."""

    document = models.OneToOneField(Document, on_delete=models.CASCADE, related_name="assignment")
    #: True: every annotator of the project, also those who join later.
    everyone = models.BooleanField(default=True)
    students = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assignments"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "created_at"]

    def __str__(self) -> str:
        return f"Assignment of {self.document}"


class SubmissionState(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    REOPENED = "reopened", "Reopened by the teacher"


class Submission(models.Model):
    """A student's hand-in of an assignment; while submitted, their spans there are locked."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    state = models.CharField(
        max_length=12, choices=SubmissionState.choices, default=SubmissionState.SUBMITTED
    )
    submitted_at = models.DateTimeField()
    reopened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "student"], name="submission_unique_per_student"
            ),
            models.CheckConstraint(
                condition=Q(state__in=SubmissionState.values), name="submission_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} {self.state} {self.assignment}"


class Comment(models.Model):
    """One message in the discussion thread of a span; seen by whoever may see the span."""

    span = models.ForeignKey(Span, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="span_comments"
    )
    text = models.TextField()
    #: Pinned by the teacher as feedback: shown first and marked.
    pinned = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    #: Counts the comment's edits; an edit made on an older version is refused (409).
    version = models.PositiveIntegerField(default=1, db_default=1)

    class Meta:
        ordering = ["-pinned", "created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="comment_text_not_empty"),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on span {self.span_id}"

    @property
    def edited(self) -> bool:
        return (self.updated_at - self.created_at).total_seconds() > 1


class AccountSetup(models.Model):
    """An account a teacher created: its first password was shown once and must be changed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_setup"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Setup of {self.user}"


class ImportJob(models.Model):
    """Files uploaded for import, worked through in the background with progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Importing"
        DONE = "done", "Finished"
        FAILED = "failed", "Stopped by an error"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    #: Files to import, counting those inside zips; known once the job starts.
    total_files = models.PositiveIntegerField(default=0)
    #: One entry per file: {"name", "status", "message", "documents", "duplicates", "spans"}.
    results = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]),
                name="importjob_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk} into {self.project}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        if not self.total_files:
            return 0
        return min(99, round(100 * len(self.results) / self.total_files))

    def count(self, status: str) -> int:
        return sum(1 for result in self.results if result["status"] == status)


class ImportUpload(models.Model):
    """One uploaded file waiting in an ImportJob; deleted once the job has read it."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="uploads")
    name = models.CharField(max_length=500)
    #: Where the file waits, relative to HERLENS_UPLOADS_DIR (annotations/imports/uploads.py):
    #: streamed to disk as it arrives, never held whole by the web process.
    stored = models.CharField(max_length=200, blank=True)
    #: Uploads queued before files waited on disk kept their bytes here.
    data = models.BinaryField(blank=True, default=b"")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A personal token for the JSON API; only its SHA-256 is stored, never the token."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. “notebook”.")
    #: sha256 of the whole token; a token is looked up by this and cannot be read back.
    key_hash = models.CharField(max_length=64, unique=True)
    #: The token's first characters, so a person can tell tokens apart in the list.
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class IdempotencyKey(models.Model):
    """The span an API create made under an Idempotency-Key, so a retry gets the same span."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    #: sha256 of the request (document and body), to refuse the same key for a different request.
    request_hash = models.CharField(max_length=64)
    span = models.ForeignKey(Span, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotencykey_unique_per_user"),
        ]

    def __str__(self) -> str:
        return self.key


class SuggestionStatus(models.TextChoices):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Suggestion(models.Model):
    """A span the pipeline proposes; a reviewer accepts it (making a Span) or rejects it.

    Decided suggestions stay, so the same words are never proposed again for the
    same tag, and the project page can count what each rule earns.
    """

    # No index of its own: the unique place and the (document, status) index both lead with it.
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="suggestions", db_index=False
    )
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
    decided_by = optional_user()
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
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class BackgroundRun:
    """What the pages need to know of a run of background work (its model has ``status``, a
    RunStatus, and ``queued_at`` and ``started_at``): whether it ended, or lost its worker."""

    #: A run queued or running for longer than this probably lost its worker (killed, restarted).
    STALE_AFTER: timedelta

    @property
    def is_finished(self) -> bool:
        return self.status in {RunStatus.DONE, RunStatus.FAILED}

    @property
    def is_stale(self) -> bool:
        since = self.started_at if self.status == RunStatus.RUNNING else self.queued_at
        return (
            not self.is_finished and since is not None and timezone.now() - since > self.STALE_AFTER
        )


class SuggestionRun(BackgroundRun, models.Model):
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
    def is_active(self) -> bool:
        """Whether the page should poll: queued or running, and not stale."""
        return not self.is_finished and not self.is_stale


class WorkerHeartbeat(models.Model):
    """A task worker's lease: it is alive while it writes this row every few seconds.

    A task marked running whose worker stopped beating (killed, out of memory,
    its machine gone) is an orphan; ``annotations.worker.sweep_orphans`` puts
    it back in the queue or fails it.
    """

    worker_id = models.CharField(max_length=64, primary_key=True)
    #: The task result it is running now, blank between tasks.
    task_id = models.CharField(max_length=64, blank=True)
    seen_at = models.DateTimeField()
    host = models.CharField(max_length=100, blank=True)
    pid = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["seen_at"], name="heartbeat_seen_at")]

    def __str__(self) -> str:
        return f"worker {self.worker_id} on {self.host}:{self.pid}"


class FormSubmission(models.Model):
    """A create form sent once: a second send of the same form (double click, a retry after a
    lost answer) finds this row and answers with what the first one made."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    #: Random, written into the form when the page was rendered.
    token = models.CharField(max_length=64)
    #: What the form creates ("comment", "document", ...), so a token cannot cross forms.
    kind = models.CharField(max_length=20)
    object_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "token"], name="formsubmission_unique_token"),
        ]
        indexes = [models.Index(fields=["created_at"], name="formsubmission_created")]

    def __str__(self) -> str:
        return f"{self.kind} {self.token} by {self.user_id}"


class SpanDeletion(models.Model):
    """Who deleted a span and when, so a stale page can say so instead of "not found".

    Kept after the span is gone (span_id is a plain number, not a key); removed again
    when the span is restored.
    """

    span_id = models.PositiveIntegerField(unique=True)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    span_author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    deleted_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"span {self.span_id} deleted"


class LearningRun(BackgroundRun, models.Model):
    """One training of a project's suggester: queued by a person or by new decisions, run by
    the worker, stored under the var directory as version ``version`` (see services/learning.py).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="learning_runs")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    task_id = models.CharField(max_length=64, blank=True)
    #: Why it failed, for the page (never a traceback).
    error = models.TextField(blank=True)
    #: Per tag slug: spans taught, whether a model was trained, held-out F1 (learning.TagSummary).
    summaries = models.JSONField(default=dict, blank=True)
    #: Documents that taught something, and the project's decisions counted when it started.
    documents = models.PositiveIntegerField(default=0)
    decisions = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    #: A run queued or running for longer than this lost its worker: a new one may be queued.
    STALE_AFTER = timedelta(minutes=30)

    class Meta:
        ordering = ["project", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="learning_run_version"),
            models.CheckConstraint(
                condition=Q(status__in=RunStatus.values), name="learning_run_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"learning v{self.version} of project {self.project_id}: {self.status}"


class Throttle(models.Model):
    """Failed attempts of one kind (a join code, an API token) from one client, per window."""

    scope = models.CharField(max_length=32)
    #: Who is counted: an IP address (or a username), as the scope decides.
    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    failures = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="throttle_scope_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}: {self.failures}"
