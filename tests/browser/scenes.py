"""A class of eight with a revealed-or-not essay, for the comparison and accessibility tests."""

from __future__ import annotations

from annotations.demo import ESSAY_VOICES
from annotations.models import Role
from annotations.services import classes as classroom
from annotations.services.spans import span_create
from tests import factories
from tests.browser.conftest import PASSWORD

STUDENTS = ("amira", "ben", "chloe", "dev", "eli", "fatou", "gus", "hana")
# (tag, words, who marked them this way)
MARKS = [
    ("claim", "Most films about artificial minds spend their budgets on bodies", STUDENTS[:6]),
    ("claim", "Most films about artificial minds spend their budgets", ("gus",)),
    ("film-reference", "Spike Jonze", STUDENTS),
    ("film-reference", "Joaquin Phoenix", STUDENTS[:7]),
    ("film-reference", "Samantha", ("amira", "chloe", "dev")),
    ("claim", "I think this is the most honest picture of machine intelligence", STUDENTS[:5]),
    ("prediction", "I think this is the most honest picture of machine intelligence", ("fatou",)),
    ("claim", "A voice is exactly the interface we were given.", ("ben", "hana")),
    (
        "prediction",
        "Within a decade, most of us will spend part of every day talking to software that talks back",
        STUDENTS,
    ),
]


def build_class():
    teacher = factories.make_user("teacher", password=PASSWORD)
    project = classroom.class_create(name="Year 11 film", teacher=teacher)
    document = factories.make_document(project, text=ESSAY_VOICES, title="Voices")
    students = {}
    for name in STUDENTS:
        students[name] = factories.add_member(
            project, Role.ANNOTATOR, factories.make_user(name, password=PASSWORD)
        )
    tags = {tag.slug: tag for tag in project.tags.all()}
    for slug, words, who in MARKS:
        start = document.text.index(words)
        for name in who:
            span_create(
                document=document,
                start=start,
                end=start + len(words),
                tag=tags[slug],
                author=students[name],
            )
    return project, document, teacher
