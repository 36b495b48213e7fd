"""The demo authority: deterministic, realistic in shape, and built from the framework only."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demo.authority import (
    CASE_PREFIX,
    DEMO_QA_LEAD_EMAIL,
    DEMO_QA_LEAD_NAME,
    DemoAuthority,
    generate,
    minimum_staff,
)
from qa.framework import Framework, load_framework, parse_framework, preset, preset_names

SMALL = Path(__file__).parents[1] / "data" / "framework-small.yml"
TODAY = date(2026, 12, 1)
REFERENCE = re.compile(rf"^{re.escape(CASE_PREFIX)}\d+$")
EMAIL = re.compile(r"^[a-z-]+\.[a-z-]+\d*@demo\.gov\.uk$")


def small() -> Framework:
    return load_framework(str(SMALL))


def wide() -> Framework:
    """The small framework with Lambeth-style areas and targets and roles no rule names."""
    text = SMALL.read_text()
    text = text.replace(
        "  - {key: qa_lead, label: QA lead, sees: all}\n",
        "  - {key: qa_lead, label: QA lead, sees: all}\n"
        "  - {key: assistant_director, label: Assistant director, sees: all}\n"
        "  - {key: senior_practitioner, label: Senior practitioner}\n"
        "  - {key: qa_officer, label: QA officer, default_capacity: 3}\n"
        "  - {key: iro, label: Independent reviewing officer}\n"
        "  - {key: principal_social_worker, label: Principal social worker}\n"
        "  - {key: moderator, label: Moderator}\n",
    )
    text = text.replace(
        "  - {key: early_help, label: Early Help}\n"
        "  - {key: cin_cp, label: Children in Need and Protection}\n",
        "  - {key: early_help, label: Early Help, cycle_target: 40}\n"
        "  - {key: cin_cp, label: Children in Need of Help and Protection, cycle_target: 70}\n"
        "  - {key: cla, label: Children Looked After and Permanency, cycle_target: 60}\n"
        "  - {key: leaving_care, label: Young People 16+ and Care Leavers, cycle_target: 70}\n"
        "  - {key: sport, label: Holiday Activities}\n",
    )
    text = text.replace("moderator_roles: [head_of_service]", "moderator_roles: [moderator]")
    return parse_framework(text, filename="wide.yml")


def check_invariants(fw: Framework, a: DemoAuthority, *, staff: int, cases: int) -> None:
    assert len(a.people) == staff
    assert len(a.cases) == cases
    emails = [p.email for p in a.people]
    assert len(set(emails)) == len(emails), "emails are unique"
    assert all(EMAIL.match(e) for e in emails), emails
    refs = [c.reference for c in a.cases]
    assert len(set(refs)) == len(refs), "case references are unique"
    assert all(REFERENCE.match(r) for r in refs), "a reference is the prefix and digits only"

    services = {s.name: s for s in a.services}
    teams = {t.name: t for t in a.teams}
    people = {p.email: p for p in a.people}
    assert len(services) == len(a.services) and len(teams) == len(a.teams)
    assert all(t.service in services for t in a.teams)
    assert all(p.team in teams for p in a.people)
    assert sorted(x for s in a.services for x in s.areas) == sorted(fw.area_keys)
    for c in a.cases:
        assert teams[c.team].service == c.service, "a case's team belongs to its service"
        assert c.area in services[c.service].areas
        assert people[c.worker_email].team == c.team, "the worker is in the case's team"
        assert c.status in {"open", "closed"}
        assert c.opened_on <= TODAY

    roots = [p for p in a.people if p.line_manager_email is None]
    assert len(roots) == 1, "one director at the top"
    for p in a.people:
        seen = {p.email}
        boss = p.line_manager_email
        while boss is not None:
            assert boss in people, f"{p.email}'s line manager {boss} exists"
            assert boss not in seen, f"line management cycle through {boss}"
            seen.add(boss)
            boss = people[boss].line_manager_email

    held = Counter(r for p in a.people for r in p.roles)
    assert set(held) <= set(fw.role_keys)
    assert all(held[k] >= 1 for k in fw.role_keys), "every role has a holder"
    lead = people[DEMO_QA_LEAD_EMAIL]
    assert lead.name == DEMO_QA_LEAD_NAME
    assert fw.qa_lead_role in lead.roles


def test_same_inputs_give_the_same_authority() -> None:
    fw = small()
    assert generate(fw, today=TODAY) == generate(fw, today=TODAY)
    assert generate(fw, today=TODAY, seed=7) != generate(fw, today=TODAY, seed=8)


def test_default_size_is_a_department_of_120_with_3000_cases() -> None:
    a = generate(small(), today=TODAY)
    check_invariants(small(), a, staff=120, cases=3000)
    open_share = sum(c.status == "open" for c in a.cases) / len(a.cases)
    assert 0.8 < open_share < 0.95, "most cases are open"


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    extra_staff=st.integers(min_value=0, max_value=200),
    cases=st.integers(min_value=0, max_value=400),
    wide_framework=st.booleans(),
)
def test_invariants_hold_for_any_seed_and_size(
    seed: int, extra_staff: int, cases: int, wide_framework: bool
) -> None:
    fw = wide() if wide_framework else small()
    staff = minimum_staff(fw) + extra_staff
    a = generate(fw, today=TODAY, seed=seed, staff=staff, cases=cases)
    check_invariants(fw, a, staff=staff, cases=cases)


def test_line_management_runs_practitioner_to_director() -> None:
    fw = wide()
    a = generate(fw, today=TODAY)
    people = {p.email: p for p in a.people}
    worker = people[a.cases[0].worker_email]
    chain = []
    boss = worker.line_manager_email
    while boss:
        chain.append(people[boss].roles[0])
        boss = people[boss].line_manager_email
    assert chain == [
        "team_manager",
        "service_manager",
        "head_of_service",
        "assistant_director",
        "director",
    ]


def test_areas_map_to_the_usual_services_and_cases_follow_cycle_targets() -> None:
    fw = wide()
    a = generate(fw, today=TODAY, cases=2400)
    by_area = {x: s.name for s in a.services for x in s.areas}
    assert by_area["early_help"] == "Early Help"
    assert by_area["cin_cp"] == "Children in Need and Protection"
    assert by_area["cla"] == "Children Looked After"
    assert by_area["leaving_care"] == "Care Leavers"
    assert by_area["sport"] == "Holiday Activities", "an unknown area gets a service of its own"
    counts = Counter(c.area for c in a.cases)
    # 40:70:60:70, and an area without a target weighs as the average (60).
    assert [counts[k] for k in fw.area_keys] == [320, 560, 480, 560, 480]


def test_several_teams_per_service_each_with_a_manager_and_practitioners() -> None:
    fw = wide()
    a = generate(fw, today=TODAY)
    case_teams = {c.team for c in a.cases}
    for service in (s for s in a.services if s.areas):
        teams = [t for t in a.teams if t.service == service.name]
        assert len(teams) >= 2
        for team in teams:
            members = [p for p in a.people if p.team == team.name]
            assert sum("team_manager" in p.roles for p in members) == 1
            assert sum("practitioner" in p.roles for p in members) >= 1
            assert team.name in case_teams


def test_roles_no_rule_names_still_get_sensible_holders() -> None:
    a = generate(wide(), today=TODAY)
    assert len(a.holders("assistant_director")) == 3, "one per one or two of five services"
    assert len(a.holders("director")) == 1
    assert len(a.holders("moderator")) >= 2
    assert len(a.holders("iro")) >= 2
    assert len(a.holders("principal_social_worker")) == 1
    seniors = a.holders("senior_practitioner")
    assert seniors and all("practitioner" in p.roles for p in seniors)
    assert all(p.capacity == 3 for p in a.holders("qa_officer") if len(p.roles) == 1)


def test_demo_qa_lead_can_audit_and_moderate() -> None:
    fw = small()
    lead = generate(fw, today=TODAY).person(DEMO_QA_LEAD_EMAIL)
    assert lead.roles[0] == "qa_lead"
    assert "service_manager" in lead.roles
    assert "head_of_service" in lead.roles, "the framework's moderator role"


def test_too_few_staff_says_how_many_are_needed() -> None:
    fw = small()
    need = minimum_staff(fw)
    generate(fw, today=TODAY, staff=need, cases=5)
    with pytest.raises(ValueError, match=f"at least {need} people"):
        generate(fw, today=TODAY, staff=need - 1)


def test_case_references_carry_nothing_but_a_number() -> None:
    a = generate(small(), today=TODAY, cases=50)
    assert all(REFERENCE.match(c.reference) for c in a.cases)
    assert all(c.reference.startswith("DEMO-") and len(c.reference) == 10 for c in a.cases)


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_gives_a_valid_authority(name: str) -> None:
    fw = preset(name)
    a = generate(fw, today=TODAY)
    check_invariants(fw, a, staff=120, cases=3000)
    assert generate(fw, today=TODAY) == a
