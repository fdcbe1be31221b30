"""What every import format produces, and the limits every import obeys (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

MB = 1024 * 1024


class Rejected(ValueError):
    """A file that cannot be imported; str(error) says why, in plain words."""


@dataclass(frozen=True, slots=True)
class ImportLimits:
    #: Largest single file, also inside a zip (bytes).
    max_file_bytes: int = 100 * MB
    #: Most files in one import, counting those inside zips.
    max_files: int = 5000
    #: Most bytes a zip may hold uncompressed, declared or actually decompressed.
    max_zip_bytes: int = 1024 * MB

    @classmethod
    def from_settings(cls) -> ImportLimits:
        from django.conf import settings

        return cls(**getattr(settings, "HERLENS_IMPORT_LIMITS", {}))


@dataclass(slots=True)
class ParsedSpan:
    """A span as a file gives it, before its tag and annotator are found in the project."""

    #: None for an orphan (a span whose words a revision removed), as JSONL exports carry them.
    start: int | None
    end: int | None
    #: The tag's name or slug.
    tag: str
    #: The tag's slug when the file gives it beside the name (as the JSONL export does).
    tag_slug: str = ""
    note: str = ""
    origin: str = "manual"
    #: Username of who made it; kept only if that person is a member of the project.
    annotator: str = ""
    #: Part of the reference (adjudicated) layer, as the exports mark it.
    is_reference: bool = False
    #: exact, changed or orphaned (see annotations/anchoring.py); an orphan keeps its words here.
    anchor: str = "exact"
    orphan_quote: str = ""


@dataclass(slots=True)
class ParsedDocument:
    title: str
    text: str
    author: str = ""
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    spans: list[ParsedSpan] = field(default_factory=list)
    #: What the import result should say about how the file was read ("read as Windows-1252").
    remark: str = ""


def title_from_name(name: str) -> str:
    """Return a document title made from a file name: its stem, as written."""
    stem = PurePosixPath(name.replace("\\", "/")).stem.strip()
    return stem or name


def extension(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).suffix.lower().lstrip(".")
