"""Allocations in the database: the engine's inputs from rows, its plan back to rows.

The engine (`qa.allocation`) is pure; this module is the only place that knows how
people, cases and past audits are stored. Saving a plan is idempotent: the unique
(month, person, case, activity) constraint and an existence check make a second run
of the same month add nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from qa.allocation import Allocated, AllocationInputs, AllocationPlan, OpenCase, PastAudit
from qa.allocation import StaffMember as StaffRow
from qa.allocation_rules import uses_bank_holidays
from qa.framework import Framework
from qa.working_days import Month, working_days_after
from storage.audit_log import record_created
from storage.models import Absence, Allocation, Audit, Case, Person, Service, Team

# Allocation.status values. `released` rows stay for the record ("Can't do this one").
ALLOCATED, IN_PROGRESS, COMPLETED, RELEASED, PROPOSED = (
    "allocated",
    "in_progress",
    "completed",
    "released",
    "proposed",
)
LIVE = (ALLOCATED, IN_PROGRESS, COMPLETED)


def build_inputs(
    *, session: Session, framework: Framework, month: Month, tz: ZoneInfo
) -> AllocationInputs:
    """Everything the engine needs for `month`, read in a handful of queries."""
    teams = {t.id: t for t in session.exec(select(Team))}
    services = {s.id: s.name for s in session.exec(select(Service))}
    absences: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for absence in session.exec(select(Absence)):
        absences[absence.person_id].append((absence.starts_on, absence.ends_on))
    staff = []
    for p in session.exec(select(Person).where(col(Person.active)).order_by(col(Person.id))):
        team = teams.get(p.team_id) if p.team_id else None
        staff.append(
            StaffRow(
                id=p.id or 0,
                email=p.email,
                roles=tuple(p.roles),
                team=team.name if team else None,
                service=services.get(team.service_id) if team else None,
                line_manager_id=p.line_manager_id,
                capacity=p.capacity,
                absences=tuple(absences.get(p.id or 0, ())),
            )
        )
    cases = [
        OpenCase(
            id=c.id or 0,
            reference=c.reference,
            service=services.get(c.service_id, ""),
            team=teams[c.team_id].name if c.team_id in teams else "",
            worker_id=c.worker_id,
            area=c.area,
            opened_on=c.opened_on,
        )
        for c in session.exec(
            select(Case).where(col(Case.active)).where(Case.status == "open").order_by(col(Case.id))
        )
    ]
    workers = {c.id: c.worker_id for c in session.exec(select(Case))}
    refs = {c.id: c.reference for c in session.exec(select(Case))}
    history = []
    for a in session.exec(
        select(Audit).where(col(Audit.status).in_(["submitted", "final"])).order_by(col(Audit.id))
    ):
        done = a.finalised_at or a.submitted_at
        if done is None:
            continue
        history.append(
            PastAudit(
                case_id=a.case_id,
                auditor_id=a.auditor_id,
                worker_id=workers.get(a.case_id),
                completed_on=done.astimezone(tz).date(),
                grade=a.final_grade or a.overall_grade,
                activity=_activity_of(session, a),
                reference=refs.get(a.case_id, ""),
            )
        )
    already = tuple(
        Allocated(
            person_id=r.person_id,
            case_id=r.case_id,
            activity=r.activity,
            due_on=r.due_on,
            reason=r.reason,
        )
        for r in session.exec(
            select(Allocation)
            .where(Allocation.month == month.key)
            # Released rows are left out: their replacement (proposed, then allocated)
            # holds the quota place, so a re-run does not fill it a second time.
            .where(col(Allocation.status).in_([*LIVE, PROPOSED]))
            .order_by(col(Allocation.id))
        )
    )
    in_progress = frozenset(
        r.case_id
        for r in session.exec(
            select(Allocation)
            .where(col(Allocation.month) < month.key)
            .where(col(Allocation.status).in_([ALLOCATED, IN_PROGRESS]))
        )
        if r.case_id is not None
    )
    return AllocationInputs(
        framework=framework,
        month=month,
        staff=tuple(staff),
        cases=tuple(cases),
        history=tuple(history),
        already=already,
        in_progress=in_progress,
    )


def _activity_of(session: Session, audit: Audit) -> str:
    if audit.allocation_id is None:
        return "audit"
    alloc = session.get(Allocation, audit.allocation_id)
    return alloc.activity if alloc else "audit"


def unstored(*, session: Session, plan: AllocationPlan) -> AllocationPlan:
    """The plan less anything already stored for its month: exactly what `save_plan` writes.

    The dry run lists this and the real run stores it, so the two never disagree. A
    case allocation is stored once per (person, case, activity); caseless slots are
    numbered, and slot N is new only while the person holds fewer than N live slots of
    that activity (a moderation slot carries no case, so four of them differ by nothing
    else, and counting is the only way to keep all four and to add none on a re-run).
    """
    rows = session.exec(select(Allocation).where(Allocation.month == plan.month.key)).all()
    existing = {(r.person_id, r.case_id, r.activity) for r in rows if r.case_id is not None}
    slots: Counter[tuple[int, str]] = Counter(
        (r.person_id, r.activity)
        for r in rows
        if r.case_id is None and r.status in (*LIVE, PROPOSED)
    )
    keep: list[Allocated] = []
    for a in plan.allocations:
        if a.case_id is None:
            held = slots[(a.person_id, a.activity)]
            if held >= (a.slot if a.slot is not None else held + 1):
                continue
            slots[(a.person_id, a.activity)] += 1
        else:
            key = (a.person_id, a.case_id, a.activity)
            if key in existing:
                continue
            existing.add(key)
        keep.append(a)
    return replace(plan, allocations=tuple(keep))


def allocation_row(a: Allocated, *, month: str, status: str, now: datetime) -> Allocation:
    """The row for an allocation the engine chose: a plan's (allocated) and a
    replacement's (proposed) are stored alike."""
    return Allocation(
        month=month,
        person_id=a.person_id,
        case_id=a.case_id,
        activity=a.activity,
        due_on=a.due_on,
        reason=a.reason,
        status=status,
        created_at=now,
        updated_at=now,
    )


def save_plan(
    *, session: Session, plan: AllocationPlan, now: datetime, actor: str
) -> list[Allocation]:
    """Write the plan's allocations that are not stored yet (`unstored`); return the new rows."""
    rows = []
    for a in unstored(session=session, plan=plan).allocations:
        row = allocation_row(a, month=plan.month.key, status=ALLOCATED, now=now)
        session.add(row)
        rows.append(row)
    record_created(
        session=session,
        now=now,
        action="allocation.created",
        rows=rows,
        actor=actor,
        fields=("month", "person_id", "case_id", "activity", "due_on"),
    )
    return rows


def allocate_whole_caseload(
    *,
    session: Session,
    framework: Framework,
    worker_id: int,
    auditor_id: int,
    audited: set[int],
    reason: str,
    now: datetime,
    tz: ZoneInfo,
) -> list[Allocation]:
    """Allocate the worker's open cases to `auditor_id` now, bar those already taken.

    Taken: `audited` (the audit that started it and its dip samples), allocated to
    anyone this month, or open from an earlier month. Stored in the current month,
    due `allocation.due_working_days` working days from today.
    """
    today = now.astimezone(tz).date()
    month = Month.of(today)
    taken = set(audited) | {
        r.case_id
        for r in session.exec(
            select(Allocation).where(col(Allocation.status).in_([ALLOCATED, IN_PROGRESS, PROPOSED]))
        )
        if r.case_id is not None and r.activity != "moderation"
    }
    taken |= {
        r.case_id
        for r in session.exec(select(Allocation).where(Allocation.month == month.key))
        if r.case_id is not None and r.status in LIVE
    }
    due = working_days_after(
        today, framework.allocation.due_working_days, bank_holidays=uses_bank_holidays(framework)
    )
    cases = session.exec(
        select(Case)
        .where(Case.worker_id == worker_id)
        .where(col(Case.active))
        .where(Case.status == "open")
        .order_by(col(Case.id))
    ).all()
    plan = AllocationPlan(
        month,
        tuple(
            Allocated(auditor_id, c.id, "audit", due, reason, "capacity", c.area)
            for c in cases
            if c.id is not None and c.id not in taken and c.worker_id != auditor_id
        ),
        (),
    )
    return save_plan(session=session, plan=plan, now=now, actor="dip_sample")
