"""Print the suggestions for a text file as JSON lines, without touching the database."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.offsets import normalise_text
from annotations.suggest.pipeline import PipelineUnavailable, get_suggester


class Command(BaseCommand):
    help = (
        "Print suggested claims, predictions and film references for FILE (- for standard input) "
        "as JSON lines: start, end (code points into the normalised text), tag, text, score, reason."
    )
    # Reading a file needs no database and no migrations.
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a UTF-8 text file, or - for standard input")
        parser.add_argument(
            "--names",
            help="a file of film titles, characters and people, one per line (like a project's list)",
        )

    def handle(self, *args, **options) -> None:
        text = self._read(options["file"])
        names = ()
        if options["names"]:
            names = tuple(line.strip() for line in self._read(options["names"]).splitlines())
            names = tuple(name for name in names if name)
        try:
            suggester = get_suggester(settings.HERLENS_SPACY_MODEL)
        except PipelineUnavailable as error:
            raise CommandError(str(error)) from None
        for suggestion in suggester.suggest(text, names):
            self.stdout.write(json.dumps(suggestion.as_dict(text), ensure_ascii=False))

    def _read(self, name: str) -> str:
        if name == "-":
            return normalise_text(sys.stdin.read())
        path = Path(name)
        try:
            return normalise_text(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CommandError(f"There is no file {name}.") from None
        except UnicodeDecodeError:
            raise CommandError(f"{name} is not UTF-8 text.") from None
