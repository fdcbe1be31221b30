"""Write a project's annotated corpus to a file or standard output."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.checks import DATA_COMMAND_CHECKS
from annotations.exports import FORMATS, ExportError, ExportFilter, export_stream
from annotations.models import Origin, Project


class Command(BaseCommand):
    requires_system_checks = DATA_COMMAND_CHECKS
    help = "Export a project's spans as csv, jsonl, spacy (DocBin) or w3c (Web Annotation JSON-LD)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project", help="The project's slug (its address).")
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument(
            "--exact",
            action="store_true",
            help="CSV: no byte-order mark and no formula guard; every value exactly as stored.",
        )
        parser.add_argument("-o", "--output", help="File to write (default: standard output).")
        many = {"action": "append", "default": []}
        parser.add_argument("--tag", **many, help="Only this tag (slug); repeatable.")
        parser.add_argument("--annotator", **many, help="Only this annotator (username).")
        parser.add_argument("--origin", **many, choices=Origin.values)
        parser.add_argument("--document", **many, type=int, help="Only this document id.")
        parser.add_argument(
            "--reference-only", action="store_true", help="Only the reference (adjudicated) layer."
        )
        parser.add_argument(
            "--pseudonyms",
            action="store_true",
            help="Write annotator-01, annotator-02, ... instead of usernames (stable per project).",
        )
        parser.add_argument(
            "--revision",
            type=int,
            help="Read this (older) revision of the one --document: its text and the spans "
            "as they stood on it (default: the current revision of every document).",
        )
        parser.add_argument(
            "--orphans",
            action="store_true",
            help="CSV: also the orphans (spans whose words a revision removed). "
            "JSONL always has them; W3C and spaCy never.",
        )
        parser.add_argument("--base-url", default="", help="W3C: the address the ids hang from.")

    def handle(self, *args, **options) -> None:
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"There is no project with the address “{options['project']}”.")
        export_filter = ExportFilter(
            tags=tuple(options["tag"]),
            annotators=tuple(options["annotator"]),
            origins=tuple(options["origin"]),
            documents=tuple(options["document"]),
            reference_only=options["reference_only"],
            pseudonyms=options["pseudonyms"],
            orphans=options["orphans"],
            revision=options["revision"],
        )
        try:
            chunks = export_stream(
                options["format"],
                project,
                export_filter,
                exact=options["exact"],
                base=options["base_url"],
            )
        except ExportError as error:
            raise CommandError(str(error)) from None
        if options["output"]:
            with open(options["output"], "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
        else:
            out = getattr(self.stdout, "_out", sys.stdout)
            binary = getattr(out, "buffer", None)
            for chunk in chunks:
                if binary is not None:
                    binary.write(chunk)
                else:  # a text stream, such as call_command(stdout=StringIO()) in tests
                    out.write(chunk.decode("utf-8"))
            out.flush()
