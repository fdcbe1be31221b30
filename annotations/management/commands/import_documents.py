"""Import files and folders of documents into a project, listing what became of each file."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.imports import IMPORTED, REJECTED, FileResult, sources_from_paths
from annotations.imports.base import ImportLimits
from annotations.models import Membership, Project, Role
from annotations.services.imports import import_files
from annotations.services.suggestions import suggestion_runs_enqueue_new


class Command(BaseCommand):
    help = (
        "Import .txt, .md, .html, .docx, .csv, .jsonl and .zip files (or folders of them) "
        "into a project. Each file is imported whole or not at all."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project", help="The project's slug (its address).")
        parser.add_argument("paths", nargs="+", help="Files or folders.")
        parser.add_argument(
            "--revise",
            action="store_true",
            help="A text whose document is already in the project (same external_id in its "
            "metadata, else the same title) becomes that document's next revision, its spans "
            "moved along, instead of a new document.",
        )
        parser.add_argument(
            "--user",
            help="Whose name the spans without a known annotator go under "
            "(default: the project's first owner).",
        )

    def handle(self, *args, **options) -> None:
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"There is no project with the address “{options['project']}”.")
        user = self._user(project, options["user"])
        limits = ImportLimits.from_settings()
        results = import_files(
            project=project,
            user=user,
            sources=sources_from_paths(options["paths"], limits),
            limits=limits,
            progress=self._report,
            revise=options["revise"],
        )
        imported = sum(result.documents for result in results)
        if imported:
            # A worker (db_worker) computes them; the import does not wait.
            queued = suggestion_runs_enqueue_new(project=project)
            self.stdout.write(f"Suggestions queued for {queued} new documents.")
        rejected = sum(result.status == REJECTED for result in results)
        self.stdout.write(
            f"{len(results)} files: {imported} documents imported, "
            f"{sum(r.status == IMPORTED for r in results)} files imported, "
            f"{sum(r.status == 'skipped' for r in results)} skipped, {rejected} rejected."
        )
        if rejected:
            raise CommandError(f"{rejected} file(s) were rejected; see above.", returncode=2)

    def _report(self, result: FileResult) -> None:
        style = {IMPORTED: self.style.SUCCESS, REJECTED: self.style.ERROR}.get(
            result.status, self.style.WARNING
        )
        self.stdout.write(f"{style(result.status.ljust(8))} {result.name}: {result.message}")

    def _user(self, project: Project, username: str | None):
        if username:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"There is no user “{username}”.")
            return user
        owner = (
            Membership.objects.filter(project=project, role=Role.OWNER)
            .select_related("user")
            .order_by("created_at")
            .first()
        )
        if owner is None:
            raise CommandError("The project has no owner; name a user with --user.")
        return owner.user
