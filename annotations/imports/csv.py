"""CSV: one document per row, from a ``title`` and a ``text`` column.

``author`` and ``source`` columns fill those fields; every other column is kept
in the document's metadata under its header. Commas, semicolons and tabs are
recognised as separators.
"""

from __future__ import annotations

import csv
import io

from annotations.imports.base import ParsedDocument, Rejected
from annotations.imports.encoding import decode

FIELDS = ("title", "text", "author", "source")


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    header = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(header, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def parse(name: str, data: bytes, max_field: int = 20 * 1024 * 1024) -> list[ParsedDocument]:
    text = decode(data)
    csv.field_size_limit(max(max_field, csv.field_size_limit()))
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    try:
        header = next(reader)
    except StopIteration:
        raise Rejected("the CSV file is empty") from None
    except csv.Error as error:
        raise Rejected(f"the CSV cannot be read: {error}") from None
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
                )
            )
    except csv.Error as error:
        raise Rejected(f"the CSV cannot be read near line {reader.line_num}: {error}") from None
    if not documents:
        raise Rejected("the CSV has a header but no rows")
    return documents
