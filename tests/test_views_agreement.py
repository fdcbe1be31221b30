"""The agreement page: figures per tag, heat maps, disputed passages; only for those who see all."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tests.factories import client_for, make_class, phrase

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def annotated():
    c = make_class()
    d = c.document
    for student in (c.alice, c.bob):
        factories.make_span(d, *phrase(d, "loneliness is a design problem"), student)
    factories.make_span(d, *phrase(d, "the ending was too neat"), c.carol)
    return c


def test_agreement_page_shows_figures_heatmap_and_disputes(annotated):
    url = reverse("annotations:agreement", args=[annotated.project.slug])
    response = client_for(annotated.teacher).get(url + f"?document={annotated.document.pk}")
    assert response.status_code == 200
    body = response.text
    assert "<svg" in body
    assert "Claim" in body
    assert annotated.alice.get_username() in body
    assert "the ending was too neat" in body  # the disputed passage, marked by one of three
    assert f"{annotated.document.get_absolute_url()}#para-1" in body


def test_agreement_page_links_to_the_other_class_pages(annotated):
    slug = annotated.project.slug
    page = client_for(annotated.teacher).get(reverse("annotations:agreement", args=[slug])).text
    nav = page.split('<nav class="subnav" aria-label="Class">')[1].split("</nav>")[0]
    assert f'href="{annotated.project.get_absolute_url()}"' in nav
    assert reverse("annotations:class", args=[slug]) in nav
    assert reverse("annotations:assignments", args=[slug]) in nav


def test_agreement_fragment_for_htmx(annotated):
    url = reverse("annotations:agreement", args=[annotated.project.slug])
    response = client_for(annotated.teacher).get(
        url + "?measure=kappa", **HTMX, HTTP_HX_TARGET="agreement-figures"
    )
    assert 'id="agreement-figures"' in response.text
    assert "<html" not in response.text
    assert "Cohen’s kappa" in response.text


def test_students_get_403(annotated):
    url = reverse("annotations:agreement", args=[annotated.project.slug])
    response = client_for(annotated.alice).get(url)
    assert response.status_code == 403
    # The page compares readers; it is not the reference layer.
    assert "Only the teacher or an editor can see how the readers agree." in response.text
    assert "reference layer" not in response.text


def test_heatmap_cells_link_to_the_pair_figures(annotated):
    url = reverse("annotations:agreement", args=[annotated.project.slug])
    client = client_for(annotated.teacher)
    page = client.get(url).text
    a, b = annotated.alice.pk, annotated.bob.pk
    assert f'href="?measure=alpha_u&amp;a={a}&amp;b={b}#pair"' in page
    detail = client.get(url, {"a": a, "b": b}).text
    assert f"{annotated.alice.get_username()} and {annotated.bob.get_username()}" in detail
    # Both marked the same passage alike: exact F1 of 1 for claims.
    claim_row = detail.split('id="pair"')[1].split("Claim")[1].split("</tr>")[0]
    assert claim_row.count(">1.00<") == 4


def test_pseudonyms_replace_usernames_on_request(annotated):
    url = reverse("annotations:agreement", args=[annotated.project.slug])
    page = client_for(annotated.teacher).get(url, {"pseudonyms": "1"}).text
    assert annotated.alice.get_username() not in page
    assert "annotator-02" in page
    assert "pseudonyms=1" in page
