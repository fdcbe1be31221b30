from __future__ import annotations

from annotations.revision_diff import Piece, inline, side_by_side, stats


def test_inline_compares_whole_words_and_keeps_every_character():
    old = "Theodore writes letters and teh city 🎬 listens."
    new = "Theodore wrote letters and the city 🎬 listens. New."
    pieces = inline(old, new)
    assert Piece("delete", "teh") in pieces
    assert Piece("insert", "the") in pieces
    assert "".join(p.text for p in pieces if p.kind != "insert") == old
    assert "".join(p.text for p in pieces if p.kind != "delete") == new


def test_side_by_side_pairs_paragraphs_and_marks_added_ones():
    old = "One.\n\nTwo is here.\n\nThree."
    new = "Zero.\n\nOne.\n\nTwo is there.\n\nThree."
    rows = side_by_side(old, new)
    assert [row.kind for row in rows] == ["insert", "equal", "replace", "equal"]
    assert rows[2].old[-2:] == (Piece("delete", "here"), Piece("equal", "."))
    assert stats(old, new).paragraphs_changed == 2
