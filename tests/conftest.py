from __future__ import annotations

import os

import pytest

from annotations.models import Role
from tests import factories
from tests.wsgi_client import both_ways  # noqa: F401  (a fixture for the live poll's tests)

SKIP_NOTES: list[str] = []


@pytest.fixture
def owner(db):
    return factories.make_user("owner")


@pytest.fixture
def project(owner):
    return factories.make_project(owner=owner, name="Film criticism")


@pytest.fixture
def document(project):
    return factories.make_document(
        project,
        text="Her (2013) is a film about a voice. 🤖 It will age well.\n\nA second paragraph follows.",
        title="On Her",
    )


@pytest.fixture
def members(project, owner):
    """One user per role, plus a stranger with no membership."""
    return {
        Role.OWNER: owner,
        Role.EDITOR: factories.add_member(project, Role.EDITOR),
        Role.ANNOTATOR: factories.add_member(project, Role.ANNOTATOR),
        Role.VIEWER: factories.add_member(project, Role.VIEWER),
        "stranger": factories.make_user("stranger"),
    }


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = terminalreporter.stats.get("skipped", [])
    reasons = sorted(
        {str(report.longrepr[2]) for report in skipped if isinstance(report.longrepr, tuple)}
    )
    database = os.environ.get("DATABASE_URL", "").split("@")[-1] or "SQLite (embedded)"
    terminalreporter.write_sep("=", f"herlens: database under test: {database}")
    if reasons:
        terminalreporter.write_sep("!", "herlens: SKIPPED PARTS OF THE SUITE", yellow=True)
        for reason in reasons:
            terminalreporter.write_line(f"  skipped: {reason}")
