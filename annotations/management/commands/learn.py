"""Train a project's suggester now, optionally waiting for the worker and printing what it learned."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.models import LearningRun, Project, RunStatus
from annotations.services.learning import learning_enqueue


class Command(BaseCommand):
    help = (
        "Queue a training of PROJECT_SLUG's suggester from its human spans and decisions. "
        "With --wait, wait until the worker (manage.py db_worker) has finished, then print "
        "per tag how many spans taught it and its F1 on held-out documents."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project_slug")
        parser.add_argument("--wait", action="store_true", help="wait for the training")
        parser.add_argument(
            "--timeout", type=float, default=600, help="seconds to wait at most (default 600)"
        )

    def handle(self, *args, **options) -> None:
        project = Project.objects.filter(slug=options["project_slug"]).first()
        if project is None:
            raise CommandError(f"There is no project {options['project_slug']!r}.")
        run = learning_enqueue(project=project)
        self.stdout.write(f"Training version {run.version} of {project.slug} queued.")
        if options["wait"]:
            self._wait(run.pk, options["timeout"])

    def _wait(self, run_id: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            run = LearningRun.objects.get(pk=run_id)
            if run.is_finished:
                break
            if time.monotonic() > deadline:
                raise CommandError(
                    f"The training is still {run.status} after {timeout:.0f} s: is "
                    "manage.py db_worker running?"
                )
            time.sleep(0.5)
        if run.status == RunStatus.FAILED:
            raise CommandError(f"The training failed: {run.error}")
        self.stdout.write(f"Done in {run.seconds:.1f} s from {run.documents} document(s). Per tag:")
        for slug, summary in run.summaries.items():
            if summary.get("f1") is not None:
                figure = (
                    f"F1 {summary['f1']:.2f} on {summary['held_out_documents']} held-out "
                    f"document(s) (rules alone {summary['rules_f1']:.2f})"
                )
            else:
                figure = summary.get("note") or "no estimate"
            model = "model trained" if summary.get("trained") else "names only"
            self.stdout.write(f"  {slug}: {summary['spans']} span(s), {model}; {figure}")
