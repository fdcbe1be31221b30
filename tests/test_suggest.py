"""The suggestion pipeline, text in and suggestions out (no database)."""

from __future__ import annotations

import pytest
from django.core.checks import Error
from django.test import override_settings

from annotations.checks import SPACY_MODEL_MISSING, spacy_model_check
from annotations.suggest.pipeline import (
    PipelineUnavailable,
    build_pipeline,
    get_suggester,
    model_problem,
)


def found(text: str, tag: str | None = None, names: tuple[str, ...] = ()) -> list[str]:
    return [
        text[s.start : s.end]
        for s in get_suggester().suggest(text, names)
        if tag is None or s.tag == tag
    ]


def test_em_and_en_dashes_split_words():
    nlp = get_suggester().nlp
    tokens = [t.text for t in nlp("Theodore (Joaquin Phoenix)—a writer–to-be")]
    assert tokens[:7] == ["Theodore", "(", "Joaquin", "Phoenix", ")", "—", "a"]
    assert "–" in tokens


def test_pipeline_is_loaded_once_per_process():
    assert get_suggester() is get_suggester()


def test_prediction_names_modal_and_time_frame_in_reason():
    text = "Phones will be our closest friends in the next 100 years."
    [suggestion] = [s for s in get_suggester().suggest(text) if s.tag == "prediction"]
    assert text[suggestion.start : suggestion.end] == text
    assert suggestion.reason == "future modal “will” + time frame “in the next 100 years”"
    assert 0.5 <= suggestion.score <= 1


@pytest.mark.parametrize(
    "text",
    [
        "Critics expect machines to write screenplays by 2035.",
        "Within a decade, synthetic voices are set to replace dubbing actors.",
        "Will we still watch films made by people?",
        "We are going to need new words for this kind of love.",
    ],
)
def test_statements_about_the_future_are_predictions(text):
    assert found(text, "prediction") == [text]


@pytest.mark.parametrize(
    "text",
    [
        "Twenty years ago the idea looked absurd to most viewers.",
        "Back in 2001 nobody had a voice assistant.",
        "The robot acts of its own free will in the last scene.",
        "Soon Theodore falls for the voice in his ear.",
    ],
)
def test_past_references_and_free_will_are_not_predictions(text):
    assert found(text, "prediction") == []


def test_claim_is_the_clause_with_a_stance_marker_not_the_paragraph():
    text = "The screen goes dark. I think the film is less about machines than about us. It ends."
    assert found(text, "claim") == ["I think the film is less about machines than about us."]


def test_reported_argument_is_a_claim_with_its_verb_in_the_reason():
    text = "Several reviewers argued that the ending betrays the premise."
    [claim] = [s for s in get_suggester().suggest(text) if s.tag == "claim"]
    assert "argument verb “argued”" in claim.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I saw the film Ex Machina twice.", ["Ex Machina"]),
        ("Nobody forgets Blade Runner (1982) either.", ["Blade Runner"]),
        ("It was directed by Alex Garland and shot in Norway.", ["Alex Garland"]),
        ("Ava, played by Alicia Vikander, never blinks.", ["Ava", "Alicia Vikander"]),
        ("Then Caleb (Domhnall Gleeson) arrives.", ["Caleb", "Domhnall Gleeson"]),
        ("I reread *Solaris* last week.", ["Solaris"]),
        ("Her's release changed how we talk about phones.", ["Her"]),
    ],
)
def test_film_references_are_found_from_cues_without_a_list(text, expected):
    assert found(text, "film-reference") == expected


def test_a_name_found_by_a_cue_is_found_again_later():
    text = "In the film Moon a man works alone. Later Moon shows his clone. The moon is far."
    assert found(text, "film-reference") == ["Moon", "Moon"]


def test_capitalised_common_word_is_not_a_title_without_a_cue_or_list():
    text = "Her voice is warm. She speaks softly."
    assert found(text, "film-reference") == []
    assert (
        found(text, "film-reference", names=("Her",)) == []
    )  # sentence-initial "Her" stays a pronoun


def test_project_list_adds_names_case_sensitively():
    text = "Years later, Theodore writes letters again. Nobody mentions samantha."
    assert found(text, "film-reference", names=("Theodore", "Samantha")) == ["Theodore"]


def test_offsets_are_code_points_even_after_astral_characters():
    text = "🤖🤖 Critics argue that the film Her (2013) will age well by 2040."
    suggestions = get_suggester().suggest(text)
    assert suggestions
    for suggestion in suggestions:
        assert (
            text[suggestion.start : suggestion.end].strip()
            == text[suggestion.start : suggestion.end]
        )
    assert "Her" in [text[s.start : s.end] for s in suggestions if s.tag == "film-reference"]


def test_suggestions_never_cross_a_paragraph_break():
    text = "A heading\n\nI think it will rain tomorrow."
    for suggestion in get_suggester().suggest(text):
        assert "\n" not in text[suggestion.start : suggestion.end]


def test_missing_model_is_a_clear_error_naming_the_setting():
    assert "not installed" in model_problem("en_no_such_pipeline")
    with pytest.raises(PipelineUnavailable, match="HERLENS_SPACY_MODEL='en_no_such_pipeline'"):
        build_pipeline("en_no_such_pipeline")


def test_system_check_reports_a_missing_model():
    with override_settings(HERLENS_SPACY_MODEL="/no/such/pipeline"):
        [error] = spacy_model_check()
    assert isinstance(error, Error)
    assert error.id == SPACY_MODEL_MISSING
    assert "HERLENS_SPACY_MODEL" in error.msg
    with override_settings(HERLENS_SPACY_MODEL="blank:en"):
        assert spacy_model_check() == []


def test_a_pipeline_with_entities_adds_people_and_works_near_film_cues(tmp_path):
    """A trained pipeline cannot be installed here; one saved to a path with an
    entity ruler gives PERSON and WORK_OF_ART entities the same way."""
    import spacy

    from annotations.suggest.pipeline import Suggester

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "PERSON", "pattern": "Ivo Brandt"},
            {"label": "WORK_OF_ART", "pattern": "Glass Garden"},
            {"label": "PERSON", "pattern": "Mara Quell"},
        ]
    )
    nlp.to_disk(tmp_path / "pipeline")
    text = (
        "The film gives Ivo Brandt very little to do. Later, Glass Garden fades from the film."
        "\n\nMara Quell wrote a novel about gardens."
    )

    def films(name: str) -> list[tuple[str, str]]:
        return [
            (text[s.start : s.end], s.reason)
            for s in Suggester(name).suggest(text)
            if s.tag == "film-reference"
        ]

    assert films("blank:en") == []
    assert films(str(tmp_path / "pipeline")) == [
        ("Ivo Brandt", "PERSON entity near a film cue"),
        ("Glass Garden", "WORK_OF_ART entity near a film cue"),
    ]


def _train_tiny_parser_and_ner(path) -> None:
    """Train and save a small pipeline with a parser and NER, as an installed model has."""
    import random

    import spacy
    from spacy.training import Example

    spacy.util.fix_random_seed(0)
    nlp = spacy.blank("en")
    nlp.add_pipe("parser")
    nlp.add_pipe("ner")
    sentences = [
        ("Theodore writes letters", ["nsubj", "ROOT", "dobj"], [1, 1, 1], [(0, 8, "PERSON")]),
        ("Samantha sings songs", ["nsubj", "ROOT", "dobj"], [1, 1, 1], [(0, 8, "PERSON")]),
        (
            "Ava leaves the house",
            ["nsubj", "ROOT", "det", "dobj"],
            [1, 1, 3, 1],
            [(0, 3, "PERSON")],
        ),
    ]
    examples = []
    for text, deps, heads, entities in sentences:
        doc = nlp.make_doc(text)
        examples.append(
            Example.from_dict(doc, {"deps": deps, "heads": heads, "entities": entities})
        )
    # The parser keeps only labels seen often enough at initialisation: repeat the examples.
    optimizer = nlp.initialize(lambda: examples * 40)
    random.seed(0)
    for _ in range(5):
        nlp.update(examples, sgd=optimizer)
    nlp.to_disk(path)


def test_a_trained_pipeline_with_a_parser_suggests_and_keeps_line_breaks(tmp_path):
    from annotations.suggest.pipeline import Suggester

    _train_tiny_parser_and_ner(tmp_path / "parsed")
    suggester = Suggester(str(tmp_path / "parsed"))
    assert suggester.nlp.has_pipe("parser")
    assert suggester.nlp.has_pipe("ner")
    text = (
        "A Heading About Machines\n\nI think the film Her (2013) is less about phones than "
        "about us. Phones will be our closest friends in the next 100 years."
    )
    suggestions = suggester.suggest(text)
    tags = {(text[s.start : s.end], s.tag) for s in suggestions}
    assert ("Her", "film-reference") in tags
    assert any(tag == "prediction" for _text, tag in tags)
    for suggestion in suggestions:
        assert "\n" not in text[suggestion.start : suggestion.end]
    # Many texts at once go through nlp.pipe: the same rules, no E043 either.
    assert list(suggester.suggest_many([text, text])) == [suggestions, suggestions]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A running list with no cue beside the titles.
        (
            "We will show Metropolis, Alphaville and Her this season.",
            ["Metropolis", "Alphaville", "Her"],
        ),
        # A series and an episode, the creator later by surname only.
        (
            "In Be Right Back, Martha rebuilds Ash. Charlie Brooker wrote it; Brooker likes endings.",
            ["Be Right Back", "Martha", "Ash", "Charlie Brooker", "Brooker"],
        ),
        # A title in capitals in a headline, then in lower case in the prose.
        (
            "WHY WE WATCH BLACK MIRROR\n\nEveryone has seen black mirror.",
            ["BLACK MIRROR", "black mirror"],
        ),
    ],
)
def test_known_screen_works_are_found_without_a_cue(text, expected):
    assert found(text, "film-reference") == expected


@pytest.mark.parametrize(
    "text",
    [
        "The moon rose over the house. Contact with the outside was lost.",
        "Her answer surprised me. We flew to Brazil in May.",
        "Ash fell on the town. Martha and Sam walked home.",
    ],
)
def test_ordinary_words_and_first_names_are_not_titles_without_context(text):
    assert found(text, "film-reference") == []


def test_script_speakers_are_characters():
    text = "The scene:\n\nROSA: Are you awake?\nTEMBE: Always.\nROSA: Good."
    assert found(text, "film-reference") == ["ROSA", "TEMBE", "ROSA"]


@pytest.mark.parametrize(
    "text",
    [
        "A cat will sleep on whatever is warmest.",
        "Every first-year student will know the feeling.",
        "You'll laugh, I promise.",
        "As we have come to expect from him, the ending is a joke.",
        "People say the show predicted the social credit score.",
        "Set in the near future, the film never explains the company.",
        'She looks up and says, "I will leave this house tonight."',
        "SAM: It will be over soon.\nGERTY: I will help you.",
    ],
)
def test_habits_asides_reports_settings_and_dialogue_are_not_predictions(text):
    assert found(text, "prediction") == []


@pytest.mark.parametrize(
    "text",
    [
        "My prognosis is simple: the big screen shrinks to a few rooms.",
        "I don't see a future where the cinema disappears.",
        "This will happen.",
    ],
)
def test_forecasts_without_a_time_frame_are_predictions(text):
    assert found(text, "prediction") == [text]


@pytest.mark.parametrize(
    ("text", "claims"),
    [
        ("The technology is just the furniture.", ["The technology is just the furniture."]),
        ("This is a story about grief.", ["This is a story about grief."]),
        ("Is this the best film about phones?", []),
        ("Thank you, and enjoy the best film of the season.", []),
    ],
)
def test_plain_assertions_are_claims_but_questions_and_sign_offs_are_not(text, claims):
    assert found(text, "claim") == claims


def test_a_reported_argument_about_the_future_is_both_a_claim_and_a_prediction():
    text = "I think the restored cut will outlive the original."
    assert found(text, "claim") == [text]
    assert found(text, "prediction") == [text]


def test_a_title_after_a_makers_possessive_at_the_end_of_a_clause():
    text = "Nothing in it matches Ilse Marquardt's Glass Orchard. We left early."
    assert found(text, "film-reference") == ["Ilse Marquardt", "Glass Orchard"]


@pytest.mark.parametrize(
    "text",
    [
        "According to Sobchack (2004), cinema is a machine for perception.",
        "Sobchack (2004) argues that films are felt.",
        "Sobchack, V. (2004). Carnal Thoughts. University of California Press.",
    ],
)
def test_a_scholar_cited_with_a_year_is_not_a_film(text):
    assert found(text, "film-reference") == []
