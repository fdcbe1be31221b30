from __future__ import annotations

import json

from annotations.exports import ExportFilter, export_stream
from tests import corpus


def lines(project, export_filter=ExportFilter()):  # noqa: B008
    data = b"".join(export_stream("jsonl", project, export_filter)).decode("utf-8")
    return [json.loads(line) for line in data.splitlines()]


def test_one_line_per_document_with_text_and_spans(owner):
    project, extra = corpus.build(owner)
    documents = lines(project)
    assert [d["id"] for d in documents] == [extra["one"].pk, extra["two"].pk]
    one = documents[0]
    assert one["text"] == extra["one"].text
    assert len(one["spans"]) == 5
    for span in one["spans"]:
        assert one["text"][span["start"] : span["end"]] == span["text"]
        assert set(span) >= {"start", "end", "tag", "tag_slug", "annotator", "origin", "note"}


def test_non_ascii_is_written_as_itself(owner):
    project, _ = corpus.build(owner)
    data = b"".join(export_stream("jsonl", project))
    assert "🎬".encode() in data


def test_documents_without_matching_spans_are_kept(owner):
    project, _ = corpus.build(owner)
    documents = lines(project, ExportFilter(tags=("prediction",)))
    assert len(documents) == 2
    assert [len(d["spans"]) for d in documents] == [1, 0]
