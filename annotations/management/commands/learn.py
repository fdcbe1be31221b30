"""Train a project's suggester now, optionally waiting for the worker and printing what it learned."""

from __future__ import annotations

from django.core.management.base import CommandError

from annotations.management.project_command import ProjectCommand
from annotations.models import LearningRun, RunStatus
from annotations.services.learning import learning_enqueue


class Command(ProjectCommand):
    help = (
        "Queue a training of PROJECT_SLUG's suggester from its human spans and decisions. "
        "With --wait, wait until the worker (manage.py db_worker) has finished, then print "
        "per tag how many spans taught it and its F1 on held-out documents."
    )

    def handle(self, *args, **options) -> None:
        project = self.project(options)
        run = learning_enqueue(project=project)
        self.stdout.write(f"Training version {run.version} of {project.slug} queued.")
        if options["wait"]:
            self._wait(run.pk, options["timeout"])

    def _wait(self, run_id: int, timeout: float) -> None:
        run = self.wait_for(
            lambda: LearningRun.objects.get(pk=run_id),
            lambda run: run.is_finished,
            timeout,
            lambda run: (
                f"The training is still {run.status} after {timeout:.0f} s: is "
                "manage.py db_worker running?"
            ),
        )
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
