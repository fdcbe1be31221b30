from __future__ import annotations

from django.core.management.base import BaseCommand

from annotations.demo import DEMO_USERS, load_demo
from annotations.models import Project


class Command(BaseCommand):
    help = "Create the demo project with three essays, demo users and a few spans (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds a project (used by make run).",
        )

    def handle(self, *args, if_empty: bool = False, **options) -> None:
        if if_empty and Project.objects.exists():
            self.stdout.write("Projects exist already; demo not loaded.")
        else:
            project, created = load_demo()
            verb = "Created" if created else "Checked"
            self.stdout.write(self.style.SUCCESS(f"{verb} the demo project “{project.name}”."))
        self.stdout.write("Demo logins (username / password, role):")
        for user in DEMO_USERS:
            self.stdout.write(f"  {user.username:<8} {user.password:<18} {user.role}")
