"""Who audits what this month: a pure function of the framework, people, cases, history.

Pure so that the monthly job, `qa-bot allocate --dry-run` and the tests all call the
same code with plain values built from database rows. Nothing here reads a clock, a
file or the database, and the same inputs always give the same plan: ties are broken
by a hash seeded from the month, never by `random`.

The work is done in the order of the frameworks' priorities (docs/domain.md section 3):
1. moderation slots (cadences with activity `moderation`: slots without a case);
2. dip samples after an audit graded as `dip_sample.after_grades`, for the worker's
   own manager;
3. re-audits whose deadline this month's allocations must meet;
4. this month's share of the cycle targets and review windows, round-robin over them;
5. what each role's cadence still asks for, best case first: never audited, then least
   recently audited; cases audited within `no_reaudit_months` are left alone.
Every case allocation honours the peer principle, the per-worker limit and the
auditor's capacity (dip samples excepted: they are extra work the framework orders for
the worker's own manager, on top of capacity and the per-worker limit). What cannot be
filled becomes a `Shortfall`, never a guess.

Where things live: `qa.allocation_types` (the inputs and outputs), `qa.allocation_rules`
(each framework rule as a small function), `qa.allocation_engine` (the state and the
stages), `qa.working_days` (months, working days, bank holidays). This module is the seam
the rest of the product calls.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from qa import allocation_rules as rules
from qa.allocation_engine import AllocationEngine
from qa.allocation_rules import Quota, allocation_day, mix
from qa.allocation_types import (
    Allocated,
    AllocationInputs,
    AllocationPlan,
    Basis,
    OpenCase,
    PastAudit,
    Shortfall,
    StaffMember,
)
from qa.working_days import Month, is_working_day, working_days_after

__all__ = [
    "Allocated",
    "AllocationInputs",
    "AllocationPlan",
    "Month",
    "OpenCase",
    "PastAudit",
    "Shortfall",
    "StaffMember",
    "allocate",
    "allocation_day",
    "is_working_day",
    "replacement_for",
    "working_days_after",
]


def allocate(inputs: AllocationInputs) -> AllocationPlan:
    """The month's allocations: deterministic, and a top-up when `already` is given."""
    fw, month = inputs.framework, inputs.month
    if not rules.is_active(fw, month):
        note = f"{month.name}: no allocations (not one of the framework's active months)"
        return AllocationPlan(month, (), (), note)
    engine = AllocationEngine(inputs)
    engine.moderation_slots()
    engine.dip_samples()
    engine.reaudits_due()
    engine.quotas()
    engine.cadence_fill()
    engine.capacity_fill()
    return engine.plan()


def replacement_for(
    inputs: AllocationInputs,
    released: Allocated,
    reason: str,
    *,
    keep: Literal["person", "case"] | None = None,
) -> Allocated | None:
    """What replaces an allocation someone could not do ("Can't do this one").

    `inputs.already` holds the month's allocations including `released`. The quota is
    kept: a re-audit goes to another eligible person; a dip sample to another case of
    the same worker; otherwise the same person gets another case of the same area
    quota (any case if the area has none), else the case goes to another person.
    `keep` forces one of the two. `reason` (the person's own words) is quoted only
    back to that person, never to a colleague. None when nothing eligible is left.
    """
    rest = list(inputs.already)
    if released in rest:
        rest.remove(released)
    engine = AllocationEngine(replace(inputs, already=tuple(rest)))
    return _replacement(engine, released, reason, keep)


# -- "Can't do this one" ----------------------------------------------------------------


def _replacement(
    engine: AllocationEngine,
    released: Allocated,
    reason: str,
    keep: Literal["person", "case"] | None,
) -> Allocated | None:
    if released.case_id is None:
        return _other_moderator(engine, released)
    case = engine.cases.get(released.case_id)
    if case is None:
        return None
    if released.activity == "dip_sample":
        return None if keep == "case" else _other_dip_case(engine, released, case, reason)
    quota = next((q for q in engine.month_quotas() if q.area == case.area), None)
    if case.id in engine.reaudit:
        base, order = engine.reaudit_reason(case.id), ["case"]
    else:
        base, order = (quota.reason if quota else ""), ["person", "case"]
    for how in [keep] if keep else order:
        got = (
            _same_person(engine, released, case, quota, reason)
            if how == "person"
            else _same_case(engine, released, case, base)
        )
        if got:
            return got
    return None


def _same_person(
    engine: AllocationEngine, released: Allocated, case: OpenCase, quota: Quota | None, reason: str
) -> Allocated | None:
    """Another case for the same person: same area quota, never a re-audit due."""
    pid = released.person_id
    if pid not in engine.available or engine.spare(pid) <= 0:
        return None
    engine.taken.add(case.id)
    for cid in engine.ranked:
        other = engine.cases[cid]
        if cid in engine.taken or cid in engine.reaudit or not engine.worker_ok(other):
            continue
        if (quota and other.area != case.area) or not engine.fits(pid, other):
            continue
        cadence = engine.cadences[pid].get(released.activity) if pid in engine.cadences else None
        parts = [quota.reason] if quota else []
        if cadence and not quota:
            parts.append(rules.cadence_phrase(engine.fw, cadence))
        parts += [engine.history_note(cid), f"in place of case {case.reference} ({reason})"]
        basis: Basis = "quota" if quota else "cadence"
        return engine.add(pid, other, released.activity, "; ".join(parts), basis)
    return None


def _same_case(
    engine: AllocationEngine, released: Allocated, case: OpenCase, base: str
) -> Allocated | None:
    """The same case for another eligible person with room (the released one excluded)."""
    engine.taken.discard(case.id)
    pid = engine.pick(engine.heap(engine.audit_pool()), case, frozenset({released.person_id}))
    if pid is None:
        return None
    why = (
        f"{base or engine.history_note(case.id)}; reallocated because a colleague could not take it"
    )
    basis: Basis = "reaudit" if case.id in engine.reaudit else "quota" if base else "cadence"
    return engine.add(pid, case, released.activity, why, basis)


def _other_dip_case(
    engine: AllocationEngine, released: Allocated, case: OpenCase, reason: str
) -> Allocated | None:
    """Another case of the same worker for the same manager."""
    engine.taken.add(case.id)
    pool = [
        c
        for c in engine.inputs.cases
        if c.worker_id is not None and c.worker_id == case.worker_id and c.id not in engine.taken
    ]
    if not pool:
        return None
    other = min(pool, key=engine.dip_order)
    why = f"{released.reason}; in place of case {case.reference} ({reason})"
    return engine.add(released.person_id, other, "dip_sample", why, "dip_sample")


def _other_moderator(engine: AllocationEngine, released: Allocated) -> Allocated | None:
    """The slot for another person whose moderation cadence is due, fewest slots first."""
    candidates = sorted(
        (
            p
            for p in engine.available
            if p != released.person_id and "moderation" in engine.cadences.get(p, {})
        ),
        key=lambda p: (engine.slots[(p, "moderation")], mix(engine.seed, p)),
    )
    if not candidates:
        return None
    why = f"{released.reason}; reallocated because a colleague could not take it"
    return engine.add(candidates[0], None, "moderation", why, "moderation")
