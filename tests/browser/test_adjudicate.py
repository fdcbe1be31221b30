"""Adjudication from the keyboard: move between passages, accept and reject."""

from __future__ import annotations

import pytest

from annotations.models import Role, Span
from annotations.services.classes import class_create
from tests import factories
from tests.browser.conftest import PASSWORD, log_in
from tests.factories import CLASS_ESSAY as ESSAY
from tests.factories import phrase

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_keys_accept_and_reject_passages(page, live_server):
    teacher = factories.make_user("teacher-keys", password=PASSWORD)
    project = class_create(name="Keys class", teacher=teacher)
    document = factories.make_document(project, text=ESSAY, title="Keys essay")
    for name, text in (
        ("kim", "loneliness is a design problem"),
        ("lee", "the ending was too neat"),
    ):
        student = factories.add_member(project, Role.ANNOTATOR, factories.make_user(name))
        factories.make_span(document, *phrase(document, text), student)

    log_in(page, live_server, "teacher-keys")
    page.goto(f"{live_server.url}/projects/{project.slug}/documents/{document.pk}/adjudicate/")
    page.keyboard.press("j")
    page.keyboard.press("a")
    page.wait_for_selector(".candidate.accepted")
    # Wait until the re-drawn list has put the focus back on the accepted passage.
    page.wait_for_function("() => document.activeElement?.matches('.candidate.accepted')")
    assert [s.quote for s in Span.objects.filter(is_reference=True)] == [
        "loneliness is a design problem"
    ]
    # Focus stays on the same passage after the list is re-drawn; j moves on, a accepts.
    page.keyboard.press("j")
    page.keyboard.press("a")
    page.wait_for_function("() => document.querySelectorAll('.candidate.accepted').length === 2")
    assert Span.objects.filter(is_reference=True).count() == 2
    # Wait until the re-drawn list has put the focus back on the accepted passage.
    page.wait_for_function("() => document.activeElement?.matches('.candidate.accepted')")
    page.keyboard.press("x")
    page.wait_for_function("() => document.querySelectorAll('.candidate.accepted').length === 1")
    assert [s.quote for s in Span.objects.filter(is_reference=True)] == [
        "loneliness is a design problem"
    ]
    # The reference layer is drawn in the essay.
    reference = Span.objects.get(is_reference=True)
    assert page.locator(f"#adjudication mark[data-s~='{reference.pk}']").count() >= 1


def test_select_words_and_press_a_tag_key_to_add_them(page, live_server):
    from tests.browser.test_annotate import LOCATE

    teacher = factories.make_user("teacher-select", password=PASSWORD)
    project = class_create(name="Select class", teacher=teacher)
    document = factories.make_document(project, text=ESSAY, title="Select essay")
    student = factories.add_member(project, Role.ANNOTATOR, factories.make_user("moe"))
    factories.make_span(document, *phrase(document, "the ending was too neat"), student)

    log_in(page, live_server, "teacher-select")
    page.goto(f"{live_server.url}/projects/{project.slug}/documents/{document.pk}/adjudicate/")
    # LOCATE looks in #essay; point it at the adjudication essay.
    points = page.evaluate(LOCATE.replace('"essay"', '"adjudicate-essay"'), "a design problem")
    page.mouse.move(points["start"]["x"], points["start"]["y"])
    page.mouse.down()
    page.mouse.move(points["end"]["x"], points["end"]["y"], steps=8)
    page.mouse.up()
    page.keyboard.press("p")
    page.wait_for_selector(".reference-list li[id^='ref-']")
    reference = Span.objects.get(is_reference=True)
    assert reference.quote == "a design problem"
    assert reference.tag.slug == "prediction"
