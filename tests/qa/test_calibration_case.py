"""The calibration case's pure rules: its dates, its questions, and counts that never
point at one grader (checked against counts worked out by hand)."""

from __future__ import annotations

from datetime import date

import pytest

from qa.calibration_case import (
    OVERALL,
    close_day,
    domains,
    month_to_set,
    questions,
    send_day,
    tally,
)
from qa.framework import (
    CalibrationPolicy,
    FrameworkError,
    parse_framework,
    preset,
    preset_names,
    resolve,
)
from qa.working_days import Month

LAMBETH = preset("lambeth")
POLICY = CalibrationPolicy(working_day=3, open_working_days=5, roles=["team_manager"])
REMINDERS = LAMBETH.reminders


@pytest.mark.parametrize("name", preset_names())
def test_no_preset_sends_a_calibration_case_unless_its_framework_says_so(name: str) -> None:
    assert preset(name).calibration is None


def test_the_roles_that_grade_must_be_the_frameworks_roles() -> None:
    path = resolve("lambeth")
    text = path.read_text(encoding="utf-8")
    good = parse_framework(text + "\ncalibration:\n  roles: [team_manager]\n", filename="x.yml")
    assert good.calibration == CalibrationPolicy(roles=["team_manager"])
    with pytest.raises(FrameworkError) as caught:
        parse_framework(text + "\ncalibration:\n  roles: [team_manger]\n", filename="x.yml")
    assert "team_manager" in str(caught.value)  # the nearest known role is suggested


def test_the_send_day_is_the_nth_working_day_and_grading_closes_working_days_later() -> None:
    # December 2026: Tuesday 1st, Wednesday 2nd, Thursday 3rd.
    assert send_day(POLICY, REMINDERS, Month(2026, 12)) == date(2026, 12, 3)
    assert close_day(POLICY, REMINDERS, date(2026, 12, 3)) == date(2026, 12, 10)
    # Across Christmas, from Thursday 24 December: Christmas Day, the weekend, the Boxing
    # Day holiday (Monday 28th) and New Year's Day are skipped; 29, 30, 31 December,
    # Monday 4 and Tuesday 5 January are the five working days.
    assert close_day(POLICY, REMINDERS, date(2026, 12, 24)) == date(2027, 1, 5)
    # January 2027: Friday 1st is New Year's Day; Monday 4th, Tuesday 5th, Wednesday 6th.
    assert send_day(POLICY, REMINDERS, Month(2027, 1)) == date(2027, 1, 6)


def test_a_case_set_after_the_send_day_or_once_sent_is_for_next_month() -> None:
    def target(day: date, sent: bool = False) -> Month:
        return month_to_set(POLICY, REMINDERS, day, sent_this_month=sent)

    assert target(date(2026, 12, 1)) == Month(2026, 12)
    assert target(date(2026, 12, 3)) == Month(2026, 12)
    assert target(date(2026, 12, 3), sent=True) == Month(2027, 1)
    assert target(date(2026, 12, 4)) == Month(2027, 1)


def test_a_vignette_is_graded_on_the_domains_of_every_areas_form_and_overall() -> None:
    keys = [k for k, _ in questions(LAMBETH)]
    # Lambeth's "referrals and decision making" belongs to early help only.
    assert "referrals_decision_making" not in keys
    assert keys[-1] == OVERALL and keys[:-1] == [d.key for d in domains(LAMBETH)]
    assert len(keys) == 7


def _answers(grades: list[str]) -> list[dict[str, str]]:
    return [dict.fromkeys((k for k, _ in questions(LAMBETH)), g) for g in grades]


def test_counts_per_grade_beside_the_reference_with_the_share_that_matched() -> None:
    reference = dict.fromkeys((k for k, _ in questions(LAMBETH)), "good")
    grades = ["good"] * 6 + ["requires_improvement"] * 2 + ["inadequate"] * 2
    result = tally(LAMBETH, reference, _answers(grades))
    assert result.answered == 10
    row = result.domains[0]
    assert (row.key, row.reference, row.answered.text) == ("assessment", "Good", "10")
    assert [(g.label, g.count.text, g.reference) for g in row.grades] == [
        ("Outstanding", "0", False),
        ("Good", "6", True),
        ("Requires Improvement", "fewer than 5", False),
        ("Inadequate", "fewer than 5", False),
    ]
    assert row.matching.text == "60%"


def test_one_grader_out_of_line_cannot_be_seen_nor_worked_out() -> None:
    """Five Good and one Inadequate: "1 Inadequate" is hidden, and so is the Good count
    (6 answered - 5 Good would give it away), and the share that matched."""
    reference = dict.fromkeys((k for k, _ in questions(LAMBETH)), "good")
    result = tally(LAMBETH, reference, _answers(["good"] * 5 + ["inadequate"]))
    for row in result.domains:
        shown = {g.label: g.count.text for g in row.grades}
        assert shown == {
            "Outstanding": "0",
            "Good": "not shown",
            "Requires Improvement": "0",
            "Inadequate": "fewer than 5",
        }
        assert row.matching.text == "not shown"


def test_a_reference_grade_nobody_gave_matches_none() -> None:
    reference = dict.fromkeys((k for k, _ in questions(LAMBETH)), "outstanding")
    result = tally(LAMBETH, reference, _answers(["good"] * 7))
    assert result.domains[0].matching.text == "0%"
    assert tally(LAMBETH, reference, []).domains[0].matching.text == "n/a"
