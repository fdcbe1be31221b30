"""Import documents from files: one small module per format, one result per file.

Each file is imported whole or not at all (one transaction per file), and a
file that fails never stops the others: it gets a result saying why, in words
the person who uploaded it can act on.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.db import connection

from annotations import services
from annotations.imports import archive, csv, docx, html, jsonl, markdown, txt
from annotations.imports.base import ImportLimits, ParsedDocument, Rejected, extension
from annotations.models import Document, Project, Span

logger = logging.getLogger(__name__)

IMPORTED, SKIPPED, REJECTED = "imported", "skipped", "rejected"
INTERNAL_ERROR = "This file could not be imported because of an error in herlens."
#: Notes on how a file was read shown per result (a JSONL file may have one per line).
MOST_REMARKS = 5

PARSERS: dict[str, Callable[[str, bytes], Iterable[ParsedDocument]]] = {
    "txt": txt.parse,
    "text": txt.parse,
    "md": markdown.parse,
    "markdown": markdown.parse,
    "html": html.parse,
    "htm": html.parse,
    "docx": docx.parse,
    "csv": csv.parse,
    "jsonl": jsonl.parse,
    "ndjson": jsonl.parse,
}
ACCEPTED = (".txt", ".md", ".html", ".docx", ".csv", ".jsonl", ".zip")

Source = tuple[str, "bytes | Rejected"]


@dataclass(slots=True)
class FileResult:
    name: str
    status: str
    message: str
    documents: int = 0
    duplicates: int = 0
    spans: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_file(name: str, data: bytes, limits: ImportLimits) -> Iterable[ParsedDocument]:
    """Return the documents in one file, or raise Rejected (a stream may raise it later)."""
    kind = extension(name)
    if kind not in PARSERS:
        shown = f".{kind}" if kind else "a file without an extension"
        raise Rejected(f"only {', '.join(ACCEPTED)} files can be imported; {shown} is not one")
    if len(data) > limits.max_file_bytes:
        raise Rejected(too_large(len(data), limits.max_file_bytes))
    if kind == "docx":
        return docx.parse(name, data, limits)
    if kind == "csv":
        return csv.parse(name, data, limits.max_file_bytes)
    return PARSERS[kind](name, data)


def expand_sources(sources: Iterable[Source], limits: ImportLimits) -> Iterator[Source]:
    """Yield every file to import, opening zips, and refuse files beyond the count limit."""
    count = 0
    for name, data in sources:
        if isinstance(data, bytes) and extension(name) == "zip":
            if len(data) > limits.max_zip_bytes:
                yield name, Rejected(too_large(len(data), limits.max_zip_bytes))
                continue
            try:
                inner = list(_with_prefix(name, archive.expand(data, limits)))
            except Rejected as error:
                yield name, error
                continue
        else:
            inner = [(name, data)]
        for item in inner:
            count += 1
            if count > limits.max_files:
                yield item[0], Rejected(f"one import takes at most {limits.max_files} files")
            else:
                yield item


def count_files(name: str, data: bytes) -> int:
    """Return how many files an upload holds (the members of a zip, else 1), for progress."""
    if extension(name) != "zip":
        return 1
    try:
        return max(1, sum(archive.is_visible(info) for info in archive.open_zip(data).infolist()))
    except Rejected:
        return 1


def _with_prefix(zip_name: str, members: Iterable[Source]) -> Iterator[Source]:
    for name, data in members:
        yield f"{zip_name}/{name}", data


def import_one(
    *,
    project: Project,
    user,
    name: str,
    data: bytes | Rejected,
    limits: ImportLimits,
    known: set[str],
) -> FileResult:
    """Import one file into the project; never raise."""
    try:
        if isinstance(data, Rejected):
            raise data
        remarks: list[str] = []
        parsed = _noting_remarks(parse_file(name, data, limits), remarks)
        outcome = services.documents_import(
            project=project, author=user, documents=parsed, known=known
        )
    except (Rejected, services.DomainError) as error:
        return FileResult(name, REJECTED, sentence(str(error)))
    except Exception:  # a bad file must never stop the others; the log keeps the detail
        logger.exception("import of %s into %s failed", name, project.slug)
        return FileResult(name, REJECTED, INTERNAL_ERROR)
    return _with_remarks(_result(name, outcome), remarks)


def _noting_remarks(
    documents: Iterable[ParsedDocument], remarks: list[str]
) -> Iterator[ParsedDocument]:
    """Yield the documents, collecting what their parser said about reading the file."""
    for document in documents:
        if document.remark and document.remark not in remarks:
            remarks.append(document.remark)
        yield document


def _with_remarks(result: FileResult, remarks: list[str]) -> FileResult:
    """Add how the file was read (its encoding, any repair) to the result's message."""
    for remark in remarks[:MOST_REMARKS]:
        result.message += " " + sentence(remark)
    if len(remarks) > MOST_REMARKS:
        result.message += f" And {len(remarks) - MOST_REMARKS} more notes like these."
    return result


def _result(name: str, outcome: services.ImportOutcome) -> FileResult:
    if not outcome.documents:
        message = (
            "Skipped: the same text is already in the project."
            if outcome.duplicates == 1
            else f"Skipped: all {outcome.duplicates} texts are already in the project."
        )
        return FileResult(name, SKIPPED, message, duplicates=outcome.duplicates)
    parts = [_count(outcome.documents, "document")]
    if outcome.spans:
        parts.append(_count(outcome.spans, "span"))
    message = "Imported " + " with ".join(parts)
    if outcome.duplicates:
        message += f"; {_count(outcome.duplicates, 'text')} already in the project left out"
    if outcome.tags_created:
        message += "; new tags: " + ", ".join(outcome.tags_created)
    if outcome.credited_to_importer:
        message += (
            f"; {_count(outcome.credited_to_importer, 'span')} credited to you because "
            "their annotator is not a member of this project"
        )
    return FileResult(
        name, IMPORTED, message + ".", outcome.documents, outcome.duplicates, outcome.spans
    )


def import_files(
    *,
    project: Project,
    user,
    sources: Iterable[Source],
    limits: ImportLimits | None = None,
    progress: Callable[[FileResult], None] | None = None,
) -> list[FileResult]:
    """Import every file, in order, and return one result per file."""
    limits = limits or ImportLimits.from_settings()
    known = services.project_fingerprints(project)
    results = []
    for name, data in expand_sources(sources, limits):
        result = import_one(
            project=project, user=user, name=name, data=data, limits=limits, known=known
        )
        results.append(result)
        if progress is not None:
            progress(result)
    if any(result.documents for result in results):
        refresh_statistics()
    return results


def refresh_statistics() -> None:
    """Let PostgreSQL's planner know the new rows (autovacuum may take a minute).

    Without this, an export right after a large import can be planned as if the
    tables were empty and take many times longer.
    """
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (Document, Span))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def sources_from_paths(
    paths: Iterable[str | os.PathLike], limits: ImportLimits
) -> Iterator[Source]:
    """Yield (name, bytes) for files and the files inside folders (sorted, hidden ones left out)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(path, p))
        elif path.is_file():
            files = [path]
        else:
            yield str(path), Rejected("there is no such file or folder")
            continue
        for file in files:
            size = file.stat().st_size
            is_zip = extension(file.name) == "zip"
            limit = limits.max_zip_bytes if is_zip else limits.max_file_bytes
            if size > limit:
                yield str(file), Rejected(too_large(size, limit))
                continue
            yield str(file), file.read_bytes()


def _hidden(root: Path, path: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def too_large(size: int, limit: int) -> str:
    return f"the file is {archive.size_words(size)}; the limit is {archive.size_words(limit)}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def sentence(message: str) -> str:
    """Return message as a sentence: capital first letter, closing stop."""
    message = message.strip()
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "?", "!")) else message + "."
