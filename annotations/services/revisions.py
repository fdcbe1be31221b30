"""Revisions: the only way a document's text changes, with every annotation carried along.

``document_revise`` stores the new text as the next revision and, in the same
transaction, moves every span (reference-layer spans and their comment threads
with them) and every suggestion onto it (annotations/anchoring.py decides where).
Spans whose words are gone stay as orphans for an editor to attach again or
delete; nothing is dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from annotations.anchoring import Anchor, AnchorState, Placement, Reanchorer, anchor_for
from annotations.models import (
    AnchorState as SpanAnchor,
)
from annotations.models import (
    Document,
    Revision,
    Span,
    SpanEvent,
    SpanEventKind,
    Suggestion,
    SuggestionStatus,
)
from annotations.offsets import OffsetError, check_quote, normalise_text
from annotations.services.bulk import insert_rows, write_rows
from annotations.services.errors import DomainError

STALE_REVISION = (
    "The text was revised by someone else meanwhile (it is now revision {current}, you "
    "started from revision {expected}). Nothing was saved: reload, then make your change again."
)
TEXT_UNCHANGED = "The text is the same as revision {number}: there is nothing to save."
EMPTY_REVISION = "The new text is empty. To remove a document, delete it instead."
NUL_IN_REVISION = "The text holds the NUL character (\\u0000), which cannot be stored; remove it."
NOT_AN_ORPHAN = "This span still has its place in the text; only orphans are attached again."
REATTACH_CLASH = "A span with this tag and author already covers exactly these words."
NO_SUCH_REVISION = "This document has no revision {number} (revisions 1 to {current})."

#: How many dropped suggestions a revision lists by their words (all are counted).
LOST_SUGGESTIONS_KEPT = 200


class StaleRevision(DomainError):
    """The caller edited an older revision than the current one (HTTP 412)."""

    def __init__(self, *, expected: int, current: int) -> None:
        super().__init__(STALE_REVISION.format(expected=expected, current=current))
        self.expected = expected
        self.current = current


@dataclass
class SpanMove:
    """What a revision would do (or did) to one span."""

    span: Span
    placement: Placement

    @property
    def moved(self) -> bool:
        return self.placement.start != self.span.start


@dataclass
class RevisionPlan:
    """A revision worked out but not written: the preview shows it, the write applies it."""

    document_id: int
    old_text: str
    new_text: str
    spans: list[SpanMove] = field(default_factory=list)
    suggestions: list[tuple[Suggestion, Placement]] = field(default_factory=list)

    @property
    def live(self) -> list[SpanMove]:
        """The moves of spans that are not in the trash (those are carried along quietly)."""
        return [move for move in self.spans if move.span.deleted_at is None]

    def count(self, state: AnchorState) -> int:
        return sum(1 for move in self.live if move.placement.state is state)

    def listed(self, state: AnchorState) -> list[SpanMove]:
        return [move for move in self.live if move.placement.state is state]

    @property
    def lost_suggestions(self) -> list[dict]:
        """The suggestions whose words a revision edits or removes, and so drops.

        Pending ones are proposals on words that are no longer there (the suggester
        runs again on the new text); a decided one loses its decision. The editor is
        told which, in the preview and in the revision's result, so none goes unseen.
        """
        return [
            {
                "words": self.old_text[suggestion.start : suggestion.end],
                "tag": suggestion.tag.name,
                "status": suggestion.status,
                "start": suggestion.start,
                "end": suggestion.end,
            }
            for suggestion, placement in self.suggestions
            if placement.state is not AnchorState.EXACT
        ]

    @property
    def summary(self) -> dict[str, int]:
        live = self.live
        counts = Counter(move.placement.state.value for move in live)
        return {
            "exact": counts["exact"],
            "moved": sum(1 for m in live if m.placement.state is AnchorState.EXACT and m.moved),
            "changed": counts["changed"],
            "orphaned": counts["orphaned"],
            "refound": sum(
                1
                for m in live
                if m.span.anchor == SpanAnchor.ORPHANED
                and m.placement.state is not AnchorState.ORPHANED
            ),
        }


def _span_anchor(span: Span, text: str) -> Anchor:
    if span.start is None or span.end is None:
        return Anchor(None, None, span.quote, span.prefix, span.suffix)
    return anchor_for(text, span.start, span.end)


def revision_plan(*, document: Document, text: str) -> RevisionPlan:
    """Work out where every span and suggestion of document would go on ``text``."""
    new_text = _clean(text)
    old_text = document.text
    reanchorer = Reanchorer(old_text, new_text)
    plan = RevisionPlan(document_id=document.pk, old_text=old_text, new_text=new_text)
    # Spans in the trash move too, so that restoring one puts it on its words.
    spans = list(
        Span.with_trash.filter(document=document)
        .select_related("tag", "author")
        .order_by("start", "end", "pk")
    )
    for span in spans:
        plan.spans.append(SpanMove(span, reanchorer.place(_span_anchor(span, old_text))))
    for suggestion in (
        Suggestion.objects.filter(document=document).select_related("tag").order_by("pk")
    ):
        anchor = anchor_for(old_text, suggestion.start, suggestion.end)
        plan.suggestions.append((suggestion, reanchorer.place(anchor)))
    return plan


def _clean(text: str) -> str:
    text = normalise_text(text or "")
    if "\x00" in text:
        raise DomainError(NUL_IN_REVISION)
    if not text.strip():
        raise DomainError(EMPTY_REVISION)
    return text


def current_revision(document: Document) -> Revision:
    """Return the document's current Revision row (made on first use for older documents)."""
    revision, _created = Revision.objects.get_or_create(
        document=document,
        number=document.revision,
        defaults={"text": document.text, "created_at": document.created_at},
    )
    return revision


@transaction.atomic
def document_revise(
    *,
    document: Document,
    text: str,
    user: AbstractBaseUser | None,
    expected_revision: int | None = None,
    message: str = "",
    suggest: bool = True,
) -> Revision:
    """Store ``text`` as the document's next revision and move its annotations onto it.

    ``expected_revision`` is the revision the caller edited; when another revision
    was saved meanwhile, ``StaleRevision`` is raised and nothing is written.
    """
    # One revision at a time per document: the row lock orders concurrent saves.
    locked = Document.objects.select_for_update().get(pk=document.pk)
    if expected_revision is not None and expected_revision != locked.revision:
        raise StaleRevision(expected=expected_revision, current=locked.revision)
    plan = revision_plan(document=locked, text=text)
    if plan.new_text == plan.old_text:
        raise DomainError(TEXT_UNCHANGED.format(number=locked.revision))
    outgoing = current_revision(locked)
    outgoing.spans_snapshot = [_snapshot(move.span) for move in plan.live]
    outgoing.save(update_fields=["spans_snapshot"])

    summary = plan.summary  # before the spans are changed in place
    clashes = _apply_spans(plan, user=user, revision=locked.revision + 1)
    for state in clashes.elements():
        summary[state] -= 1
        summary["orphaned"] += 1
    summary |= _apply_suggestions(plan)

    locked.text = plan.new_text
    locked.revision += 1
    locked.save(update_fields=["text", "revision", "updated_at"])
    revision = Revision.objects.create(
        document=locked,
        number=locked.revision,
        text=plan.new_text,
        created_by=user,
        message=message.strip()[:300],
        summary=summary,
        lost_suggestions=plan.lost_suggestions[:LOST_SUGGESTIONS_KEPT],
    )
    document.text, document.revision = locked.text, locked.revision
    if suggest:
        _enqueue_suggestions(locked)
    return revision


def _enqueue_suggestions(document: Document) -> None:
    from annotations.services.suggestions import suggestion_run_enqueue

    suggestion_run_enqueue(document=document)


def _snapshot(span: Span) -> dict:
    return {
        "id": span.pk,
        "start": span.start,
        "end": span.end,
        "quote": span.quote,
        "anchor": span.anchor,
        "tag": span.tag_id,
        "author": span.author_id,
        "note": span.note,
        "origin": span.origin,
        "is_reference": span.is_reference,
        "created_at": span.created_at.isoformat(),
        "updated_at": span.updated_at.isoformat(),
    }


def _apply_spans(plan: RevisionPlan, *, user: AbstractBaseUser | None, revision: int) -> Counter:
    """Write the plan's span placements (two passes, so no unique place clashes midway)."""
    taken: set[tuple] = set()
    clashes: Counter = Counter()
    events: list[dict] = []
    changed: list[Span] = []
    now = timezone.now()
    for move in plan.spans:
        span = move.span
        placement = _unclashed(move, taken, clashes)
        before = (span.start, span.end, span.anchor, span.quote)
        _place(span, placement, plan.old_text)
        if (span.start, span.end, span.anchor, span.quote) == before:
            continue
        span.updated_at = now  # the live view of other readers notices the move
        changed.append(span)
        kind = _event_kind(before, span, before[3])
        detail = {"from": [before[0], before[1]], "to": [span.start, span.end]}
        if kind in (SpanEventKind.CHANGED, SpanEventKind.ORPHANED):
            detail |= {"quote_before": before[3], "quote": span.quote}
        events.append(
            {
                "span": span.pk,
                "kind": kind,
                "actor": user.pk if user is not None else None,
                "created_at": now,
                "revision": revision,
                "detail": detail,
            }
        )
    # Only rows that change are written: most spans of a revision stay where they were.
    write_rows(Span, changed, ["start", "end", "quote", "anchor", "prefix", "suffix", "updated_at"])
    insert_rows(SpanEvent, events)
    return clashes


def _unclashed(move: SpanMove, taken: set[tuple], clashes: Counter) -> Placement:
    """Return the move's placement, or an orphan's when another span took the same place.

    Two spans that land on the same place for the same tag and author (the text
    between them was cut) would break the unique rule: the second becomes an
    orphan, for an editor to look at, instead of vanishing.
    """
    span, placement = move.span, move.placement
    if placement.state is AnchorState.ORPHANED or span.deleted_at is not None:
        return placement  # the trash is outside the unique rule
    key = (placement.start, placement.end, span.tag_id, span.is_reference) + (
        () if span.is_reference else (span.author_id,)
    )
    if key in taken:
        clashes[placement.state.value] += 1
        return Placement(AnchorState.ORPHANED, None, None, span.quote)
    taken.add(key)
    return placement


def _place(span: Span, placement: Placement, old_text: str) -> None:
    """Set the span's offsets, quote and anchor to the placement (in memory only)."""
    if placement.state is AnchorState.ORPHANED:
        if span.start is not None:
            context = anchor_for(old_text, span.start, span.end)
            span.prefix, span.suffix = context.prefix, context.suffix
        span.start = span.end = None
        span.anchor = SpanAnchor.ORPHANED
        return  # the quote keeps the words the orphan was made on
    span.start, span.end = placement.start, placement.end
    span.quote = placement.quote
    span.prefix = span.suffix = ""
    if placement.state is AnchorState.CHANGED:
        span.anchor = SpanAnchor.CHANGED
    elif span.anchor == SpanAnchor.ORPHANED:
        span.anchor = SpanAnchor.EXACT
    # A span flagged changed by an earlier revision stays flagged until looked at.


def _event_kind(before: tuple, span: Span, old_quote: str) -> str:
    was_orphan = before[2] == SpanAnchor.ORPHANED
    if span.anchor == SpanAnchor.ORPHANED:
        return SpanEventKind.ORPHANED
    if was_orphan:
        return SpanEventKind.REFOUND
    if span.quote != old_quote:
        return SpanEventKind.CHANGED
    return SpanEventKind.MOVED


def _apply_suggestions(plan: RevisionPlan) -> dict[str, int]:
    """Move suggestions whose words survive; drop the others (they were only proposals)."""
    keep: list[Suggestion] = []
    moved: list[Suggestion] = []
    drop: list[int] = []
    taken: set[tuple[int, int, int]] = set()
    for suggestion, placement in plan.suggestions:
        key = (placement.start, placement.end, suggestion.tag_id)
        if placement.state is AnchorState.EXACT and key not in taken:
            taken.add(key)
            if (suggestion.start, suggestion.end) != (placement.start, placement.end):
                suggestion.start, suggestion.end = placement.start, placement.end
                moved.append(suggestion)
            keep.append(suggestion)
        else:
            drop.append(suggestion.pk)
    dropped = set(drop)
    decided_dropped = sum(
        1
        for suggestion, _placement in plan.suggestions
        if suggestion.pk in dropped and suggestion.status != SuggestionStatus.PENDING
    )
    for batch in range(0, len(drop), 500):
        Suggestion.objects.filter(pk__in=drop[batch : batch + 500]).delete()
    write_rows(Suggestion, moved, ["start", "end"])
    return {
        "suggestions_kept": len(keep),
        "suggestions_dropped": len(drop),
        "decisions_dropped": decided_dropped,
    }


@transaction.atomic
def span_reattach(
    *,
    span: Span,
    start: int,
    end: int,
    user: AbstractBaseUser | None,
    quote: str | None = None,
) -> Span:
    """Attach an orphan (or a changed span) to the words now selected for it."""
    document = Document.objects.select_for_update().get(pk=span.document_id)
    if span.anchor != SpanAnchor.ORPHANED and span.anchor != SpanAnchor.CHANGED:
        raise DomainError(NOT_AN_ORPHAN)
    try:
        check_quote(
            document.text, start, end, quote if quote is not None else document.text[start:end]
        )
    except OffsetError as error:
        raise DomainError(str(error)[:1].upper() + str(error)[1:]) from None
    if not document.text[start:end].strip():
        raise DomainError("The selection holds only spaces or line breaks: select some words.")
    clash = Span.objects.filter(document=document, start=start, end=end, tag_id=span.tag_id)
    clash = clash.filter(is_reference=span.is_reference).exclude(pk=span.pk)
    if not span.is_reference:
        clash = clash.filter(author_id=span.author_id)
    if clash.exists():
        raise DomainError(REATTACH_CLASH)
    detail = {"from": [span.start, span.end], "to": [start, end], "quote_before": span.quote}
    span.start, span.end = start, end
    span.quote = document.text[start:end]
    span.anchor = SpanAnchor.EXACT
    span.prefix = span.suffix = ""
    span.save(update_fields=["start", "end", "quote", "anchor", "prefix", "suffix", "updated_at"])
    SpanEvent.objects.create(
        span=span,
        kind=SpanEventKind.REATTACHED,
        actor=user,
        revision=document.revision,
        detail=detail | {"quote": span.quote},
    )
    return span


@transaction.atomic
def span_anchor_confirm(*, span: Span, user: AbstractBaseUser | None) -> Span:
    """Accept a changed span's new words as right: it is no longer flagged."""
    if span.anchor == SpanAnchor.CHANGED:
        span.anchor = SpanAnchor.EXACT
        span.save(update_fields=["anchor", "updated_at"])
        SpanEvent.objects.create(
            span=span,
            kind=SpanEventKind.CONFIRMED,
            actor=user,
            revision=span.document.revision,
            detail={"quote": span.quote},
        )
    return span


def document_writer_set(*, document: Document, writer: AbstractBaseUser | None) -> Document:
    """Name the student who wrote a class essay (None: nobody in particular)."""
    document.written_by = writer
    document.save(update_fields=["written_by", "updated_at"])
    return document


def orphans(document: Document) -> list[Span]:
    """Return the document's orphaned spans, oldest first."""
    return list(
        Span.everything.filter(document=document, anchor=SpanAnchor.ORPHANED)
        .select_related("tag", "author")
        .order_by("created_at", "pk")
    )


def revision_text(document: Document, number: int) -> str:
    """Return the text of revision ``number`` of document."""
    if number == document.revision:
        return document.text
    revision = Revision.objects.filter(document=document, number=number).first()
    if revision is None:
        raise DomainError(NO_SUCH_REVISION.format(number=number, current=document.revision))
    return revision.text


def revision_spans(document: Document, number: int) -> Iterable[dict]:
    """Return the spans as they stood on an older revision (from its snapshot)."""
    revision = Revision.objects.filter(document=document, number=number).first()
    if revision is None:
        raise DomainError(NO_SUCH_REVISION.format(number=number, current=document.revision))
    return list(revision.spans_snapshot or [])
