"""Class-mode services and helpers: joining, accounts, assignments, comments, reference layer."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest

from annotations.exports.pseudonyms import project_pseudonyms, pseudonym_map
from annotations.models import AccountSetup, Membership, Role, Span, SubmissionState
from annotations.roster import (
    CODE_ALPHABET,
    RosterLine,
    format_code,
    new_join_code,
    normalise_code,
    parse_roster,
    unique_username,
    username_base,
)
from annotations.selectors import (
    assignments_for,
    is_locked,
    live_fingerprint,
    statuses,
)
from annotations.services import classes as class_services
from annotations.services.classes import (
    JOIN_REFUSED,
    accounts_create,
    assignment_set,
    class_create,
    class_join,
    class_settings_update,
    comment_create,
    comment_pin,
    join_code_rotate,
    membership_change,
    membership_remove,
    reference_accept_agreed,
    submission_reopen,
    submission_submit,
)
from annotations.services.errors import DomainError
from tests import factories
from tests.factories import make_class, phrase


def test_parse_roster_reads_names_emails_and_both():
    text = "Ada Lovelace <ada@Example.org>\n\n  Grace Hopper, grace@navy.mil \nalan@turing.uk\nKaterina Ševčík\n"
    assert parse_roster(text) == [
        RosterLine("Ada Lovelace", "ada@example.org"),
        RosterLine("Grace Hopper", "grace@navy.mil"),
        RosterLine("", "alan@turing.uk"),
        RosterLine("Katerina Ševčík", ""),
    ]


def test_username_base_uses_email_or_ascii_name():
    assert username_base(RosterLine("Ada L", "Ada.L@x.org")) == "ada.l"
    assert username_base(RosterLine("Katerina Ševčík", "")) == "katerinas"
    assert username_base(RosterLine("Жанна", "")) == "student"


def test_unique_username_adds_the_first_free_number():
    taken = {"ada", "ada2"}
    assert unique_username("ada", taken) == "ada3"
    assert unique_username("ada", taken) == "ada4"
    assert unique_username("bob", taken) == "bob"


def test_codes_normalise_and_format():
    assert normalise_code(" k7qm-2xpa ") == "K7QM2XPA"
    assert format_code("K7QM2XPA") == "K7QM-2XPA"
    code = new_join_code()
    assert len(code) == 8
    assert set(code) <= set(CODE_ALPHABET)


def test_pseudonyms_are_stable_and_ordered_by_id():
    assert pseudonym_map([30, 4, 12, 4]) == {
        4: "annotator-01",
        12: "annotator-02",
        30: "annotator-03",
    }
    many = pseudonym_map(range(1, 120))
    assert many[1] == "annotator-001"


@pytest.mark.django_db
def test_class_create_makes_a_blind_class_with_an_open_code():
    teacher = factories.make_user()
    project = class_create(name="Seminar", teacher=teacher)
    assert project.is_class
    assert project.visibility == "blind"
    assert project.join_open
    assert len(project.join_code) == 8
    assert Membership.objects.get(project=project).role == Role.OWNER


@pytest.mark.django_db
def test_join_by_code_makes_a_student_once():
    c = make_class()
    newcomer = factories.make_user()
    project, created = class_join(code=c.project.join_code.lower(), user=newcomer)
    assert (project, created) == (c.project, True)
    assert Membership.objects.get(user=newcomer, project=project).role == Role.ANNOTATOR
    assert class_join(code=c.project.join_code, user=newcomer)[1] is False


@pytest.mark.django_db
def test_closed_or_rotated_codes_do_not_join_and_get_the_same_answer():
    c = make_class()
    old = c.project.join_code
    join_code_rotate(project=c.project)
    with pytest.raises(DomainError) as rotated:
        class_join(code=old, user=factories.make_user())
    c.project.join_open = False
    c.project.save()
    with pytest.raises(DomainError) as closed:
        class_join(code=c.project.join_code, user=factories.make_user())
    with pytest.raises(DomainError) as unknown:
        class_join(code="ZZZZ-ZZZZ", user=factories.make_user())
    assert str(rotated.value) == str(closed.value) == str(unknown.value) == JOIN_REFUSED


@pytest.mark.django_db
def test_rotating_a_closed_class_code_keeps_it_closed():
    c = make_class()
    class_settings_update(
        project=c.project, join_open=False, visibility="blind", allow_self_signup=False
    )
    join_code_rotate(project=c.project)
    c.project.refresh_from_db()
    assert c.project.join_open is False
    with pytest.raises(DomainError):
        class_join(code=c.project.join_code, user=factories.make_user())


@pytest.mark.django_db
def test_accounts_create_returns_one_time_passwords_that_work():
    c = make_class()
    factories.make_user("ada")
    accounts = accounts_create(
        project=c.project, text="Ada Lovelace <ada@example.org>\nGrace Hopper", by=c.teacher
    )
    assert [a.username for a in accounts] == ["ada2", "graceh"]
    user = get_user_model().objects.get(username="ada2")
    assert user.check_password(accounts[0].password)
    assert user.first_name == "Ada"
    assert AccountSetup.objects.filter(user=user).exists()
    assert Membership.objects.get(user=user, project=c.project).role == Role.ANNOTATOR


@pytest.mark.django_db
def test_accounts_create_needs_names():
    c = make_class()
    with pytest.raises(DomainError, match="at least one name"):
        accounts_create(project=c.project, text="  \n", by=c.teacher)


@pytest.mark.django_db
def test_last_teacher_cannot_be_demoted_or_removed():
    c = make_class()
    owner = Membership.objects.get(project=c.project, role=Role.OWNER)
    with pytest.raises(DomainError, match="needs its teacher"):
        membership_change(membership=owner, role=Role.ANNOTATOR)
    with pytest.raises(DomainError, match="needs its teacher"):
        membership_remove(membership=owner)


@pytest.mark.django_db
def test_assignment_statuses_follow_spans_and_submission():
    c = make_class()
    d = c.document
    assignment = assignment_set(document=d, by=c.teacher, everyone=True)
    factories.make_span(d, *phrase(d, "design problem"), c.alice)
    submission_submit(assignment=assignment, student=c.bob)
    status = statuses([c.alice.pk, c.bob.pk, c.carol.pk], [assignment])
    assert status[(assignment.pk, c.alice.pk)] == ("in progress", 1)
    assert status[(assignment.pk, c.bob.pk)] == ("submitted", 0)
    assert status[(assignment.pk, c.carol.pk)] == ("not started", 0)
    assert is_locked(c.bob, Role.ANNOTATOR, d)
    submission = assignment.submissions.get(student=c.bob)
    submission_reopen(submission=submission)
    assert submission.state == SubmissionState.REOPENED
    assert not is_locked(c.bob, Role.ANNOTATOR, d)


@pytest.mark.django_db
def test_assignment_to_chosen_students_only():
    c = make_class()
    assignment = assignment_set(
        document=c.document, by=c.teacher, everyone=False, students=[c.alice]
    )
    assert assignments_for(c.alice, c.project) == [assignment]
    assert assignments_for(c.bob, c.project) == []
    with pytest.raises(DomainError, match="not assigned"):
        submission_submit(assignment=assignment, student=c.bob)
    with pytest.raises(DomainError, match="Only the class's students"):
        assignment_set(document=c.document, by=c.teacher, everyone=False, students=[c.teacher])


@pytest.mark.django_db
def test_comment_text_is_required_and_pin_keeps_updated_at():
    c = make_class()
    span = factories.make_span(c.document, *phrase(c.document, "design problem"), c.alice)
    with pytest.raises(DomainError, match="Write something"):
        comment_create(span=span, author=c.alice, text="   ")
    comment = comment_create(span=span, author=c.alice, text=" Why here? ")
    assert comment.text == "Why here?"
    before = comment.updated_at
    comment_pin(comment=comment, pinned=True)
    comment.refresh_from_db()
    assert comment.pinned
    assert comment.updated_at == before


@pytest.mark.django_db
def test_reference_accept_agreed_takes_passages_marked_alike_by_enough_readers():
    c = make_class()
    d = c.document
    shared = phrase(d, "loneliness is a design problem")
    for student in (c.alice, c.bob):
        factories.make_span(d, *shared, student)
    factories.make_span(d, *phrase(d, "too neat"), c.carol)
    added = reference_accept_agreed(document=d, min_readers=2, by=c.teacher)
    assert added == 1
    reference = Span.objects.get(document=d, is_reference=True)
    assert (reference.start, reference.end) == shared
    # Again: nothing new, and a teacher's own span at the same place is still allowed.
    assert reference_accept_agreed(document=d, min_readers=2, by=c.teacher) == 0
    own = factories.make_span(d, *shared, c.teacher)
    assert not own.is_reference


@pytest.mark.django_db
def test_live_fingerprint_changes_on_add_edit_and_delete():
    c = make_class()
    d = c.document
    spans = Span.objects.filter(document=d)
    empty = live_fingerprint(spans)
    span = factories.make_span(d, *phrase(d, "design problem"), c.alice)
    added = live_fingerprint(spans)
    assert added != empty
    span.note = "changed"
    span.save()
    assert live_fingerprint(spans) != added
    span.delete()
    assert live_fingerprint(spans) == empty


@pytest.mark.django_db
def test_project_pseudonyms_cover_members_and_former_authors():
    c = make_class()
    factories.make_span(c.document, 0, 3, c.alice)
    Membership.objects.filter(user=c.alice).delete()
    names = project_pseudonyms(c.project)
    ids = sorted([c.teacher.pk, c.alice.pk, c.bob.pk, c.carol.pk, c.viewer.pk])
    assert names == {uid: f"annotator-{n:02d}" for n, uid in enumerate(ids, start=1)}


@pytest.mark.django_db
def test_two_hundred_accounts_at_once_with_production_hashing(settings, client):
    # The fault: Django's default hasher (PBKDF2, a million rounds) for each one-time
    # password; 100 names outlasted the web server's 30 s timeout.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ]
    c = factories.make_class()
    roster = "\n".join(
        f"Student Number{n} <s{n}@example.org>" for n in range(class_services.BULK_LIMIT)
    )
    accounts = class_services.accounts_create(project=c.project, text=roster, by=c.teacher)
    assert len(accounts) == 200
    assert c.project.memberships.filter(user__account_setup__created_by=c.teacher).count() == 200
    assert AccountSetup.objects.filter(created_by=c.teacher).count() == 200
    first = get_user_model().objects.get(username=accounts[0].username)
    assert first.password.startswith(
        f"pbkdf2_sha256${class_services.ONE_TIME_PASSWORD_ITERATIONS}$"
    )
    # The password works, and logging in rehashes it at full strength.
    assert client.login(
        request=HttpRequest(), username=first.username, password=accounts[0].password
    )
    first.refresh_from_db()
    assert first.password.startswith("pbkdf2_sha256$1000000$")
