"""axe-core on every page, as a teacher (owner), a student and a viewer: no serious or
critical violation. axe-playwright-python ships axe-core; nothing is fetched."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import Role, Span
from tests import factories
from tests.browser.conftest import PASSWORD, log_in
from tests.browser.scenes import build_class

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLOCKING = {"serious", "critical"}


def audit(page, url: str) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    page.goto(url)
    page.wait_for_load_state("networkidle")
    results = Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
            found.append(f"{url}: {violation['id']} ({violation['impact']}) at {targets}")
    return found


@pytest.fixture
def scene(live_server):
    project, document, teacher = build_class()
    viewer = factories.add_member(
        project, Role.VIEWER, factories.make_user("vera", password=PASSWORD)
    )
    span = Span.objects.filter(document=document, author__username="amira").first()
    return {
        "project": project,
        "document": document,
        "teacher": teacher,
        "viewer": viewer,
        "span": span,
    }


def pages_for(scene, who: str) -> list[str]:
    project, document, span = scene["project"], scene["document"], scene["span"]
    slug, pk = project.slug, document.pk
    common = [
        reverse("annotations:home"),
        reverse("annotations:account"),
        project.get_absolute_url(),
        document.get_absolute_url(),
        reverse("annotations:compare", args=[slug, pk]),
        reverse("annotations:assignments", args=[slug]),
        reverse("password_change"),
    ]
    if who == "teacher":
        return common + [
            f"{document.get_absolute_url()}?span={span.pk}",
            reverse("annotations:agreement", args=[slug]) + f"?document={pk}",
            reverse("annotations:adjudicate", args=[slug, pk]),
            reverse("annotations:feedback", args=[slug, pk]),
            reverse("annotations:feedback", args=[slug, pk]) + f"?student={span.author_id}",
            reverse("annotations:class", args=[slug]),
            reverse("annotations:class-new"),
            reverse("annotations:comments", args=[span.pk]),
        ]
    if who == "amira":
        return common + [
            f"{document.get_absolute_url()}?span={span.pk}",
            reverse("annotations:feedback", args=[slug, pk]),
            reverse("annotations:join"),
        ]
    return common


@pytest.mark.parametrize("who", ["teacher", "amira", "vera"])
def test_no_serious_violation_on_any_page(page, live_server, scene, who):
    log_in(page, live_server, who)
    found = []
    for path in pages_for(scene, who):
        found += audit(page, f"{live_server.url}{path}")
    assert not found, "\n".join(found)


def test_no_serious_violation_logged_out_and_on_error_pages(page, live_server, scene):
    found = audit(page, f"{live_server.url}/accounts/login/")
    log_in(page, live_server, "amira")
    page.goto(f"{live_server.url}/projects/no-such-project/")
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found += [
        f"{v['id']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]
    assert not found, "\n".join(found)


def test_no_serious_violation_in_the_annotate_page_states(page, live_server, scene):
    """The keyboard help, the review panel and a failure message, as the teacher sees them."""
    from axe_playwright_python.sync_playwright import Axe

    log_in(page, live_server, "teacher")
    found = audit(page, f"{live_server.url}{scene['document'].get_absolute_url()}")
    page.keyboard.press("?")
    page.locator("#keyboard-help").wait_for()
    page.locator("#essay").click(position={"x": 5, "y": 5})
    page.keyboard.press("r")
    page.locator("#review-panel").wait_for()
    page.evaluate(
        "window.herlens.toast('A message', Object.assign(document.createElement('button'), {textContent: 'Reload the page'}))"
    )
    results = Axe().run(page)
    found += [
        f"{v['id']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]
    assert not found, "\n".join(found)
