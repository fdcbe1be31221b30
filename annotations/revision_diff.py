"""A readable comparison of two revisions of a text (pure: no Django, no database).

Two views of the same diff: ``inline`` (one text, removed words struck through
and added words marked) and ``side_by_side`` (paragraphs of the older revision
beside the paragraphs of the newer one, each with its changed words marked).
Paragraphs are paired first, so a paragraph that was only moved or left alone
reads as a whole instead of as scattered letters.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import fast_diff_match_patch

from annotations.anchoring import diff_opcodes

#: A word, a run of white space, or one other character: the units a reader compares.
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
#: Tokens are diffed as single characters from the supplementary private use planes, where
#: no text character can be confused with them (up to 130,000 distinct tokens).
_TOKEN_BASE = 0xF0000


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of text and what happened to it: equal, insert or delete."""

    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the side-by-side view: a paragraph (or nothing) on each side."""

    kind: str  # equal, insert, delete or replace
    old: tuple[Piece, ...]
    new: tuple[Piece, ...]


@dataclass(frozen=True, slots=True)
class DiffStats:
    """What a revision changed: code points added and removed, paragraphs touched."""

    added: int
    removed: int
    paragraphs_changed: int


def inline(old: str, new: str) -> list[Piece]:
    """Return the new text with the removed words in place, as pieces.

    The comparison is by whole words (a fixed typo shows as the word before and the
    word after, not as one stray letter); spans are moved by the character diff.
    """
    old_tokens, new_tokens = _TOKEN.findall(old), _TOKEN.findall(new)
    codes: dict[str, str] = {}
    if len(set(old_tokens) | set(new_tokens)) > 0x1FFFD:  # more tokens than code points
        return _character_pieces(old, new)

    def encode(tokens: list[str]) -> str:
        return "".join(codes.setdefault(t, chr(_TOKEN_BASE + len(codes))) for t in tokens)

    steps = fast_diff_match_patch.diff(
        encode(old_tokens), encode(new_tokens), cleanup="Semantic", counts_only=True
    )
    pieces: list[Piece] = []
    i = j = 0
    for op, count in steps:
        if op == "=":
            pieces.append(Piece("equal", "".join(old_tokens[i : i + count])))
            i, j = i + count, j + count
        elif op == "-":
            pieces.append(Piece("delete", "".join(old_tokens[i : i + count])))
            i += count
        else:
            pieces.append(Piece("insert", "".join(new_tokens[j : j + count])))
            j += count
    return pieces


def _character_pieces(old: str, new: str) -> list[Piece]:
    pieces: list[Piece] = []
    for op in diff_opcodes(old, new):
        if op.tag == "equal":
            pieces.append(Piece("equal", old[op.old_start : op.old_end]))
            continue
        if op.old_end > op.old_start:
            pieces.append(Piece("delete", old[op.old_start : op.old_end]))
        if op.new_end > op.new_start:
            pieces.append(Piece("insert", new[op.new_start : op.new_end]))
    return pieces


def _paragraphs(text: str) -> list[str]:
    return text.split("\n\n")


def side_by_side(old: str, new: str) -> list[Row]:
    """Return paragraph rows: unchanged, added, removed, or changed with its words marked."""
    old_paragraphs, new_paragraphs = _paragraphs(old), _paragraphs(new)
    matcher = difflib.SequenceMatcher(None, old_paragraphs, new_paragraphs, autojunk=False)
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(
                Row("equal", (Piece("equal", p),), (Piece("equal", p),))
                for p in old_paragraphs[i1:i2]
            )
            continue
        olds, news = old_paragraphs[i1:i2], new_paragraphs[j1:j2]
        for index in range(max(len(olds), len(news))):
            before = olds[index] if index < len(olds) else None
            after = news[index] if index < len(news) else None
            if before is None:
                rows.append(Row("insert", (), (Piece("insert", after),)))
            elif after is None:
                rows.append(Row("delete", (Piece("delete", before),), ()))
            else:
                pieces = inline(before, after)
                rows.append(
                    Row(
                        "replace",
                        tuple(p for p in pieces if p.kind != "insert"),
                        tuple(p for p in pieces if p.kind != "delete"),
                    )
                )
    return rows


def stats(old: str, new: str) -> DiffStats:
    """Return how many characters were added and removed, and paragraphs touched."""
    added = removed = 0
    for op in diff_opcodes(old, new):
        if op.tag != "equal":
            removed += op.old_end - op.old_start
            added += op.new_end - op.new_start
    changed = sum(1 for row in side_by_side(old, new) if row.kind != "equal")
    return DiffStats(added=added, removed=removed, paragraphs_changed=changed)
