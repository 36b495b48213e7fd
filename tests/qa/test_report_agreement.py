"""The board's agreement figures: the month, the year, the trend, small numbers protected."""

from __future__ import annotations

from qa.agreement import AgreementRow
from qa.framework import load_framework
from qa.report_agreement import agreement_summary
from qa.working_days import Month

SMALL = load_framework("tests/data/framework-small.yml")
MARCH = Month(2026, 3)
G, R = "good", "requires_improvement"


def rows(month: Month, pairs: list[tuple[str, str]]) -> list[AgreementRow]:
    return [
        AgreementRow(month, i, 1, "North", 1, pair, {"assessment": pair})
        for i, pair in enumerate(pairs)
    ]


def test_open_figures_are_shown_in_full_with_the_year_and_twelve_months_of_trend() -> None:
    """March: 3 Good/Good and 1 Good/RI: exact 3/4 = 75%, within one 100%; the auditor
    gave Good every time and the moderator Good or RI, so kappa = 0 (see test_agreement's
    paradox) and AC1 = (3/4 - pe) / (1 - pe), pe = (2 * 7/8 * 1/8) / 3 = 7/96:
    AC1 = (72/96 - 7/96) / (89/96) = 65/89 = 0.73. February: 1 Good/Good."""
    data = rows(MARCH, [(G, G)] * 3 + [(G, R)]) + rows(MARCH.shift(-1), [(G, G)])
    s = agreement_summary(SMALL, data, MARCH, threshold=5, open_=True)
    overall = s.lines[0]
    assert (overall.n.text, overall.exact, overall.within_one) == ("4", "75%", "100%")
    assert (overall.kappa, overall.ac1) == ("0.00", "0.73")
    assert [line.label for line in s.lines] == ["Overall grade", "Assessment", "Planning"]
    assert s.lines[2].n.text == "0" and s.lines[2].exact == "n/a"
    assert len(s.trend) == 12 and s.trend[-1].label == "March 2026"
    assert s.trend[-2].n.text == "1" and s.trend[-2].kappa == "n/a"
    assert s.year == "April 2025 to March 2026" and s.year_line.n.text == "5"
    assert any("Kappa n/a" in note for note in s.notes)  # the year's one-grade February


def test_protected_figures_hide_small_groups_and_their_reasons() -> None:
    data = rows(MARCH, [(G, G)] * 3)
    s = agreement_summary(SMALL, data, MARCH, threshold=5, open_=False)
    overall = s.lines[0]
    assert overall.n.text == "fewer than 5"
    assert (overall.exact, overall.within_one, overall.kappa, overall.ac1) == ("not shown",) * 4
    assert s.notes == ()  # "one and the same grade" would tell what the hidden grades were
    big = agreement_summary(SMALL, rows(MARCH, [(G, G)] * 5), MARCH, threshold=5, open_=False)
    assert big.lines[0].n.text == "5" and big.lines[0].exact == "100%"
