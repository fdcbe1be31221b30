from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.offsets import normalise_text
from annotations.rendering import (
    SpanMark,
    document_html,
    paragraph_bounds,
    paragraphs_html,
    split_runs,
    tag_css,
)

TRICKY = [
    "🤖",
    "👩‍👩‍👧",
    "e\u0301",
    "\r\n",
    "\n\n",
    "\n",
    " ",
    "<script>",
    "&amp;",
    '"',
    "'",
    "é",
    "word",
]
texts = st.lists(st.sampled_from(TRICKY) | st.text(max_size=4), min_size=1, max_size=40).map(
    lambda parts: normalise_text("".join(parts))
)


@st.composite
def text_and_spans(draw):
    text = draw(texts)
    spans = []
    if len(text) >= 1:
        for span_id in range(draw(st.integers(min_value=0, max_value=12))):
            start = draw(st.integers(min_value=0, max_value=len(text) - 1))
            end = draw(st.integers(min_value=start + 1, max_value=len(text)))
            spans.append(SpanMark(span_id + 1, start, end, draw(st.integers(1, 3))))
    return text, spans


def _drawn_text(text: str, paragraphs) -> str:
    """Text as the page holds it: paragraphs' runs, with the gaps between paragraphs."""
    out = []
    for paragraph in paragraphs:
        out.append(text[paragraph.gap_start : paragraph.start])
        out.extend(text[run.start : run.end] for run in paragraph.runs)
    return "".join(out)


@settings(max_examples=300)
@given(text_and_spans())
def test_runs_cover_the_text_in_order_without_gaps(case):
    text, spans = case
    paragraphs = split_runs(text, spans)
    drawn = _drawn_text(text, paragraphs)
    # Everything up to the last paragraph's end is drawn, in order; only trailing blank space is not.
    last_end = paragraphs[-1].end if paragraphs else 0
    assert drawn == text[:last_end]
    assert not text[last_end:].strip()
    for paragraph in paragraphs:
        position = paragraph.start
        for run in paragraph.runs:
            assert run.start == position
            assert run.end > run.start
            position = run.end
        assert position == paragraph.end


@settings(max_examples=300)
@given(text_and_spans())
def test_every_character_of_a_span_is_inside_its_highlight(case):
    text, spans = case
    paragraphs = split_runs(text, spans)
    covered = {span.id: set() for span in spans}
    for paragraph in paragraphs:
        for run in paragraph.runs:
            for span_id in run.span_ids:
                covered[span_id].update(range(run.start, run.end))
            # A run is highlighted by exactly the spans that cover it.
            expected = {s.id for s in spans if s.start <= run.start and run.end <= s.end}
            assert set(run.span_ids) == expected
    drawn = {i for p in paragraphs for r in p.runs for i in range(r.start, r.end)}
    for span in spans:
        assert covered[span.id] == set(range(span.start, span.end)) & drawn


@settings(max_examples=200)
@given(text_and_spans())
def test_html_holds_exactly_the_escaped_text(case):
    text, spans = case
    paragraphs = split_runs(text, spans)
    page = document_html(text, paragraphs, {s.id: s.tag_id for s in spans})
    bodies = re.findall(r'<p class="para"[^>]*>(.*?)</p>', page, re.S)
    escaped = "".join(re.sub(r"<mark[^>]*>([^<]*)</mark>", r"\1", body) for body in bodies)
    assert "<" not in escaped
    assert ">" not in escaped
    assert html.unescape(escaped) == "".join(
        text[r.start : r.end] for p in paragraphs for r in p.runs
    )
    assert "<script>" not in page


def test_nested_spans_are_layered_outermost_first():
    text = "The film Her (2013) is about a voice."
    claim = SpanMark(1, 0, 37, tag_id=1)
    film = SpanMark(2, 9, 19, tag_id=3)
    [paragraph] = split_runs(text, [film, claim])
    assert [(r.start, r.end, r.span_ids) for r in paragraph.runs] == [
        (0, 9, (1,)),
        (9, 19, (1, 2)),
        (19, 37, (1,)),
    ]
    page = document_html(text, [paragraph], {1: 1, 2: 3})
    # One underline layer per span, outermost first: claim (tag 1), then the film (tag 3).
    assert '<mark class="a1 b3">Her (2013)</mark>' in page
    assert "<mark class=a1>The film </mark>" in page
    # The paragraph lists where each span begins and how long it is, from its own start.
    assert 'data-spans="1 0 37 2 9 10"' in page
    assert 'id="span-' not in page
    linked = document_html(text, [paragraph], {1: 1, 2: 3}, target=2)
    assert '<mark class="a1 b3" id="span-2">Her (2013)</mark>' in linked
    assert linked.count('id="span-') == 1


def test_deep_nesting_draws_the_outermost_three_layers_and_the_innermost():
    text = "abcdefghij"
    spans = [SpanMark(n, n - 1, 10 - (n - 1), tag_id=n) for n in range(1, 6)]
    [paragraph] = split_runs(text, spans)
    page = document_html(text, [paragraph], {s.id: s.tag_id for s in spans})
    assert '<mark class="a1 b2 c3 d5">ef</mark>' in page


def test_overlapping_spans_split_into_three_runs():
    text = "abcdefghij"
    [paragraph] = split_runs(text, [SpanMark(1, 0, 6, 1), SpanMark(2, 4, 10, 2)])
    assert [r.span_ids for r in paragraph.runs] == [(1,), (1, 2), (2,)]


def test_paragraphs_are_separated_by_blank_lines_and_keep_single_newlines():
    text = "First line\nsame paragraph\n\n  \nSecond paragraph\n\n\nThird"
    bounds = paragraph_bounds(text)
    assert [text[s:e] for _, s, e in bounds] == [
        "First line\nsame paragraph",
        "Second paragraph",
        "Third",
    ]
    assert [text[g:s] for g, s, _ in bounds] == ["", "\n\n  \n", "\n\n\n"]


def test_a_span_across_paragraphs_is_highlighted_in_both():
    text = "One two.\n\nThree four."
    paragraphs = split_runs(text, [SpanMark(7, 4, 15, 1)])
    assert [r.span_ids for p in paragraphs for r in p.runs] == [(), (7,), (7,), ()]


def test_partial_render_writes_only_touched_paragraphs_and_lists_spans_where_they_begin():
    text = "Alpha beta.\n\nGamma delta.\n\nEpsilon."
    spans = [SpanMark(1, 6, 20, 1), SpanMark(2, 27, 34, 2)]
    fragment = paragraphs_html(text, spans, {1: 1, 2: 2}, 13, 18)
    assert 'id="para-1"' in fragment
    assert 'id="para-0"' not in fragment
    assert 'id="para-2"' not in fragment
    assert 'hx-swap-oob="true"' in fragment
    # Span 1 begins in paragraph 0, so paragraph 0 lists it, not the fragment.
    assert "data-spans" not in fragment
    assert "<mark class=a1>Gamma d</mark>elta." in fragment


def test_markup_in_the_text_is_escaped():
    text = '<script>alert(1)</script> <img src=x onerror=alert(1)> & "quotes"'
    page = document_html(text, split_runs(text, [SpanMark(1, 0, 8, 1)]), {1: 1})
    assert "<script>" not in page
    assert "<img" not in page
    assert "&lt;script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_tag_css_lets_the_innermost_layer_set_the_background():
    css = tag_css([(1, "#111111"), (2, "#222222")]).splitlines()
    # Same specificity, so the later rule wins: every b rule comes after every a rule.
    assert css.index("mark.b1{--u1:#111111;--b:#11111133}") > css.index(
        "mark.a2{--u0:#222222;--b:#22222233}"
    )


def test_tag_css_refuses_anything_but_hex_colours():
    css = tag_css([(1, "#e4a11b"), (2, "red;} body{display:none")])
    assert "mark.a1{--u0:#e4a11b;--b:#e4a11b33}" in css
    assert "mark.d2{--u3:#888888;--b:#88888833}" in css
    assert "display:none" not in css


def test_a_changed_span_flags_only_its_first_highlight():
    text = "Alpha beta gamma.\n\nDelta epsilon."
    # Span 2 (changed) starts inside span 1 and runs into the next paragraph.
    spans = [SpanMark(1, 0, 10, 1), SpanMark(2, 6, 25, 2, changed=True), SpanMark(3, 19, 24, 1)]
    html_text = document_html(text, split_runs(text, spans), {1: 1, 2: 2, 3: 1})
    assert html_text.count("chg") == 1
    assert '<mark class="a2 b1 chg">beta</mark>' in html_text
    # Re-drawing the second paragraph alone does not flag it again: the span began earlier.
    assert "chg" not in paragraphs_html(text, spans, {1: 1, 2: 2, 3: 1}, 20, 21)
    unflagged = [SpanMark(1, 0, 10, 1), SpanMark(2, 6, 25, 2), SpanMark(3, 19, 24, 1)]
    assert "chg" not in document_html(text, split_runs(text, unflagged), {1: 1, 2: 2, 3: 1})


def test_a_changed_span_that_begins_in_the_blank_lines_flags_its_first_run():
    text = "One.\n\nTwo three."
    paragraphs = split_runs(text, [SpanMark(5, 4, 9, 1, changed=True)])
    assert '<mark class="a1 chg">Two</mark>' in document_html(text, paragraphs, {5: 1})
