"""What the commands that act on one project and may wait for the worker share."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.models import Project

T = TypeVar("T")
#: Seconds between two looks at the database while waiting for the worker.
POLL_SECONDS = 0.5


class ProjectCommand(BaseCommand):
    """A command taking PROJECT_SLUG, --wait and --timeout."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project_slug")
        parser.add_argument("--wait", action="store_true", help="wait for the worker to finish")
        parser.add_argument(
            "--timeout", type=float, default=600, help="seconds to wait at most (default 600)"
        )

    def project(self, options: dict) -> Project:
        project = Project.objects.filter(slug=options["project_slug"]).first()
        if project is None:
            raise CommandError(f"There is no project {options['project_slug']!r}.")
        return project

    @staticmethod
    def wait_for(
        look: Callable[[], T], done: Callable[[T], bool], timeout: float, late: Callable[[T], str]
    ) -> T:
        """Look until ``done`` says so; past the timeout, fail with ``late``'s message."""
        deadline = time.monotonic() + timeout
        while True:
            seen = look()
            if done(seen):
                return seen
            if time.monotonic() > deadline:
                raise CommandError(late(seen))
            time.sleep(POLL_SECONDS)
