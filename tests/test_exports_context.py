from __future__ import annotations

import random

from annotations.exports.context import TextContext
from annotations.rendering import paragraph_bounds
from annotations.sentences import SENTENCE_END, sentence_bounds


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_bounds(text)]


def test_sentences_end_at_stops_and_questions():
    assert sentences("One is here. Two? Three!  Four") == ["One is here.", "Two?", "Three!", "Four"]


def test_abbreviations_and_initials_do_not_end_a_sentence():
    text = "Dr. Okafor met J. Rivera, e.g. at noon. Then left."
    assert sentences(text) == ["Dr. Okafor met J. Rivera, e.g. at noon.", "Then left."]


def test_closing_quotes_stay_with_their_sentence():
    assert sentences("She said “go.” He went.") == ["She said “go.”", "He went."]


def test_a_paragraph_break_ends_a_sentence_without_a_stop():
    assert sentences("A heading\n\nBody text here.") == ["A heading", "Body text here."]


def test_decimal_numbers_do_not_split():
    assert sentences("It cost 3.50 today. Fine.") == ["It cost 3.50 today.", "Fine."]


def test_span_gets_its_sentence_and_paragraph():
    text = "First one. Second 🎬 one.\n\nThird here."
    context = TextContext(text)
    start = text.index("🎬")
    where = context.for_span(start, start + 1)
    assert where.sentence == "Second 🎬 one."
    assert where.paragraph_index == 0
    third = text.index("Third")
    assert context.for_span(third, third + 5).paragraph_index == 1


def test_span_across_sentences_gets_all_of_them():
    text = "First one. Second one. Third one."
    context = TextContext(text)
    where = context.for_span(text.index("one."), text.index("Second") + 6)
    assert where.sentence == "First one. Second one."


def test_text_without_sentences_gives_the_span_itself():
    assert TextContext("   ").for_span(1, 2).sentence == " "


def test_offsets_past_the_end_are_held_to_the_text():
    context = TextContext("Short text. Here.")
    assert context.for_span(30, 40).sentence == ""
    assert context.for_span(12, 40).sentence == "Here."


def _breaks_paragraph_by_paragraph(text: str) -> list[int]:
    """Sentence ends found one paragraph at a time, as the context was first worked out."""
    breaks = [0]
    for _gap, p_start, p_end in paragraph_bounds(text):
        breaks.append(p_start)
        breaks.extend(match.end() for match in SENTENCE_END.finditer(text, p_start, p_end))
        breaks.append(p_end)
    breaks.append(len(text))
    return breaks


def test_one_scan_of_the_text_places_spans_as_a_scan_per_paragraph_does():
    pieces = ["Word", "e.g.", "Dr.", "J.", "3.50", ".", "!", "?…", "”", ")", " ", "  ", "\n"]
    pieces += ["\n\n", " \n \n", "\n\n\n", "\t", "🎬", "end.\n\n", "“go.”\n\n", "Etc.\n \n"]
    rng = random.Random(5)
    for _ in range(400):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        context = TextContext(text)
        reference = TextContext(text)
        reference._breaks = _breaks_paragraph_by_paragraph(text)
        assert set(context._breaks) == set(reference._breaks), text
        for _ in range(10):
            start = rng.randint(0, len(text))
            end = rng.randint(start, len(text))
            assert context.locate(start, end) == reference.locate(start, end), (text, start, end)
