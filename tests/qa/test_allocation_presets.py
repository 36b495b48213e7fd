"""Each preset's allocation rules, over a year of a generated authority.

A year is simulated month by month (`simulate`): every allocation is completed by its
due date with a seeded grade, and the audits feed the next month's history, so
re-audits and dip samples arise from the preset's own rules.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from functools import cache

import pytest

from qa.allocation import Allocated
from qa.framework import preset, preset_names
from qa.working_days import Month, add_months
from tests.qa.allocation_authorities import Authority, Year, department, months_from, simulate

SIZES = {
    "camden": {},
    "lambeth": {
        "services": 4,
        "teams_per_service": 5,
        "workers_per_team": 6,
        "cases_per_worker": 12,
        "service_managers": 2,
        "extra_per_role": 10,
    },
    "city-of-london": {
        "services": 1,
        "teams_per_service": 1,
        "workers_per_team": 5,
        "cases_per_worker": 6,
        "extra_per_role": 2,
    },
    "wandsworth": {},
}
START = {
    "camden": Month(2025, 1),
    "lambeth": Month(2025, 4),  # the preset's cycle starts in April
    "city-of-london": Month(2024, 10),
    "wandsworth": Month(2025, 1),
}
MONTHS = {"lambeth": 18}  # long enough to see re-audits after 12 months


def needs(name: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(name not in preset_names(), reason=f"preset {name} not present")


@cache
def year(name: str) -> Year:
    fw = preset(name)
    return simulate(
        fw, department(fw, **SIZES[name]), months_from(START[name], MONTHS.get(name, 12))
    )


def case_allocations(y: Year, month: Month) -> list[Allocated]:
    return [a for a in y.plans[month].allocations if a.case_id is not None]


def holders(a: Authority, role: str) -> set[int]:
    return {s.id for s in a.staff if role in s.roles}


# -- every preset: the rules that hold everywhere ---------------------------------------


@pytest.mark.parametrize("name", sorted(SIZES))
def test_every_preset_keeps_the_peer_principle_spread_and_capacity_all_year(name):
    if name not in preset_names():
        pytest.skip(f"preset {name} not present")
    y = year(name)
    staff = {s.id: s for s in y.authority.staff}
    cases = {c.id: c for c in y.authority.cases}
    line = {s.id: s.line_manager_id for s in y.authority.staff}

    def managers(pid: int) -> set[int]:
        out, boss = set(), line.get(pid)
        while boss is not None:
            out.add(boss)
            boss = line.get(boss)
        return out

    limit = y.fw.allocation.max_cases_per_worker
    for month, plan in y.plans.items():
        per_worker: Counter[int | None] = Counter()
        seen: set[int] = set()
        for a in case_allocations(y, month):
            case = cases[a.case_id]
            assert a.case_id not in seen
            seen.add(a.case_id)
            assert a.person_id != case.worker_id
            if a.activity == "dip_sample":
                continue
            assert a.person_id not in managers(case.worker_id)
            assert staff[a.person_id].team != case.team
            per_worker[case.worker_id] += 1
        assert all(n <= limit for n in per_worker.values()), month
        assert all(a.due_on > month.first for a in plan.allocations)


# -- Camden ------------------------------------------------------------------------------


@needs("camden")
def test_camden_no_allocations_in_august_or_december():
    y = year("camden")
    for month, plan in y.plans.items():
        if month.month in (8, 12):
            assert plan.allocations == () and "no allocations" in plan.note
        else:
            assert plan.allocations


@needs("camden")
def test_camden_team_managers_allocated_every_second_month():
    y = year("camden")
    tms = holders(y.authority, "team_manager")
    active = [m for m, p in y.plans.items() if p.allocations]
    got = {m: {a.person_id for a in case_allocations(y, m)} & tms for m in active}
    for pid in tms:
        pattern = [pid in got[m] for m in active]
        assert pattern in ([True, False] * 5, [False, True] * 5), (pid, pattern)
    for m in active:
        assert len(got[m]) == len(tms) // 2, "team managers alternate evenly"


@needs("camden")
def test_camden_service_managers_hold_one_learning_conversation_a_month():
    y = year("camden")
    for m, plan in y.plans.items():
        if not plan.allocations:
            continue
        per = Counter(a.person_id for a in case_allocations(y, m))
        for pid in holders(y.authority, "service_manager"):
            assert per[pid] == 1
        reasons = [a.reason for a in case_allocations(y, m)]
        assert all("learning conversation" in r for r in reasons), "Camden's own words"


@needs("camden")
def test_camden_heads_of_service_four_moderations_a_month():
    y = year("camden")
    for plan in y.plans.values():
        if not plan.allocations:
            continue
        slots = Counter(a.person_id for a in plan.allocations if a.activity == "moderation")
        for pid in holders(y.authority, "head_of_service"):
            assert slots[pid] == 4
        assert all(a.case_id is None for a in plan.allocations if a.activity == "moderation")


@needs("camden")
def test_camden_heads_of_qa_and_practice_learning_one_conversation_and_one_moderation():
    y = year("camden")
    heads = holders(y.authority, "head_of_qa") | holders(y.authority, "head_of_practice_learning")
    assert heads
    for plan in y.plans.values():
        if not plan.allocations:
            continue
        per = Counter((a.person_id, a.activity) for a in plan.allocations)
        for pid in heads:
            assert per[(pid, "audit")] == 1 and per[(pid, "moderation")] == 1


# -- Lambeth -----------------------------------------------------------------------------


@needs("lambeth")
def test_lambeth_cycle_targets_spread_evenly_over_four_months():
    y = year("lambeth")
    cases = {c.id: c for c in y.authority.cases}
    targets = {a.key: a.cycle_target for a in y.fw.areas}
    cycle = months_from(Month(2025, 4), 4)
    quota = {
        m: Counter(cases[a.case_id].area for a in case_allocations(y, m) if a.basis == "quota")
        for m in cycle
    }
    every = {m: Counter(cases[a.case_id].area for a in case_allocations(y, m)) for m in cycle}
    for area, target in targets.items():
        even = [target // 4 + (1 if i < target % 4 else 0) for i in range(4)]
        assert [quota[m][area] for m in cycle] == even, area
        # auditors beyond the targets still audit, so an area may get more, never fewer
        assert all(every[m][area] >= share for m, share in zip(cycle, even, strict=True))
    assert all(not y.plans[m].shortfalls for m in cycle)


@needs("lambeth")
def test_lambeth_quota_reason_names_the_authority_from_the_framework():
    y = year("lambeth")
    reasons = [a.reason for a in case_allocations(y, Month(2025, 4)) if a.basis == "quota"]
    assert any(
        r.startswith("London Borough of Lambeth cycle: Early Help quota 10 of 40") for r in reasons
    )
    renamed = preset("lambeth").model_copy(update={"authority": "Testborough Council"})
    other = simulate(renamed, y.authority, [Month(2025, 4)])
    quota = [a.reason for a in other.plans[Month(2025, 4)].allocations if a.basis == "quota"]
    assert quota and all(r.startswith("Testborough Council cycle:") for r in quota)


@needs("lambeth")
def test_lambeth_every_listed_role_audits_one_case_a_month():
    y = year("lambeth")
    roles = {c.role for c in y.fw.cadences}
    auditors = {s.id for s in y.authority.staff if roles & set(s.roles)}
    for m in y.plans:
        per = Counter(a.person_id for a in case_allocations(y, m))
        assert {p for p in auditors if per[p] != 1} == set(), m


def _reaudited_within(y: Year, grade: str, months: int) -> tuple[int, int]:
    """(audits graded `grade` whose deadline falls inside the simulation, of them re-audited)."""
    by_case: defaultdict[int, list] = defaultdict(list)
    for a in y.history:
        by_case[a.case_id].append(a)
    last = max(y.plans)
    horizon = max(a.due_on for a in y.plans[last].allocations)
    due = met = 0
    for audits in by_case.values():
        for a in audits:
            deadline = add_months(a.completed_on, months)
            if a.grade != grade or deadline > horizon:
                continue
            due += 1
            met += any(a.completed_on < b.completed_on <= deadline for b in audits)
    return due, met


@needs("lambeth")
def test_lambeth_inadequate_reaudited_within_8_months():
    due, met = _reaudited_within(year("lambeth"), "inadequate", 8)
    assert due > 5 and met == due


@needs("lambeth")
def test_lambeth_requires_improvement_reaudited_within_12_months():
    due, met = _reaudited_within(year("lambeth"), "requires_improvement", 12)
    assert due > 5 and met == due
    reasons = [a.reason for p in year("lambeth").plans.values() for a in p.allocations]
    assert any("Re-audit due: graded Requires Improvement on" in r for r in reasons)


# -- City of London ----------------------------------------------------------------------


def _reviewed(y: Year, months: list[Month]) -> list[int]:
    return [a.case_id for m in months for a in case_allocations(y, m)]


@needs("city-of-london")
def test_city_of_london_reviews_half_the_open_cases_in_october_and_november():
    y = year("city-of-london")
    autumn = _reviewed(y, [Month(2024, 10), Month(2024, 11)])
    assert len(autumn) == len(set(autumn)) == 15 == len(y.authority.cases) // 2
    assert [len(case_allocations(y, m)) for m in (Month(2024, 10), Month(2024, 11))] == [8, 7]


@needs("city-of-london")
def test_city_of_london_reviews_the_rest_in_april_and_may():
    y = year("city-of-london")
    autumn = set(_reviewed(y, [Month(2024, 10), Month(2024, 11)]))
    spring = _reviewed(y, [Month(2025, 4), Month(2025, 5)])
    assert len(spring) == len(set(spring))
    assert not autumn & set(spring), "the rest: cases not reviewed in the autumn"
    assert autumn | set(spring) == {c.id for c in y.authority.cases}


@needs("city-of-london")
def test_city_of_london_nothing_outside_the_review_windows_and_reviewers_do_them():
    y = year("city-of-london")
    reviewers = holders(y.authority, "reviewer")
    for m, plan in y.plans.items():
        if m.month in (4, 5, 10, 11):
            assert plan.allocations and {a.person_id for a in plan.allocations} <= reviewers
        else:
            assert plan.allocations == ()


# -- Wandsworth --------------------------------------------------------------------------


@needs("wandsworth")
def test_wandsworth_team_managers_peer_audit_a_colleagues_team_each_month():
    y = year("wandsworth")
    staff = {s.id: s for s in y.authority.staff}
    cases = {c.id: c for c in y.authority.cases}
    tms = holders(y.authority, "team_manager")
    for m in y.plans:
        mine = [a for a in case_allocations(y, m) if a.person_id in tms and a.activity == "audit"]
        assert Counter(a.person_id for a in mine) == Counter(dict.fromkeys(tms, 1))
        assert all(cases[a.case_id].team != staff[a.person_id].team for a in mine)


@needs("wandsworth")
def test_wandsworth_dip_sample_three_more_cases_by_the_team_manager_after_ri_or_inadequate():
    y = year("wandsworth")
    staff = {s.id: s for s in y.authority.staff}
    cases = {c.id: c for c in y.authority.cases}
    months = sorted(y.plans)
    checked = 0
    for before, month in itertools.pairwise(months):
        triggers = {
            a.worker_id: a
            for a in y.history
            if Month.of(a.completed_on) == before
            and a.activity != "dip_sample"
            and a.grade in ("requires_improvement", "inadequate")
        }
        dips = [a for a in y.plans[month].allocations if a.activity == "dip_sample"]
        by_worker: defaultdict[int | None, list[Allocated]] = defaultdict(list)
        for a in dips:
            by_worker[cases[a.case_id].worker_id].append(a)
        assert set(by_worker) == set(triggers), (
            "dip samples follow exactly the RI/Inadequate audits"
        )
        for worker, got in by_worker.items():
            assert len(got) == 3
            assert {a.person_id for a in got} == {staff[worker].line_manager_id}
            assert triggers[worker].case_id not in {a.case_id for a in got}
            assert all("peer principle does not apply" in a.reason for a in got)
            checked += 1
    assert checked > 5


@needs("wandsworth")
def test_wandsworth_head_of_safeguarding_four_moderations_a_month():
    y = year("wandsworth")
    for plan in y.plans.values():
        slots = Counter(a.person_id for a in plan.allocations if a.activity == "moderation")
        assert set(slots.values()) == {4}
        assert set(slots) == holders(y.authority, "head_of_safeguarding")
