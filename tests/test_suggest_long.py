"""Texts longer than spaCy takes at once (1,000,000 characters) are read in paragraph pieces."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from annotations.suggest.pieces import PIECE_CHARS, paragraph_pieces
from annotations.suggest.pipeline import get_suggester

PARAGRAPH = (
    "Critics will call this film a warning within ten years. "
    "I think the ending is the strongest scene in it.\n\n"
)


@given(
    st.text(alphabet=st.sampled_from("ab .\n"), max_size=400),
    st.integers(min_value=1, max_value=60),
)
def test_pieces_join_back_into_the_text_and_respect_the_limit(text, limit):
    pieces = paragraph_pieces(text, limit)
    assert "".join(piece for _, piece in pieces) == text
    assert all(len(piece) <= limit for _, piece in pieces)
    assert [offset for offset, _ in pieces] == [
        sum(len(p) for _, p in pieces[:i]) for i in range(len(pieces))
    ]


def test_pieces_end_after_a_blank_line_when_there_is_one():
    text = "one two.\n\nthree four.\nfive six seven"
    assert paragraph_pieces(text, 24) == [
        (0, "one two.\n\n"),
        (10, "three four.\n"),
        (22, "five six seven"),
    ]


def test_a_text_over_a_million_characters_gets_the_suggestions_of_each_paragraph():
    suggester = get_suggester()
    one = [(s.start, s.end, s.tag) for s in suggester.suggest(PARAGRAPH)]
    assert one, "the paragraph must give suggestions for this test to mean anything"
    # Blank lines are cheap to tokenise; the paragraphs at both ends carry the cues.
    middle = PARAGRAPH * 50 + "\n" * 1_000_000
    text = PARAGRAPH + middle + PARAGRAPH
    assert len(text) > 1_000_000 > PIECE_CHARS

    found = [(s.start, s.end, s.tag) for s in suggester.suggest(text)]

    starts = [0, *(len(PARAGRAPH) * i for i in range(1, 51)), len(PARAGRAPH) + len(middle)]
    expected = [(start + at, end + at, tag) for at in starts for start, end, tag in one]
    assert found == expected


def test_suggest_many_keeps_the_order_of_long_and_short_texts():
    suggester = get_suggester()
    long_text = PARAGRAPH * (PIECE_CHARS // len(PARAGRAPH) + 2)
    texts = [PARAGRAPH, long_text, "No cue here.", PARAGRAPH]
    many = list(suggester.suggest_many(texts))
    assert many == [suggester.suggest(text) for text in texts]
