"""Queue suggestions for a project's documents (or one), optionally waiting for the worker."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.models import Project, RunStatus, SuggestionRun
from annotations.services.learning import learning_enqueue_if_due
from annotations.services.suggestions import suggestion_runs_enqueue


class Command(BaseCommand):
    help = (
        "Queue the suggestion task for every document of PROJECT_SLUG (or only --document ID). "
        "With --wait, wait until the worker (manage.py db_worker) has finished them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project_slug")
        parser.add_argument("--document", type=int, help="only this document (its id)")
        parser.add_argument("--wait", action="store_true", help="wait for the results")
        parser.add_argument(
            "--timeout", type=float, default=600, help="seconds to wait at most (default 600)"
        )

    def handle(self, *args, **options) -> None:
        project = Project.objects.filter(slug=options["project_slug"]).first()
        if project is None:
            raise CommandError(f"There is no project {options['project_slug']!r}.")
        documents = project.documents.all()
        if options["document"] is not None:
            documents = documents.filter(pk=options["document"])
            if not documents.exists():
                raise CommandError(f"Project {project.slug} has no document {options['document']}.")
        documents = list(documents.only("pk", "project_id"))
        if learning_enqueue_if_due(project=project) is not None:
            self.stdout.write("Enough new decisions: the project's suggester trains first.")
        suggestion_runs_enqueue(documents=documents)
        ids = [document.pk for document in documents]
        self.stdout.write(f"Queued suggestions for {len(ids)} document(s) of {project.slug}.")
        if options["wait"] and ids:
            self._wait(ids, options["timeout"])

    def _wait(self, ids: list[int], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        finished = {RunStatus.DONE, RunStatus.FAILED}
        while True:
            runs = list(SuggestionRun.objects.filter(document_id__in=ids))
            if len(runs) == len(ids) and all(run.status in finished for run in runs):
                break
            if time.monotonic() > deadline:
                waiting = sum(run.status not in finished for run in runs)
                raise CommandError(
                    f"{waiting} document(s) still waiting after {timeout:.0f} s: is "
                    "manage.py db_worker running?"
                )
            time.sleep(0.5)
        failed = [run for run in runs if run.status == RunStatus.FAILED]
        added = sum(run.added for run in runs)
        pending = sum(run.pending for run in runs)
        self.stdout.write(f"Done: {added} suggestion(s) added, {pending} pending review.")
        for run in failed:
            self.stderr.write(f"Document {run.document_id} failed: {run.error}")
        if failed:
            raise CommandError(f"{len(failed)} document(s) failed.")
