"""Grapheme boundaries: a span may not start or end inside what a reader sees as one character."""

from __future__ import annotations

import pytest

from annotations.offsets import (
    OffsetError,
    check_graphemes,
    check_range,
    is_grapheme_boundary,
    is_plain_span,
)

FLAG_FR = "\U0001f1eb\U0001f1f7"
FLAG_DE = "\U0001f1e9\U0001f1ea"
WAVE_DARK = "\U0001f44b\U0001f3ff"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
E_ACUTE = "e\u0301"  # not composed by NFC when written so in a test; shows the combining rule


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        (FLAG_FR, [1]),
        (FLAG_FR + FLAG_DE, [1, 3]),
        (WAVE_DARK, [1]),
        (FAMILY, [1, 2, 3, 4]),
        (E_ACUTE, [1]),
        ("a\r\nb", [2]),
        ("\u1100\u1161\u11a8", [1, 2]),  # Hangul jamo forming one syllable
        ("\u0915\u094d\u0937", [1]),  # Devanagari: virama is a combining mark
    ],
    ids=["flag", "two-flags", "skin-tone", "zwj-family", "combining", "crlf", "jamo", "virama"],
)
def test_no_boundary_inside_a_character(text, inside):
    boundaries = [i for i in range(len(text) + 1) if is_grapheme_boundary(text, i)]
    assert not set(inside) & set(boundaries)
    assert 0 in boundaries
    assert len(text) in boundaries


def test_flags_pair_up_from_the_start_of_a_run():
    text = "x" + FLAG_FR + FLAG_DE + "y"
    assert [i for i in range(len(text) + 1) if is_grapheme_boundary(text, i)] == [0, 1, 3, 5, 6]


def test_a_span_ending_in_half_a_flag_is_refused_with_a_clear_message():
    text = f"Vive la {FLAG_FR} !"
    with pytest.raises(OffsetError, match="the span ends inside the character"):
        check_graphemes(text, 0, 9)
    check_graphemes(text, 0, 10)


def test_a_span_starting_on_a_skin_tone_is_refused():
    text = f"Hi {WAVE_DARK}"
    with pytest.raises(OffsetError, match="the span starts inside the character"):
        check_graphemes(text, 4, 5)


PLAIN_SPAN_TEXTS = (
    "A plain sentence.  Two spaces.\n\nA new paragraph.",
    "Zoë and the café: e\u0301 then \u00e9.",
    "Family 👨\u200d👩\u200d👧 and flags 🇫🇷🇩🇪 here",
    "Windows\r\nline ends \r and a lone return",
    "한국어 텍스트, \u1100\u1161\u11a8 jamo",
    "   \n\t  ",
    "",
)


@pytest.mark.parametrize("text", PLAIN_SPAN_TEXTS)
def test_a_span_called_plain_passes_every_full_check(text):
    # The import's quick test may send a good span to the full checks, never a bad one past them.
    offsets = [*range(-1, len(text) + 2), True, 1.0]
    for start in offsets:
        for end in offsets:
            if not is_plain_span(text, start, end):
                continue
            check_range(text, start, end)
            check_graphemes(text, start, end)
            assert text[start:end].strip(), (start, end)


def test_most_spans_of_plain_text_are_plain():
    text = PLAIN_SPAN_TEXTS[0]
    assert is_plain_span(text, 0, 7)
    assert is_plain_span(text, 2, len(text))
    assert not is_plain_span(text, 17, 19)  # two spaces: blank
    assert not is_plain_span(text, 3, 3)
    assert not is_plain_span(text, 3, len(text) + 1)
    assert is_plain_span("Zoë", 0, 3)  # a composed ë is below U+0300
    assert not is_plain_span("a\r\nb", 0, 2)  # would split the line end
    assert not is_plain_span("e\u0301 x", 0, 1)  # would split the accent from its letter
