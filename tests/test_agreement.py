"""Agreement measures against published worked examples and small hand-computed cases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotations.agreement import (
    Unit,
    alpha_u,
    cohen_kappa,
    concatenate,
    disputes,
    intervals,
    pair_figures,
    reading,
    span_match,
    tag_reports,
)
from annotations.feedback import compare_to_reference


def units(annotator, tag, pairs, stretch=1):
    """Build units from (begin, length) pairs, as the published examples give them."""
    return [Unit(annotator, tag, b * stretch, (b + n) * stretch) for b, n in pairs]


# Krippendorff (1995), "On the reliability of unitizing continuous data", Sociological
# Methodology 25, p. 57: four pairs of observers unitize a continuum of 24 positions.
# Values as published there (alpha-u, and the digitised kappa of example A); DKPro
# Statistics' Krippendorff1995Test reproduces them with the same tolerances, and notes
# that the published De of example C carries a small error, hence 0.02 on alpha.
KRIPPENDORFF_1995 = {
    "A": ([(2, 8), (14, 6)], [(4, 4), (15, 2)], 0.03125, 0.553),
    "B": ([(0, 18)], [(0, 2), (2, 1), (3, 1), (4, 1), (5, 1), (6, 3), (9, 1)], 2.26736, -0.926),
    "C": (
        [(2, 6), (10, 2), (14, 4), (20, 2)],
        [(0, 2), (4, 4), (10, 4), (16, 2), (20, 2)],
        0.02777,
        0.679,
    ),
    "D": (
        [(0, 2), (2, 8), (10, 4), (14, 6), (20, 4)],
        [(0, 4), (4, 4), (8, 7), (15, 2), (17, 7)],
        0.38715,
        0.066,
    ),
}


@pytest.mark.parametrize("example", sorted(KRIPPENDORFF_1995))
def test_alpha_u_matches_krippendorff_1995_examples(example):
    first, second, observed, published_alpha = KRIPPENDORFF_1995[example]
    # The paper treats the 24 positions as a continuum; stretching it by a large
    # factor approaches that limit (observed disagreement does not depend on it).
    stretch = 50_000
    result = alpha_u(
        [units("i", "x", first, stretch), units("j", "x", second, stretch)], 24 * stretch
    )
    assert result.observed == pytest.approx(observed, abs=1e-5)
    assert result.alpha == pytest.approx(published_alpha, abs=0.02)


def test_alpha_u_expected_disagreement_on_the_discrete_half_scale_example_c():
    # DKPro Statistics, Krippendorff1995Test.testVaryingLengths: example C at scale 12/24
    # (integer positions halved) has De = 0.05494 and alpha 0.494.
    first = [(1, 3), (5, 1), (7, 2), (10, 1)]
    second = [(0, 1), (2, 2), (5, 2), (8, 1), (10, 1)]
    result = alpha_u([units("i", "x", first), units("j", "x", second)], 12)
    assert result.expected == pytest.approx(0.05494, abs=1e-5)
    assert result.alpha == pytest.approx(0.494, abs=0.001)


def test_alpha_u_matches_krippendorff_2004_worked_example():
    # Krippendorff (2004), Content Analysis, 2nd ed., p. 254: a continuum from 150 to
    # 450, two observers, categories c and k. Published: c: Do = .0144, De = .0532,
    # alpha = .7286; k: identical units, alpha = 1. Shifted here to start at 0.
    c_i = units("i", "c", [(75, 70), (220, 30)])
    c_j = units("j", "c", [(70, 80), (205, 20), (250, 20)])
    result = alpha_u([c_i, c_j], 300)
    assert result.observed == pytest.approx(0.0144, abs=1e-4)
    assert result.expected == pytest.approx(0.0532, abs=1e-4)
    assert result.alpha == pytest.approx(0.7286, abs=1e-4)

    k_i = units("i", "k", [(30, 60), (150, 50)])
    k_j = units("j", "k", [(30, 60), (150, 50)])
    k = alpha_u([k_i, k_j], 300)
    assert k.expected == pytest.approx(0.0490, abs=1e-4)
    assert k.alpha == 1.0


def test_alpha_u_is_undefined_when_nobody_marked_anything():
    assert alpha_u([[], []], 100).alpha is None


def test_alpha_u_counts_an_observer_who_marked_nothing_as_disagreeing():
    result = alpha_u([units("i", "x", [(10, 5)]), []], 50)
    assert result.alpha is not None
    assert result.alpha < 0


def test_alpha_u_hand_computed_single_unit_in_a_gap():
    # Text of 10; i marks [2, 4), j marks nothing.
    # Do: i's unit lies in j's gap -> 2^2 = 4, counted for both orders: 2*4 / (2*1*100) = 0.04.
    # De: units: one of length 2 (N=1). Gaps: i has 2 and 6, j has 10.
    # Placements in gaps >= 2: (2-2+1) + (6-2+1) + (10-2+1) = 15, times 2^2 = 60.
    # Denominator: mL(mL-1) - l(l-1) = 20*19 - 2 = 378. De = (2/10) * 60 / 378.
    result = alpha_u([units("i", "x", [(2, 2)]), []], 10)
    assert result.observed == pytest.approx(0.04)
    assert result.expected == pytest.approx(0.2 * 60 / 378)
    assert result.alpha == pytest.approx(1 - 0.04 / (0.2 * 60 / 378))


def test_cohen_kappa_matches_krippendorff_1995_digitised_example_a():
    # Krippendorff (1995) p. 57 digitises example A position by position and reports
    # kappa = .385 (Scott's pi .314); DKPro Krippendorff1995Test.testDigitizedAgreement.
    first, second, *_ = KRIPPENDORFF_1995["A"]
    kappa = cohen_kappa(units("i", "x", first), units("j", "x", second), 24)
    assert kappa == pytest.approx(0.385, abs=0.001)


def test_cohen_kappa_hand_computed():
    # 10 characters: a marks 0-4, b marks 2-6. Both in: 2, both out: 4 -> po = 0.6.
    # pa = pb = 0.4 -> pe = 0.16 + 0.36 = 0.52. kappa = 0.08 / 0.48 = 1/6.
    kappa = cohen_kappa([Unit("a", "x", 0, 4)], [Unit("b", "x", 2, 6)], 10)
    assert kappa == pytest.approx(1 / 6)


def test_cohen_kappa_undefined_when_both_mark_nothing():
    assert cohen_kappa([], [], 10) is None


def test_cohen_kappa_merges_overlapping_units_of_one_annotator():
    assert cohen_kappa(
        [Unit("a", "x", 0, 4), Unit("a", "x", 2, 6)], [Unit("b", "x", 0, 6)], 10
    ) == pytest.approx(1.0)


def test_intervals_merge_overlaps_but_keep_touching_units_apart():
    got = intervals(
        [Unit("a", "x", 5, 8), Unit("a", "x", 0, 3), Unit("a", "x", 3, 4), Unit("a", "x", 6, 10)]
    )
    assert got == [(0, 3), (3, 4), (5, 10)]


def test_span_match_exact_and_overlap_hand_computed():
    a = [Unit("a", "claim", 0, 10), Unit("a", "claim", 20, 30), Unit("a", "claim", 40, 50)]
    b = [
        Unit("b", "claim", 0, 10),
        Unit("b", "claim", 22, 30),
        Unit("b", "claim", 60, 70),
        Unit("b", "x", 40, 50),
    ]
    exact = span_match(a, b)
    assert (exact.precision, exact.recall) == (0.25, 1 / 3)
    assert exact.f1 == pytest.approx(2 * 0.25 * (1 / 3) / (0.25 + 1 / 3))
    overlap = span_match(a, b, overlap=True)
    # b's 0-10 and 22-30 overlap a claim; 60-70 does not, 40-50 has another tag.
    assert (overlap.precision, overlap.recall) == (0.5, 2 / 3)


def test_span_match_of_two_empty_layers_is_undefined():
    assert span_match([], []).f1 is None


def test_tag_reports_give_pairwise_matrix_and_all_annotator_figures():
    same = [Unit(name, "claim", 0, 10) for name in ("a", "b")]
    odd = [Unit("c", "claim", 50, 60)]
    report = tag_reports(same + odd, 100, ["a", "b", "c"], ["claim"])[0]
    matrix = report.matrix(["a", "b", "c"], "f1_exact")
    assert matrix == [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    assert report.f1_exact == pytest.approx(1 / 3)
    assert report.span_count == 3
    assert report.alpha_u is not None
    assert report.alpha_u < 0.5


def test_reading_says_boundaries_when_passages_agree_but_edges_do_not():
    a = [Unit("a", "claim", s, s + 10) for s in (0, 100, 200)]
    b = [Unit("b", "claim", s + 2, s + 10) for s in (0, 100, 200)]
    report = tag_reports(a + b, 1000, ["a", "b"], ["claim"])[0]
    assert "where they begin and end" in reading(report, "Claim")


def test_reading_for_unmarked_tag():
    report = tag_reports([], 100, ["a", "b"], ["claim"])[0]
    assert reading(report, "Claim") == "Nobody marked a claim yet."


def test_disputes_rank_passages_by_disagreeing_pairs():
    annotators = ["a", "b", "c", "d"]
    all_units = [Unit(n, "claim", 0, 10) for n in annotators]  # full agreement: no dispute
    all_units += [Unit("a", "claim", 20, 40), Unit("b", "claim", 20, 40)]  # 2 of 4: 4 pairs x 20
    all_units += [Unit("c", "claim", 60, 65)]  # 1 of 4: 3 pairs x 5
    found = disputes(all_units, annotators, ["claim"])
    assert [(d.start, d.end, d.marked_by) for d in found] == [(20, 40, 2), (60, 65, 1)]
    assert found[0].score == pytest.approx(4 * 20 / 6)
    assert found[1].score == pytest.approx(3 * 5 / 6)


def test_compare_to_reference_sorts_found_boundary_missed_extra():
    reference = [
        Unit("ref", "claim", 0, 10),
        Unit("ref", "claim", 20, 30),
        Unit("ref", "claim", 40, 50),
    ]
    mine = [Unit("me", "claim", 0, 10), Unit("me", "claim", 22, 30), Unit("me", "claim", 70, 80)]
    feedback = compare_to_reference(mine, reference)["claim"]
    assert [(u.start, r.start) for u, r in feedback.found] == [(0, 0)]
    assert [(u.start, r.start) for u, r in feedback.boundary] == [(22, 20)]
    assert [(u.start, u.end) for u in feedback.missed] == [(40, 50)]
    assert [(u.start, u.end) for u in feedback.extra] == [(70, 80)]
    assert feedback.precision == pytest.approx(2 / 3)
    assert feedback.recall == pytest.approx(2 / 3)


def test_compare_to_reference_does_not_count_a_reference_span_twice():
    reference = [Unit("ref", "claim", 0, 10)]
    mine = [Unit("me", "claim", 0, 10), Unit("me", "claim", 2, 8)]
    feedback = compare_to_reference(mine, reference)["claim"]
    assert feedback.recall == 1.0
    assert feedback.precision == 1.0


def test_concatenate_shifts_units_of_later_documents():
    joined, length = concatenate([(10, [Unit("a", "x", 0, 5)]), (20, [Unit("a", "x", 1, 2)])])
    assert length == 30
    assert [(u.start, u.end) for u in joined] == [(0, 5), (11, 12)]


unit_lists = st.lists(
    st.tuples(st.integers(0, 58), st.integers(1, 12)).map(lambda p: (p[0], min(60, p[0] + p[1]))),
    max_size=8,
)


@given(a=unit_lists, b=unit_lists)
def test_pair_figures_agree_with_the_plain_functions(a, b):
    # tag_reports prepares each annotator once; the figures must not depend on it.
    ua = [Unit("a", "x", s, e) for s, e in a]
    ub = [Unit("b", "x", s, e) for s, e in b]
    figures = pair_figures(ua, ub, 60)
    assert figures.f1_exact == span_match(ua, ub).f1
    assert figures.f1_overlap == span_match(ua, ub, overlap=True).f1
    assert figures.kappa == cohen_kappa(ua, ub, 60)
    assert figures.alpha_u == alpha_u([ua, ub], 60).alpha


@given(layers=st.lists(unit_lists, min_size=2, max_size=5))
def test_report_alpha_u_from_the_pairs_equals_alpha_u_over_everyone(layers):
    # tag_reports sums the pairs' disagreements it computed for the matrix into everyone's
    # alpha-u; without pairs it computes them afresh, and alpha_u from plain units.
    units = [Unit(n, "x", s, e) for n, layer in enumerate(layers) for s, e in layer]
    annotators = list(range(len(layers)))
    [with_pairs] = tag_reports(units, 60, annotators, ["x"])
    [without] = tag_reports(units, 60, annotators, ["x"], pairwise=False)
    plain = alpha_u([[u for u in units if u.annotator == n] for n in annotators], 60).alpha
    if plain is None:
        assert with_pairs.alpha_u is None
        assert without.alpha_u is None
    else:
        assert with_pairs.alpha_u == pytest.approx(plain)
        assert without.alpha_u == pytest.approx(plain)
