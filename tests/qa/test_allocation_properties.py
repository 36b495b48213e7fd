"""Invariants of the monthly allocation, over generated authorities and frameworks.

Each property is checked against facts recomputed here from the inputs (line
management chains, who is due, capacity, absences), not read back from the engine.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import replace
from datetime import date

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from qa import allocation_rules as rules
from qa.allocation import (
    Allocated,
    AllocationInputs,
    AllocationPlan,
    OpenCase,
    allocate,
    replacement_for,
)
from qa.framework import Framework
from qa.working_days import Month, is_working_day, working_days_after
from tests.qa.allocation_authorities import department, scenarios

# QA_BOT_HYPOTHESIS_EXAMPLES=2000 for a longer search (CI soak); 150 keeps `make test` quick.
PROPERTY = settings(
    max_examples=int(os.environ.get("QA_BOT_HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class Facts:
    """What the rules say about the inputs, computed independently of the engine."""

    def __init__(self, inputs: AllocationInputs) -> None:
        self.inputs = inputs
        fw = self.fw = inputs.framework
        self.month = inputs.month
        self.staff = {s.id: s for s in inputs.staff}
        self.cases = {c.id: c for c in inputs.cases}
        self.line = {s.id: s.line_manager_id for s in inputs.staff}
        self.day = rules.allocation_day(fw, self.month)
        self.capacity = {s.id: rules.capacity_of(fw, s.roles, s.capacity) for s in inputs.staff}
        self.available = {
            s.id
            for s in inputs.staff
            if self.capacity[s.id] > 0 and not rules.mostly_absent(fw, self.month, s.absences)
        }
        self.due: dict[tuple[int, str], int] = {}
        for c in fw.cadences:
            holders = [s.id for s in inputs.staff if c.role in s.roles]
            for pid, phase in rules.phases(holders, c.every_months).items():
                if rules.cadence_due(fw, c, self.month, phase):
                    key = (pid, c.activity)
                    self.due[key] = max(self.due.get(key, 0), c.count)
        window_roles = {
            r for t in rules.window_terms(fw, self.month) for r in fw.review_windows[t.index].roles
        }
        self.pool = {
            p
            for p in self.available
            if (p, "audit") in self.due or window_roles & set(self.staff[p].roles)
        }

    def chain(self, pid: int) -> set[int]:
        return set(rules.managers_of(self.line, pid))

    def peer_ok(self, pid: int, case: OpenCase) -> bool:
        w = case.worker_id
        if w is not None and (w == pid or pid in self.chain(w)):
            return False
        team = self.staff[pid].team
        return not (self.fw.allocation.peer_principle and team == case.team)

    def latest(self) -> dict[int, tuple[date, str | None]]:
        best: dict[int, tuple[date, int, str, str]] = {}
        for a in self.inputs.history:
            key = (a.completed_on, a.auditor_id or 0, a.grade or "", a.activity)
            best[a.case_id] = max(best.get(a.case_id, key), key)
        return {cid: (k[0], k[2] or None) for cid, k in best.items()}

    def reaudits_due(self) -> dict[int, date]:
        threshold = rules.reaudit_threshold(self.fw, self.month)
        due = {}
        for cid, (done, grade) in self.latest().items():
            deadline = rules.reaudit_deadline(self.fw, grade, done)
            if cid in self.cases and deadline and (threshold is None or deadline < threshold):
                due[cid] = deadline
        return due


def everything(inputs: AllocationInputs, plan: AllocationPlan) -> list[Allocated]:
    return [*inputs.already, *plan.allocations]


def loads(inputs: AllocationInputs, plan: AllocationPlan) -> Counter[int]:
    return Counter(
        a.person_id
        for a in everything(inputs, plan)
        if a.case_id is not None and a.activity != "dip_sample"
    )


@PROPERTY
@given(scenarios())
def test_peer_principle_holds_for_every_case_allocation(s):
    plan, f = allocate(s.inputs), Facts(s.inputs)
    for a in plan.allocations:
        if a.case_id is None:
            continue
        case = f.cases[a.case_id]
        assert a.person_id != case.worker_id, "nobody audits a case they hold"
        if a.activity != "dip_sample":
            assert f.peer_ok(a.person_id, case), a
            continue
        assert s.fw.dip_sample and s.fw.dip_sample.by_role in f.staff[a.person_id].roles
        worker = f.staff.get(case.worker_id or -1)
        own = a.person_id in f.chain(case.worker_id or -1) or (
            worker is not None and worker.team == f.staff[a.person_id].team
        )
        assert own or f.peer_ok(a.person_id, case)
        assert ("peer principle does not apply" in a.reason) == own


@PROPERTY
@given(scenarios())
def test_capacity_respected_and_absent_people_get_nothing(s):
    plan, f = allocate(s.inputs), Facts(s.inputs)
    for pid, n in loads(s.inputs, plan).items():
        assert n <= f.capacity.get(pid, 0), (pid, n)
    for a in plan.allocations:
        assert a.person_id in f.available, "absent or no capacity, yet allocated"


@PROPERTY
@given(scenarios())
def test_cadence_decides_who_is_allocated(s):
    plan, f = allocate(s.inputs), Facts(s.inputs)
    slots = Counter(a.person_id for a in plan.allocations if a.activity == "moderation")
    for (pid, activity), count in f.due.items():
        if activity == "moderation" and pid in f.available:
            assert slots[pid] == count
    for a in plan.allocations:
        if a.basis == "cadence":
            assert (a.person_id, a.activity) in f.due
        elif a.basis in ("quota", "reaudit"):
            assert a.person_id in f.pool
        elif a.basis == "moderation":
            assert (a.person_id, "moderation") in f.due
        else:
            assert a.basis == "dip_sample"
    per_person = Counter(
        (a.person_id, a.activity) for a in plan.allocations if a.basis == "cadence"
    )
    for (pid, activity), n in per_person.items():
        assert n <= f.due[(pid, activity)]


@PROPERTY
@given(
    active=st.sets(st.integers(1, 12), min_size=1),
    holders=st.sets(st.integers(1, 10_000), min_size=1, max_size=40),
    every=st.integers(1, 4),
    start=st.integers(2020 * 12, 2030 * 12),
)
def test_every_n_months_holders_alternate_evenly(active, holders, every, start):
    fw = Framework.model_validate(
        {
            "name": "t",
            "authority": "T",
            "grades": [
                {"key": "good", "label": "Good", "good_or_better": True},
                {"key": "poor", "label": "Poor"},
            ],
            "roles": [{"key": "team_manager", "label": "Team manager"}],
            "qa_lead_role": "team_manager",
            "cadences": [{"role": "team_manager", "every_months": every}],
            "areas": [{"key": "a", "label": "A"}],
            "allocation": {"active_months": sorted(active)},
            "audit_form": {"domains": [{"key": "d", "label": "D"}]},
        }
    )
    cadence = fw.cadences[0]
    phase = rules.phases(holders, every)
    month = Month(start // 12, start % 12 + 1)
    run = []
    while len(run) < every:
        if rules.is_active(fw, month):
            run.append(month)
        month = month.shift(1)
    due = [{p for p in holders if rules.cadence_due(fw, cadence, m, phase[p])} for m in run]
    for pid in holders:
        assert sum(pid in d for d in due) == 1, "each holder once in every N active months"
    sizes = [len(d) for d in due]
    assert max(sizes) - min(sizes) <= 1, "holders split evenly across the months"


@PROPERTY
@given(scenarios())
def test_no_worker_has_more_than_the_limit_audited_in_a_month(s):
    plan = allocate(s.inputs)
    cases = {c.id: c for c in s.inputs.cases}
    per_worker = Counter(
        cases[a.case_id].worker_id
        for a in everything(s.inputs, plan)
        if a.case_id is not None and a.activity != "dip_sample"
    )
    per_worker.pop(None, None)
    assert all(n <= s.fw.allocation.max_cases_per_worker for n in per_worker.values())


@PROPERTY
@given(scenarios())
def test_no_case_is_allocated_twice_or_while_in_progress(s):
    plan = allocate(s.inputs)
    ids = [a.case_id for a in everything(s.inputs, plan) if a.case_id is not None]
    assert len(ids) == len(set(ids))
    assert not set(ids) & s.inputs.in_progress


@PROPERTY
@given(scenarios())
def test_recently_audited_cases_wait_unless_a_reaudit_is_due(s):
    plan, f = allocate(s.inputs), Facts(s.inputs)
    latest = f.latest()
    for a in plan.allocations:
        if a.case_id is None or a.basis in ("reaudit", "dip_sample") or a.case_id not in latest:
            continue
        done = latest[a.case_id][0]
        assert rules.reaudit_allowed_from(s.fw, done) <= f.day


@PROPERTY
@given(scenarios())
def test_reaudits_come_first(s):
    plan, f = allocate(s.inputs), Facts(s.inputs)
    if not rules.is_active(s.fw, s.inputs.month):
        assert plan.allocations == () and plan.note
        return
    allocated = {a.case_id: a for a in plan.allocations}
    final = loads(s.inputs, plan)
    for cid in f.reaudits_due():
        if cid in s.inputs.in_progress:
            continue
        ref = f.cases[cid].reference
        if cid in allocated:
            assert allocated[cid].basis in ("reaudit", "dip_sample")
            continue
        (why,) = [
            x.message for x in plan.shortfalls if x.message.startswith(f"Re-audit of case {ref} ")
        ]
        if "capacity" in why:
            for pid in f.pool:
                if f.peer_ok(pid, f.cases[cid]):
                    assert final[pid] >= f.capacity[pid], "someone with room skipped a re-audit"


@PROPERTY
@given(scenarios())
def test_quota_met_or_the_shortfall_says_by_how_much(s):
    plan, f = allocate(s.inputs), Facts(s.inputs)
    quotas = rules.cycle_quotas(s.fw, s.inputs.month)
    per_area = Counter(
        f.cases[a.case_id].area
        for a in everything(s.inputs, plan)
        if a.case_id in f.cases and a.activity != "dip_sample"
    )
    for q in quotas:
        missing = sum(x.missing for x in plan.shortfalls if x.message.startswith(q.name + " "))
        assert per_area[q.area] + missing >= q.target
        assert per_area[q.area] <= max(q.target, per_area[q.area])


@st.composite
def roomy(draw: st.DrawFn) -> AllocationInputs:
    """Enough auditors with room and enough never-audited cases in every area."""
    targets = draw(st.lists(st.integers(0, 12), min_size=1, max_size=3))
    areas = [f"area_{i}" for i in range(len(targets))]
    fw = Framework.model_validate(
        {
            "name": "roomy",
            "authority": "Roomshire",
            "grades": [
                {"key": "good", "label": "Good", "good_or_better": True},
                {"key": "inadequate", "label": "Inadequate"},
            ],
            "roles": [
                {"key": "practitioner", "label": "Social worker", "default_capacity": 0},
                {"key": "team_manager", "label": "Team manager"},
                {"key": "qa_officer", "label": "QA officer", "default_capacity": 50},
                {"key": "qa_lead", "label": "QA lead"},
            ],
            "qa_lead_role": "qa_lead",
            "cadences": [
                {"role": "team_manager", "every_months": 2},
                {"role": "qa_officer"},
            ],
            "areas": [
                {"key": a, "label": a.title(), "cycle_target": t}
                for a, t in zip(areas, targets, strict=True)
            ],
            "cycle": {"months": draw(st.integers(1, 4)), "start_month": draw(st.integers(1, 12))},
            "allocation": {
                "max_cases_per_worker": draw(st.integers(1, 3)),
                "peer_principle": draw(st.booleans()),
            },
            "audit_form": {"domains": [{"key": "d", "label": "D"}]},
        }
    )
    month = Month(2025, draw(st.integers(1, 12)))
    dept = department(
        fw,
        services=len(areas),
        teams_per_service=draw(st.integers(1, 3)),
        workers_per_team=draw(st.integers(3, 6)),
        cases_per_worker=3,
        extra_per_role=1,
        seed=draw(st.integers(0, 99)),
        today=month.first,
    )
    return AllocationInputs(fw, month, dept.staff, dept.cases)


@PROPERTY
@given(roomy())
def test_quotas_met_when_enough_eligible_cases_exist(inputs):
    f = Facts(inputs)
    quotas = rules.cycle_quotas(inputs.framework, inputs.month)
    limit = inputs.framework.allocation.max_cases_per_worker
    for q in quotas:
        workers = {c.worker_id for c in inputs.cases if c.area == q.area}
        assume(len(workers) * limit >= q.target)
    assume(sum(f.capacity[p] for p in f.pool) >= sum(q.target for q in quotas))
    plan = allocate(inputs)
    per_area = Counter(f.cases[a.case_id].area for a in plan.allocations if a.case_id)
    for q in quotas:
        assert per_area[q.area] >= q.target, plan.shortfalls
    assert not [x for x in plan.shortfalls if "quota" in x.message]


@PROPERTY
@given(scenarios(), st.randoms(use_true_random=False))
def test_same_inputs_give_the_same_plan_in_any_order(s, rnd):
    def shuffled(items: tuple) -> tuple:
        out = list(items)
        rnd.shuffle(out)
        return tuple(out)

    again = replace(
        s.inputs,
        staff=shuffled(s.inputs.staff),
        cases=shuffled(s.inputs.cases),
        history=shuffled(s.inputs.history),
    )
    assert allocate(s.inputs) == allocate(s.inputs) == allocate(again)


@PROPERTY
@given(scenarios(), st.integers(0, 100))
def test_a_rerun_tops_up_and_never_duplicates(s, cut):
    plan = allocate(s.inputs)
    assert allocate(replace(s.inputs, already=plan.allocations)).allocations == ()
    kept = plan.allocations[: cut * len(plan.allocations) // 100]
    partial = replace(s.inputs, already=kept)
    topped = allocate(partial)
    ids = [a.case_id for a in everything(partial, topped) if a.case_id is not None]
    assert len(ids) == len(set(ids))
    f = Facts(partial)
    for pid, n in loads(partial, topped).items():
        assert n <= f.capacity.get(pid, 0)


@PROPERTY
@given(scenarios())
def test_due_dates_are_the_set_working_days_after_the_allocation_day(s):
    plan = allocate(s.inputs)
    day = rules.allocation_day(s.fw, s.inputs.month)
    assert is_working_day(day) and Month.of(day) == s.inputs.month
    expected = working_days_after(day, s.fw.allocation.due_working_days)
    assert all(a.due_on == expected for a in plan.allocations)


@PROPERTY
@given(scenarios(), st.integers(0, 10_000))
def test_a_replacement_keeps_the_rules(s, pick):
    plan = allocate(s.inputs)
    assume(plan.allocations)
    released = plan.allocations[pick % len(plan.allocations)]
    inputs = replace(s.inputs, already=plan.allocations)
    new = replacement_for(inputs, released, "I know the family")
    if new is None:
        return
    f = Facts(inputs)
    assert (new.person_id, new.case_id) != (released.person_id, released.case_id)
    assert new.activity == released.activity
    others = {a.case_id for a in plan.allocations if a != released and a.case_id is not None}
    assert new.case_id is None or new.case_id not in others
    assert new.person_id in f.available
    if new.case_id is not None and new.activity != "dip_sample":
        assert f.peer_ok(new.person_id, f.cases[new.case_id])
    if released.basis == "reaudit":
        assert new.case_id == released.case_id
    if new.person_id != released.person_id:
        assert "I know the family" not in new.reason, "a person's own words stay with them"


def test_generated_authorities_are_reproducible():
    """The generator itself is deterministic: the same seed, the same department."""
    fw = Framework.model_validate(
        {
            "name": "g",
            "authority": "G",
            "grades": [
                {"key": "good", "label": "Good", "good_or_better": True},
                {"key": "poor", "label": "Poor"},
            ],
            "roles": [{"key": "team_manager", "label": "TM"}],
            "qa_lead_role": "team_manager",
            "areas": [{"key": "a", "label": "A"}],
            "audit_form": {"domains": [{"key": "d", "label": "D"}]},
        }
    )
    assert department(fw, seed=3) == department(fw, seed=3)
