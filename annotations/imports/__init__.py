"""Read documents from files: one small module per format, one result per file.

This package only parses: it turns bytes into ``ParsedDocument`` values and
says in words a person can act on why a file cannot be read. Storing them
(one transaction per file, a failing file never stopping the others) is
services/imports.py's job.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from annotations.imports import archive
from annotations.imports.base import ImportLimits, ParsedDocument, Rejected, extension

IMPORTED, SKIPPED, REJECTED = "imported", "skipped", "rejected"


class _Parser:
    """A format's ``parse``, its module imported on first use.

    The parsers pull in Markdown, HTML and encoding-detection libraries; the web
    process and every command load this package (the upload limits, the import
    results) without reading a file of most formats.
    """

    def __init__(self, module: str) -> None:
        self.module = module

    def __call__(self, *arguments: Any) -> Iterable[ParsedDocument]:
        return importlib.import_module(f"annotations.imports.{self.module}").parse(*arguments)


PARSERS: dict[str, Callable[..., Iterable[ParsedDocument]]] = {
    "txt": _Parser("txt"),
    "text": _Parser("txt"),
    "md": _Parser("markdown"),
    "markdown": _Parser("markdown"),
    "html": _Parser("html"),
    "htm": _Parser("html"),
    "docx": _Parser("docx"),
    "csv": _Parser("csv"),
    "jsonl": _Parser("jsonl"),
    "ndjson": _Parser("jsonl"),
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
    #: The first documents the file made (the result page links them).
    document_ids: list[int] = field(default_factory=list)
    #: Documents already in the project that the file revised (a new revision each).
    revised: int = 0

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
        return PARSERS[kind](name, data, limits)
    if kind == "csv":
        return PARSERS[kind](name, data, limits.max_file_bytes)
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
