"""The relabeller: a project's own line between claims and predictions (relabel.py)."""

from __future__ import annotations

import random

import pytest

from annotations.suggest.learned import Learned, Lesson, Taught
from annotations.suggest.learning import learn
from annotations.suggest.pipeline import Suggester
from annotations.suggest.relabel import OFF, RULE, Relabeller, train_relabeller

LABELS = {"claim": "Claim", "prediction": "Prediction", "film-reference": "Film reference"}

# In this made-up project people mark a conditional "if ..., X will ..." as a claim (an
# argument about the film), and only a dated forecast as a prediction; the rules call both
# predictions.
CONDITIONAL = [
    "If the studio keeps this cast, the sequel will feel like a reunion.",
    "If critics are right, the director will be remembered for the quiet scenes.",
    "If nobody remakes it, the original will stay a cult favourite.",
    "If the festival shows it again, audiences will finally notice the score.",
    "If you watch it twice, the second viewing will change how you read the ending.",
    "If the archive restores the print, the colours will look as the crew intended.",
    "If the streaming cut survives, the theatrical version will be forgotten.",
    "If the novel is reprinted, readers will see how much the film left out.",
]
DATED = [
    "By 2040, most households will talk to an assistant every day.",
    "Within a decade, schools are going to teach with synthetic tutors.",
    "By 2035, studios will cast synthetic actors in leading parts.",
    "In twenty years, most news will be read aloud by software.",
    "Within five years, every phone will carry a companion that remembers us.",
    "By the end of the decade, film schools will teach prompt writing.",
]
OPINION = [
    "I think the ending is the weakest part of the film.",
    "In my view the second act is the most honest stretch of the story.",
    "Clearly the cinematography matters more than the plot here.",
]
PLAIN = ["The score is sparse and cold.", "A long shot of the city closes the first act."]


def essay(name: str, rng: random.Random, marked: bool = True) -> Lesson:
    """Two sentences of each kind in a random order, with the project's spans."""
    picked = [
        *((s, "claim") for s in rng.sample(CONDITIONAL, 2)),
        *((s, "prediction") for s in rng.sample(DATED, 2)),
        *((s, "claim") for s in rng.sample(OPINION, 1)),
        *((s, None) for s in rng.sample(PLAIN, 1)),
    ]
    rng.shuffle(picked)
    text, spans = "", []
    for sentence, tag in picked:
        start = len(text)
        text += sentence + " "
        if tag is not None:
            spans.append(Taught(start, start + len(sentence), tag))
    return Lesson(name, text.strip(), tuple(spans) if marked else ())


@pytest.fixture(scope="module")
def rules():
    suggester = Suggester("blank:en")

    def run(text: str):
        doc = suggester.nlp(text)
        doc.user_data["herlens_text"] = text
        return doc, suggester.from_doc(doc)

    return run


@pytest.fixture(scope="module")
def project() -> list[Lesson]:
    rng = random.Random(7)
    return [essay(f"Essay {number}", rng) for number in range(8)]


#: No tag reaches this many spans: no classifier is trained, so what changes a tag is the
#: relabeller alone (on a project this small and repetitive a classifier learns it too).
NO_MODELS = 1000

NEW = (
    "If the sequel keeps the same crew, the new film will feel like home. "
    "By 2045, most cinemas will show films written with software. "
    "The trailer is quiet."
)


def test_the_rules_call_both_kinds_of_sentence_predictions(rules):
    _doc, found = rules(NEW)
    assert [c.tag for c in found] == ["prediction", "prediction"]


def test_a_project_that_marks_conditionals_as_claims_gets_them_as_claims(project, rules):
    learned = learn(project, LABELS, rules, min_spans=NO_MODELS)
    assert learned.relabeller is not None
    assert learned.relabeller.cuts["prediction>claim"] < OFF
    assert learned.summaries["prediction"].switched_to == "claim"
    doc, base = rules(NEW)
    found = learned.apply(doc, base)
    by_text = {NEW[c.start : c.end]: c for c in found}
    conditional = by_text["If the sequel keeps the same crew, the new film will feel like home."]
    assert conditional.tag == "claim"
    assert conditional.rule == RULE
    # The reason names what was learned and where.
    assert "marks sentences like this as Claim, not Prediction" in conditional.reason
    assert "“Essay " in conditional.reason
    dated = by_text["By 2045, most cinemas will show films written with software."]
    assert dated.tag == "prediction"


def test_without_learning_the_suggestions_are_the_rules_own(project, rules):
    doc, base = rules(NEW)
    learned = learn(project, LABELS, rules, min_spans=NO_MODELS)
    learned.relabeller.cuts = dict.fromkeys(learned.relabeller.cuts, OFF)
    assert [(c.start, c.end, c.tag, c.rule) for c in learned.apply(doc, base)] == [
        (c.start, c.end, c.tag, c.rule) for c in base
    ]


def test_a_project_that_agrees_with_the_rules_switches_nothing(rules):
    rng = random.Random(3)
    agreeing = []
    for lesson in (essay(f"Essay {number}", rng) for number in range(8)):
        spans = tuple(
            Taught(s.start, s.end, "prediction")
            if lesson.text[s.start : s.end].startswith("If ")
            else s
            for s in lesson.spans
        )
        agreeing.append(Lesson(lesson.name, lesson.text, spans))
    assert train_relabeller(agreeing, rules) is None
    learned = learn(agreeing, LABELS, rules, min_spans=NO_MODELS)
    doc, base = rules(NEW)
    assert [c.tag for c in learned.apply(doc, base)] == ["prediction", "prediction"]


def test_nothing_is_learned_from_the_judged_document(project, rules):
    """The new essay, bare in the project as the worker sees it, teaches nothing: the
    relabeller is the same with or without it, and names only the other documents."""
    judged = essay("The new essay", random.Random(11), marked=False)
    without = train_relabeller(project, rules)
    with_bare = train_relabeller([*project, judged], rules)
    assert with_bare == without
    assert "The new essay" not in {name for names in without.seen_in.values() for name in names}
    # Had its spans been given, it would have counted: the check above can fail.
    marked = essay("The new essay", random.Random(11))
    assert train_relabeller([*project, marked], rules) != without


def test_the_held_out_choice_never_scores_a_trial_on_its_own_documents(project, rules):
    from annotations.suggest.heldout import folds

    for train, held_out in folds(project, seed=0):
        trial = train_relabeller(train, rules)
        names = {name for names in (trial.seen_in.values() if trial else []) for name in names}
        assert not names & {lesson.name for lesson in held_out}


def test_the_relabeller_is_stored_and_loaded_with_the_learning(project, rules, tmp_path):
    learned = learn(project, LABELS, rules, min_spans=NO_MODELS)
    learned.to_disk(tmp_path / "learned")
    loaded = Learned.from_disk(tmp_path / "learned")
    assert loaded.relabeller == learned.relabeller
    assert Relabeller.from_json(learned.relabeller.as_json()) == learned.relabeller
    doc, base = rules(NEW)
    assert loaded.apply(doc, base) == learned.apply(doc, base)
