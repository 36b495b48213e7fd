"""Agreement statistics against values worked out by hand, and their properties."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa.agreement import (
    KAPPA_ONE_GRADE,
    NO_PAIRS,
    ONE_GRADE_SCALE,
    AgreementRow,
    agreement,
    agreement_figures,
    agreement_trend,
)
from qa.working_days import Month

FOUR = ("outstanding", "good", "requires_improvement", "inadequate")
THREE = ("a", "b", "c")


def test_small_three_grade_example() -> None:
    """Pairs (a,a) (b,b) (c,c) (a,b) on the scale a, b, c (k = q = 3), n = 4.

    Exact: 3 of 4 = 0.75. Within one: all four are at most one step apart = 1.
    Quadratic weights w = 1 - d^2/4: d=0 -> 1, d=1 -> 3/4, d=2 -> 0.
    po = (1 + 1 + 1 + 3/4) / 4 = 15/16.
    Auditor's shares a 1/2, b 1/4, c 1/4; moderator's a 1/4, b 1/2, c 1/4.
    pe = 1/2 (1/4 + 1/2*3/4) + 1/4 (1/4*3/4 + 1/2 + 1/4*3/4) + 1/4 (1/2*3/4 + 1/4)
       = 5/16 + 7/32 + 5/32 = 11/16.
    kappa = (15/16 - 11/16) / (1 - 11/16) = (4/16) / (5/16) = 4/5.
    AC1: pa = 3/4; mean shares pi = a 3/8, b 3/8, c 1/4;
    sum pi (1 - pi) = 15/64 + 15/64 + 12/64 = 42/64; pe = (42/64) / (q - 1) = 21/64;
    AC1 = (48/64 - 21/64) / (43/64) = 27/43.
    """
    result = agreement([("a", "a"), ("b", "b"), ("c", "c"), ("a", "b")], THREE)
    assert result.n == 4
    assert result.exact.value == 0.75 and result.exact.n == 4
    assert result.within_one.value == 1.0 and result.within_one.n == 4
    assert result.kappa.value == pytest.approx(0.8, abs=1e-12) and result.kappa.n == 4
    assert result.ac1.value == pytest.approx(float(Fraction(27, 43)), abs=1e-12)
    assert (result.exact_count, result.within_one_count) == (3, 4)


def test_kappa_paradox_high_agreement_kappa_collapses_ac1_stays_high() -> None:
    """19 pairs Good/Good and one Good/RI on the four-grade scale (k = q = 4), n = 20.

    Exact: 19/20 = 0.95. Within one: 20/20 (Good and RI are neighbours).
    Weights w = 1 - d^2/9, so Good/RI (d = 1) weighs 8/9.
    po = (19 + 8/9) / 20 = 179/180.
    The auditor gave Good every time (share 1); the moderator Good 19/20, RI 1/20.
    pe = 1 * (19/20 * 1 + 1/20 * 8/9) = 171/180 + 8/180 = 179/180 = po,
    so kappa = (po - pe) / (1 - pe) = 0: "no better than chance" at 95% agreement.
    AC1: pa = 19/20; mean shares Good (1 + 19/20)/2 = 39/40, RI 1/40;
    sum pi (1 - pi) = 2 * 39/1600 = 39/800; pe = (39/800) / 3 = 13/800;
    AC1 = (760/800 - 13/800) / (787/800) = 747/787 = 0.949...
    """
    pairs = [("good", "good")] * 19 + [("good", "requires_improvement")]
    result = agreement(pairs, FOUR)
    assert result.exact.value == 0.95
    assert result.within_one.value == 1.0
    assert result.kappa.value == pytest.approx(0.0, abs=1e-12)
    assert result.ac1.value == pytest.approx(747 / 787, abs=1e-12)
    assert result.ac1.value is not None and result.ac1.value > 0.9


def test_far_disagreement_counts_against_within_one_and_kappa() -> None:
    """(outstanding, inadequate) and (inadequate, outstanding), n = 2, scale of four.

    Exact 0, within one 0. Weights at d = 3: 1 - 9/9 = 0, so po = 0.
    Both raters' shares: outstanding 1/2, inadequate 1/2.
    pe = 1/4 * (1 + 0 + 0 + 1) = 1/2; kappa = (0 - 1/2) / (1/2) = -1.
    AC1: pa = 0; pi = 1/2, 1/2, 0, 0; sum pi(1 - pi) = 1/2; pe = 1/6;
    AC1 = (0 - 1/6) / (5/6) = -1/5.
    """
    result = agreement([("outstanding", "inadequate"), ("inadequate", "outstanding")], FOUR)
    assert (result.exact.value, result.within_one.value) == (0.0, 0.0)
    assert result.kappa.value == pytest.approx(-1.0)
    assert result.ac1.value == pytest.approx(-0.2)


def test_no_pairs_is_a_reason_not_a_crash() -> None:
    result = agreement([], FOUR)
    assert result.n == 0
    for stat in (result.exact, result.within_one, result.kappa, result.ac1):
        assert stat.value is None and stat.reason == NO_PAIRS and stat.n == 0


def test_one_grade_only_kappa_has_no_denominator_but_ac1_does() -> None:
    """Every pair Good/Good: pe = 1 for kappa (0/0), while AC1's pe = (1/2 * 0 ...)
    = 0 here, so AC1 = (1 - 0) / 1 = 1."""
    result = agreement([("good", "good")] * 6, FOUR)
    assert result.exact.value == 1.0
    assert result.kappa.value is None and result.kappa.reason == KAPPA_ONE_GRADE
    assert result.ac1.value == 1.0


def test_a_scale_of_one_grade_has_no_chance_corrected_figures() -> None:
    result = agreement([("met", "met")], ("met",))
    assert result.exact.value == 1.0
    assert result.kappa.reason == ONE_GRADE_SCALE and result.ac1.reason == ONE_GRADE_SCALE


def test_a_grade_off_the_scale_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError, match="'excellent' is not on the framework's grade scale"):
        agreement([("good", "excellent")], FOUR)


# -- properties -------------------------------------------------------------------------

grades = st.sampled_from(FOUR)
pair_lists = st.lists(st.tuples(grades, grades), min_size=1, max_size=60)


@given(st.lists(grades, min_size=1, max_size=60))
def test_perfect_agreement_is_one_for_every_figure(given_grades: list[str]) -> None:
    result = agreement([(g, g) for g in given_grades], FOUR)
    assert result.exact.value == 1.0 and result.within_one.value == 1.0
    assert result.ac1.value == pytest.approx(1.0)
    if len(set(given_grades)) > 1:
        assert result.kappa.value == pytest.approx(1.0)
    else:  # one grade only: kappa says why instead
        assert result.kappa.reason == KAPPA_ONE_GRADE


@given(pair_lists)
def test_kappa_and_ac1_are_symmetric_in_the_two_raters(pairs: list[tuple[str, str]]) -> None:
    one = agreement(pairs, FOUR)
    other = agreement([(b, a) for a, b in pairs], FOUR)
    assert one.kappa.reason == other.kappa.reason
    if one.kappa.value is not None:
        assert one.kappa.value == pytest.approx(other.kappa.value)
    assert one.ac1.value == pytest.approx(other.ac1.value)


@given(pair_lists)
def test_bounds(pairs: list[tuple[str, str]]) -> None:
    result = agreement(pairs, FOUR)
    assert result.exact.value is not None and result.within_one.value is not None
    assert 0 <= result.exact.value <= result.within_one.value <= 1
    for stat in (result.kappa, result.ac1):
        assert stat.n == len(pairs)
        assert stat.value is None or -1 - 1e-12 <= stat.value <= 1 + 1e-12


# -- grouping ---------------------------------------------------------------------------

MARCH, APRIL = Month(2026, 3), Month(2026, 4)


def _row(
    month: Month, auditor: int, service: str, overall: tuple[str, str] | None, **d: tuple[str, str]
) -> AgreementRow:
    return AgreementRow(month, auditor, 1, service, 1, overall, d)


def test_figures_group_by_domain_service_and_auditor_and_skip_returned_overall() -> None:
    rows = [
        _row(MARCH, 7, "North", ("good", "good"), safety=("good", "good")),
        _row(MARCH, 7, "North", ("good", "requires_improvement"), safety=("good", "inadequate")),
        _row(MARCH, 8, "South", None, safety=("good", "good")),  # returned: domains only
        _row(APRIL, 8, "South", ("inadequate", "inadequate")),
    ]
    march = agreement_figures(rows, FOUR, ("safety", "voice"), months={MARCH})
    assert march.overall.n == 2 and march.overall.exact.value == 0.5
    assert list(march.by_domain) == ["safety", "voice"]
    assert march.by_domain["safety"].n == 3
    assert march.by_domain["safety"].within_one_count == 2
    assert march.by_domain["voice"].n == 0
    assert list(march.by_service) == ["North"] and list(march.by_auditor) == [7]
    everything = agreement_figures(rows, FOUR, ("safety",))
    assert everything.overall.n == 3 and everything.by_auditor[8].n == 1
    trend = agreement_trend(rows, FOUR, last=APRIL, count=3)
    assert [(m, a.n) for m, a in trend] == [(Month(2026, 2), 0), (MARCH, 2), (APRIL, 1)]
