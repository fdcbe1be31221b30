"""Class pages: starting, joining, roster, settings, accounts, assignments, submit and reveal."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from annotations import throttle
from annotations.models import Membership, Project, Role, Submission
from annotations.roster import format_code
from annotations.services.classes import accounts_create, class_settings_update
from tests import factories
from tests.factories import client_for, make_class, phrase

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_start_a_class_makes_the_user_its_teacher():
    teacher = factories.make_user()
    client = client_for(teacher)
    assert client.get(reverse("annotations:class-new")).status_code == 200
    response = client.post(reverse("annotations:class-new"), {"name": "Film seminar"})
    project = Project.objects.get(name="Film seminar")
    assert response.status_code == 302
    assert response["Location"] == reverse("annotations:class", args=[project.slug])
    assert project.is_class
    assert project.visibility == "blind"


def test_start_a_class_without_name_says_why():
    response = client_for(factories.make_user()).post(
        reverse("annotations:class-new"), {"name": ""}
    )
    assert response.status_code == 400
    assert "Give the project a name" in response.text


def test_join_link_asks_then_joins_a_logged_in_user():
    c = make_class()
    newcomer = factories.make_user()
    client = client_for(newcomer)
    page = client.get(reverse("annotations:join-code", args=[c.project.join_code]))
    assert page.status_code == 200
    assert c.project.name in page.text
    response = client.post(reverse("annotations:join"), {"code": format_code(c.project.join_code)})
    assert response.status_code == 302
    assert response["Location"] == reverse("annotations:assignments", args=[c.project.slug])
    assert Membership.objects.get(user=newcomer, project=c.project).role == Role.ANNOTATOR


def test_join_with_a_wrong_code_says_so():
    response = client_for(factories.make_user()).post(reverse("annotations:join"), {"code": "NOPE"})
    assert response.status_code == 400
    assert "This code does not open a class" in response.text


def test_closed_and_unknown_codes_get_the_same_page():
    c = make_class()
    class_settings_update(
        project=c.project, join_open=False, visibility="blind", allow_self_signup=False
    )
    client = client_for(factories.make_user())
    closed = client.post(reverse("annotations:join"), {"code": c.project.join_code})
    unknown = client.post(reverse("annotations:join"), {"code": "ZZZZ-ZZZZ"})
    assert closed.status_code == unknown.status_code == 400

    def page(response, code):  # the code typed and the masked CSRF tokens differ, nothing else
        return re.sub(r"[A-Za-z0-9]{64}", "TOKEN", response.text.replace(code, "CODE"))

    assert page(closed, format_code(c.project.join_code)) == page(unknown, "ZZZZ-ZZZZ")


def test_wrong_codes_from_one_address_are_throttled_then_even_the_right_one():
    c = make_class()
    guesser = factories.make_user()
    client = client_for(guesser)
    for attempt in range(throttle.JOIN_CODES.limit):
        response = client.post(reverse("annotations:join"), {"code": f"WRONG{attempt:03d}"})
        assert response.status_code == 400
    refused = client.post(reverse("annotations:join"), {"code": c.project.join_code})
    assert refused.status_code == 429
    assert throttle.JOIN_CODES.message in refused.text
    assert not Membership.objects.filter(project=c.project, user=guesser).exists()
    elsewhere = client.post(
        reverse("annotations:join"), {"code": c.project.join_code}, REMOTE_ADDR="192.0.2.20"
    )
    assert elsewhere.status_code == 302


def test_rotating_the_code_of_a_closed_class_keeps_it_closed():
    c = make_class()
    class_settings_update(
        project=c.project, join_open=False, visibility="blind", allow_self_signup=False
    )
    client_for(c.teacher).post(reverse("annotations:class-code", args=[c.project.slug]))
    c.project.refresh_from_db()
    assert c.project.join_open is False
    response = client_for(factories.make_user()).post(
        reverse("annotations:join"), {"code": c.project.join_code}
    )
    assert response.status_code == 400


def test_anonymous_join_needs_login_unless_self_signup():
    c = make_class()
    client = Client()
    url = reverse("annotations:join-code", args=[c.project.join_code])
    page = client.get(url)
    assert page.status_code == 200
    assert "Log in" in page.text
    assert "id_password1" not in page.text
    c.project.allow_self_signup = True
    c.project.save()
    assert "id_password1" in client.get(url).text
    response = client.post(
        reverse("annotations:join"),
        {
            "code": c.project.join_code,
            "username": "newstudent",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
        },
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(username="newstudent")
    assert Membership.objects.get(user=user, project=c.project).role == Role.ANNOTATOR


def test_class_page_full_and_roster_fragment():
    c = make_class()
    client = client_for(c.teacher)
    url = reverse("annotations:class", args=[c.project.slug])
    full = client.get(url)
    assert "<html" in full.text
    assert format_code(c.project.join_code) in full.text
    assert c.alice.get_username() in full.text
    fragment = client.get(url, **HTMX, HTTP_HX_TARGET="roster")
    assert "<html" not in fragment.text
    assert 'id="roster"' in fragment.text


def test_students_and_editors_cannot_open_the_class_page():
    c = make_class()
    editor = factories.add_member(c.project, Role.EDITOR)
    for user in (c.alice, editor):
        assert (
            client_for(user).get(reverse("annotations:class", args=[c.project.slug])).status_code
            == 403
        )
    assert (
        client_for(factories.make_user())
        .get(reverse("annotations:class", args=[c.project.slug]))
        .status_code
        == 404
    )


def test_settings_close_joining_and_open_visibility_htmx():
    c = make_class()
    response = client_for(c.teacher).post(
        reverse("annotations:class-settings", args=[c.project.slug]),
        {"visibility": "open"},
        **HTMX,
    )
    assert response.status_code == 200
    assert 'id="join-box"' in response.text
    assert "<html" not in response.text
    assert "Joining is closed" in response.text
    c.project.refresh_from_db()
    assert (c.project.join_open, c.project.visibility) == (False, "open")


def test_rotate_code_plain_post_redirects():
    c = make_class()
    old = c.project.join_code
    response = client_for(c.teacher).post(reverse("annotations:class-code", args=[c.project.slug]))
    assert response.status_code == 302
    c.project.refresh_from_db()
    assert c.project.join_code != old


def test_bulk_accounts_show_passwords_once_and_not_cached():
    c = make_class()
    client = client_for(c.teacher)
    response = client.post(
        reverse("annotations:class-accounts", args=[c.project.slug]),
        {"people": "Ada Lovelace <ada@example.org>\nGrace Hopper"},
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert "graceh" in response.text
    password = response.text.split("<code>")[2].split("</code>")[0]
    assert get_user_model().objects.get(username="ada").check_password(password)
    again = client.get(reverse("annotations:class", args=[c.project.slug]))
    assert password not in again.text


def test_account_made_by_teacher_must_change_password_first():
    c = make_class()
    account = accounts_create(project=c.project, text="Ada", by=c.teacher)[0]
    client = Client()
    # The log-in throttle needs the request, as the log-in page gives it.
    assert client.login(request=HttpRequest(), username=account.username, password=account.password)
    response = client.get(c.document.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change")
    done = client.post(
        reverse("password_change"),
        {
            "old_password": account.password,
            "new_password1": "my-own-pass-phrase-77",
            "new_password2": "my-own-pass-phrase-77",
        },
    )
    assert done.status_code == 302
    client.get(done["Location"])
    assert client.get(c.document.get_absolute_url()).status_code == 200


def test_first_login_password_change_is_a_herlens_page_that_says_why():
    c = make_class()
    account = accounts_create(project=c.project, text="Ada", by=c.teacher)[0]
    client = Client()
    # The log-in throttle needs the request, as the log-in page gives it.
    assert client.login(request=HttpRequest(), username=account.username, password=account.password)
    page = client.get(reverse("password_change")).text
    assert "Django administration" not in page
    assert 'class="topbar"' in page
    assert "one-time password" in page
    done = client.post(
        reverse("password_change"),
        {
            "old_password": account.password,
            "new_password1": "my-own-pass-phrase-77",
            "new_password2": "my-own-pass-phrase-77",
        },
        follow=True,
    ).text
    assert "Django administration" not in done
    assert f'href="{reverse("annotations:home")}"' in done
    assert "one-time password" not in client.get(reverse("password_change")).text


def test_roster_changes_role_and_removes_member_htmx():
    c = make_class()
    client = client_for(c.teacher)
    membership = Membership.objects.get(user=c.alice, project=c.project)
    url = reverse("annotations:class-member", args=[c.project.slug, membership.pk])
    response = client.post(url, {"role": "editor"}, **HTMX)
    assert 'id="roster"' in response.text
    membership.refresh_from_db()
    assert membership.role == Role.EDITOR
    client.post(url, {"action": "remove"}, **HTMX)
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_demoting_the_only_teacher_is_refused_htmx():
    c = make_class()
    membership = Membership.objects.get(user=c.teacher, project=c.project)
    response = client_for(c.teacher).post(
        reverse("annotations:class-member", args=[c.project.slug, membership.pk]),
        {"role": "annotator"},
        **HTMX,
    )
    assert response.status_code == 400
    assert "needs its teacher" in response.text


def test_assign_submit_lock_reopen_and_reveal():
    c = make_class()
    d, slug = c.document, c.project.slug
    teacher, alice = client_for(c.teacher), client_for(c.alice)
    response = teacher.post(
        reverse("annotations:assign", args=[slug, d.pk]),
        {"everyone": "off", "students": [c.alice.pk], "due_at": "2030-01-15T09:00"},
    )
    assert response.status_code == 302
    mine = alice.get(reverse("annotations:assignments", args=[slug]))
    assert d.title in mine.text
    assert "not started" in mine.text
    assert (
        d.title not in client_for(c.bob).get(reverse("annotations:assignments", args=[slug])).text
    )

    start, end = phrase(d, "design problem")
    create = reverse("annotations:span-create", args=[d.pk])
    assert alice.post(create, {"start": start, "end": end, "tag": "claim"}).status_code == 302
    assert "in progress" in alice.get(reverse("annotations:assignments", args=[slug])).text

    alice.post(reverse("annotations:submit", args=[slug, d.pk]))
    assert Submission.objects.get(student=c.alice).state == "submitted"
    locked = alice.post(create, {"start": 0, "end": 3, "tag": "claim"}, **HTMX)
    assert locked.status_code == 403
    overview = teacher.get(reverse("annotations:assignments", args=[slug]))
    assert "submitted" in overview.text

    teacher.post(reverse("annotations:reopen", args=[slug, d.pk, c.alice.pk]))
    assert alice.post(create, {"start": 0, "end": 3, "tag": "claim"}, **HTMX).status_code == 201

    teacher.post(reverse("annotations:reveal", args=[slug, d.pk]), {"revealed": "1"})
    d.refresh_from_db()
    assert d.revealed_at is not None


def test_submitted_span_opens_without_save_or_delete_until_reopened():
    c = make_class()
    d, slug = c.document, c.project.slug
    span = factories.make_span(d, *phrase(d, "design problem"), c.alice)
    client_for(c.teacher).post(reverse("annotations:assign", args=[slug, d.pk]), {"everyone": "on"})
    alice = client_for(c.alice)
    panel = reverse("annotations:span", args=[span.pk])
    assert 'class="span-delete"' in alice.get(panel, **HTMX).text
    alice.post(reverse("annotations:submit", args=[slug, d.pk]))
    fragment = alice.get(panel, **HTMX).text
    assert 'id="span-panel"' in fragment
    assert 'class="span-edit"' not in fragment
    assert 'class="span-delete"' not in fragment
    page = alice.get(f"{d.get_absolute_url()}?span={span.pk}").text
    assert 'class="span-delete"' not in page
    client_for(c.teacher).post(reverse("annotations:reopen", args=[slug, d.pk, c.alice.pk]))
    assert 'class="span-delete"' in alice.get(panel, **HTMX).text


def test_class_bar_refreshes_the_students_status_after_a_span():
    c = make_class()
    d, slug = c.document, c.project.slug
    client_for(c.teacher).post(reverse("annotations:assign", args=[slug, d.pk]), {"everyone": "on"})
    alice = client_for(c.alice)
    page = alice.get(d.get_absolute_url()).text
    assert 'hx-trigger="spansChanged from:body"' in page.split('id="class-bar"')[1].split(">")[0]
    assert "not started" in page
    factories.make_span(d, *phrase(d, "design problem"), c.alice)
    fragment = alice.get(d.get_absolute_url(), **HTMX, HTTP_HX_TARGET="class-bar").text
    assert fragment.lstrip().startswith('<div class="class-bar" id="class-bar"')
    assert "<html" not in fragment
    assert 'id="live"' not in fragment
    assert "in progress" in fragment


def test_assignments_fragment_for_htmx():
    c = make_class()
    response = client_for(c.alice).get(
        reverse("annotations:assignments", args=[c.project.slug]),
        **HTMX,
        HTTP_HX_TARGET="assignments",
    )
    assert 'id="assignments"' in response.text
    assert "<html" not in response.text


def test_students_cannot_assign_reveal_or_reopen():
    c = make_class()
    d, slug = c.document, c.project.slug
    alice = client_for(c.alice)
    assert alice.post(reverse("annotations:assign", args=[slug, d.pk]), {}).status_code == 403
    assert alice.post(reverse("annotations:reveal", args=[slug, d.pk])).status_code == 403
    assert (
        alice.post(reverse("annotations:reopen", args=[slug, d.pk, c.alice.pk])).status_code == 403
    )


def test_reveal_ignores_next_pointing_elsewhere():
    c = make_class()
    response = client_for(c.teacher).post(
        reverse("annotations:reveal", args=[c.project.slug, c.document.pk]),
        {"revealed": "1", "next": "https://evil.example/"},
    )
    assert response["Location"] == c.document.get_absolute_url()


def test_anonymous_join_post_without_signup_goes_to_login_and_back():
    c = make_class()
    response = Client().post(reverse("annotations:join"), {"code": c.project.join_code})
    assert response.status_code == 302
    back = reverse("annotations:join-code", args=[c.project.join_code])
    assert response["Location"] == f"{reverse('login')}?next={back.replace('/', '%2F')}"


def test_opening_a_class_document_notes_last_activity_at_most_every_few_minutes():
    c = make_class()
    client = client_for(c.alice)
    membership = Membership.objects.get(user=c.alice, project=c.project)
    page = client.get(c.document.get_absolute_url()).text
    # Drawing the page writes nothing; the page posts once it has loaded.
    membership.refresh_from_db()
    assert membership.last_seen_at is None
    seen = reverse("annotations:document-seen", args=[c.project.slug, c.document.pk])
    assert f'hx-post="{seen}" hx-trigger="load"' in page
    assert client.post(seen).status_code == 204
    membership.refresh_from_db()
    first = membership.last_seen_at
    assert first is not None
    assert client.post(seen).status_code == 204
    membership.refresh_from_db()
    assert membership.last_seen_at == first


def test_last_activity_is_noted_again_once_the_last_note_is_stale():
    from datetime import timedelta

    from django.utils import timezone

    from annotations.services.classes import SEEN_EVERY_SECONDS

    c = make_class()
    stale = timezone.now() - timedelta(seconds=SEEN_EVERY_SECONDS + 1)
    Membership.objects.filter(user=c.alice, project=c.project).update(last_seen_at=stale)
    seen = reverse("annotations:document-seen", args=[c.project.slug, c.document.pk])
    assert client_for(c.alice).post(seen).status_code == 204
    membership = Membership.objects.get(user=c.alice, project=c.project)
    assert membership.last_seen_at > stale
    # Only the reader's own membership is stamped.
    assert Membership.objects.get(user=c.bob, project=c.project).last_seen_at is None


def test_last_activity_is_noted_only_by_post_and_only_for_members():
    c = make_class()
    seen = reverse("annotations:document-seen", args=[c.project.slug, c.document.pk])
    assert client_for(c.alice).get(seen).status_code == 405
    assert client_for(factories.make_user()).post(seen).status_code == 404
    assert not Membership.objects.filter(last_seen_at__isnull=False).exists()


def test_a_project_that_is_not_a_class_has_no_class_pages(owner, project):
    from django.urls import reverse

    client = client_for(owner)
    for name in ("class", "assignments"):
        response = client.get(reverse(f"annotations:{name}", args=[project.slug]))
        assert response.status_code == 404, name
