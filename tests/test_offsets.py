from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotations.offsets import (
    OffsetError,
    check_quote,
    check_range,
    normalise_text,
    quote_for,
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
