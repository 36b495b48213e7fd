"""Inspection mode's pure rules: reading the lead's line, and choosing the auditors."""

from __future__ import annotations

import pytest

from qa.framework import load_framework
from qa.inspection_mode import (
    Auditor,
    InspectionCase,
    auditor_roles,
    choose_auditors,
    parse_request,
)

FW = load_framework("tests/data/framework-small.yml")


@pytest.mark.parametrize(
    ("text", "refs", "days"),
    [
        ("CR-1, CR-2 in 5 days", ("CR-1", "CR-2"), 5),
        ("CR-1 CR-2 CR-1 within 10 working days", ("CR-1", "CR-2"), 10),
        ("cases CR-1; CR-2 and CR-3 3 days", ("CR-1", "CR-2", "CR-3"), 3),
        ("1 day CR-9", ("CR-9",), 1),
    ],
)
def test_the_lead_s_line_gives_the_references_and_the_days(
    text: str, refs: tuple[str, ...], days: int
) -> None:
    request = parse_request(text)
    assert request.problem is None
    assert request.references == refs and request.days == days


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no_cases"),
        ("in 5 days", "no_cases"),
        ("CR-1 CR-2", "no_days"),
        ("CR-1 in 0 days", "no_days"),
        ("CR-1 in 90 days", "too_long"),
        (" ".join(f"C{i}" for i in range(60)) + " in 5 days", "too_many"),
    ],
)
def test_what_is_missing_is_named(text: str, problem: str) -> None:
    assert parse_request(text).problem == problem


def test_the_auditing_roles_are_the_audit_cadences_and_capacity_roles() -> None:
    assert auditor_roles(FW) == {"service_manager", "team_manager"}


def case(i: int, team: int, worker: int | None) -> InspectionCase:
    return InspectionCase(i, f"C{i}", worker, team)


def test_the_fastest_independent_auditor_gets_each_case_and_the_cases_are_spread() -> None:
    auditors = [
        Auditor(1, team_id=2, median_days=2.0),
        Auditor(2, team_id=2, median_days=5.0),
        Auditor(3, team_id=1, median_days=10.0),
        Auditor(4, team_id=1, median_days=None),
    ]
    line = {10: 1, 11: None}  # person 1 line-manages worker 10
    picks = choose_auditors(
        FW,
        [case(1, 1, 11), case(2, 1, 10), case(3, 2, None), case(4, 1, 11), case(5, 1, 11)],
        auditors,
        line,
    )
    assert [p.auditor_id for p in picks] == [
        1,  # team 1's case: team 2 audits; the fastest
        2,  # worker 10 is line-managed by 1
        3,  # team 2's case: team 1 audits; 3 has a record, 4 none
        1,  # both team-2 auditors have one: the fastest again
        2,
    ]


def test_own_case_and_no_one_independent() -> None:
    picks = choose_auditors(FW, [case(1, 1, 5)], [Auditor(5, team_id=None, median_days=1.0)], {})
    assert picks[0].auditor_id is None


def test_a_busy_auditor_gives_way_to_an_equally_fast_one() -> None:
    auditors = [Auditor(1, 2, 3.0, open_audits=4), Auditor(2, 2, 3.0, open_audits=0)]
    assert choose_auditors(FW, [case(1, 1, None)], auditors, {})[0].auditor_id == 2
