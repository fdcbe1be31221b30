"""Two students in an open class: a span one of them makes appears for the other, live."""

from __future__ import annotations

import pytest

from annotations.models import Role, Span
from annotations.services.classes import class_create
from tests import factories
from tests.browser.conftest import PASSWORD, log_in
from tests.browser.test_annotate import select_with_mouse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ESSAY = (
    "The film argues that loneliness is a design problem. It will be remembered for its voice.\n\n"
    "Critics said the ending was too neat, and they may be right about that."
)


@pytest.fixture
def open_class(transactional_db):
    teacher = factories.make_user("teacher-live", password=PASSWORD)
    project = class_create(name="Live class", teacher=teacher)
    project.visibility = "open"
    project.save()
    ada = factories.add_member(
        project, Role.ANNOTATOR, factories.make_user("ada", password=PASSWORD)
    )
    ben = factories.add_member(
        project, Role.ANNOTATOR, factories.make_user("ben", password=PASSWORD)
    )
    document = factories.make_document(project, text=ESSAY, title="Live essay")
    return document, ada, ben


def has_mark(page, span_id: int) -> bool:
    return page.evaluate("(id) => window.herlens.marksOf(id).length > 0", span_id)


def test_span_of_one_student_appears_for_the_other_without_reload(browser, live_server, open_class):
    document, ada, ben = open_class
    contexts = [browser.new_context(viewport={"width": 1280, "height": 700}) for _ in range(2)]
    try:
        ada_page, ben_page = (context.new_page() for context in contexts)
        errors: list[str] = []
        for page in (ada_page, ben_page):
            page.set_default_timeout(12_000)
            page.on("pageerror", lambda error: errors.append(str(error)))
            log_in(page, live_server, "ada" if page is ada_page else "ben")
            page.goto(live_server.url + document.get_absolute_url())
        ada_page.evaluate("window.__sameDocument = true")

        # Ada is in the middle of selecting words in the second paragraph.
        select_with_mouse(ada_page, "the ending was too neat")

        # Ben tags a claim in the first paragraph: it appears for Ada, her selection stays.
        select_with_mouse(ben_page, "loneliness is a design problem")
        ben_page.keyboard.press("c")
        ben_page.wait_for_function("() => document.querySelectorAll('#essay mark').length > 0")
        first = Span.objects.get(author=ben)
        ada_page.wait_for_function("(id) => window.herlens.marksOf(id).length > 0", arg=first.pk)
        assert ada_page.evaluate("window.getSelection().toString()") == "the ending was too neat"
        # A screen reader names Ben's span like every other: the live update carried its label.
        ada_page.wait_for_function(
            """(id) => { const marks = window.herlens.marksOf(id);
                 return marks.length && (marks[0].dataset.srStart || "").includes("by ben")
                   && (marks[marks.length - 1].dataset.srEnd || "").includes("end of"); }""",
            arg=first.pk,
        )
        assert ada_page.evaluate("window.__sameDocument") is True

        # Ben tags inside the paragraph Ada is selecting in: it waits for her selection.
        select_with_mouse(ben_page, "they may be right")
        ben_page.keyboard.press("c")
        ben_page.wait_for_function("() => window.herlens.spansIn().length === 2")
        second = Span.objects.filter(author=ben).order_by("-pk").first()
        ada_page.wait_for_timeout(4_500)  # more than one poll
        assert not has_mark(ada_page, second.pk)
        assert ada_page.evaluate("window.getSelection().toString()") == "the ending was too neat"

        ada_page.evaluate("window.getSelection().removeAllRanges()")
        ada_page.wait_for_function("(id) => window.herlens.marksOf(id).length > 0", arg=second.pk)
        assert ada_page.evaluate("window.__sameDocument") is True
        assert not errors, errors
    finally:
        for context in contexts:
            context.close()
