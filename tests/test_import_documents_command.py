from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError


def test_imports_a_folder_and_lists_every_file(project, tmp_path):
    (tmp_path / "a.txt").write_text("Essay A about a film.", "utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("# B\n\nEssay B.", "utf-8")
    (tmp_path / ".hidden.txt").write_text("not me", "utf-8")
    out = io.StringIO()
    call_command("import_documents", project.slug, str(tmp_path), stdout=out)
    output = out.getvalue()
    assert "a.txt: Imported 1 document." in output
    assert "b.md: Imported 1 document." in output
    assert "hidden" not in output
    assert "2 files: 2 documents imported" in output
    assert project.documents.count() == 2


def test_rejected_files_make_the_command_fail_after_the_others(project, tmp_path):
    (tmp_path / "good.txt").write_text("Fine.", "utf-8")
    (tmp_path / "bad.pdf").write_bytes(b"%PDF")
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 file"):
        call_command("import_documents", project.slug, str(tmp_path), stdout=out)
    assert project.documents.count() == 1
    assert "rejected" in out.getvalue()


def test_missing_path_is_reported(project, tmp_path):
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_documents", project.slug, str(tmp_path / "nope"), stdout=out)
    assert "no such file or folder" in out.getvalue()


@pytest.mark.parametrize("command", ["import_documents", "export_corpus"])
def test_data_commands_refuse_a_spacy_model_that_is_not_installed(command, project, settings):
    # They skip the URL checks (start-up time) but still run herlens's own.
    settings.HERLENS_SPACY_MODEL = "en_no_such_pipeline"
    arguments = [project.slug, "/no/such/file.jsonl"][: 2 if command == "import_documents" else 1]
    with pytest.raises(SystemCheckError, match="herlens.E001"):
        call_command(command, *arguments, skip_checks=False, stdout=io.StringIO())


@pytest.mark.parametrize("command", ["import_documents", "export_corpus"])
def test_data_commands_leave_the_model_checks_to_check_and_migrate(command, project, tmp_path):
    # The model checks look at the code, which `manage.py check` and `migrate` have checked;
    # a command that only reads or writes rows starts without them.
    from django.core.checks import Error, Tags, registry

    def failing_model_check(app_configs=None, **kwargs):
        return [Error("a model check ran", id="tests.E001")]

    registry.registry.register(failing_model_check, Tags.models)
    try:
        with pytest.raises(SystemCheckError, match="tests.E001"):
            call_command("check", stdout=io.StringIO(), stderr=io.StringIO())
        (tmp_path / "a.txt").write_text("Essay A.", "utf-8")
        arguments = (
            [project.slug, str(tmp_path)] if command == "import_documents" else [project.slug]
        )
        call_command(command, *arguments, skip_checks=False, stdout=io.StringIO())
    finally:
        registry.registry.registered_checks.discard(failing_model_check)
