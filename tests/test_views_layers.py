"""The annotate page in class mode: whose layers show, in which colours, chosen how."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import Role
from annotations.services.suggestions import document_suggest
from annotations.views.layers import selected_layers
from tests import factories
from tests.factories import client_for, make_class, phrase

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_selected_layers_reads_commas_and_repeats_and_ignores_junk():
    assert selected_layers("layers=12,ref&layers=7") == {"12", "7", "ref"}
    assert selected_layers("layers=x,<b>") == set()
    assert selected_layers("") == set()


def test_several_readers_keep_tag_colours_with_a_filter_and_a_comparison():
    c = make_class(visibility="open")
    d = c.document
    mine = factories.make_span(d, *phrase(d, "design problem"), c.alice)
    theirs = factories.make_span(d, *phrase(d, "too neat"), c.bob, "prediction")
    page = client_for(c.alice).get(d.get_absolute_url()).text
    assert 'class="layer-filter"' in page
    # The tag owns the colour: no reader's hue that could be taken for another tag.
    assert f"a{mine.tag_id}" in page
    assert f"a{theirs.tag_id}" in page
    assert f"a{mine.tag_id}-{c.alice.pk}" not in page
    assert f"mark.a{theirs.tag_id}-{c.bob.pk}{{" not in page
    assert f'value="{c.bob.pk}" checked>\n    {c.bob.get_username()}</label>' in page
    assert reverse("annotations:compare", args=[c.project.slug, d.pk]) in page
    # The teacher sees the suggestions too; their outlines start hidden among several readers.
    document_suggest(document_id=d.pk, model="blank:en")
    assert d.suggestions.exists()
    teacher_page = client_for(c.teacher).get(d.get_absolute_url()).text
    assert '<input type="checkbox" class="show-suggestions" > Show in the text' in teacher_page


def test_an_editorial_project_keeps_tag_colours_with_a_reader_filter(project, owner, members):
    from annotations.models import Role

    document = factories.make_document(project, text="Her is a film. It will age well.")
    annotator = members[Role.ANNOTATOR]
    mine = factories.make_span(document, 0, 3, owner, "film-reference")
    factories.make_span(document, 15, 31, annotator, "prediction")
    page = client_for(owner).get(document.get_absolute_url()).text
    assert 'class="layer-filter"' in page
    assert f"<mark class=a{mine.tag_id}>" in page
    assert f"a{mine.tag_id}-{owner.pk}" not in page
    only_theirs = client_for(owner).get(document.get_absolute_url() + f"?layers={annotator.pk}")
    assert mine.pk not in factories.drawn_span_ids(only_theirs.text)
    assert factories.drawn_span_ids(only_theirs.text)


def test_one_reader_keeps_plain_tag_colours():
    c = make_class(visibility="open")
    d = c.document
    span = factories.make_span(d, *phrase(d, "design problem"), c.alice)
    page = client_for(c.alice).get(d.get_absolute_url()).text
    assert 'class="layer-filter"' not in page
    assert f"<mark class=a{span.tag_id}>" in page


def test_project_that_is_not_a_class_keeps_tag_colours_with_several_readers(members, document):
    editor, annotator = members[Role.EDITOR], members[Role.ANNOTATOR]
    mine = factories.make_span(document, 0, 3, editor)
    theirs = factories.make_span(document, 4, 10, annotator, "prediction")
    page = client_for(editor).get(document.get_absolute_url()).text
    # The highlights use the tags' colours, as the toolbar and the span list do.
    assert f"<mark class=a{mine.tag_id}>" in page
    assert f"<mark class=a{theirs.tag_id}>" in page
    assert f"a{theirs.tag_id}-{annotator.pk}" not in page
    # Whose spans to draw can still be chosen.
    assert 'class="layer-filter"' in page
    assert f'value="{annotator.pk}" checked>\n    {annotator.get_username()}</label>' in page
    assert 'class="layer-chip"><input type="checkbox" name="layers" value' in page
    adjudicate = (
        client_for(editor)
        .get(reverse("annotations:adjudicate", args=[document.project.slug, document.pk]))
        .text
    )
    assert f"a{theirs.tag_id}" in adjudicate
    assert f"a{theirs.tag_id}-{annotator.pk}" not in adjudicate


def test_span_list_fragment_keeps_the_layer_choice_of_the_page():
    c = make_class(visibility="open")
    d = c.document
    factories.make_span(d, *phrase(d, "design problem"), c.alice)
    factories.make_span(d, *phrase(d, "too neat"), c.bob)
    client = client_for(c.teacher)
    page = d.get_absolute_url() + f"?layers={c.bob.pk}"
    full = client.get(page).text
    assert "design problem</span>" not in full.split('id="span-sidebar"')[1]
    fragment = client.get(
        d.get_absolute_url(),
        **HTMX,
        HTTP_HX_TARGET="span-sidebar",
        HTTP_HX_CURRENT_URL="http://testserver" + page,
    ).text
    assert "too neat" in fragment
    assert "design problem" not in fragment


def test_reference_spans_are_named_reference_in_the_list_and_panel():
    from annotations.services.classes import reference_add

    c = make_class(visibility="open")
    d = c.document
    reference, _ = reference_add(
        document=d, start=0, end=3, tag_id=d.project.tags.first().pk, by=c.teacher
    )
    client = client_for(c.teacher)
    page = client.get(d.get_absolute_url()).text
    assert "· reference</span>" in page
    panel = client.get(f"/spans/{reference.pk}/", **HTMX).text
    assert f"reference (by {c.teacher.get_username()})" in panel


def test_class_bar_offers_reveal_to_the_teacher_only():
    from annotations.models import Role

    c = make_class()
    editor = factories.add_member(c.project, Role.EDITOR)
    reveal = f"/projects/{c.project.slug}/documents/{c.document.pk}/reveal/"
    assert reveal in client_for(c.teacher).get(c.document.get_absolute_url()).text
    editor_page = client_for(editor).get(c.document.get_absolute_url()).text
    assert reveal not in editor_page
    assert "Adjudicate" in editor_page
    assert reveal not in client_for(c.alice).get(c.document.get_absolute_url()).text
