from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from tests import corpus


def test_writes_exact_csv_to_a_file(owner, tmp_path):
    project, _ = corpus.build(owner)
    target = tmp_path / "out.csv"
    call_command("export_corpus", project.slug, "--format", "csv", "--exact", "-o", str(target))
    rows = list(csv.DictReader(io.StringIO(target.read_text("utf-8"), newline="")))
    assert len(rows) == 7
    assert not target.read_bytes().startswith(b"\xef\xbb\xbf")


def test_writes_to_standard_output_with_filters(owner):
    project, _ = corpus.build(owner)
    out = io.StringIO()
    call_command(
        "export_corpus", project.slug, "--format", "jsonl", "--tag", "prediction", stdout=out
    )
    assert out.getvalue().count("\n") == 2
    assert '"tag_slug": "prediction"' in out.getvalue()


def test_unknown_project_is_a_plain_error(db):
    with pytest.raises(CommandError, match="no project with the address"):
        call_command("export_corpus", "nope")
