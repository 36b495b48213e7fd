"""The short lists behind "Pick another": who else could take the case, or which other case.

Both lists follow the engine's own rules, asked of a `qa.allocation_engine.AllocationEngine`
built from the month's stored allocations (waiting proposals count): another person
must be eligible (peer principle, not their own or a line-managed case) and have room;
another case for the same person must be in the same area quota, not a re-audit due,
and within the per-worker limit. A dip sample can only move to another case of the
same worker. Pairs already on record for the month (someone who declined a case
before) are never offered again: the table allows one row per person, case and activity.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from qa import allocation_rules as rules
from qa.allocation import Allocated, AllocationInputs, OpenCase
from qa.allocation_engine import AllocationEngine
from qa.framework import Framework
from qa.working_days import Month
from storage.allocations import PROPOSED, build_inputs
from storage.models import Allocation

LIMIT = 5
REALLOCATED = "reallocated because a colleague could not take it"  # as the engine says
Kind = Literal["person", "case"]
# How a decline reason reads inside an allocation reason ("in place of case X (...)").
# The person's own words never go there: the reason is shown to whoever gets the case.
REASON_PHRASE = {
    "absence": "absence",
    "conflict": "conflict of interest",
    "case_closed": "case closed",
    "other": "could not take it",
}


@dataclass(frozen=True)
class Choice:
    """One option: another person for the case, or another case for the person."""

    kind: Kind
    allocated: Allocated

    @property
    def value(self) -> str:
        """What a form option carries: `person:<id>` or `case:<id>` (checked on submit)."""
        a = self.allocated
        return f"person:{a.person_id}" if self.kind == "person" else f"case:{a.case_id}"


def as_allocated(row: Allocation) -> Allocated:
    """The engine's view of a stored allocation (as `build_inputs` makes it)."""
    return Allocated(row.person_id, row.case_id, row.activity, row.due_on, row.reason)


def month_inputs(
    *,
    session: Session,
    framework: Framework,
    month: Month,
    tz: ZoneInfo,
    skip: frozenset[int] = frozenset(),
) -> AllocationInputs:
    """The engine's inputs for `month`, counting waiting proposals (except `skip`)."""
    inputs = build_inputs(session=session, framework=framework, month=month, tz=tz)
    waiting = session.exec(
        select(Allocation)
        .where(Allocation.month == month.key)
        .where(Allocation.status == PROPOSED)
        .order_by(col(Allocation.id))
    ).all()
    held = tuple(as_allocated(r) for r in waiting if r.id not in skip)
    return replace(inputs, already=inputs.already + held)


def taken_pairs(*, session: Session, month: str) -> set[tuple[int, int | None, str]]:
    """(person, case, activity) already stored for the month, whatever their status."""
    rows = session.exec(select(Allocation).where(Allocation.month == month)).all()
    return {(r.person_id, r.case_id, r.activity) for r in rows}


def kinds_for(category: str) -> tuple[Kind, ...]:
    """An absent person cannot take another case; a closed case cannot go to anyone."""
    if category == "absence":
        return ("person",)
    if category == "case_closed":
        return ("case",)
    return ("case", "person")  # the engine's order: the same person first


def choices(
    session: Session,
    framework: Framework,
    released: Allocation,
    *,
    category: str,
    tz: ZoneInfo,
    skip: frozenset[int] = frozenset(),
    limit: int = LIMIT,
) -> list[Choice]:
    """Up to `limit` of each kind the category allows, best first by the engine's order."""
    if released.case_id is None:
        return []
    month = Month.parse(released.month)
    inputs = month_inputs(session=session, framework=framework, month=month, tz=tz, skip=skip)
    taken = taken_pairs(session=session, month=released.month)
    phrase = _phrase(category)
    out: list[Choice] = []
    for kind in kinds_for(category):
        engine = AllocationEngine(inputs)  # fresh each time: listing changes the engine's counts
        found = (
            _other_people(engine, released, limit)
            if kind == "person"
            else _other_cases(engine, released, phrase, limit)
        )
        out += [Choice(kind, a) for a in found if (a.person_id, a.case_id, a.activity) not in taken]
    return out


def _phrase(category: str) -> str:
    return REASON_PHRASE.get(category, REASON_PHRASE["other"])


def _other_people(engine: AllocationEngine, released: Allocation, limit: int) -> list[Allocated]:
    """Eligible people with room for the same case, the released person excluded."""
    case = engine.cases.get(released.case_id or 0)
    if case is None or released.activity == "dip_sample":
        return []  # a closed case goes to nobody; a dip sample belongs to the manager
    engine.taken.discard(case.id)
    if case.id in engine.reaudit:
        base = engine.reaudit_reason(case.id)
    else:
        quota = next((q for q in engine.month_quotas() if q.area == case.area), None)
        base = quota.reason if quota else ""
    why = (
        f"{base or engine.history_note(case.id)}; reallocated because a colleague could not take it"
    )
    heap = engine.heap(engine.audit_pool())
    exclude = {released.person_id}
    out: list[Allocated] = []
    while len(out) < limit:
        pid = engine.pick(heap, case, frozenset(exclude))
        if pid is None:
            break
        exclude.add(pid)
        out.append(Allocated(pid, case.id, released.activity, released.due_on, why))
    return out


def _other_cases(
    engine: AllocationEngine, released: Allocation, phrase: str, limit: int
) -> list[Allocated]:
    """Other cases for the same person, in the same area quota (as the engine swaps)."""
    pid, old = released.person_id, engine.cases.get(released.case_id or 0)
    reference = old.reference if old else ""
    engine.taken.add(released.case_id or 0)
    if released.activity == "dip_sample":
        pool = _same_worker_cases(engine, old)
        why = f"{released.reason}; in place of case {reference} ({phrase})"
        return [Allocated(pid, c.id, released.activity, released.due_on, why) for c in pool[:limit]]
    if old is not None and old.id in engine.reaudit:
        return []  # a re-audit due must be done on that case, by someone
    if pid not in engine.available or engine.spare(pid) <= 0:
        return []
    quota = next((q for q in engine.month_quotas() if old and q.area == old.area), None)
    cadence = engine.cadences[pid].get(released.activity) if pid in engine.cadences else None
    out: list[Allocated] = []
    for cid in engine.ranked:
        other = engine.cases[cid]
        if cid in engine.taken or cid in engine.reaudit or not engine.worker_ok(other):
            continue
        if (quota and old and other.area != old.area) or not engine.eligible(pid, other):
            continue
        parts = [quota.reason] if quota else []
        if cadence and not quota:
            parts.append(rules.cadence_phrase(engine.fw, cadence))
        parts += [engine.history_note(cid), f"in place of case {reference} ({phrase})"]
        out.append(Allocated(pid, cid, released.activity, released.due_on, "; ".join(parts)))
        if len(out) >= limit:
            break
    return out


def _same_worker_cases(engine: AllocationEngine, old: OpenCase | None) -> list[OpenCase]:
    if old is None or old.worker_id is None:
        return []
    pool = [
        c for c in engine.inputs.cases if c.worker_id == old.worker_id and c.id not in engine.taken
    ]
    return sorted(pool, key=engine.dip_order)
