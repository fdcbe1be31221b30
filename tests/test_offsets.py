from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotations.offsets import (
    OffsetError,
    check_quote,
    check_range,
    codepoint_to_utf16,
    normalise_text,
    quote_for,
    trim_whitespace,
    utf16_length,
    utf16_to_codepoint,
)

# Emoji, a ZWJ family, a flag, combining marks and CRLF: what offsets go wrong on.
TRICKY = ["🤖", "👩‍👩‍👧", "🇫🇷", "e\u0301", "\r\n", "\r", "é", "“", "\u200d", "x"]
texts = st.lists(st.sampled_from(TRICKY) | st.text(max_size=5), max_size=30).map("".join)


def test_normalise_text_makes_line_endings_newlines_and_composes():
    assert normalise_text("Caf\u0065\u0301\r\nline\rend\u2028x") == "Café\nline\nend\nx"


def test_normalise_text_drops_a_byte_order_mark():
    assert normalise_text("\ufeffHer") == "Her"


@given(texts)
def test_normalise_text_is_idempotent(text):
    once = normalise_text(text)
    assert normalise_text(once) == once
    assert "\r" not in once


def test_utf16_offsets_of_an_emoji_count_two_units():
    text = "a🤖b"
    assert utf16_length(text) == 4
    assert codepoint_to_utf16(text, 2) == 3
    assert utf16_to_codepoint(text, 3) == 2


def test_utf16_offset_inside_a_surrogate_pair_is_refused():
    with pytest.raises(OffsetError, match="splits the character"):
        utf16_to_codepoint("a🤖b", 2)


def test_utf16_offset_past_the_end_is_refused():
    with pytest.raises(OffsetError, match="past the end"):
        utf16_to_codepoint("abc", 4)


@given(texts, st.data())
def test_utf16_and_codepoint_offsets_round_trip(text, data):
    offset = data.draw(st.integers(min_value=0, max_value=len(text)))
    units = codepoint_to_utf16(text, offset)
    assert units == len(text[:offset].encode("utf-16-le")) // 2
    assert utf16_to_codepoint(text, units) == offset


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (-1, 2, "start -1 is negative"),
        (3, 3, "end 3 must be greater than start 3"),
        (0, 12, "end 12 is past the end of the document (11 characters)"),
    ],
)
def test_check_range_explains_bad_offsets(start, end, message):
    with pytest.raises(OffsetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_range("Her is good", start, end)


def test_check_quote_accepts_the_exact_text_and_names_a_mismatch():
    text = "The film 🤖 Her (2013)"
    check_quote(text, 11, 14, "Her")
    with pytest.raises(OffsetError, match="does not match"):
        check_quote(text, 10, 13, "Her")


def test_quote_for_gives_context_either_side():
    quote = quote_for("0123456789", 4, 6, context=2)
    assert (quote.prefix, quote.exact, quote.suffix) == ("23", "45", "67")


def test_trim_whitespace_moves_inwards():
    assert trim_whitespace("  Her  ", 0, 7) == (2, 5)
    assert trim_whitespace("   ", 0, 3) == (3, 3)
