"""manage.py suggest: queue suggestions for a project or one document."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from annotations.models import RunStatus, SuggestionRun
from annotations.services.documents import document_create

# on_commit must fire for the task to be enqueued, as it does outside tests.
pytestmark = pytest.mark.django_db(transaction=True)

TEXT = "Critics argue that the film Her (2013) will age well."


def run(*args: str) -> str:
    out = StringIO()
    call_command("suggest", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_suggests_every_document_of_the_project_and_waits(project):
    first = document_create(project=project, text=TEXT, title="One", suggest=False)
    second = document_create(project=project, text=TEXT, title="Two", suggest=False)
    out = run(project.slug, "--wait", "--timeout", "20")
    assert "Queued suggestions for 2 document(s)" in out
    assert "Done:" in out
    for document in (first, second):
        assert SuggestionRun.objects.get(document=document).status == RunStatus.DONE
        assert document.suggestions.exists()


def test_document_option_limits_the_run_to_one_document(project):
    first = document_create(project=project, text=TEXT, title="One", suggest=False)
    second = document_create(project=project, text=TEXT, title="Two", suggest=False)
    run(project.slug, "--document", str(first.pk))
    assert first.suggestions.exists()
    assert not second.suggestions.exists()


def test_unknown_project_or_document_is_an_error(project):
    with pytest.raises(CommandError, match="There is no project"):
        run("no-such-project")
    with pytest.raises(CommandError, match="has no document"):
        run(project.slug, "--document", "999999")
