"""Export JSONL, import it into a new project, export CSV from both: the same corpus."""

from __future__ import annotations

import csv
import io

from annotations.exports import export_stream
from annotations.imports import IMPORTED
from annotations.models import Role, Span
from annotations.services.imports import import_files
from annotations.services.projects import project_create
from tests import corpus, factories

#: What may differ between two projects holding the same corpus.
VOLATILE = ("project", "document_id", "span_id", "created_at", "updated_at")


def csv_rows(project) -> list[dict[str, str]]:
    data = b"".join(export_stream("csv", project, exact=True)).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(data, newline="")))
    return [{k: v for k, v in row.items() if k not in VOLATILE} for row in rows]


def test_jsonl_export_reimports_without_loss(owner):
    source, extra = corpus.build(owner)
    # Overlapping spans of the same tag by two people at the same place, too.
    one = extra["one"]
    factories.make_span(one, 0, 3, extra["annotator"], "claim")
    # And the reference layer, which an export marks and an import keeps.
    Span.objects.create(
        document=one,
        start=0,
        end=3,
        tag=factories.tag(source, "claim"),
        author=owner,
        quote=one.text[0:3],
        is_reference=True,
    )
    exported = b"".join(export_stream("jsonl", source))

    target = project_create(name="Copy", owner=owner)
    factories.add_member(target, Role.ANNOTATOR, user=extra["annotator"])
    [result] = import_files(project=target, user=owner, sources=[("corpus.jsonl", exported)])
    assert result.status == IMPORTED, result.message
    assert result.spans == Span.objects.filter(document__project=source).count() == 9

    before, after = csv_rows(source), csv_rows(target)
    assert len(before) == 9
    assert after == before
    # The corpus really holds what the round trip is meant to keep.
    texts = {row["text"] for row in before}
    assert "Zoë" in texts  # composed from a combining mark
    assert any("🎬" in text for text in texts)
    assert "🤖🤖" in texts
    assert [row["is_reference"] for row in after].count("true") == 1


def test_importing_the_same_export_twice_skips_every_text(owner):
    source, _ = corpus.build(owner)
    exported = b"".join(export_stream("jsonl", source))
    [result] = import_files(project=source, user=owner, sources=[("again.jsonl", exported)])
    assert result.status == "skipped"
    assert result.message == "Skipped: all 2 texts are already in the project."
