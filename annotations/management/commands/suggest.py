"""Queue suggestions for a project's documents (or one), optionally waiting for the worker."""

from __future__ import annotations

from django.core.management.base import CommandError, CommandParser

from annotations.management.project_command import ProjectCommand
from annotations.models import RunStatus, SuggestionRun
from annotations.services.learning import learning_enqueue_if_due
from annotations.services.suggestions import suggestion_runs_enqueue


class Command(ProjectCommand):
    help = (
        "Queue the suggestion task for every document of PROJECT_SLUG (or only --document ID). "
        "With --wait, wait until the worker (manage.py worker) has finished them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--document", type=int, help="only this document (its id)")

    def handle(self, *args, **options) -> None:
        project = self.project(options)
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
        finished = {RunStatus.DONE, RunStatus.FAILED}
        runs = self.wait_for(
            lambda: list(SuggestionRun.objects.filter(document_id__in=ids)),
            lambda runs: len(runs) == len(ids) and all(run.status in finished for run in runs),
            timeout,
            lambda runs: (
                f"{len(ids) - sum(run.status in finished for run in runs)} document(s) still "
                f"waiting after {timeout:.0f} s: is manage.py worker running?"
            ),
        )
        failed = [run for run in runs if run.status == RunStatus.FAILED]
        added = sum(run.added for run in runs)
        pending = sum(run.pending for run in runs)
        self.stdout.write(f"Done: {added} suggestion(s) added, {pending} pending review.")
        for run in failed:
            self.stderr.write(f"Document {run.document_id} failed: {run.error}")
        if failed:
            raise CommandError(f"{len(failed)} document(s) failed.")
