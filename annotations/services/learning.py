"""Learning from a project's decisions: queue a training, run it in the worker, report it.

The web process never trains. A person (the project page, ``manage.py learn``) or
enough new decisions (noticed by the worker's ``learning_sweep``, or when
suggestions are queued) queue a LearningRun; the worker's ``learn_project`` reads
the project's human spans and rejected suggestions, trains its suggester
(annotations/suggest/learning.py), stores the result as a new version under the
var directory (services/learned.py) and queues suggestions again for the
project's documents, so what it learned shows everywhere.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Subquery
from django.utils import timezone
from django_tasks import task

from annotations.models import (
    Document,
    LearningRun,
    Origin,
    Project,
    RunStatus,
    Span,
    Suggestion,
    SuggestionStatus,
    Tag,
)
from annotations.services.learned import learning_root, version_dir
from annotations.services.suggestions import suggestion_runs_enqueue

if TYPE_CHECKING:
    from annotations.suggest.learned import Lesson

#: suggest.learned.OFF (a clause tag's threshold that adds nothing), repeated here so the
#: web process and the task worker need not import spaCy to read a summary.
OFF = 1.01

#: Finished versions kept on disk per project; older folders are deleted.
KEEP_VERSIONS = 2
NOTHING_TO_LEARN = "Nothing to learn from yet: mark some spans or decide some suggestions first."


def project_decisions(project: Project) -> int:
    """Spans and decided suggestions of the project: what a training counts as taught."""
    spans = Span.objects.filter(document__project=project).count()
    decided = (
        Suggestion.objects.filter(document__project=project)
        .exclude(status=SuggestionStatus.PENDING)
        .count()
    )
    return spans + decided


def learning_enqueue(*, project: Project) -> LearningRun:
    """Queue a training of the project's suggester, unless one is queued or running already."""
    with transaction.atomic():
        # One training at a time per project: two clicks queue one run.
        Project.objects.select_for_update().filter(pk=project.pk).exists()
        waiting = (
            LearningRun.objects.filter(
                project=project, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
            )
            .order_by("-version")
            .first()
        )
        if waiting is not None and not waiting.is_stale:
            return waiting
        latest = LearningRun.objects.filter(project=project).aggregate(v=Max("version"))["v"]
        run = LearningRun.objects.create(
            project=project, version=(latest or 0) + 1, queued_at=timezone.now()
        )

        def enqueue() -> None:
            result = learn_project.enqueue(run.pk)
            LearningRun.objects.filter(pk=run.pk, task_id="").update(task_id=result.id)

        transaction.on_commit(enqueue)
    return run


def learning_due(project: Project) -> bool:
    """Whether enough decisions came in since the last training to train again.

    ``HERLENS_LEARN_AFTER`` decisions (spans marked, suggestions accepted or
    rejected); 0 turns automatic training off.
    """
    after = settings.HERLENS_LEARN_AFTER
    if not after:
        return False
    last = (
        LearningRun.objects.filter(project=project)
        .exclude(status=RunStatus.FAILED)
        .order_by("-version")
        .first()
    )
    taught = last.decisions if last is not None else 0
    return project_decisions(project) - taught >= after


def learning_enqueue_if_due(*, project: Project) -> LearningRun | None:
    return learning_enqueue(project=project) if learning_due(project) else None


def learning_sweep(*, now: datetime | None = None) -> list[LearningRun]:
    """Queue a training for each project with enough new decisions whose people have paused.

    Run by the task worker every ``HERLENS_LEARN_SWEEP_SECONDS`` (worker.py), never by
    the web process, so training starts by itself, not only when suggestions are
    queued. Debounced: a project qualifies once nothing was marked or decided in it
    for ``HERLENS_LEARN_QUIET_SECONDS``, so a burst of annotation ends in one
    training instead of one every ``HERLENS_LEARN_AFTER`` decisions. Only projects
    with something marked or decided since their last training was queued are
    counted; a failed training is retried only after new decisions.
    """
    if not settings.HERLENS_LEARN_AFTER:
        return []
    now = now or timezone.now()
    quiet_since = now - timedelta(seconds=settings.HERLENS_LEARN_QUIET_SECONDS)
    in_project = {"document__project": OuterRef("pk")}
    rows = Project.objects.annotate(
        span_at=Subquery(
            Span.objects.filter(**in_project).order_by("-updated_at").values("updated_at")[:1]
        ),
        decided_at=Subquery(
            Suggestion.objects.filter(**in_project, decided_at__isnull=False)
            .order_by("-decided_at")
            .values("decided_at")[:1]
        ),
        queued_at=Subquery(
            LearningRun.objects.filter(project=OuterRef("pk"))
            .order_by("-version")
            .values("queued_at")[:1]
        ),
    ).values_list("pk", "span_at", "decided_at", "queued_at")
    queued = []
    for project_id, span_at, decided_at, queued_at in rows:
        last = max((at for at in (span_at, decided_at) if at is not None), default=None)
        if last is None or last > quiet_since or (queued_at is not None and last <= queued_at):
            continue
        project = Project.objects.get(pk=project_id)
        run = learning_enqueue_if_due(project=project)
        if run is not None:
            queued.append(run)
    return queued


def _lessons(project: Project) -> list[Lesson]:
    """The project's documents with their human spans and rejected suggestions."""
    from annotations.suggest.learned import Lesson, Taught

    spans: dict[int, dict[tuple[int, int, str], str]] = {}
    rows = Span.objects.filter(document__project=project).values_list(
        "document_id", "start", "end", "tag__slug", "origin"
    )
    for document_id, start, end, slug, origin in rows:
        known = spans.setdefault(document_id, {})
        # Several people marking the same words teach them once; "marked" wins.
        if known.get((start, end, slug)) != "marked":
            known[(start, end, slug)] = "accepted" if origin == Origin.SUGGESTION else "marked"
    rejected: dict[int, set[tuple[int, int, str]]] = {}
    rows = Suggestion.objects.filter(
        document__project=project, status=SuggestionStatus.REJECTED
    ).values_list("document_id", "start", "end", "tag__slug")
    for document_id, start, end, slug in rows:
        rejected.setdefault(document_id, set()).add((start, end, slug))
    lessons = []
    documents = Document.objects.filter(pk__in=set(spans) | set(rejected)).order_by("pk")
    for document_id, title, text in documents.values_list("pk", "title", "text"):
        taught = sorted(spans.get(document_id, {}).items())
        lessons.append(
            Lesson(
                title,
                text,
                tuple(Taught(s, e, slug, how) for (s, e, slug), how in taught if e <= len(text)),
                tuple(
                    Taught(s, e, slug, "rejected")
                    for s, e, slug in sorted(rejected.get(document_id, ()))
                    if e <= len(text)
                ),
            )
        )
    return lessons


def project_learn(*, run_id: int, model: str) -> LearningRun | None:
    """Run a queued training (at-least-once safe: a run already taken is left alone)."""
    with transaction.atomic():
        run = (
            LearningRun.objects.select_for_update()
            .select_related("project")
            .filter(pk=run_id)
            .first()
        )
        if run is None or run.status != RunStatus.QUEUED:
            return run
        run.status = RunStatus.RUNNING
        run.started_at = timezone.now()
        run.save(update_fields=["status", "started_at"])
    try:
        learned, lessons, decisions = _train_and_store(run, model)
    except Exception as error:
        run.status = RunStatus.FAILED
        run.error = str(error)[:1000]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        raise
    run.status = RunStatus.DONE
    run.summaries = {tag: asdict(summary) for tag, summary in learned.summaries.items()}
    run.documents = len(lessons)
    run.decisions = decisions
    run.seconds = round(learned.trained_seconds, 2)
    run.finished_at = timezone.now()
    run.save(
        update_fields=["status", "summaries", "documents", "decisions", "seconds", "finished_at"]
    )
    _prune(run.project_id)
    # What was learned shows in every document: their suggestions are computed again
    # (decided ones and places already tagged are never proposed twice).
    with transaction.atomic():
        suggestion_runs_enqueue(documents=list(run.project.documents.only("pk")))
    return run


def _train_and_store(run: LearningRun, model: str):
    """Train on the project's lessons and store the result as the run's version; return
    the learning, the lessons and the decisions counted before reading them."""
    project = run.project
    decisions = project_decisions(project)
    lessons = _lessons(project)
    if not lessons:
        raise ValueError(NOTHING_TO_LEARN)
    labels = dict(
        Tag.objects.filter(project=project).order_by("position").values_list("slug", "name")
    )
    # Training runs in the worker itself; spaCy is imported only now.
    from annotations.suggest.learning import learn
    from annotations.suggest.pipeline import get_suggester

    suggester = get_suggester(model)
    names = project.film_name_list

    def rules(text: str):
        doc = suggester.nlp(text)
        doc.user_data["herlens_text"] = text
        return doc, suggester.from_doc(doc, names)

    learned = learn(lessons, labels, rules)
    target = version_dir(project.pk, run.version)
    # Written beside, then renamed: a worker never loads half a version.
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    learned.to_disk(partial)
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return learned, lessons, decisions


def _prune(project_id: int) -> None:
    keep = {
        f"v{version}"
        for version in LearningRun.objects.filter(project_id=project_id, status=RunStatus.DONE)
        .order_by("-version")
        .values_list("version", flat=True)[:KEEP_VERSIONS]
    }
    folder = learning_root() / str(project_id)
    for child in folder.iterdir() if folder.is_dir() else ():
        if child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)


def learning_overview(project: Project) -> dict[str, Any]:
    """For the project page: per tag, the spans that taught it, when, and its held-out F1."""
    runs = list(LearningRun.objects.filter(project=project).order_by("-version")[:10])
    done = next((run for run in runs if run.status == RunStatus.DONE), None)
    latest = runs[0] if runs else None
    counts = dict(
        Span.objects.filter(document__project=project)
        .values_list("tag_id")
        .annotate(n=Count("id"))
        .values_list("tag_id", "n")
    )
    rows = []
    for tag in Tag.objects.filter(project=project).order_by("position", "name"):
        summary = (done.summaries if done is not None else {}).get(tag.slug, {})
        rows.append(
            {
                "tag": tag,
                "spans": counts.get(tag.pk, 0),
                "taught": summary.get("spans"),
                "trained": summary.get("trained", False),
                # Trained, and used: it beat the rules on the held-out documents.
                "model_used": summary.get("trained", False)
                and (
                    summary.get("use_model", True)
                    if summary.get("kind") == "name"
                    else summary.get("threshold", OFF) < OFF or summary.get("veto", 0) > 0
                )
                or summary.get("cut", 0) > 0,
                "f1": summary.get("f1"),
                "rules_f1": summary.get("rules_f1"),
                "held_out": summary.get("held_out_documents", 0),
                "note": summary.get("note", ""),
            }
        )
    return {"learning_rows": rows, "learning_done": done, "learning_latest": latest}


@task()
def learn_project(run_id: int) -> dict[str, Any]:
    """Train a project's suggester for a queued LearningRun."""
    run = project_learn(run_id=run_id, model=settings.HERLENS_SPACY_MODEL)
    return {"status": run.status if run is not None else "missing"}
