"""A student's "last active" on the roster comes from the page's post once it has loaded."""

from __future__ import annotations

import pytest

from annotations.models import Membership, Role
from annotations.services.classes import class_create
from tests import factories
from tests.browser.conftest import PASSWORD, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_opening_a_class_document_in_a_browser_notes_the_reader_as_seen(page, live_server):
    teacher = factories.make_user("teacher-seen", password=PASSWORD)
    project = class_create(name="Seen class", teacher=teacher)
    student = factories.make_user("cleo", password=PASSWORD)
    factories.add_member(project, Role.ANNOTATOR, student)
    document = factories.make_document(project, text="A short essay about a long film.\n")
    log_in(page, live_server, "cleo")
    with page.expect_response(lambda r: r.url.endswith("/seen/")) as answer:
        page.goto(live_server.url + document.get_absolute_url())
    assert answer.value.status == 204
    membership = Membership.objects.get(user=student, project=project)
    assert membership.last_seen_at is not None
    assert Membership.objects.get(user=teacher, project=project).last_seen_at is None
