"""The demo project: three short essays written for herlens, users and a few spans."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from annotations.models import Document, Membership, Project, Role
from annotations.services.documents import document_create
from annotations.services.projects import project_create
from annotations.services.spans import span_create

DEMO_SLUG = "film-and-ai"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    full_name: str


DEMO_USERS = (
    DemoUser("olivia", "olivia-demo-pass", Role.OWNER, "Olivia Owner"),
    DemoUser("eddie", "eddie-demo-pass", Role.EDITOR, "Eddie Editor"),
    DemoUser("ana", "ana-demo-pass", Role.ANNOTATOR, "Ana Annotator"),
    DemoUser("ben", "ben-demo-pass", Role.ANNOTATOR, "Ben Annotator"),
)

GUIDELINES = """\
**Claim**: an arguable assertion, the author's own or one the author reports. Tag the clause
that carries it, not the whole paragraph.

**Prediction**: a statement about what will, or may, happen.

**Film reference**: a film's title, one of its characters, its director or an actor.
A claim may contain a film reference: tag both.
"""

ESSAY_VOICES = """\
Most films about artificial minds spend their budgets on bodies: chrome skulls, blinking \
eyes, a hand that flexes too smoothly. The quietest of them spends almost nothing, and that \
restraint is its argument. In Her (2013), directed by Spike Jonze, the operating system \
called Samantha is never seen at all. We hear her; Theodore, played by Joaquin Phoenix, \
hears her; the camera looks at him listening.

I think this is the most honest picture of machine intelligence the cinema has managed so \
far. A voice is exactly the interface we were given. Nobody falls for a chatbot because of \
its face. We fall for the pause before it answers, for the way it repeats our own phrasing \
back to us, for the sense that the next sentence was chosen for us alone.

The film is clearly less interested in whether Samantha is conscious than in whether \
Theodore can tell the difference, and whether it matters to him. That question ages well. \
Within a decade, most of us will spend part of every day talking to software that talks \
back, and the etiquette of those conversations will be settled long before the philosophy is.

What Jonze saw, and what the engineers did not advertise, is that intimacy scales. \
Samantha is talking to thousands of people at once, and loving hundreds of them. The scene \
in which Theodore learns this is the film's real climax: not a betrayal, exactly, but an \
accounting error. We will, I suspect, make the same discovery about our own assistants, and \
we will be just as surprised.
"""

ESSAY_GARDEN = """\
Alex Garland’s Ex Machina (2014) is usually described as a thriller, but it plays more \
like a chamber piece with a locked door. Caleb, played by Domhnall Gleeson, is flown to a \
house in the mountains to test whether Ava (Alicia Vikander) can think. The test is rigged \
from the first scene, and the film knows that we know.

A reader from Zürich once wrote to me — “the café scenes in my head are always set in that \
glass house” — and the image stuck. 🤖 The house is a garden of screens. Nathan, the \
founder who built Ava, argues that the real test is not whether she can pass for human but \
whether she can use Caleb to escape. That, I would argue, is the film’s sharpest idea: \
intelligence shows itself as strategy, not as conversation.

Critics sometimes claim that the ending punishes Ava for wanting freedom. It is obvious \
that the reverse is true. The ending punishes the two men for assuming that a mind they \
built would want what they wanted it to want.

Garland’s film will look more prophetic every year. By 2035, the hiring interviews, the \
tutoring sessions and the customer complaints will all be conducted, on at least one side, \
by something like Ava, and the question of who is testing whom is going to become a \
practical one.
"""

ESSAY_RAIN = """\
Blade Runner, directed by Ridley Scott in 1982, gave us the replicants, and with them a \
vocabulary we still reach for. Roy Batty, played by Rutger Hauer, dies in the rain \
remembering things no one else has seen. The scene is famous because the memories are \
his, and because they will be lost.

The generative systems of our own moment invert that scene. They remember everything \
anyone has written and have seen nothing themselves. Scott’s film argued that memory makes \
a person; our machines suggest that memory, on its own, makes a very good imitation of one.

The 2017 sequel, Blade Runner 2049, understood this better than its reputation suggests. \
K, played by Ryan Gosling, lives with Joi, a projected companion sold to thousands of \
customers. The film predicts, with some accuracy, that companionship will be the first \
market these systems conquer, long before labour or art.

I expect the next great film about artificial intelligence to be a small one. It will not \
need replicants or rain. It will need a kitchen, a phone, and someone deciding whether to \
answer it.
"""

# Passages of the essays above that the demo annotators tagged.
CLAIM_VOICES = (
    "I think this is the most honest picture of machine intelligence the cinema has managed so far"
)
PREDICTION_VOICES = (
    "Within a decade, most of us will spend part of every day talking to software that talks back"
)
CLAIM_GARDEN = (
    "That, I would argue, is the film’s sharpest idea: intelligence shows itself as strategy, "
    "not as conversation."
)

#: (title, author, text, [(tag slug, exact phrase, annotator username, note)])
DEMO_DOCUMENTS = (
    (
        "The Voice in the Next Room",
        "herlens demo",
        ESSAY_VOICES,
        [
            ("film-reference", "Her (2013)", "ana", ""),
            ("film-reference", "Spike Jonze", "ana", ""),
            ("film-reference", "Joaquin Phoenix", "ben", ""),
            ("claim", CLAIM_VOICES, "ana", "Stance marker: “I think”."),
            ("prediction", PREDICTION_VOICES, "ben", ""),
        ],
    ),
    (
        "Ava’s Garden: notes on Ex Machina",
        "herlens demo",
        ESSAY_GARDEN,
        [
            ("film-reference", "Ex Machina (2014)", "ana", ""),
            ("film-reference", "Alicia Vikander", "ben", ""),
            ("claim", CLAIM_GARDEN, "ana", "Comes after the emoji: a good test of offsets."),
            ("prediction", "Garland’s film will look more prophetic every year.", "eddie", ""),
        ],
    ),
    ("Tears, Rain and Training Data", "herlens demo", ESSAY_RAIN, []),
)


@transaction.atomic
def load_demo() -> tuple[Project, bool]:
    """Create the demo project, its users, essays and spans; return (project, created).

    Running it again changes nothing: users, documents and spans are only added
    where missing.
    """
    user_model = get_user_model()
    users = {}
    for demo_user in DEMO_USERS:
        first, last = demo_user.full_name.split(" ", 1)
        user, created = user_model.objects.get_or_create(
            username=demo_user.username, defaults={"first_name": first, "last_name": last}
        )
        if created:
            user.set_password(demo_user.password)
            user.save(update_fields=["password"])
        users[demo_user.username] = user

    project = Project.objects.filter(slug=DEMO_SLUG).first()
    created = project is None
    if project is None:
        project = project_create(
            name="Film and AI: a reading group",
            slug=DEMO_SLUG,
            owner=users["olivia"],
            description="Short essays on films about artificial minds, annotated together.",
            guidelines=GUIDELINES,
        )
    for demo_user in DEMO_USERS:
        Membership.objects.get_or_create(
            user=users[demo_user.username], project=project, defaults={"role": demo_user.role}
        )

    tags = {tag.slug: tag for tag in project.tags.all()}
    for title, author, text, spans in DEMO_DOCUMENTS:
        document = Document.objects.filter(project=project, title=title).first()
        if document is None:
            document = document_create(project=project, title=title, author=author, text=text)
        for tag_slug, phrase, username, note in spans:
            start = document.text.find(phrase)
            if start < 0 or tag_slug not in tags:
                raise ValueError(f"demo span {phrase!r} not found in {title!r}")
            span_create(
                document=document,
                start=start,
                end=start + len(phrase),
                tag=tags[tag_slug],
                author=users[username],
                quote=phrase,
                note=note,
            )
    return project, created
