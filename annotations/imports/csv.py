"""CSV: one document per row, from a ``title`` and a ``text`` column.

``author`` and ``source`` columns fill those fields; every other column is kept
in the document's metadata under its header. Commas, semicolons and tabs are
recognised as separators; quoting is RFC 4180's, as Excel and LibreOffice write
it (``""`` for a quote, separators and line breaks inside quoted cells).
"""

from __future__ import annotations

import csv
import io

from annotations.imports.base import ParsedDocument, Rejected
from annotations.imports.encoding import decode_text

FIELDS = ("title", "text", "author", "source")


#: How much of the file the sniffer sees: enough rows to tell a separator from a comma in a text.
SAMPLE_CHARS = 64 * 1024
SEPARATORS = (",", ";", "\t")


class _Excel(csv.excel):
    """RFC 4180 as Excel and LibreOffice write it: ``"`` quotes, ``""`` inside, any separator."""

    # A quote left open would otherwise swallow every later row into one cell.
    strict = True


def _dialects(text: str) -> list[type[csv.Dialect]]:
    """Return the dialects to try, most likely first: the sniffed separator, then the others.

    Only the separator is taken from the sniffer. Its guesses about quoting
    come from a sample and are wrong on files whose first rows hold no
    ``""`` (it then reads ``""`` as two quotes), while every spreadsheet
    writes RFC 4180 quoting.
    """
    sample = text[:SAMPLE_CHARS]
    if len(text) > SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(SEPARATORS)).delimiter
    except csv.Error:
        sniffed = ","
    order = [sniffed, *(s for s in SEPARATORS if s != sniffed)]
    return [type(f"Excel{ord(s)}", (_Excel,), {"delimiter": s}) for s in order]


def _header(text: str) -> tuple[csv.Dialect | type[csv.Dialect], list[str]]:
    """Return the dialect whose first row names a title and a text column, else the first one."""
    first: tuple[type[csv.Dialect], list[str]] | None = None
    for dialect in _dialects(text):
        reader = csv.reader(io.StringIO(text, newline=""), dialect)
        try:
            header = next(reader)
        except StopIteration:
            raise Rejected("the CSV file is empty") from None
        except csv.Error as error:
            raise Rejected(f"the CSV cannot be read: {error}") from None
        lower = {column.strip().lower() for column in header}
        if {"title", "text"} <= lower:
            return dialect, header
        first = first or (dialect, header)
    assert first is not None
    return first


def parse(name: str, data: bytes, max_field: int = 20 * 1024 * 1024) -> list[ParsedDocument]:
    decoded = decode_text(data)
    text = decoded.text
    csv.field_size_limit(max(max_field, csv.field_size_limit()))
    if not text.strip():
        raise Rejected("the CSV file is empty")
    dialect, header = _header(text)
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    next(reader)
    columns = [column.strip() for column in header]
    lower = [column.lower() for column in columns]
    missing = [field for field in ("title", "text") if field not in lower]
    if missing:
        found = ", ".join(f"“{column}”" for column in columns) or "none"
        raise Rejected(
            "the CSV needs a “title” and a “text” column in its first row; "
            f"its columns are: {found}"
        )
    documents = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line = reader.line_num
            if len(row) != len(columns):
                raise Rejected(
                    f"row ending on line {line} has {len(row)} cells "
                    f"but the header has {len(columns)}"
                )
            values = {
                lower[i] if lower[i] in FIELDS else columns[i]: row[i] for i in range(len(row))
            }
            if not values["text"].strip():
                raise Rejected(f"row ending on line {line} has an empty text")
            if not values["title"].strip():
                raise Rejected(f"row ending on line {line} has an empty title")
            documents.append(
                ParsedDocument(
                    title=values.pop("title").strip(),
                    text=values.pop("text"),
                    author=values.pop("author", "").strip(),
                    source=values.pop("source", "").strip(),
                    metadata=values,
                    remark=decoded.remark,
                )
            )
    except csv.Error as error:
        raise Rejected(f"the CSV cannot be read near line {reader.line_num}: {error}") from None
    if not documents:
        raise Rejected("the CSV has a header but no rows")
    return documents
