"""What a project teaches its suggester (pure: texts and spans in, no database)."""

from __future__ import annotations

import random

import pytest

from annotations.suggest.learned import Learned, Lesson, Taught
from annotations.suggest.learning import MIN_SPANS, NO_DOCUMENTS, learn
from annotations.suggest.naming import short_forms
from annotations.suggest.pipeline import get_suggester
from annotations.suggest.rerank import train_reranker

LABELS = {"claim": "Claim", "prediction": "Prediction", "film-reference": "Film reference"}


def rules(text: str):
    suggester = get_suggester()
    doc = suggester.nlp(text)
    doc.user_data["herlens_text"] = text
    return doc, suggester.from_doc(doc)


def lesson(name: str, text: str, marked: dict[str, str], rejected: dict[str, str] | None = None):
    def spans(wanted: dict[str, str], how: str) -> tuple[Taught, ...]:
        found = []
        for words, tag in wanted.items():
            start = text.index(words)
            found.append(Taught(start, start + len(words), tag, how))
        return tuple(found)

    return Lesson(name, text, spans(marked, "marked"), spans(rejected or {}, "rejected"))


def suggested(learned: Learned, text: str, tag: str) -> list[tuple[str, str]]:
    doc, base = rules(text)
    return [(text[s.start : s.end], s.reason) for s in learned.apply(doc, base) if s.tag == tag]


@pytest.mark.parametrize(
    ("name", "forms"),
    [
        ("Theodore Twombly", ["Twombly", "Theodore"]),
        ("The Glass Orchard", ["Glass Orchard"]),
        ("Kogonada", []),
        ("the quiet machine", []),
    ],
)
def test_short_forms_are_surname_first_name_or_title_without_article(name, forms):
    assert short_forms(name) == forms


def test_a_marked_name_is_found_again_with_its_short_forms_and_says_where_it_was_learned():
    teaching = lesson(
        "Listening to Her",
        "In Glass Orchard, the engineer Ilse Marquardt builds a voice for her son.",
        {"Glass Orchard": "film-reference", "Ilse Marquardt": "film-reference"},
    )
    learned = learn([teaching], LABELS, rules)
    text = "Later, Marquardt speaks to the house. Ilse Marquardt never sleeps."
    assert suggested(learned, text, "film-reference") == [
        ("Marquardt", "short for “Ilse Marquardt”, marked as Film reference in “Listening to Her”"),
        ("Ilse Marquardt", "marked as Film reference in “Listening to Her”"),
    ]


def test_a_rejected_suggestion_never_comes_back_whatever_suggested_it():
    text = "I saw the film Ex Machina twice. The film Ex Machina stays with me."
    teaching = lesson("Notes", text, {}, rejected={"Ex Machina": "film-reference"})
    learned = learn([teaching], LABELS, rules)
    assert [t for t, _r in suggested(learned, text, "film-reference")] == []
    other = "Nobody forgets Blade Runner (1982). Ex Machina (2014) is colder."
    assert [t for t, _r in suggested(learned, other, "film-reference")] == ["Blade Runner"]


def test_learning_needs_documents():
    with pytest.raises(ValueError, match=NO_DOCUMENTS):
        learn([], LABELS, rules)


IMAGES = ["a mirror", "a cage", "a window", "a river", "a lantern", "a locked door", "an echo",
          "a garden", "a wound", "a compass", "a costume", "a map"]  # fmt: skip
SUBJECTS = ["The voice", "Her laughter", "The city", "Memory", "The phone", "The screen",
            "His loneliness", "The archive", "Every message", "The house"]  # fmt: skip
PLAIN = ["The scene lasts four minutes.", "The camera stays on the kitchen table.",
         "She reads the letter twice before answering.", "The train arrives late in the evening.",
         "Nobody in the office notices the change.", "He buys a second phone on Tuesday.",
         "The credits roll over an empty street.", "They meet again in the spring."]  # fmt: skip


def metaphor_essays(count: int, seed: int) -> list[Lesson]:
    """Essays of a class that tags metaphors: a tag the rules know nothing about."""
    rng = random.Random(seed)
    essays = []
    for number in range(count):
        sentences, marked = [], []
        for _ in range(12):
            if rng.random() < 0.5:
                sentence = f"{rng.choice(SUBJECTS)} is {rng.choice(IMAGES)}."
                marked.append(sentence)
            else:
                sentence = rng.choice(PLAIN)
            sentences.append(sentence)
        text = " ".join(sentences)
        spans, cursor = [], 0
        for sentence in sentences:
            start = text.index(sentence, cursor)
            cursor = start + len(sentence)
            if sentence in marked:
                spans.append(Taught(start, cursor, "metaphor"))
        essays.append(Lesson(f"Essay {number}", text, tuple(spans)))
    return essays


def test_a_tag_the_project_made_up_gets_suggestions_from_a_trained_model(tmp_path):
    essays = metaphor_essays(8, seed=1)
    assert sum(len(e.spans) for e in essays) >= 30
    learned = learn(essays, {**LABELS, "metaphor": "Metaphor"}, rules)
    summary = learned.summaries["metaphor"]
    assert summary.trained
    assert summary.kind == "clause"
    assert summary.f1 is not None
    assert summary.f1 > 0.8
    learned.to_disk(tmp_path / "v1")
    loaded = Learned.from_disk(tmp_path / "v1")
    text = "The archive is a lantern. The train arrives late in the evening."
    found = suggested(loaded, text, "metaphor")
    assert [t for t, _r in found] == ["The archive is a lantern."]
    assert found[0][1].startswith(f"learned from the {summary.spans} spans marked as Metaphor")


def test_a_tag_with_too_few_spans_trains_no_model_and_says_why():
    essays = metaphor_essays(1, seed=2)
    learned = learn(essays, {**LABELS, "metaphor": "Metaphor"}, rules)
    claim = learned.summaries["claim"]
    assert not claim.trained
    assert claim.note == f"needs {MIN_SPANS} spans to train a model, has 0"


def test_the_suggester_applies_a_projects_learning_beside_the_rules():
    teaching = lesson(
        "Listening to Her",
        "In Glass Orchard, the engineer Ilse Marquardt builds a voice.",
        {"Ilse Marquardt": "film-reference", "Glass Orchard": "film-reference"},
    )
    learned = learn([teaching], LABELS, rules)
    text = "Marquardt speaks of Glass Orchard. I think the film Her (2013) will age well."
    plain = get_suggester().suggest(text)
    taught = get_suggester().suggest(text, learned=learned)
    [many] = get_suggester().suggest_many([text], learned=learned)
    assert many == taught
    assert [text[s.start : s.end] for s in taught if s.rule == "learned-name"] == [
        "Marquardt",
        "Glass Orchard",
    ]
    assert {(s.start, s.end, s.tag) for s in plain} < {(s.start, s.end, s.tag) for s in taught}


def test_a_one_word_name_counts_only_beside_another_name_of_its_document():
    teaching = [
        lesson(
            "Orchard notes",
            "In Glass Orchard, Tilde Varga leads the workers and Brann follows her.",
            {
                "Glass Orchard": "film-reference",
                "Tilde Varga": "film-reference",
                "Brann": "film-reference",
            },
        ),
        lesson(
            "Lantern notes",
            "Osric Pell meets Nell in the lantern house.",
            {"Osric Pell": "film-reference", "Nell": "film-reference"},
        ),
    ]
    learned = learn(teaching, LABELS, rules)

    def names(text: str) -> list[str]:
        return [t for t, _reason in suggested(learned, text, "film-reference")]

    # Someone else's Brann, in a text about nothing else the project marked.
    assert names("Brann runs the bakery on our street.") == []
    assert names("Nell met Brann at the bakery.") == []  # two names, two documents
    # Beside another name of the same document, or a full name of two words, it counts.
    assert names("Brann and Varga never meet.") == ["Brann", "Varga"]
    assert names("Osric Pell thinks Nell is lonely.") == ["Osric Pell", "Nell"]


def test_learning_works_on_a_trained_base_pipeline_with_a_parser(tmp_path):
    from annotations.suggest.pipeline import Suggester
    from tests.test_suggest import _train_tiny_parser_and_ner

    _train_tiny_parser_and_ner(tmp_path / "parsed")
    suggester = Suggester(str(tmp_path / "parsed"))

    def parsed_rules(text: str):
        doc = suggester.nlp(text)
        doc.user_data["herlens_text"] = text
        return doc, suggester.from_doc(doc)

    essays = metaphor_essays(6, seed=4)
    essays.append(
        lesson(
            "Names",
            "Ilse Marquardt made Glass Orchard.",
            {"Ilse Marquardt": "film-reference", "Glass Orchard": "film-reference"},
        )
    )
    learned = learn(essays, {**LABELS, "metaphor": "Metaphor"}, parsed_rules)
    assert learned.summaries["metaphor"].trained
    text = "Memory is a compass. Marquardt says so of Glass Orchard."
    found = suggester.suggest(text, learned=learned)
    assert [text[s.start : s.end] for s in found if s.rule == "learned-name"] == [
        "Marquardt",
        "Glass Orchard",
    ]
    # Every clause the parser gives is scored by the project's classifier (no E043 either).
    doc, _base = parsed_rules(text)
    scores = learned.clause_scores(doc, text)
    assert scores
    assert all(0 <= cats["metaphor"] <= 1 for _start, _end, cats in scores)


def test_a_rule_whose_suggestions_people_never_keep_goes_quiet_in_that_project():
    unkept = ["I think the bus is late.", "I think it rains.", "I think we ate early.",
              "I think the hall is cold.", "I think she left."]  # fmt: skip
    kept = ["The film is a mirror of its makers.", "Every screen is a window that never closes."]
    essays = []
    for number in range(4):
        text = " ".join(unkept + kept)
        spans = tuple(
            Taught(text.index(sentence), text.index(sentence) + len(sentence), "claim")
            for sentence in kept
        )
        essays.append(Lesson(f"Essay {number}", text, spans))
    learned = learn(essays, LABELS, rules)
    assert ("claim", "stance") in learned.quiet_rules
    text = "I think the train is slow. The novel is a mirror of its readers."
    doc, base = rules(text)
    assert any(s.rule == "stance" for s in base)
    assert not any(s.rule == "stance" for s in learned.apply(doc, base))
    assert learned.summaries["claim"].f1 is not None


UNKEPT = ["I think the bus is late.", "I think the bus stop is cold.", "I think the bus left."]
KEPT = ["I think the film is a mirror.", "I think the film never ends.", "I think the film lies."]


def test_the_reranker_learns_which_of_a_rules_suggestions_the_project_rejects():
    essays = []
    for number in range(3):
        text = " ".join(KEPT + UNKEPT)
        essays.append(
            lesson(
                f"Essay {number}",
                text,
                dict.fromkeys(KEPT, "claim"),
                dict.fromkeys(UNKEPT, "claim"),
            )
        )
    reranker = train_reranker(essays, rules)
    assert reranker is not None
    assert set(reranker.weights) == {"claim"}
    text = "I think the bus is slow. I think the film is kind."
    doc, base = rules(text)
    hits = [s for s in base if s.tag == "claim"]
    assert [text[s.start : s.end] for s in hits] == [
        "I think the bus is slow.",
        "I think the film is kind.",
    ]
    bus, film = reranker.scores(doc, text, hits)
    assert bus < 0.5 < film
    assert reranker.keep(doc, text, hits, {"claim": 0.5}) == [hits[1]]
    assert reranker.keep(doc, text, hits, {"claim": 0.0}) == hits


def test_a_project_drops_the_rule_suggestions_it_never_keeps_and_stores_how(tmp_path):
    # Two claims an essay: too few for a clause model, so only the re-ranker can tell.
    essays = [
        lesson(f"Essay {n}", " ".join(KEPT[:2] + UNKEPT), dict.fromkeys(KEPT[:2], "claim"))
        for n in range(4)
    ]
    learned = learn(essays, LABELS, rules)
    summary = learned.summaries["claim"]
    assert not summary.trained
    # The stance rule is kept in two of five suggestions: too often to go quiet as a whole.
    assert not learned.quiet_rules
    assert summary.cut > 0
    assert summary.f1 > summary.rules_f1
    learned.to_disk(tmp_path / "learned")
    loaded = Learned.from_disk(tmp_path / "learned")
    assert loaded.reranker == learned.reranker
    assert loaded.summaries["claim"].cut == summary.cut
    text = "I think the bus stop is late. I think the film is a lie."
    for project in (learned, loaded):
        assert [s for s, _reason in suggested(project, text, "claim")] == [
            "I think the film is a lie."
        ]
