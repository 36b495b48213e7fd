"""The monthly allocation, rule by rule, on small authorities whose answer is known."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from qa.allocation import (
    Allocated,
    AllocationInputs,
    PastAudit,
    StaffMember,
    allocate,
    allocation_day,
    is_working_day,
    replacement_for,
    working_days_after,
)
from qa.framework import Framework, load_framework
from qa.working_days import Month, add_months, long_date, nth_working_day
from tests.qa.allocation_authorities import Authority, department

JAN = Month(2025, 1)  # team manager 5 (phase 0) is due in January, 8 in February


@pytest.fixture(scope="module")
def small() -> Framework:
    return load_framework("tests/data/framework-small.yml")


def tweak(fw: Framework, **changes: Any) -> Framework:
    """The framework with some top-level or `allocation.*` settings changed (and checked)."""
    data = fw.model_dump()
    for key, value in changes.items():
        if key in data["allocation"]:
            data["allocation"][key] = value
        else:
            data[key] = value
    return Framework.model_validate(data)


def dept(fw: Framework, **kw: Any) -> Authority:
    sizes = {"services": 2, "teams_per_service": 2, "workers_per_team": 2, "cases_per_worker": 2}
    return department(fw, **(sizes | kw), today=JAN.first)


def inputs(fw: Framework, a: Authority, month: Month = JAN, **kw: Any) -> AllocationInputs:
    return AllocationInputs(fw, month, a.staff, a.cases, **kw)


def with_staff(a: Authority, pid: int, **changes: Any) -> Authority:
    return replace(a, staff=tuple(replace(s, **changes) if s.id == pid else s for s in a.staff))


def given_to(plan_allocations: tuple[Allocated, ...], pid: int) -> list[Allocated]:
    return [x for x in plan_allocations if x.person_id == pid]


# -- working days and months ---------------------------------------------------------------


def test_first_working_day_of_january_skips_new_years_day():
    assert nth_working_day(Month(2025, 1), 1) == date(2025, 1, 2)
    assert nth_working_day(Month(2025, 1), 3) == date(2025, 1, 6)


def test_working_days_after_skips_weekends_and_bank_holidays():
    assert working_days_after(date(2025, 4, 17), 1) == date(2025, 4, 22)  # Easter
    assert working_days_after(date(2025, 12, 24), 1) == date(2025, 12, 29)  # Christmas
    assert working_days_after(date(2025, 3, 7), 0) == date(2025, 3, 7)
    assert not is_working_day(date(2025, 12, 25))
    assert not is_working_day(date(2025, 3, 8))  # a Saturday
    assert is_working_day(date(2025, 12, 25), bank_holidays=False)


def test_month_arithmetic_and_clear_errors():
    assert Month.parse("2025-03").shift(-3) == Month(2024, 12)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert long_date(date(2025, 3, 14)) == "14 March 2025"
    with pytest.raises(ValueError, match="write it as YYYY-MM"):
        Month.parse("2025-13")


def test_allocation_day_is_the_frameworks_nth_working_day(small):
    assert allocation_day(small, JAN) == date(2025, 1, 2)
    assert allocation_day(tweak(small, working_day=3), JAN) == date(2025, 1, 6)


def test_due_date_is_the_set_working_days_after_the_allocation_day(small):
    plan = allocate(inputs(tweak(small, due_working_days=10), dept(small)))
    assert plan.allocations
    assert {a.due_on for a in plan.allocations} == {date(2025, 1, 16)}


# -- who is allocated ----------------------------------------------------------------------


def test_no_allocations_outside_the_active_months(small):
    fw = tweak(small, active_months=[1, 2, 3, 4, 5, 6, 7, 9, 10, 11])
    plan = allocate(inputs(fw, dept(fw), Month(2025, 8)))
    assert plan.allocations == () and plan.shortfalls == ()
    assert plan.note == "August 2025: no allocations (not one of the framework's active months)"


def test_team_managers_every_second_month_service_managers_every_month(small):
    a = dept(small)
    jan, feb = (allocate(inputs(small, a, m)).allocations for m in (JAN, JAN.shift(1)))
    assert len(given_to(jan, 5)) == 1 and given_to(jan, 8) == []
    assert given_to(feb, 5) == [] and len(given_to(feb, 8)) == 1
    for sm in (4, 12):
        assert len(given_to(jan, sm)) == len(given_to(feb, sm)) == 1
    assert given_to(jan, 5)[0].reason.startswith("Team manager: 1 audit every second month")


def test_moderation_cadence_gives_slots_without_a_case(small):
    slots = [a for a in allocate(inputs(small, dept(small))).allocations if a.person_id == 3]
    assert [(a.activity, a.case_id) for a in slots] == [("moderation", None)] * 4
    assert slots[0].reason == "Head of service: 4 moderations a month (slot 1 of 4)"


def test_peer_principle_no_own_team_no_own_case_no_line_managed_case(small):
    a = dept(small)
    cases = {c.id: c for c in a.cases}
    plan = allocate(inputs(small, a))
    staff = {s.id: s for s in a.staff}
    for x in plan.allocations:
        if x.case_id is None:
            continue
        case = cases[x.case_id]
        assert staff[x.person_id].team != case.team
        assert x.person_id != case.worker_id
    # service managers line-manage their whole service, so they audit the other one
    sm1 = given_to(plan.allocations, 4)[0]
    assert cases[sm1.case_id].service == "Service 2"


def test_without_the_peer_principle_a_colleague_may_audit_their_own_teams_case(small):
    # one team: a senior practitioner (7) in it audits; the manager (5) line-manages all
    fw = tweak(
        small,
        cadences=[{"role": "service_manager", "activity": "audit", "count": 1}],
    )
    a = dept(fw, services=1, teams_per_service=1, workers_per_team=2, cases_per_worker=3)
    a = with_staff(a, 7, roles=("practitioner", "service_manager"))
    assert allocate(inputs(fw, a)).allocations == ()
    plan = allocate(inputs(tweak(fw, peer_principle=False), a))
    (got,) = plan.allocations
    case = next(c for c in a.cases if c.id == got.case_id)
    assert got.person_id == 7 and case.worker_id == 6, "own team, but never their own case"


def test_capacity_and_absence_respected(small):
    a = dept(small)
    a = with_staff(a, 4, capacity=0)
    a = with_staff(a, 12, absences=((date(2025, 1, 1), date(2025, 1, 20)),))
    a = with_staff(a, 5, absences=((date(2025, 1, 6), date(2025, 1, 8)),))
    plan = allocate(inputs(small, a))
    assert given_to(plan.allocations, 4) == [], "capacity 0"
    assert given_to(plan.allocations, 12) == [], "absent for most of the month"
    assert len(given_to(plan.allocations, 5)) == 1, "absent a few days: still allocated"


def test_capacity_above_the_cadence_is_used_for_quotas(small):
    fw = tweak(
        small,
        areas=[{"key": "early_help", "label": "Early Help", "cycle_target": 6}],
        cycle={"months": 1},
    )
    a = with_staff(dept(fw), 4, capacity=3)  # 4 auditors due, one with room for 3
    plan = allocate(inputs(fw, a))
    assert len(given_to(plan.allocations, 4)) == 3
    assert len([x for x in plan.allocations if x.basis == "quota"]) == 6
    assert not plan.shortfalls


def test_no_worker_has_more_than_the_limit_audited_in_a_month(small):
    fw = tweak(small, cadences=[{"role": "team_manager", "activity": "audit", "count": 1}])
    a = dept(fw, services=1, teams_per_service=2, workers_per_team=1, cases_per_worker=5)
    plan = allocate(inputs(fw, a))
    workers = [c.worker_id for x in plan.allocations for c in a.cases if c.id == x.case_id]
    assert sorted(workers) == [6, 8]
    plan = allocate(inputs(tweak(fw, max_cases_per_worker=2), a))
    assert len(plan.allocations) == 2


def test_never_audited_cases_first_then_the_least_recently_audited(small):
    fw = tweak(
        small,
        cadences=[{"role": "service_manager", "activity": "audit", "count": 3}],
        max_cases_per_worker=9,
    )
    a = dept(fw, services=2, teams_per_service=1, workers_per_team=1, cases_per_worker=4)
    other = [c for c in a.cases if c.service == "Service 2"]
    history = (
        PastAudit(other[0].id, 2, other[0].worker_id, date(2024, 1, 5), "good"),
        PastAudit(other[1].id, 2, other[1].worker_id, date(2024, 3, 5), "good"),
        PastAudit(other[2].id, 2, other[2].worker_id, date(2024, 2, 5), "good"),
    )
    plan = allocate(inputs(fw, with_staff(a, 4, capacity=3), history=history))
    got = [x.case_id for x in given_to(plan.allocations, 4)]
    assert set(got) == {other[3].id, other[0].id, other[2].id}
    reasons = {x.case_id: x.reason for x in plan.allocations}
    assert reasons[other[3].id].endswith("no audit yet")
    assert reasons[other[0].id].endswith("last audit 5 January 2024")


def test_recently_audited_cases_are_left_alone_and_the_gap_reported(small):
    fw = tweak(small, cadences=[{"role": "service_manager", "activity": "audit", "count": 1}])
    a = dept(fw, services=2, teams_per_service=1, workers_per_team=1, cases_per_worker=1)
    history = tuple(PastAudit(c.id, 2, c.worker_id, date(2024, 11, 1), "good") for c in a.cases)
    plan = allocate(inputs(fw, a, history=history))
    assert plan.allocations == ()
    (short,) = plan.shortfalls
    assert short.missing == 2
    assert short.message.startswith("2 audits for the Service manager cadence not allocated")
    assert "audits in the last 6 months" in short.message


# -- re-audits -------------------------------------------------------------------------------


def reaudit_fw(small: Framework) -> Framework:
    return tweak(
        small,
        reaudit=[
            {"grade": "inadequate", "within_months": 8},
            {"grade": "requires_improvement", "within_months": 12},
        ],
        cadences=[{"role": "service_manager", "activity": "audit", "count": 1}],
    )


def test_reaudit_due_comes_first_with_a_reason_a_person_can_read(small):
    fw = reaudit_fw(small)
    a = dept(fw)
    case = next(c for c in a.cases if c.service == "Service 2")
    history = (PastAudit(case.id, 2, case.worker_id, date(2025, 3, 14), "inadequate"),)
    october = allocate(inputs(fw, a, Month(2025, 10), history=history))
    (first,) = given_to(october.allocations, 4)
    assert first.case_id == case.id and first.basis == "reaudit"
    assert first.reason == (
        "Re-audit due: graded Inadequate on 14 March 2025 (within 8 months, by 14 November 2025)"
    )
    # two chances: September and October can both meet the deadline; August waits
    for month, due in ((Month(2025, 8), False), (Month(2025, 9), True)):
        plan = allocate(inputs(fw, a, month, history=history))
        assert (case.id in {x.case_id for x in plan.allocations}) is due


def test_reaudit_is_due_even_inside_the_no_reaudit_period(small):
    fw = tweak(reaudit_fw(small), no_reaudit_months=12)
    a = dept(fw)
    case = next(c for c in a.cases if c.service == "Service 2")
    history = (PastAudit(case.id, 2, case.worker_id, date(2025, 3, 14), "inadequate"),)
    plan = allocate(inputs(fw, a, Month(2025, 10), history=history))
    assert case.id in {x.case_id for x in plan.allocations}


def test_reaudit_nobody_can_take_is_reported_not_guessed(small):
    fw = reaudit_fw(small)
    a = with_staff(with_staff(dept(fw), 4, capacity=0), 12, capacity=0)
    case = a.cases[0]
    history = (PastAudit(case.id, 2, case.worker_id, date(2025, 3, 14), "requires_improvement"),)
    plan = allocate(inputs(fw, a, Month(2026, 2), history=history))
    (short,) = [s for s in plan.shortfalls if s.message.startswith("Re-audit")]
    assert short.message == (
        f"Re-audit of case {case.reference} (due by 14 March 2026) not allocated: "
        "no eligible auditor has capacity left; this was the last month to meet its deadline"
    )


# -- quotas: cycle targets and review windows ------------------------------------------------


def test_cycle_quota_spread_evenly_and_named_from_the_framework(small):
    fw = tweak(
        small,
        areas=[
            {"key": "early_help", "label": "Early Help", "cycle_target": 6},
            {"key": "cin_cp", "label": "Children in Need and Protection"},
        ],
        cycle={"months": 4, "start_month": 1},
        cadences=[{"role": "team_manager", "activity": "audit", "count": 1}],
        max_cases_per_worker=3,
    )
    a = dept(fw, services=2, teams_per_service=2, workers_per_team=3, cases_per_worker=3)
    counts = []
    for month in (Month(2025, m) for m in (1, 2, 3, 4)):
        plan = allocate(inputs(fw, a, month))
        quota = [x for x in plan.allocations if x.basis == "quota"]
        counts.append(len(quota))
        assert all(x.area == "early_help" for x in quota)
    assert counts == [2, 2, 1, 1]
    plan = allocate(inputs(fw, a))
    reason = next(x.reason for x in plan.allocations if x.basis == "quota")
    assert reason.startswith(
        "Testshire County Council cycle: Early Help quota 2 of 6 (month 1 of 4, January 2025"
    )


def test_quota_shortfall_says_what_is_missing_and_why(small):
    fw = tweak(
        small,
        areas=[{"key": "early_help", "label": "Early Help", "cycle_target": 20}],
        cycle={"months": 1},
        cadences=[{"role": "team_manager", "activity": "audit", "count": 1}],
        max_cases_per_worker=1,
    )
    a = dept(fw)  # 8 workers: at most 8 cases this month
    a = replace(a, staff=tuple(replace(s, capacity=20) for s in a.staff))
    plan = allocate(inputs(fw, a))
    assert len(plan.allocations) == 8
    assert [s.message for s in plan.shortfalls] == [
        "Early Help quota short by 12: not enough eligible cases"
    ]
    assert plan.shortfalls[0].area == "early_help" and plan.shortfalls[0].missing == 12


def test_review_windows_half_then_the_rest_by_the_named_role(small):
    roles = [r.model_dump() for r in small.roles]
    fw = tweak(
        small,
        roles=[*roles, {"key": "reviewer", "label": "Reviewer", "default_capacity": 10}],
        cadences=[],
        review_windows=[
            {"months": [10], "share": 0.5, "roles": ["reviewer"], "label": "Autumn reviews"},
            {"months": [4], "share": 0.5, "remainder": True, "roles": ["reviewer"]},
        ],
        max_cases_per_worker=3,
    )
    a = dept(fw, services=1, cases_per_worker=3, extra_per_role=2)  # 12 cases
    reviewers = {s.id for s in a.staff if "reviewer" in s.roles}
    autumn = allocate(inputs(fw, a, Month(2024, 10)))
    assert len(autumn.allocations) == 6 and {x.person_id for x in autumn.allocations} <= reviewers
    assert autumn.allocations[0].reason.startswith(
        "Autumn reviews: 6 this month of 6 in the window"
    )
    history = tuple(
        PastAudit(x.case_id or 0, x.person_id, None, x.due_on, "good") for x in autumn.allocations
    )
    spring = allocate(inputs(fw, a, Month(2025, 4), history=history))
    done = {x.case_id for x in autumn.allocations}
    assert {x.case_id for x in spring.allocations} == {c.id for c in a.cases} - done
    assert allocate(inputs(fw, a, Month(2025, 1))).allocations == ()


# -- dip samples ----------------------------------------------------------------------------------


def dip_fw(small: Framework) -> Framework:
    return tweak(
        small,
        dip_sample={
            "after_grades": ["requires_improvement", "inadequate"],
            "cases": 3,
            "by_role": "team_manager",
            "whole_caseload_approver": "qa_lead",
        },
    )


def test_dip_sample_after_ri_by_the_workers_own_team_manager(small):
    fw = dip_fw(small)
    a = dept(fw, cases_per_worker=5)
    trigger = a.cases[0]  # worker 6, managed by team manager 5
    history = (PastAudit(trigger.id, 12, 6, date(2024, 12, 10), "requires_improvement"),)
    plan = allocate(inputs(fw, a, history=history))
    dips = [x for x in plan.allocations if x.activity == "dip_sample"]
    assert len(dips) == 3 and {x.person_id for x in dips} == {5}
    assert trigger.id not in {x.case_id for x in dips}
    assert {c.worker_id for c in a.cases if c.id in {x.case_id for x in dips}} == {6}
    found = (
        f"this worker's case {trigger.reference} was graded Requires Improvement "
        "on 10 December 2024"
    )
    assert sorted(x.reason.split(";")[0] for x in dips) == [
        f"Dip sample {n} of 3: {found}" for n in (1, 2, 3)
    ]
    assert all(x.reason.endswith("the peer principle does not apply") for x in dips)
    again = allocate(inputs(fw, a, history=history, already=plan.allocations))
    assert again.allocations == (), "a re-run does not sample again"


def test_dip_samples_only_follow_last_months_audits_and_not_dip_sample_audits(small):
    fw = dip_fw(small)
    a = dept(fw, cases_per_worker=5)
    old = (PastAudit(a.cases[0].id, 12, 6, date(2024, 11, 28), "inadequate"),)
    dip = (PastAudit(a.cases[0].id, 5, 6, date(2024, 12, 10), "inadequate", "dip_sample"),)
    good = (PastAudit(a.cases[0].id, 12, 6, date(2024, 12, 10), "good"),)
    for history in (old, dip, good):
        plan = allocate(inputs(fw, a, history=history))
        assert not [x for x in plan.allocations if x.activity == "dip_sample"]


def test_dip_sample_short_when_the_worker_has_too_few_cases(small):
    fw = dip_fw(small)
    a = dept(fw, cases_per_worker=2)
    history = (PastAudit(a.cases[0].id, 12, 6, date(2024, 12, 10), "inadequate"),)
    plan = allocate(inputs(fw, a, history=history))
    assert len([x for x in plan.allocations if x.activity == "dip_sample"]) == 1
    (short,) = plan.shortfalls
    assert short.missing == 2 and "the worker has no more open cases to sample" in short.message


# -- re-runs, work in progress, bad input -----------------------------------------------------


def test_a_rerun_tops_up_and_never_duplicates(small):
    a = dept(small)
    plan = allocate(inputs(small, a))
    assert allocate(inputs(small, a, already=plan.allocations)).allocations == ()
    kept = plan.allocations[:2]
    top_up = allocate(inputs(small, a, already=kept))
    assert len(kept) + len(top_up.allocations) == len(plan.allocations)
    ids = [x.case_id for x in kept + top_up.allocations if x.case_id]
    assert len(ids) == len(set(ids))


def test_cases_with_an_audit_in_progress_are_not_allocated_again(small):
    a = dept(small)
    first = allocate(inputs(small, a))
    busy = frozenset(x.case_id for x in first.allocations if x.case_id)
    later = allocate(inputs(small, a, in_progress=busy))
    assert not busy & {x.case_id for x in later.allocations}


def test_same_inputs_same_plan(small):
    a = dept(small)
    assert allocate(inputs(small, a)) == allocate(inputs(small, a))


def test_duplicate_ids_are_rejected_with_a_clear_message(small):
    a = dept(small)
    case = a.cases[0]
    with pytest.raises(ValueError, match="case id 1 is given twice"):
        AllocationInputs(small, JAN, a.staff, (*a.cases, case))
    person = StaffMember(1, "x@example.gov.uk", ())
    with pytest.raises(ValueError, match="staff id 1 is given twice"):
        AllocationInputs(small, JAN, (*a.staff, person), a.cases)


# -- "Can't do this one" ---------------------------------------------------------------------


def test_replacement_gives_the_same_person_another_case_of_the_same_quota(small):
    fw = tweak(
        small,
        areas=[
            {"key": "early_help", "label": "Early Help", "cycle_target": 2},
            {"key": "cin_cp", "label": "Children in Need and Protection"},
        ],
        cycle={"months": 1},
        max_cases_per_worker=3,
    )
    a = dept(fw, cases_per_worker=3)
    plan = allocate(inputs(fw, a))
    released = next(x for x in plan.allocations if x.basis == "quota")
    new = replacement_for(inputs(fw, a, already=plan.allocations), released, "I know the family")
    assert new is not None
    assert new.person_id == released.person_id and new.case_id != released.case_id
    assert new.area == "early_help" and new.basis == "quota"
    ref = next(c.reference for c in a.cases if c.id == released.case_id)
    assert new.reason.endswith(f"in place of case {ref} (I know the family)")


def test_replacement_of_a_reaudit_keeps_the_case_and_finds_another_person(small):
    fw = tweak(
        reaudit_fw(small),
        cadences=[
            {"role": "service_manager", "activity": "audit", "count": 1},
            {"role": "team_manager", "activity": "audit", "count": 1},
        ],
    )
    a = dept(fw)
    case = next(c for c in a.cases if c.service == "Service 2")
    history = (PastAudit(case.id, 2, case.worker_id, date(2025, 3, 14), "inadequate"),)
    month = Month(2025, 10)
    plan = allocate(inputs(fw, a, month, history=history))
    released = next(x for x in plan.allocations if x.basis == "reaudit")
    roomy = replace(a, staff=tuple(replace(s, capacity=2) for s in a.staff))
    new = replacement_for(
        inputs(fw, roomy, month, history=history, already=plan.allocations), released, "off sick"
    )
    assert new is not None
    assert new.case_id == case.id and new.person_id != released.person_id
    assert new.reason.startswith("Re-audit due: graded Inadequate on 14 March 2025")
    assert "off sick" not in new.reason, "a person's own words are not passed to a colleague"


def test_replacement_is_none_when_nothing_eligible_is_left(small):
    fw = tweak(small, cadences=[{"role": "service_manager", "activity": "audit", "count": 1}])
    a = dept(fw, services=2, teams_per_service=1, workers_per_team=1, cases_per_worker=1)
    plan = allocate(inputs(fw, a))
    released = plan.allocations[0]
    assert replacement_for(inputs(fw, a, already=plan.allocations), released, "no") is None


def test_replacement_of_a_moderation_slot_goes_to_another_moderator(small):
    a = dept(small)
    plan = allocate(inputs(small, a))
    released = next(x for x in plan.allocations if x.activity == "moderation")
    new = replacement_for(inputs(small, a, already=plan.allocations), released, "leave")
    assert new is not None and new.activity == "moderation" and new.case_id is None
    assert new.person_id == 11 and "leave" not in new.reason


def test_allocated_rows_from_storage_need_no_basis(small):
    """`already` rebuilt from database rows (no basis, no area) still counts."""
    a = dept(small)
    plan = allocate(inputs(small, a))
    rows = tuple(replace(x, basis="", area=None) for x in plan.allocations)
    assert allocate(inputs(small, a, already=rows)).allocations == ()


def test_camden_qa_officer_with_capacity_and_no_cadence_gets_work(small):
    """Camden QAF 5.2.2: the QA officer "has capacity to undertake more" but no cadence."""
    fw = tweak(
        small,
        roles=[*small.model_dump()["roles"], {"key": "qa_officer", "label": "QA officer"}],
    )
    a = dept(fw)
    officer = len(a.staff) + 1
    a = replace(
        a,
        staff=(
            *a.staff,
            StaffMember(officer, "qao@example.gov.uk", ("qa_officer",), "QA", None, 2, 3),
        ),
    )
    assert given_to(allocate(inputs(fw, a)).allocations, officer) == [], "off by default"
    plan = allocate(inputs(tweak(fw, capacity_roles=["qa_officer"]), a))
    mine = given_to(plan.allocations, officer)
    assert len(mine) == 3 and all(x.activity == "audit" and x.case_id for x in mine)
    assert mine[0].reason.startswith("QA officer: capacity for 3 audits a month")
    others = [x.case_id for x in plan.allocations if x.person_id != officer]
    assert not set(others) & {x.case_id for x in mine}, "no case given twice"


def test_lambeth_cadences_bound_to_an_area_of_planning(small):
    """Lambeth QAF: "one audit ... of a case in a particular area of planning"."""
    fw = tweak(
        small,
        cadences=[{"role": "service_manager", "activity": "audit", "count": 1,
                   "areas": ["cin_cp"]}],
    )  # fmt: skip
    a = dept(fw, services=4)  # services 1 and 3 hold Early Help cases, 2 and 4 CIN/CP
    plan = allocate(inputs(fw, a))
    cases = {c.id: c for c in a.cases}
    sms = [s.id for s in a.by_role("service_manager")]
    got = [x for x in plan.allocations if x.person_id in sms]
    assert len(got) == len(sms) == 4
    assert {cases[x.case_id].area for x in got if x.case_id} == {"cin_cp"}
    assert got[0].reason.startswith(
        "Service manager: 1 audit of a case in Children in Need and Protection a month"
    )
    unbound = tweak(fw, cadences=[{"role": "service_manager", "activity": "audit", "count": 1}])
    areas = {cases[x.case_id].area for x in allocate(inputs(unbound, a)).allocations if x.case_id}
    assert areas == {"early_help", "cin_cp"}, "without the binding any area will do"


def test_cadences_bound_to_a_service(small):
    fw = tweak(
        small,
        cadences=[{"role": "service_manager", "activity": "audit", "count": 1,
                   "services": ["Service 3"]}],
    )  # fmt: skip
    a = dept(fw, services=3)
    cases = {c.id: c for c in a.cases}
    plan = allocate(inputs(fw, a))
    assert {cases[x.case_id].service for x in plan.allocations if x.case_id} == {"Service 3"}
    # Service 3's own manager line-manages every worker in it: nothing for them
    assert len([x for x in plan.allocations if x.case_id]) == 2


def test_line_management_independence_is_configuration(small):
    """`exclude_line_managed: false` lets a manager audit their own team's work;
    `peer_principle: false` then means what it says. One's own case stays excluded."""
    fw = tweak(
        small,
        cadences=[{"role": "team_manager", "activity": "audit", "count": 1}],
        peer_principle=False,
    )
    a = dept(fw, services=1, teams_per_service=1, workers_per_team=2, cases_per_worker=3)
    assert allocate(inputs(fw, a)).allocations == (), "the manager manages every worker"
    free = tweak(fw, exclude_line_managed=False)
    (got,) = allocate(inputs(free, a)).allocations
    case = a.case(got.case_id or 0)
    assert a.person(got.person_id).roles == ("team_manager",)
    assert case.worker_id != got.person_id
    assert a.person(case.worker_id or 0).line_manager_id == got.person_id
