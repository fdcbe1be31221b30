"""Suggestion runs: queueing the pipeline for documents, running it, storing what it found.

The rules that find suggestions are pure (annotations/suggest/); this module
runs them over stored texts in batches and writes the results so that running
twice stores nothing twice and a person's decisions are never overwritten.
"""

from __future__ import annotations

import contextlib
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks import task

from annotations.models import (
    Document,
    Project,
    RunStatus,
    Span,
    Suggestion,
    SuggestionRun,
    SuggestionStatus,
    Tag,
)
from annotations.services.errors import DomainError
from annotations.services.learned import project_learned, project_learned_dir

T = TypeVar("T")

TEXT_CHANGED_WHILE_SUGGESTING = (
    "The text changed while suggestions were computed three times in a row; run Suggest again."
)
#: How often a run recomputes when the text changes under it, before giving up.
_SUGGEST_ATTEMPTS = 3


def suggestion_run_enqueue(*, document: Document) -> SuggestionRun:
    """Mark the document's suggestions as queued and enqueue the task once the write commits.

    Safe to call inside a transaction: the task only starts after commit, so the
    worker never looks for a document that is not there yet.
    """
    run, _created = SuggestionRun.objects.update_or_create(
        document=document,
        defaults={"status": RunStatus.QUEUED, "error": "", "queued_at": timezone.now()},
    )

    def enqueue() -> None:
        result = suggest_document.enqueue(document.pk)
        # With the immediate backend the task has already finished here; keep its outcome.
        SuggestionRun.objects.filter(pk=run.pk, task_id="").update(task_id=result.id)

    SuggestionRun.objects.filter(pk=run.pk).update(task_id="")
    transaction.on_commit(enqueue)
    return run


#: Documents per background task when a whole project is suggested: small enough for
#: several workers to share a project, large enough to batch the pipeline and the writes.
TASK_DOCUMENTS = 64


@transaction.atomic
def suggestion_runs_enqueue_new(*, project: Project) -> int:
    """Queue suggestions for the project's documents that never had any (after an import)."""
    new = project.documents.filter(suggestion_run__isnull=True)
    ids = _runs_insert(new.values("pk").order_by())
    transaction.on_commit(lambda: _tasks_enqueue(ids))
    return len(ids)


def _runs_insert(documents: QuerySet) -> list[int]:
    """Insert a queued run for each of the documents (a query of their pks); return their ids.

    One INSERT ... SELECT in the database: fetching the ids and sending a row per
    document back cost more than the queueing itself. A run that another
    queueing made meanwhile is queued already, so it is left out.
    """
    fields = [SuggestionRun._meta.get_field(name) for name in _NEW_RUN]
    queued = {**_queued_fields(), "added": 0, "pending": 0, "model": ""}
    values = [field.get_db_prep_save(queued[field.name], connection) for field in fields]
    select, params = documents.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(SuggestionRun._meta.db_table)} ({quote('document_id')}, {columns}) "
            f"SELECT {quote('pk')}, {', '.join(['%s'] * len(values))} FROM ({select}) AS documents "
            # WHERE: SQLite reads ON CONFLICT after a bare FROM as a join's ON.
            f"WHERE true ON CONFLICT DO NOTHING RETURNING {quote('document_id')}",
            [*values, *params],
        )
        return sorted(pk for (pk,) in cursor.fetchall())


_NEW_RUN = ("status", "error", "queued_at", "task_id", "added", "pending", "model")


def suggestion_runs_enqueue(*, documents: list[Document]) -> int:
    """Queue suggestions for many documents: their runs show "queued", tasks go out on commit."""
    ids = [document.pk for document in documents]
    queued = _queued_fields()
    runs = SuggestionRun.objects.filter(document_id__in=ids)
    runs.update(**queued)
    have = set(runs.values_list("document_id", flat=True))
    SuggestionRun.objects.bulk_create(
        [SuggestionRun(document_id=pk, **queued) for pk in ids if pk not in have],
        ignore_conflicts=True,
    )
    transaction.on_commit(lambda: _tasks_enqueue(ids))
    return len(ids)


def _queued_fields() -> dict:
    return {"status": RunStatus.QUEUED, "error": "", "queued_at": timezone.now(), "task_id": ""}


def _tasks_enqueue(ids: list[int]) -> None:
    """Send the queued runs' documents to the workers, TASK_DOCUMENTS to a task."""
    for offset in range(0, len(ids), TASK_DOCUMENTS):
        chunk = ids[offset : offset + TASK_DOCUMENTS]
        result = suggest_documents.enqueue(chunk)
        SuggestionRun.objects.filter(document_id__in=chunk, task_id="").update(task_id=result.id)


def document_suggest(*, document_id: int, model: str) -> dict[str, int]:
    """Compute one document's suggestions and store the new ones; return its counts.

    See ``documents_suggest``; a document deleted meanwhile gives zero counts.
    """
    results = documents_suggest(document_ids=[document_id], model=model)
    return results.get(document_id, {"added": 0, "pending": 0})


#: Documents handled together: one nlp.pipe batch, one transaction, a handful of queries.
SUGGEST_CHUNK = 16


def documents_suggest(*, document_ids: list[int], model: str) -> dict[int, dict[str, int]]:
    """Compute and store the suggestions of several documents; return counts per document id.

    At-least-once safe: running it twice stores each (start, end, tag) once, since
    the database refuses duplicates and rows are inserted with ON CONFLICT DO NOTHING.
    Suggestions already accepted or rejected are never proposed again, nor are
    places someone already tagged, nor words rejected for that tag anywhere in the
    project. If a text changes while the pipeline runs, that result is thrown away
    and the document is done again (up to three times, then its run fails).
    Documents deleted after the task was queued are skipped.

    With the pipeline in a child process, the child computes one chunk while this
    process writes the one before: the writes cost no pipeline time.
    """
    from annotations.suggest_process import get_runner

    ids = list(dict.fromkeys(document_ids))
    results: dict[int, dict[str, int]] = {}
    suggester = None
    waiting: tuple[list[Document], Callable[[], list[list]]] | None = None
    try:
        for offset in range(0, len(ids), SUGGEST_CHUNK):
            documents = list(
                Document.objects.select_related("project").filter(
                    pk__in=ids[offset : offset + SUGGEST_CHUNK]
                )
            )
            if not documents:
                continue
            done, waiting = waiting, None
            found = done[1]() if done is not None else None
            _runs_running([d.pk for d in documents], model)
            if suggester is None:
                suggester = _failing(documents, lambda: get_runner(model))()
            waiting = (documents, _failing(documents, _start(suggester, documents)))
            if done is not None:
                results.update(_store_or_fail(suggester, done[0], found))
        if waiting is not None:
            done, waiting = waiting, None
            results.update(_store_or_fail(suggester, done[0], done[1]()))
    except Exception as error:
        if waiting is not None:  # the child is held until its answer is read
            with contextlib.suppress(Exception):
                waiting[1]()
            _fail(waiting[0], error)
        raise
    return results


def _fail(documents: list[Document], error: Exception) -> None:
    message = str(error) if isinstance(error, DomainError) else f"{type(error).__name__}: {error}"
    SuggestionRun.objects.filter(document_id__in=[d.pk for d in documents]).update(
        status=RunStatus.FAILED, error=message[:1000], finished_at=timezone.now()
    )


def _failing(documents: list[Document], call: Callable[[], T]) -> Callable[[], T]:
    """``call``, marking the documents' runs failed if it raises."""

    def wrapped() -> T:
        try:
            return call()
        except Exception as error:
            _fail(documents, error)
            raise

    return wrapped


def _store_or_fail(
    suggester, documents: list[Document], found: list[list]
) -> dict[int, dict[str, int]]:
    """Store what the pipeline found; a document whose text changed meanwhile is done again."""
    results: dict[int, dict[str, int]] = {}
    todo = documents
    try:
        for attempt in range(_SUGGEST_ATTEMPTS):
            if attempt:
                texts = dict(
                    Document.objects.filter(pk__in=[d.pk for d in todo]).values_list("pk", "text")
                )
                todo = [d for d in todo if d.pk in texts]
                for document in todo:
                    document.text = texts[document.pk]
                found = _start(suggester, todo)()
            stored = _store_suggestions(list(zip(todo, found, strict=True)))
            results.update({pk: counts for pk, counts in stored.items() if counts is not None})
            todo = [d for d in todo if stored[d.pk] is None]
            if not todo:
                return results
        raise DomainError(TEXT_CHANGED_WHILE_SUGGESTING)
    except Exception as error:
        _fail(todo, error)
        raise


def _runs_running(document_ids: list[int], model: str) -> None:
    running = {
        "status": RunStatus.RUNNING,
        "started_at": timezone.now(),
        "error": "",
        "model": model,
    }
    runs = SuggestionRun.objects.filter(document_id__in=document_ids)
    if runs.update(**running) < len(document_ids):
        have = set(runs.values_list("document_id", flat=True))
        SuggestionRun.objects.bulk_create(
            [SuggestionRun(document_id=pk, **running) for pk in document_ids if pk not in have],
            ignore_conflicts=True,
        )


def _start(suggester, documents: list[Document]) -> Callable[[], list[list]]:
    """Start the pipeline on the documents, one group per project (each has its film list
    and what it learned: services/learned.py); return what waits for the results.

    A child process starts at once and answers when asked; this process's own
    pipeline runs when asked.
    """
    by_project: dict[int, list[Document]] = {}
    for document in documents:
        by_project.setdefault(document.project_id, []).append(document)
    groups = list(by_project.values())
    from annotations.suggest_process import PipelineProcess

    if isinstance(suggester, PipelineProcess):
        # The child loads the learning from its folder (this process keeps no spaCy).
        answer = suggester.start(
            [
                (
                    [document.text for document in group],
                    tuple(group[0].project.film_name_list),
                    project_learned_dir(group[0].project_id),
                )
                for group in groups
            ]
        )
    else:

        def answer() -> list[list[list]]:
            return [
                list(
                    suggester.suggest_many(
                        [document.text for document in group],
                        group[0].project.film_name_list,
                        learned=project_learned(group[0].project_id),
                    )
                )
                for group in groups
            ]

    def in_order() -> list[list]:
        found = {
            document.pk: suggestions
            for group, results in zip(groups, answer(), strict=True)
            for document, suggestions in zip(group, results, strict=True)
        }
        return [found[document.pk] for document in documents]

    return in_order


@transaction.atomic
def _store_suggestions(pairs: list[tuple[Document, list]]) -> dict[int, dict[str, int] | None]:
    """Write each document's result if its text is still the one read (None: it changed).

    A fixed number of queries for the whole batch, whatever its size.
    """
    ids = [document.pk for document, _found in pairs]
    current = dict(
        Document.objects.select_for_update().filter(pk__in=ids).values_list("pk", "text")
    )
    results: dict[int, dict[str, int] | None] = {}
    pairs = [(d, found) for d, found in pairs if current.get(d.pk) == d.text]
    for document_id in ids:
        results[document_id] = None
    if not pairs:
        return results
    ids = [document.pk for document, _found in pairs]
    existing: dict[tuple[int, int, int, int], tuple[int, str]] = {
        (document_id, start, end, tag_id): (pk, status)
        for pk, document_id, start, end, tag_id, status in Suggestion.objects.filter(
            document_id__in=ids
        ).values_list("pk", "document_id", "start", "end", "tag_id", "status")
    }
    wanted = _wanted(pairs)
    # Pending suggestions the rules no longer make (a new model, new rules) go; decisions stay.
    stale = [
        pk for key, (pk, status) in existing.items() if key not in wanted and status == "pending"
    ]
    if stale:
        Suggestion.objects.filter(pk__in=stale, status=SuggestionStatus.PENDING).delete()
    new = [row for key, row in wanted.items() if key not in existing]
    if new:
        _insert_suggestions(new)
    added = Counter(row[0] for row in new)
    pending = Counter(
        key[0] for key in wanted if key not in existing or existing[key][1] == "pending"
    )
    now = timezone.now()
    for document_id in ids:
        results[document_id] = {"added": added[document_id], "pending": pending[document_id]}
    _runs_done(results, now)
    return results


def _wanted(pairs: list[tuple[Document, list]]) -> dict[tuple[int, int, int, int], tuple]:
    """Return the rows to store, by (document, start, end, tag), of what the pipeline found.

    Left out: tags the project lacks, words rejected for that tag anywhere in the
    project, and places a span of that tag already covers.
    """
    ids = [document.pk for document, _found in pairs]
    tags: dict[tuple[int, str], Tag] = {
        (tag.project_id, tag.slug): tag
        for tag in Tag.objects.filter(project_id__in={d.project_id for d, _f in pairs})
    }
    candidates: dict[int, list[tuple]] = {}
    for document, found in pairs:
        candidates[document.pk] = [
            (item, tags[(document.project_id, item.tag)], document.text[item.start : item.end])
            for item in found
            if (document.project_id, item.tag) in tags  # a project without the tag gets none
        ]
    quotes = {quote for rows in candidates.values() for _item, _tag, quote in rows}
    rejected = set(
        # Served by the partial index suggestion_rejected_by_tag: cheap however large the project.
        Suggestion.objects.filter(
            tag_id__in=[tag.pk for tag in tags.values()],
            status=SuggestionStatus.REJECTED,
            quote__in=quotes,
        ).values_list("tag_id", "quote")
    )
    tagged = _TaggedPlaces(
        Span.objects.filter(document_id__in=ids).values_list(
            "document_id", "tag_id", "start", "end"
        )
    )
    wanted: dict[tuple[int, int, int, int], tuple] = {}
    for document_id, rows in candidates.items():
        for item, tag, quote in rows:
            key = (document_id, item.start, item.end, tag.pk)
            if (tag.pk, quote) in rejected or tagged.covers(
                document_id, tag.pk, item.start, item.end
            ):
                continue
            score = round(min(max(item.score, 0.0), 1.0), 3)
            wanted[key] = (*key, score, item.reason[:500], item.rule[:40], quote)
    return wanted


class _TaggedPlaces:
    """Spans already made, per document and tag, to leave out suggestions they cover."""

    def __init__(self, rows) -> None:
        self._places: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for document_id, tag_id, start, end in rows:
            self._places.setdefault((document_id, tag_id), []).append((start, end))
        for places in self._places.values():
            places.sort()
        self._longest = {key: max(e - s for s, e in places) for key, places in self._places.items()}

    def covers(self, document_id: int, tag_id: int, start: int, end: int) -> bool:
        """Whether a span of this tag overlaps [start, end) by half of the shorter or more.

        "Ex Machina (2014)" tagged by hand makes a suggestion of "Ex Machina" redundant.
        """
        places = self._places.get((document_id, tag_id))
        if not places:
            return False
        first = bisect_left(places, (start - self._longest[(document_id, tag_id)], -1))
        for span_start, span_end in places[first:]:
            if span_start >= end:
                break
            overlap = min(end, span_end) - max(start, span_start)
            if overlap > 0 and overlap * 2 >= min(end - start, span_end - span_start):
                return True
        return False


def _runs_done(results: dict[int, dict[str, int] | None], now) -> None:
    quote_name = connection.ops.quote_name
    table = quote_name(SuggestionRun._meta.db_table)
    sql = (
        f"UPDATE {table} SET {quote_name('status')} = %s, {quote_name('finished_at')} = %s, "
        f"{quote_name('added')} = %s, {quote_name('pending')} = %s "
        f"WHERE {quote_name('document_id')} = %s"
    )
    finished = connection.ops.adapt_datetimefield_value(now)
    rows = [
        (RunStatus.DONE.value, finished, counts["added"], counts["pending"], document_id)
        for document_id, counts in results.items()
        if counts is not None
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


_INSERT_COLUMNS = (
    "document_id", "start", "end", "tag_id", "score", "reason", "rule", "quote", "status",
    "created_at",
)  # fmt: skip


def _insert_suggestions(rows: list[tuple]) -> None:
    """Insert (document_id, start, end, tag_id, score, reason, rule, quote) rows, skipping
    places already stored.

    One prepared INSERT ... ON CONFLICT DO NOTHING (SQLite and PostgreSQL) run for
    every row: bulk_create spent most of the task's time preparing model fields.
    A concurrent run that stored the same place first simply wins.
    """
    quote_name = connection.ops.quote_name
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = (
        f"INSERT INTO {quote_name(Suggestion._meta.db_table)} "
        f"({', '.join(quote_name(column) for column in _INSERT_COLUMNS)}) "
        f"VALUES ({', '.join(['%s'] * len(_INSERT_COLUMNS))}) ON CONFLICT DO NOTHING"
    )
    pending = SuggestionStatus.PENDING.value
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(*row, pending, now) for row in rows])


# --------------------------------------------------------------------------- background tasks


@task()
def suggest_document(document_id: int) -> dict[str, int]:
    """Compute and store the suggestions of one document (safe to run more than once)."""
    return document_suggest(document_id=document_id, model=settings.HERLENS_SPACY_MODEL)


@task()
def suggest_documents(document_ids: list[int]) -> dict[str, int]:
    """Compute and store the suggestions of several documents in batches (a project's run)."""
    results = documents_suggest(document_ids=document_ids, model=settings.HERLENS_SPACY_MODEL)
    return {
        "documents": len(results),
        "added": sum(counts["added"] for counts in results.values()),
        "pending": sum(counts["pending"] for counts in results.values()),
    }
