"""Delete for good the documents and spans that have been in the trash too long."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from annotations.models import TRASH_DAYS
from annotations.services.trash import trash_purge


class Command(BaseCommand):
    help = f"Delete documents and spans that have been in the trash for over {TRASH_DAYS} days."

    def handle(self, *args, **options) -> None:
        documents, spans = trash_purge()
        self.stdout.write(f"Deleted {documents} documents and {spans} spans from the trash.")
