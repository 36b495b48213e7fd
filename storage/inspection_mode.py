"""Inspection mode in the database: the auditors and their speed, the allocations made.

`start_inspection` looks the references up, gathers who may audit today (active,
holding an auditing role, not absent today) with their record (the median days from
allocation to submission, and how many audits they have open), lets
`qa.inspection_mode.choose_auditors` pick, and writes one allocation per case (due
in the lead's number of days, the reason saying it is for an inspection) with an
`InspectionAudit` row marking it urgent. All in the caller's transaction; the
audit log records each allocation. Queueing the messages is the caller's.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from qa.framework import Framework
from qa.inspection_mode import Auditor, InspectionCase, auditor_roles, choose_auditors
from qa.working_days import Month
from storage.audit_log import record_created
from storage.models import Absence, Allocation, Audit, Case, InspectionAudit, Person

__all__ = ["Started", "open_inspection_audits", "start_inspection"]

SUBMITTED = ("submitted", "final")
CLOSED = ("completed", "done", "cancelled", "withdrawn", "released", "declined", "swapped")


@dataclass(frozen=True)
class Started:
    """What starting inspection mode did: (reference, allocation or None) per case."""

    made: tuple[tuple[str, Allocation], ...]
    unallocated: tuple[str, ...]  # no independent auditor available
    unknown: tuple[str, ...]  # no open case with that reference
    due_on: date


def _auditors(session: Session, framework: Framework, today: date) -> list[Auditor]:
    roles = auditor_roles(framework)
    people = [
        p
        for p in session.exec(select(Person).where(col(Person.active)))
        if p.id is not None and roles.intersection(p.roles or [])
    ]
    ids = [p.id or 0 for p in people]
    away = set(
        session.exec(
            select(Absence.person_id)
            .where(col(Absence.person_id).in_(ids))
            .where(col(Absence.starts_on) <= today)
            .where(col(Absence.ends_on) >= today)
        )
    )
    days: dict[int, list[float]] = defaultdict(list)
    done = session.exec(
        select(Audit.auditor_id, Audit.submitted_at, Allocation.created_at)
        .join(Allocation, col(Audit.allocation_id) == col(Allocation.id))
        .where(col(Audit.auditor_id).in_(ids))
        .where(col(Audit.submitted_at).is_not(None))
    )
    for auditor_id, submitted, allocated in done:
        if submitted is not None and allocated is not None:
            days[auditor_id].append(max(0.0, (submitted - allocated).total_seconds() / 86400))
    open_: dict[int, int] = defaultdict(int)
    for person_id in session.exec(
        select(Allocation.person_id)
        .where(col(Allocation.person_id).in_(ids))
        .where(col(Allocation.case_id).is_not(None))
        .where(col(Allocation.status).not_in(CLOSED))
    ):
        open_[person_id] += 1
    return [
        Auditor(
            p.id or 0,
            p.team_id,
            statistics.median(days[p.id or 0]) if days.get(p.id or 0) else None,
            open_[p.id or 0],
        )
        for p in people
        if p.id not in away
    ]


def start_inspection(
    *,
    session: Session,
    framework: Framework,
    references: tuple[str, ...],
    days: int,
    started_by: Person | None,
    actor: str,
    now: datetime,
    today: date,
) -> Started:
    """Allocate the audits of `references` at once, due `days` from `today`, urgent."""
    due_on = today + timedelta(days=days)
    lowered = [r.lower() for r in references]
    found = {
        c.reference.lower(): c
        for c in session.exec(
            select(Case)
            .where(func.lower(col(Case.reference)).in_(lowered))
            .where(Case.status == "open")
        )
    }
    cases = []
    unknown = []
    for ref in references:
        case = found.get(ref.lower())
        if case is None or case.id is None:
            unknown.append(ref)
        else:
            cases.append(InspectionCase(case.id, case.reference, case.worker_id, case.team_id))
    line = {
        p.id or 0: p.line_manager_id for p in session.exec(select(Person).where(col(Person.active)))
    }
    picks = choose_auditors(framework, cases, _auditors(session, framework, today), line)
    month = Month.of(today).key
    reason = f"Inspection: the inspectors picked this case; urgent, due in {days} days"
    made = []
    unallocated = []
    created: list[Allocation] = []
    for pick in picks:
        if pick.auditor_id is None:
            unallocated.append(pick.case.reference)
            continue
        row = session.exec(
            select(Allocation)
            .where(Allocation.month == month)
            .where(Allocation.person_id == pick.auditor_id)
            .where(Allocation.case_id == pick.case.case_id)
            .where(Allocation.activity == "audit")
        ).first()
        if row is None:
            row = Allocation(
                month=month, person_id=pick.auditor_id, case_id=pick.case.case_id,
                activity="audit", due_on=due_on, reason=reason, created_at=now, updated_at=now,
            )  # fmt: skip
            session.add(row)
            session.flush()
            created.append(row)
        else:
            row.due_on = min(row.due_on, due_on)
            row.reason = reason
            row.updated_at = now
            session.add(row)
        if (
            session.exec(
                select(InspectionAudit).where(InspectionAudit.allocation_id == row.id)
            ).first()
            is None
        ):
            session.add(
                InspectionAudit(
                    allocation_id=row.id or 0,
                    started_by_id=started_by.id if started_by else None,
                    started_at=now,
                    due_on=due_on,
                )
            )
        made.append((pick.case.reference, row))
    record_created(
        session=session, now=now, action="allocation.inspection", rows=created,
        actor=actor,
        fields=("month", "person_id", "case_id", "activity", "due_on"),
    )  # fmt: skip
    session.flush()
    return Started(tuple(made), tuple(unallocated), tuple(unknown), due_on)


def open_inspection_audits(*, session: Session) -> list[tuple[InspectionAudit, Allocation]]:
    """Inspection allocations not yet submitted, nor closed: those to chase."""
    rows = session.exec(
        select(InspectionAudit, Allocation)
        .join(Allocation, col(InspectionAudit.allocation_id) == col(Allocation.id))
        .where(col(Allocation.status).not_in(CLOSED))
        .order_by(col(InspectionAudit.id))
    ).all()
    submitted = set(
        session.exec(
            select(Audit.allocation_id)
            .where(col(Audit.allocation_id).in_([a.id for _, a in rows]))
            .where(col(Audit.status).in_(SUBMITTED))
        )
    )
    return [(i, a) for i, a in rows if a.id not in submitted]
