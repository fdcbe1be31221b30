"""manage.py suggest_text: suggestions for a file as JSON lines, no database."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def run(*args: str) -> list[dict]:
    out = StringIO()
    call_command("suggest_text", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_prints_one_json_line_per_suggestion_with_offsets_into_the_normalised_text(tmp_path):
    path = tmp_path / "essay.txt"
    path.write_text(
        "🤖 The film Her (2013) will age well.\r\nI think it is kind.", encoding="utf-8"
    )
    rows = run(str(path))
    text = "🤖 The film Her (2013) will age well.\nI think it is kind."
    assert [row["tag"] for row in rows] == ["prediction", "film-reference", "claim"]
    for row in rows:
        assert set(row) >= {"start", "end", "tag", "text", "score", "reason"}
        assert text[row["start"] : row["end"]] == row["text"]
    assert rows[1]["text"] == "Her"
    assert rows[1]["reason"] == "year “2013” in brackets"


def test_names_file_adds_the_projects_list(tmp_path):
    essay = tmp_path / "essay.txt"
    essay.write_text("Later, Theodore writes again.", encoding="utf-8")
    names = tmp_path / "names.txt"
    names.write_text("Theodore\n\nSamantha\n", encoding="utf-8")
    assert run(str(essay)) == []
    assert [row["text"] for row in run(str(essay), "--names", str(names))] == ["Theodore"]


def test_missing_file_is_a_command_error():
    with pytest.raises(CommandError, match="There is no file"):
        run("/no/such/essay.txt")
