"""Move annotations from one revision of a text to the next (pure: no Django, no database).

A revision replaces a document's text. Every span (and suggestion) made on the old
text must land on the same words of the new one, or say plainly that it could not:

1. A character diff of the two texts (code points, diff-match-patch's C++ build)
   maps each old offset to a new one. A span whose new range holds exactly its old
   words is ``exact``.
2. Otherwise its quote is searched for in the new text and each occurrence is
   scored by how much of the span's stored context (the TextQuoteSelector's
   prefix and suffix) still surrounds it; an occurrence counts when a few
   characters of context still fit, when it lies where the diff put the span, or
   when it is the only one. A diff that aligned repeated letters oddly, or a
   paragraph moved elsewhere, is repaired here. Found: ``exact``.
3. A span inside a block the diff saw removed is looked for in a similar block the
   diff saw added: that is a moved paragraph, perhaps edited on the way.
4. A span of which at least half the characters survive (inside the diff's
   unchanged runs) keeps the new words over the same place and is ``changed``.
5. Anything else is ``orphaned``: no offsets, its old quote kept so an editor can
   attach it again. Nothing is dropped.
"""

from __future__ import annotations

import enum
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import fast_diff_match_patch

#: Characters of context stored either side of a quote (as Hypothesis does).
CONTEXT_CHARS = 32
#: An occurrence of a quote elsewhere counts as the span's only with this much of its
#: old context around it, unless it sits right where the diff put the span.
MIN_CONTEXT_MATCH = 4
#: How far (in characters, beyond the quote's length) from the diff's guess an
#: occurrence may lie and still be taken without context.
NEAR_DIFF_GUESS = 16
#: Stop scoring occurrences of a very common quote after this many.
MAX_OCCURRENCES = 2000
#: A removed block and an added block are the same paragraph moved when at least
#: this share of the larger one's characters is unchanged between them.
MOVED_BLOCK_SIMILARITY = 0.5
#: Blocks shorter than this are not considered moved (a word is not a paragraph).
MOVED_BLOCK_MIN_CHARS = 16
#: Seconds the diff may take before it settles for a coarser (still correct) answer.
DIFF_TIME_LIMIT = 2.0


class AnchorState(enum.StrEnum):
    #: On the same words as before (perhaps moved).
    EXACT = "exact"
    #: Kept over the same place, but its words were edited inside.
    CHANGED = "changed"
    #: Its words are gone: no offsets until someone attaches it again.
    ORPHANED = "orphaned"


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where a span was: offsets into the old text (None for an orphan) and its quote."""

    start: int | None
    end: int | None
    quote: str
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a span is on the new text; ``quote`` is the text it now covers (the old
    quote for an orphan)."""

    state: AnchorState
    start: int | None
    end: int | None
    quote: str


@dataclass(frozen=True, slots=True)
class Opcode:
    """One step of a diff, like difflib's: tag is equal, delete, insert or replace."""

    tag: str
    old_start: int
    old_end: int
    new_start: int
    new_end: int


def anchor_for(text: str, start: int, end: int, context: int = CONTEXT_CHARS) -> Anchor:
    """Return the anchor of text[start:end] with up to ``context`` characters around it."""
    return Anchor(
        start=start,
        end=end,
        quote=text[start:end],
        prefix=text[max(0, start - context) : start],
        suffix=text[end : end + context],
    )


def diff_opcodes(old: str, new: str) -> list[Opcode]:
    """Return the code-point diff of old and new as opcodes (semantic clean-up applied)."""
    steps = fast_diff_match_patch.diff(
        old, new, timelimit=DIFF_TIME_LIMIT, cleanup="Semantic", counts_only=True
    )
    opcodes: list[Opcode] = []
    i = j = 0
    for op, length in steps:
        if not length:
            continue
        if op == "=":
            opcodes.append(Opcode("equal", i, i + length, j, j + length))
            i += length
            j += length
            continue
        removed, added = (length, 0) if op == "-" else (0, length)
        previous = opcodes[-1] if opcodes else None
        if previous is not None and previous.tag != "equal":
            # A removal next to an addition is one replacement.
            opcodes[-1] = Opcode(
                "replace",
                previous.old_start,
                previous.old_end + removed,
                previous.new_start,
                previous.new_end + added,
            )
        else:
            tag = "delete" if removed else "insert"
            opcodes.append(Opcode(tag, i, i + removed, j, j + added))
        i += removed
        j += added
    return opcodes


class PositionMap:
    """Map offsets of one text into another through their diff."""

    def __init__(self, opcodes: Sequence[Opcode], old_length: int, new_length: int) -> None:
        # Inserts cover no old character, so they are never "the op at an old offset".
        self._ops = [op for op in opcodes if op.old_start < op.old_end]
        self._starts = [op.old_start for op in self._ops]
        self.old_length = old_length
        self.new_length = new_length

    def _op_at(self, offset: int) -> Opcode:
        return self._ops[bisect_right(self._starts, offset) - 1]

    def start(self, offset: int) -> int:
        """Where a span starting at old ``offset`` starts: after text inserted right there."""
        if offset >= self.old_length:
            return self.new_length
        op = self._op_at(offset)
        if op.tag == "equal":
            return op.new_start + offset - op.old_start
        # The span's first characters were replaced: the replacement takes their place.
        return op.new_start if offset == op.old_start else op.new_end

    def end(self, offset: int) -> int:
        """Where a span ending (exclusive) at old ``offset`` ends: before text inserted there."""
        if offset <= 0:
            return 0
        op = self._op_at(offset - 1)
        if op.tag == "equal":
            return op.new_start + offset - op.old_start
        return op.new_end if offset == op.old_end else op.new_start

    def surviving(self, start: int, end: int) -> int:
        """Count the characters of old [start, end) that the diff kept unchanged."""
        count = 0
        index = max(0, bisect_right(self._starts, start) - 1)
        while index < len(self._ops) and self._ops[index].old_start < end:
            op = self._ops[index]
            if op.tag == "equal":
                count += max(0, min(end, op.old_end) - max(start, op.old_start))
            index += 1
        return count

    def removed_block(self, start: int, end: int) -> Opcode | None:
        """Return the delete/replace op that holds all of old [start, end), if one does."""
        op = self._op_at(start)
        if op.tag != "equal" and end <= op.old_end:
            return op
        return None


class Reanchorer:
    """Place many anchors of one old text on one new text (the diff is computed once)."""

    def __init__(
        self, old_text: str, new_text: str, opcodes: Sequence[Opcode] | None = None
    ) -> None:
        self.old_text = old_text
        self.new_text = new_text
        # Another diff may be given (the benchmark compares difflib's).
        self.opcodes = list(opcodes) if opcodes is not None else diff_opcodes(old_text, new_text)
        self.positions = PositionMap(self.opcodes, len(old_text), len(new_text))
        self._added_blocks = [
            op
            for op in self.opcodes
            if op.tag in ("insert", "replace")
            and op.new_end - op.new_start >= MOVED_BLOCK_MIN_CHARS
        ]
        self._moves: dict[tuple[int, int], tuple[Opcode, PositionMap] | None] = {}

    def place(self, anchor: Anchor) -> Placement:
        new = self.new_text
        if anchor.start is None or anchor.end is None or not anchor.quote:
            found = self._search(anchor, guess=None)
            return found or _orphan(anchor)
        start = self.positions.start(anchor.start)
        end = self.positions.end(anchor.end)
        if start < end and new[start:end] == anchor.quote:
            return Placement(AnchorState.EXACT, start, end, anchor.quote)
        found = self._search(anchor, guess=start)
        if found is not None:
            return found
        survivors = self.positions.surviving(anchor.start, anchor.end)
        moved = self._moved(anchor)
        if moved is not None:
            moved_start, moved_end, moved_survivors = moved
            if moved_start < moved_end and new[moved_start:moved_end] == anchor.quote:
                return Placement(AnchorState.EXACT, moved_start, moved_end, anchor.quote)
            if moved_survivors > survivors:
                start, end, survivors = moved_start, moved_end, moved_survivors
        if 2 * survivors >= len(anchor.quote):
            start, end = _trim(new, start, end)
            if start < end:
                return Placement(AnchorState.CHANGED, start, end, new[start:end])
        return _orphan(anchor)

    def _search(self, anchor: Anchor, guess: int | None) -> Placement | None:
        """Find the quote in the new text where its old context fits best."""
        quote, new = anchor.quote, self.new_text
        if not quote:
            return None
        available = len(anchor.prefix) + len(anchor.suffix)
        needed = min(MIN_CONTEXT_MATCH, available)
        best: tuple[int, int] | None = None
        best_position = -1
        position = new.find(quote)
        seen = 0
        while position != -1 and seen < MAX_OCCURRENCES:
            seen += 1
            context = _common_suffix(
                anchor.prefix, new[max(0, position - len(anchor.prefix)) : position]
            )
            after = position + len(quote)
            context += _common_prefix(anchor.suffix, new[after : after + len(anchor.suffix)])
            distance = abs(position - guess) if guess is not None else len(new)
            near = guess is not None and distance <= len(quote) + NEAR_DIFF_GUESS
            if context >= needed or near:
                score = (context, -distance)
                if best is None or score > best:
                    best, best_position = score, position
            position = new.find(quote, position + 1)
        if best is None and seen == 1 and position == -1:
            # The only place these words appear in the new text.
            best_position = new.find(quote)
        elif best is None:
            return None
        return Placement(AnchorState.EXACT, best_position, best_position + len(quote), quote)

    def _moved(self, anchor: Anchor) -> tuple[int, int, int] | None:
        """Map a span that lies in a removed block through the added block it moved to."""
        assert anchor.start is not None
        assert anchor.end is not None
        block = self.positions.removed_block(anchor.start, anchor.end)
        if block is None or block.old_end - block.old_start < MOVED_BLOCK_MIN_CHARS:
            return None
        key = (block.old_start, block.old_end)
        if key not in self._moves:
            self._moves[key] = self._find_move(block)
        move = self._moves[key]
        if move is None:
            return None
        target, positions = move
        offset = block.old_start
        start = positions.start(anchor.start - offset) + target.new_start
        end = positions.end(anchor.end - offset) + target.new_start
        return start, end, positions.surviving(anchor.start - offset, anchor.end - offset)

    def _find_move(self, block: Opcode) -> tuple[Opcode, PositionMap] | None:
        removed = self.old_text[block.old_start : block.old_end]
        best: tuple[float, Opcode, list[Opcode]] | None = None
        for target in self._added_blocks:
            if target is block:
                continue
            added = self.new_text[target.new_start : target.new_end]
            if not 0.5 <= len(added) / len(removed) <= 2:
                continue
            opcodes = diff_opcodes(removed, added)
            kept = sum(op.old_end - op.old_start for op in opcodes if op.tag == "equal")
            similarity = kept / max(len(removed), len(added))
            if similarity >= MOVED_BLOCK_SIMILARITY and (best is None or similarity > best[0]):
                best = (similarity, target, opcodes)
        if best is None:
            return None
        _similarity, target, opcodes = best
        return target, PositionMap(opcodes, len(removed), target.new_end - target.new_start)


def reanchor(old_text: str, new_text: str, anchors: Iterable[Anchor]) -> list[Placement]:
    """Return where each anchor of old_text lies on new_text, in the same order."""
    reanchorer = Reanchorer(old_text, new_text)
    return [reanchorer.place(anchor) for anchor in anchors]


def _orphan(anchor: Anchor) -> Placement:
    return Placement(AnchorState.ORPHANED, None, None, anchor.quote)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _common_prefix(first: str, second: str) -> int:
    length = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        length += 1
    return length


def _common_suffix(first: str, second: str) -> int:
    length = 0
    for a, b in zip(reversed(first), reversed(second), strict=False):
        if a != b:
            break
        length += 1
    return length
