"""Create an API token for a user and print it (once: only its hash is kept)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.services.tokens import api_token_create


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it. It cannot be shown again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the token is for.")

    def handle(self, *args, **options) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"There is no user “{options['username']}”.")
        _token, raw = api_token_create(user=user, name=options["name"])
        self.stdout.write(raw)
