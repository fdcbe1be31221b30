"""Cut a long text into pieces spaCy can take, at paragraph breaks where possible (pure).

spaCy refuses a text over ``nlp.max_length`` (1,000,000 characters, error
E088), and a trained pipeline's parser needs about a gigabyte per 100,000
characters. Suggestions never cross a line break (every line starts a
sentence), so cutting after a blank line, else after a line break, changes
none of them.
"""

from __future__ import annotations

#: Longest piece given to the pipeline at once (characters).
PIECE_CHARS = 100_000
#: Where a piece may end, best first: after a paragraph, a line, a sentence, a word.
_BREAKS = ("\n\n", "\n", ". ", " ")


def paragraph_pieces(text: str, limit: int = PIECE_CHARS) -> list[tuple[int, str]]:
    """Return (offset, piece) pairs that join back into text, each at most limit characters."""
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[tuple[int, str]] = []
    start = 0
    while len(text) - start > limit:
        end = _cut(text, start, start + limit)
        pieces.append((start, text[start:end]))
        start = end
    if start < len(text) or not pieces:
        pieces.append((start, text[start:]))
    return pieces


def _cut(text: str, start: int, end: int) -> int:
    """Return the best place to end a piece that starts at start and may not pass end."""
    for separator in _BREAKS:
        found = text.rfind(separator, start, end)
        if found > start:
            return min(found + len(separator), end)
    return end  # one word longer than a piece: nothing better to do than cut it
