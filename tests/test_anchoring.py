"""Re-anchoring spans on a revised text: examples and a property test.

The property test edits a text while remembering where every character came
from, so it knows the truth: which spans still stand on all their words, and
where. The re-anchoring must put every such span on those words, and never
claim words it does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from annotations.anchoring import (
    Anchor,
    AnchorState,
    anchor_for,
    diff_opcodes,
    reanchor,
)
from annotations.offsets import normalise_text

ESSAY = (
    "The voice in the machine is lonely. Theodore writes letters for strangers.\n\n"
    "By 2035 every city will hear its own operating system. 🎬 The camera stays close.\n\n"
    "Rain falls on the screen; the light is soft, café-warm, naïve."
)


def place(old: str, new: str, start: int, end: int):
    return reanchor(old, new, [anchor_for(old, start, end)])[0]


def span_of(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


def test_unchanged_text_keeps_every_span() -> None:
    start, end = span_of(ESSAY, "operating system")
    placement = place(ESSAY, ESSAY, start, end)
    assert (placement.state, placement.start, placement.end) == (AnchorState.EXACT, start, end)


def test_insertion_before_moves_a_span_by_its_length() -> None:
    start, end = span_of(ESSAY, "operating system")
    new = "A new opening line 👋.\n\n" + ESSAY
    placement = place(ESSAY, new, start, end)
    assert placement.state is AnchorState.EXACT
    assert new[placement.start : placement.end] == "operating system"
    assert placement.start == start + len("A new opening line 👋.\n\n")


def test_typo_fixed_inside_a_span_marks_it_changed() -> None:
    old = ESSAY.replace("writes letters", "wrties letters")
    start, end = span_of(old, "Theodore wrties letters for strangers")
    placement = place(old, ESSAY, start, end)
    assert placement.state is AnchorState.CHANGED
    assert placement.quote == "Theodore writes letters for strangers"
    assert ESSAY[placement.start : placement.end] == placement.quote


def test_deleted_sentence_orphans_its_span_and_keeps_the_quote() -> None:
    start, end = span_of(ESSAY, "The camera stays close.")
    new = ESSAY.replace(" The camera stays close.", "")
    placement = place(ESSAY, new, start, end)
    assert placement.state is AnchorState.ORPHANED
    assert (placement.start, placement.end) == (None, None)
    assert placement.quote == "The camera stays close."


def test_moved_paragraph_takes_its_spans_along() -> None:
    paragraphs = ESSAY.split("\n\n")
    new = "\n\n".join([paragraphs[2], paragraphs[0], paragraphs[1]])
    start, end = span_of(ESSAY, "Theodore writes letters")
    placement = place(ESSAY, new, start, end)
    assert placement.state is AnchorState.EXACT
    assert (placement.start, placement.end) == span_of(new, "Theodore writes letters")


def test_moved_and_edited_paragraph_keeps_a_changed_span_in_it() -> None:
    paragraphs = ESSAY.split("\n\n")
    edited = paragraphs[0].replace("is lonely", "is very lonely")
    new = "\n\n".join([paragraphs[1], paragraphs[2], edited])
    start, end = span_of(ESSAY, "voice in the machine is lonely")
    placement = place(ESSAY, new, start, end)
    assert placement.state is AnchorState.CHANGED
    assert placement.quote == "voice in the machine is very lonely"


def test_repeated_words_go_to_the_occurrence_with_the_old_context() -> None:
    old = "one film. the film again. last film."
    start, end = 14, 18  # the second "film"
    assert old[start:end] == "film"
    new = "film! " + old.replace("one ", "")
    placement = place(old, new, start, end)
    assert placement.state is AnchorState.EXACT
    assert new[placement.start - 4 : placement.end] == "the film"


def test_orphan_is_found_again_when_its_words_come_back() -> None:
    anchor = anchor_for(ESSAY, *span_of(ESSAY, "The camera stays close."))
    orphan = Anchor(None, None, anchor.quote, anchor.prefix, anchor.suffix)
    placement = reanchor(ESSAY, ESSAY, [orphan])[0]
    assert placement.state is AnchorState.EXACT
    assert ESSAY[placement.start : placement.end] == "The camera stays close."


def test_opcodes_cover_both_texts_in_code_points() -> None:
    old, new = "a🎬 cat\n\nsat", "🎬a dog\n\nsat 🎬"
    opcodes = diff_opcodes(old, new)
    assert opcodes[0].old_start == 0
    assert opcodes[-1].old_end == len(old)
    assert opcodes[-1].new_end == len(new)
    for op in opcodes:
        if op.tag == "equal":
            assert old[op.old_start : op.old_end] == new[op.new_start : op.new_end]


# --------------------------------------------------------------------------- property

WORDS = [
    *("film", "voice", "the", "machine", "lonely", "city", "Her", "rain", "light", "a"),
    *("🎬", "👩🏽‍💻", "café", "naïve", "q\u0301", "e\u0301", "Zoë", "日本", "—", "2035"),
]
word = st.sampled_from(WORDS)
sentence = st.lists(word, min_size=1, max_size=12).map(" ".join).map(lambda s: s + ".")
paragraph = st.lists(sentence, min_size=1, max_size=4).map(" ".join)
line_break = st.sampled_from(["\n\n", "\r\n\r\n", "\n", "\r\n"])
essay = st.tuples(
    st.lists(paragraph, min_size=1, max_size=6), st.lists(line_break, min_size=5, max_size=5)
).map(
    lambda parts: normalise_text(
        "".join(p + b for p, b in zip(parts[0], parts[1] * 2, strict=False))
    )
)
inserted = st.lists(word, min_size=1, max_size=6).map(" ".join).map(normalise_text)


@dataclass
class Tracked:
    """A text whose characters carry the id of where they came from."""

    chars: list[str]
    ids: list[int]
    next_id: int

    @property
    def text(self) -> str:
        return "".join(self.chars)

    def insert(self, position: int, value: str) -> None:
        self.chars[position:position] = list(value)
        self.ids[position:position] = range(self.next_id, self.next_id + len(value))
        self.next_id += len(value)

    def delete(self, position: int, length: int) -> None:
        del self.chars[position : position + length]
        del self.ids[position : position + length]

    def move_paragraph(self, source: int, target: int) -> None:
        text = self.text
        starts = [0] + [i + 2 for i in range(len(text) - 1) if text[i : i + 2] == "\n\n"]
        if len(starts) < 2:
            return
        bounds = [(s, e) for s, e in zip(starts, [*starts[1:], len(text) + 2], strict=False)]
        start, end = bounds[source % len(bounds)]
        end = min(end, len(text))
        chars, ids = self.chars[start:end], self.ids[start:end]
        if end == len(text):
            chars, ids = ["\n", "\n", *chars], [-1, -2, *ids]
        del self.chars[start:end]
        del self.ids[start:end]
        if start == len(self.chars) and self.chars[-2:] == ["\n", "\n"]:
            del self.chars[-2:]
            del self.ids[-2:]
        text = self.text
        places = [0] + [i + 2 for i in range(len(text) - 1) if text[i : i + 2] == "\n\n"]
        place_at = places[target % len(places)]
        if chars[:2] == ["\n", "\n"]:
            chars, ids = chars[2:] + ["\n", "\n"], ids[2:] + [-1, -2]
        self.chars[place_at:place_at] = chars
        self.ids[place_at:place_at] = ids


edit = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.integers(-3, 3), inserted),
    st.tuples(st.just("delete"), st.integers(0, 10**6), st.integers(-3, 3), st.integers(1, 30)),
    st.tuples(st.just("move"), st.integers(0, 50), st.integers(0, 50), st.none()),
)


def _locate(ids: list[int], span_ids: list[int]) -> int | None:
    """Return where span_ids stand together, in order, in ids (None if they do not)."""
    try:
        position = ids.index(span_ids[0])
    except ValueError:
        return None
    return position if ids[position : position + len(span_ids)] == span_ids else None


def _context_kept(old_ids: list[int], new_ids: list[int], start: int, end: int, at: int) -> int:
    """Count the characters either side of a span (up to 32) that still surround it."""
    kept = 0
    length = end - start
    while kept < 32 and start - kept > 0 and at - kept > 0:
        if old_ids[start - kept - 1] != new_ids[at - kept - 1]:
            break
        kept += 1
    after = 0
    while after < 32 and end + after < len(old_ids) and at + length + after < len(new_ids):
        if old_ids[end + after] != new_ids[at + length + after]:
            break
        after += 1
    return kept + after


def _numbered(text: str) -> str:
    """Make every word of text distinct (film -> film1, voice -> voice2 ...)."""
    words = text.split(" ")
    return " ".join(f"{w}{i}" if w else w for i, w in enumerate(words))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(old=essay, distinct_words=st.booleans(), data=st.data())
def test_reanchoring_keeps_surviving_spans_on_their_words_and_never_lies(
    old, distinct_words, data
) -> None:
    if distinct_words:
        old = normalise_text(_numbered(old))
    spans = []
    for _ in range(data.draw(st.integers(1, 8), label="span count")):
        start = data.draw(st.integers(0, len(old) - 1), label="start")
        end = data.draw(st.integers(start + 1, min(len(old), start + 40)), label="end")
        spans.append((start, end))
    tracked = Tracked(list(old), list(range(len(old))), len(old))
    for kind, where, nudge, value in data.draw(
        st.lists(edit, min_size=1, max_size=5), label="edits"
    ):
        if kind == "move":
            tracked.move_paragraph(where, nudge)
            continue
        # Aim most edits at a span's edge or inside it, where mistakes would show.
        anchor_start, anchor_end = spans[where % len(spans)]
        edge = (anchor_start, anchor_end, (anchor_start + anchor_end) // 2)[where % 3]
        position = min(
            max(0, _locate(tracked.ids, [edge]) or where % (len(tracked.chars) + 1)) + nudge,
            len(tracked.chars),
        )
        position = max(0, position)
        if kind == "insert":
            tracked.insert(position, value)
        else:
            tracked.delete(position, value)
    new = tracked.text
    # A deletion may join a combining mark to another letter; the stored text is NFC.
    assume(normalise_text(new) == new)

    placements = reanchor(old, new, [anchor_for(old, s, e) for s, e in spans])

    for (start, end), placement in zip(spans, placements, strict=True):
        quote = old[start:end]
        if placement.state is AnchorState.EXACT:
            assert new[placement.start : placement.end] == quote
        elif placement.state is AnchorState.CHANGED:
            assert 0 <= placement.start < placement.end <= len(new)
            assert new[placement.start : placement.end] == placement.quote != quote
        else:
            assert (placement.start, placement.end, placement.quote) == (None, None, quote)
        at = _locate(tracked.ids, list(range(start, end)))
        if at is None:
            continue
        # The span's words all survived, side by side: it must be found on them when a
        # little of its surroundings survived too (or it is unique, or the whole text).
        available = min(start, 32) + min(len(old) - end, 32)
        context = _context_kept(list(range(len(old))), tracked.ids, start, end, at)
        if context >= min(4, available) or new.count(quote) == 1:
            assert placement.state is AnchorState.EXACT, (quote, placement)
        if placement.state is AnchorState.EXACT and new.count(quote) == 1:
            assert (placement.start, placement.end) == (at, at + end - start)
