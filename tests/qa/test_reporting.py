"""The monthly governance summary's figures, checked against answers worked out by hand.

The dataset and its hand-worked grades are in tests/qa/report_dataset.py. Threshold 1
shows every number (for the arithmetic); the default threshold 5 checks suppression.
Percentages are whole numbers, halves rounded up.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.framework import Framework, load_framework
from qa.report_counts import Change, Count, Share, change, percent, withhold
from qa.reporting import (
    AllocationRow,
    AuditRow,
    EscalationRow,
    GradeRow,
    GradeTable,
    RecommendationRow,
    Summary,
    summary,
)
from qa.working_days import Month
from tests.qa import report_dataset as data

MARCH = data.MARCH


@pytest.fixture(scope="module")
def small() -> Framework:
    return load_framework("tests/data/framework-small.yml")


def by_team(fw: Framework) -> Framework:
    dumped = fw.model_dump()
    dumped["summary"]["group_by"] = ["service", "team", "domain"]
    return Framework.model_validate(dumped)


def everywhere(fw: Framework) -> Framework:
    """The framework with small numbers suppressed at every level, the authority's too:
    the strictest setting, under which the suppression rules are checked here."""
    dumped = fw.model_dump()
    dumped["summary"]["suppress_from"] = "authority"
    return Framework.model_validate(dumped)


def run(fw: Framework, *, threshold: int = 5, today: date = data.TODAY, **kw: Any) -> Summary:
    return summary(
        fw,
        kw.pop("month", MARCH),
        kw.pop("audits", data.audits()),
        kw.pop("allocations", data.allocations()),
        kw.pop("recommendations", data.recommendations()),
        kw.pop("escalations", data.escalations()),
        threshold=threshold,
        today=today,
        **kw,
    )


def table(s: Summary, scope: str) -> GradeTable:
    return next(t for t in s.how_well if t.scope == scope)


def row(t: GradeTable, label: str) -> GradeRow:
    return next(r for r in t.rows if r.label == label)


def shown(r: GradeRow) -> list[str]:
    """The row as displayed: each grade "count (percent)", then Good or better."""
    cells = [f"{c.count.text} ({c.share.text})" for c in r.cells]
    return [r.total.text, *cells, f"{r.good_or_better.count.text} ({r.good_or_better.text})"]


# -- the building blocks ---------------------------------------------------------------


def test_percentages_are_whole_numbers_with_halves_rounded_up() -> None:
    assert [percent(1, 8), percent(1, 3), percent(2, 3), percent(0, 5), percent(7, 7)] == [
        13,
        33,
        67,
        0,
        100,
    ]
    assert percent(1, 200) == 1 and percent(1, 201) == 0
    with pytest.raises(ValueError, match="base above zero"):
        percent(1, 0)


def test_small_counts_read_fewer_than_the_threshold_and_zero_is_zero() -> None:
    assert [Count(n).text for n in (0, 1, 4, 5, 1234)] == [
        "0",
        "fewer than 5",
        "fewer than 5",
        "5",
        "1,234",
    ]
    assert Count(7, threshold=10).text == "fewer than 10"
    assert Count(40, withheld=True).text == "not shown"


def test_a_percentage_of_a_hidden_count_or_base_is_hidden() -> None:
    assert Share(Count(6), Count(12)).text == "50%"
    assert Share(Count(3), Count(12)).text == "not shown"
    assert Share(Count(6), Count(12, withheld=True)).text == "not shown"
    assert Share(Count(0), Count(0)).text == "n/a"


def test_changes_are_in_points_with_words() -> None:
    def ch(now: tuple[int, int], then: tuple[int, int]) -> str:
        a, b = (Share(Count(x, 1), Count(y, 1)) for x, y in (now, then))
        return change(a, b, "February 2026").text

    assert ch((67, 100), (63, 100)) == "up 4 points"
    assert ch((62, 100), (63, 100)) == "down 1 point"
    assert ch((5, 10), (1, 2)) == "no change"
    assert ch((1, 2), (0, 0)) == "no figures"
    assert Change("March 2025", Share(Count(3), Count(8)), None).text == "not shown"


def test_one_hidden_figure_in_a_sum_takes_the_smallest_other_with_it() -> None:
    values = {"total": 40, "a": 30, "b": 7, "c": 3}
    assert withhold(values, [("total", ["a", "b", "c"])], 5) == {"b"}
    # two hidden already: nothing more; a sum that does not add up protects nothing
    values = {"total": 40, "a": 33, "b": 4, "c": 3}
    assert withhold(values, [("total", ["a", "b", "c"])], 5) == set()
    assert withhold({"t": 40, "a": 38, "c": 2}, [("t", ["a", "c"])], 5) == {"a"}
    assert withhold({"t": 41, "a": 38, "c": 2}, [("t", ["a", "c"])], 5) == set()


def test_when_the_other_parts_are_zero_the_total_is_withheld() -> None:
    # good or better = outstanding + good; outstanding hidden by secondary suppression
    values = {"gob": 12, "o": 12, "g": 0, "x": 3, "t": 15}
    sums = [("t", ["o", "x"]), ("gob", ["o", "g"])]
    assert withhold(values, sums, 5) == {"o", "gob"}


# -- the hand-worked month -----------------------------------------------------------


def test_grades_per_domain_overall_and_by_service(small: Framework) -> None:
    s = run(small, threshold=1)
    assert [t.scope for t in s.how_well] == ["All services", "Service: North", "Service: South"]
    everyone = table(s, "All services")
    assert everyone.audits.text == "12"
    assert shown(row(everyone, "Overall grade")) == [
        "12", "2 (17%)", "6 (50%)", "3 (25%)", "1 (8%)", "8 (67%)",
    ]  # fmt: skip
    assert shown(row(everyone, "Assessment")) == [
        "12", "3 (25%)", "5 (42%)", "3 (25%)", "1 (8%)", "8 (67%)",
    ]  # fmt: skip
    assert shown(row(everyone, "Planning")) == [
        "12", "1 (8%)", "5 (42%)", "5 (42%)", "1 (8%)", "6 (50%)",
    ]  # fmt: skip
    north, south = table(s, "Service: North"), table(s, "Service: South")
    assert shown(row(north, "Overall grade")) == [
        "6", "1 (17%)", "4 (67%)", "0 (0%)", "1 (17%)", "5 (83%)",
    ]  # fmt: skip
    assert shown(row(south, "Planning")) == [
        "6", "1 (17%)", "2 (33%)", "2 (33%)", "1 (17%)", "3 (50%)",
    ]  # fmt: skip


def test_the_overall_grade_is_the_grade_after_moderation(small: Framework) -> None:
    s = run(small, threshold=1)
    north = table(s, "Service: North")
    # audit 3 was regraded from Requires Improvement to Good: no RI left in North
    assert row(north, "Overall grade").cells[2].count.value == 0
    assert row(north, "Assessment").cells[2].count.value == 1  # the auditor's domain grade


def test_how_much_counts_allocations_made_and_completed_by_service(small: Framework) -> None:
    lines = run(small, threshold=1).how_much.allocations
    assert [(a.scope, a.made.text, a.completed.text, a.completion.text) for a in lines] == [
        ("All services", "15", "12", "80%"),
        ("Service: North", "7", "6", "86%"),  # a released allocation was never made
        ("Service: South", "8", "6", "75%"),  # nor was a proposal
    ]


def test_moderation_share_agreement_and_grade_changes(small: Framework) -> None:
    m = run(small, threshold=1).moderation
    assert (m.moderated.count.text, m.moderated.text) == ("4", "33%")
    assert (m.agreed.count.text, m.agreed.base.text, m.agreed.text) == ("2", "4", "50%")
    assert (m.raised.text, m.lowered.text) == ("1", "1")


def test_is_anyone_better_off(small: Framework) -> None:
    s = run(small, threshold=1)
    b, r = s.better_off, s.recommendations
    assert b.reaudits.text == "4"
    # re-audits of cases graded below Good: 7 (still RI), 8 and 11 (now Good)
    assert (b.moved_to_good.base.text, b.moved_to_good.count.text, b.moved_to_good.text) == (
        "3",
        "2",
        "67%",
    )
    assert (r.opened.text, r.completed.text, r.overdue.text) == ("3", "2", "2")
    # four escalations fell due in March; two answered by the deadline (one on the day)
    assert (b.escalations_met.base.text, b.escalations_met.text) == ("4", "50%")


def test_trends_against_last_month_last_quarter_and_last_year(small: Framework) -> None:
    s = run(small, threshold=1)
    assert s.compared_with == ("February 2026", "October to December 2025", "March 2025")
    trend = {t.figure: t for t in s.trends}
    good = trend["Good or better: overall grade"]
    assert good.now.text == "67%"
    assert [c.then.text for c in good.changes] == ["60%", "75%", "50%"]
    assert [c.text for c in good.changes] == ["up 7 points", "down 8 points", "up 17 points"]
    planning = trend["Good or better: Planning"]  # February 6 of 10; the quarter 15 of 20
    assert [c.text for c in planning.changes] == ["down 10 points", "down 25 points", "no change"]
    assert [c.text for c in trend["Allocated audits completed"].changes] == [
        "up 5 points",  # February: 3 of 4, 75%
        "no figures",
        "no figures",
    ]


def test_good_or_better_month_by_month_for_the_chart(small: Framework) -> None:
    points = run(small, threshold=1).good_or_better_by_month
    assert (points[0].label, points[-1].label) == ("April 2025", "March 2026")
    assert [p.good_or_better.text for p in points] == ["n/a"] * 6 + [
        "75%", "83%", "67%", "n/a", "60%", "67%",
    ]  # fmt: skip


# -- suppression on the same month --------------------------------------------------------


def test_small_numbers_are_fewer_than_five_and_cannot_be_worked_back(small: Framework) -> None:
    s = run(everywhere(small))
    everyone = table(s, "All services")
    # Outstanding 2, RI 3 and Inadequate 1 are small. Good (6) is withheld too, or
    # Good or better (8) minus Good would give Outstanding.
    assert shown(row(everyone, "Overall grade")) == [
        "12",
        "fewer than 5 (not shown)",
        "not shown (not shown)",
        "fewer than 5 (not shown)",
        "fewer than 5 (not shown)",
        "8 (67%)",
    ]
    # Planning: Outstanding 1 and Inadequate 1 hidden; Good and RI (5 each) withheld so
    # that neither "Good or better - Good" nor "12 - 6 - RI" gives a hidden number.
    assert shown(row(everyone, "Planning"))[2:4] == [
        "not shown (not shown)",
        "not shown (not shown)",
    ]
    # North: Good or better (5) of 6 with no RI would give away the one Inadequate.
    north = row(table(s, "Service: North"), "Overall grade")
    assert north.good_or_better.count.text == "not shown" and north.good_or_better.text == (
        "not shown"
    )


def test_percentages_and_changes_from_hidden_counts_are_hidden(small: Framework) -> None:
    s = run(everywhere(small))
    assert s.moderation.moderated.text == "not shown"  # 4 moderated
    trend = {t.figure: t for t in s.trends}["Good or better: overall grade"]
    # February: RI 4 of 10 is small, so 60% Good or better would give it away
    assert [c.text for c in trend.changes] == ["not shown", "down 8 points", "not shown"]


def test_the_threshold_is_configurable(small: Framework) -> None:
    s = run(everywhere(small), threshold=3)
    assert "numbers from 1 to 2 are shown as 'fewer than 3'" in s.notes[0]
    assert run(small, threshold=1).notes[0].startswith("Every number is shown")
    m = s.moderation
    assert (m.moderated.count.text, m.moderated.text) == ("4", "33%")
    assert m.agreed.count.text == "fewer than 3"


@st.composite
def departments(draw: st.DrawFn) -> list[AuditRow]:
    grades = ["outstanding", "good", "requires_improvement", "inadequate"]
    n = draw(st.integers(0, 40))
    audits = []
    for i in range(n):
        service = draw(st.sampled_from(["North", "South", "East"]))
        audits.append(
            AuditRow(
                audit_id=i,
                month=MARCH,
                service=service,
                team=service + draw(st.sampled_from(["1", "2"])),
                domain_grades={
                    "assessment": draw(st.sampled_from(grades)),
                    "planning": draw(st.sampled_from(grades)),
                },
                overall_grade=draw(st.sampled_from(grades)),
                case_id=i,
            )
        )
    return audits


def _sums(s: Summary) -> Iterator[list[Count]]:
    """Every set of displayed counts in which one hidden figure could be worked out."""
    tables = {t.scope: t for t in s.how_well}
    for t in s.how_well:
        for r in t.rows:
            good = [c.count for c in r.cells[:2]]  # Outstanding, Good
            below = [c.count for c in r.cells[2:]]
            yield [r.total, *good, *below]
            yield [r.good_or_better.count, *good]
            yield [r.total, r.good_or_better.count, *below]
    services = [t for t in s.how_well if t.kind == "service"]
    groups = [(tables["All services"], services)] if len(services) > 1 else []
    for service in services:
        name = service.scope.removeprefix("Service: ")
        teams = [t for t in s.how_well if t.kind == "team" and t.scope.endswith(f"({name})")]
        groups.append((service, teams))
    for whole, parts in groups:
        for i, r in enumerate(whole.rows):
            for j in range(len(r.cells)):
                yield [r.cells[j].count, *(p.rows[i].cells[j].count for p in parts)]
            yield [r.total, *(p.rows[i].total for p in parts)]


@settings(max_examples=60, deadline=None)
@given(audits=departments())
def test_no_sum_ever_has_exactly_one_hidden_figure(
    small: Framework, audits: list[AuditRow]
) -> None:
    s = summary(everywhere(by_team(small)), MARCH, audits, [], [], [], today=data.TODAY)
    for counts in _sums(s):
        if sum(c.value for c in counts[1:]) == counts[0].value:
            assert sum(not c.shown for c in counts) != 1, [c.text for c in counts]


# -- where suppression applies (issue 17: the board could not see its own grade mix) -------


def test_the_authority_and_its_services_are_shown_in_full_by_default(small: Framework) -> None:
    s = run(by_team(small))
    assert small.summary.suppress_from == "team"
    everyone = table(s, "All services")
    # Outstanding 2, Good 6, RI 3, Inadequate 1: an internal board sees the real mix.
    assert shown(row(everyone, "Overall grade")) == [
        "12", "2 (17%)", "6 (50%)", "3 (25%)", "1 (8%)", "8 (67%)",
    ]  # fmt: skip
    assert all(c.count.shown for t in s.how_well if t.kind != "team" for r in t.rows
               for c in r.cells)  # fmt: skip
    assert s.moderation.moderated.text == "33%"  # 4 of 12, authority-wide
    # Team tables keep "fewer than 5": a team's count can point at a worker.
    teams = [t for t in s.how_well if t.kind == "team"]
    assert teams and any(
        c.count.text == "fewer than 5" for t in teams for r in t.rows for c in r.cells
    )
    assert "figures for a team" in s.notes[0] and "shown in full" in s.notes[0]


def test_a_summary_of_a_few_teams_suppresses_everywhere(small: Framework) -> None:
    """A manager's own figures are team-level throughout, whatever the framework opens."""
    s = run(small, teams_only=True)
    assert row(table(s, "All services"), "Overall grade").cells[0].count.text == "fewer than 5"


def test_suppression_can_start_at_services(small: Framework) -> None:
    dumped = by_team(small).model_dump()
    dumped["summary"]["suppress_from"] = "service"
    s = run(Framework.model_validate(dumped))
    assert row(table(s, "All services"), "Overall grade").cells[0].count.text == "2"
    north = row(table(s, "Service: North"), "Overall grade")
    assert not all(c.count.shown for c in north.cells)


@settings(max_examples=60, deadline=None)
@given(audits=departments())
def test_no_team_figure_can_be_worked_out_from_the_open_ones(
    small: Framework, audits: list[AuditRow]
) -> None:
    s = summary(by_team(small), MARCH, audits, [], [], [], today=data.TODAY)
    for counts in _sums(s):
        adds_up = sum(c.value for c in counts[1:]) == counts[0].value
        if adds_up and sum(not c.shown for c in counts) == 1:
            # only a service with a single team: its figures are the service's own
            assert len(counts) == 2, [c.text for c in counts]


def test_allocations_count_audits_not_moderation_slots(small: Framework) -> None:
    """The board read 'Allocations made 45' beside 18 audits: moderation slots were in it."""
    slots = [AllocationRow(MARCH, "North", "completed", "moderation")] * 30
    plain = run(small, threshold=1).how_much.allocations[0]
    with_slots = run(small, threshold=1, allocations=data.allocations() + slots)
    assert with_slots.how_much.allocations[0].made.text == plain.made.text == "15"
    assert any("not moderations" in n for n in with_slots.notes)


# -- narrative themes -------------------------------------------------------------------------


def test_narrative_answers_are_grouped_into_themes_with_counts(small: Framework) -> None:
    (prompt,) = run(small).themes
    assert prompt.prompt == "What is working well?" and prompt.answers.text == "9"
    assert [(t.label, t.answers.text) for t in prompt.themes] == [
        ("Voice of the child", "6"),
        ("Planning", "fewer than 5"),  # small themes follow in the lexicon's order
        ("Recording", "fewer than 5"),
        ("Visits and seeing the child", "fewer than 5"),
        ("Other points", "fewer than 5"),
    ]


def test_only_safe_sentences_of_large_themes_are_quoted(small: Framework) -> None:
    (prompt,) = run(small).themes
    voice = prompt.themes[0]
    # answers 1 (a date of birth) and 2 (a child's name) are never quoted
    assert voice.excerpts == (
        "The voice of the child is clear throughout the record.",
        "Direct work captured the child's wishes well.",
        "Good direct work and the child's views are recorded.",
    )
    assert all(t.excerpts == () for t in prompt.themes[1:])  # fewer than 5 answers each
    text = repr(run(small, threshold=1).themes)
    for secret in (data.CHILD_NAME, data.CASE_REFERENCE, "12/03/2015", "Born"):
        assert secret not in text


def test_the_theme_lexicon_can_be_set_per_prompt(small: Framework) -> None:
    lexicon = {"working_well": {"Direct work": ["direct work"]}, "*": {"Unused": ["zzz"]}}
    (prompt,) = run(small, threshold=1, lexicon=lexicon).themes
    assert [(t.label, t.answers.value) for t in prompt.themes] == [
        ("Direct work", 2),
        ("Other points", 7),
    ]


# -- what never appears, and what is refused ----------------------------------------------------


def test_no_case_id_reference_or_name_is_in_a_summary(small: Framework) -> None:
    text = repr(run(small, threshold=1)) + repr(run(small))
    for audit in data.audits():
        assert f"case_id={audit.case_id}" not in text and str(audit.case_id) not in text
    assert data.CASE_REFERENCE not in text and data.CHILD_NAME not in text


def test_a_month_not_over_counts_to_today(small: Framework) -> None:
    s = run(small, threshold=1, today=date(2026, 3, 20))
    assert s.as_of == date(2026, 3, 20)
    assert any("not over" in n and "20 March 2026" in n for n in s.notes)
    # escalations due by the 20th: the 8th (met) and the 17th (met on the day)
    assert s.better_off.escalations_met.base.value == 2
    # recommendations overdue on the 20th: due 1 and 15 March, still open
    assert s.recommendations.overdue.value == 2


def test_team_and_area_tables_follow_the_frameworks_grouping(small: Framework) -> None:
    s = run(by_team(small), threshold=1)
    scopes = [t.scope for t in s.how_well]
    assert scopes[:3] == ["All services", "Service: North", "Service: South"]
    assert scopes[3:] == [
        "Team: A (North)",
        "Team: B (North)",
        "Team: C (South)",
        "Team: D (South)",
    ]
    assert shown(row(table(s, "Team: B (North)"), "Overall grade"))[0] == "3"


def test_grades_not_on_the_scale_are_left_out_and_said_so(small: Framework) -> None:
    odd = AuditRow(99, MARCH, "North", "A", {"assessment": "amber"}, "good", case_id=1)
    s = run(small, threshold=1, audits=[*data.audits(), odd])
    assert row(table(s, "All services"), "Assessment").total.value == 12
    assert any("1 grade not on the framework's scale was left out" in n for n in s.notes)


def test_a_month_without_audits_still_has_a_summary(small: Framework) -> None:
    s = run(small, month=Month(2025, 6), today=date(2025, 7, 3))
    assert s.how_well == () and s.how_much.audits.text == "0"
    assert s.trends[1].now.text == "n/a"


def test_bad_input_is_refused_with_a_clear_message(small: Framework) -> None:
    with pytest.raises(ValueError, match="April 2026 on 3 March 2026: the month has not begun"):
        run(small, month=Month(2026, 4), today=date(2026, 3, 3))
    with pytest.raises(ValueError, match="threshold must be 1 or more"):
        run(small, threshold=0)
    with pytest.raises(TypeError, match="month must be a Month"):
        run(small, month="2026-03")
    with pytest.raises(ValueError, match="audit 7: grade_change must be -1, 0 or 1"):
        AuditRow(7, MARCH, "North", "A", {}, "good", grade_change=2)
    with pytest.raises(TypeError, match="allocation: month must be a Month"):
        AllocationRow("2026-03", "North", "completed")  # type: ignore[arg-type]


def test_rows_of_other_kinds_are_plain_values() -> None:
    r = RecommendationRow(date(2026, 3, 1), date(2026, 3, 31))
    e = EscalationRow(date(2026, 3, 1), date(2026, 3, 8))
    assert r.completed_on is None and e.responded_on is None


def test_the_summary_speaks_the_framework_s_words(small: Framework) -> None:
    """Camden says "learning conversations": the trends and notes must too."""
    dumped = small.model_dump()
    dumped["vocabulary"].update(audit="learning conversation", audits="learning conversations")
    s = run(Framework.model_validate(dumped), threshold=1)
    figures = {t.key: t.figure for t in s.trends}
    assert figures["allocations_completed"] == "Allocated learning conversations completed"
    assert figures["moderated"] == "Learning conversations moderated"
    assert figures["reaudits_good"] == "Repeat learning conversations moved to Good or better"
    assert not [t.figure for t in s.trends if "audit" in t.figure.lower()]
