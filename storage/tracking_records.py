"""Writing what happens to tracked items: escalation rows, responses, action updates.

Each change is one row written with an audit-log entry in the caller's transaction.
Escalation rows are found again by the columns their idempotency key is made of
(kind, audit, subject, owner, level), so saving the same plan twice, from the audit
dialog's hook and from the reconciling job, stores one request.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from qa.grading import EscalationPlan
from storage import audit_log
from storage.models import Escalation, Person, Recommendation, RecommendationUpdate
from storage.tracking import INFORMED, OPEN, RESOLVED, siblings, subject_of

SCHEDULER = "scheduler"


def _log(
    session: Session,
    now: datetime,
    action: str,
    row: Escalation | Recommendation,
    person: Person | None,
    before: dict[str, Any] | None = None,
) -> None:
    """Log a change to a tracked row, with the row as it now is: made by `person`, or by
    the scheduler when None."""
    audit_log.record_row(
        session=session,
        now=now,
        action=action,
        row=row,
        actor=person.email if person is not None else SCHEDULER,
        actor_id=person.id if person is not None else None,
        before=before,
        after=audit_log.snapshot(row),
    )


def find_escalation(*, session: Session, plan: EscalationPlan) -> Escalation | None:
    rows = session.exec(
        select(Escalation)
        .where(Escalation.kind == plan.kind)
        .where(Escalation.audit_id == plan.audit_id)
        .where(Escalation.owner_id == plan.owner_id)
        .where(Escalation.level == plan.level)
    )
    subject = {"urgent": plan.flag, "dip_sample": "caseload"}.get(plan.kind, plan.grade)
    return next((r for r in rows if subject_of(r) == (subject or "")), None)


def already_escalated(*, session: Session, kind: str, audit_id: int, subject: str) -> bool:
    """Whether any request was ever made about this audit and subject (at level 0)."""
    rows = session.exec(
        select(Escalation)
        .where(Escalation.kind == kind)
        .where(Escalation.audit_id == audit_id)
        .where(Escalation.level == 0)
    )
    return any(subject_of(r) == subject for r in rows)


def save_plans(
    *, session: Session, plans: Iterable[EscalationPlan], now: datetime
) -> list[Escalation]:
    """Store each plan not stored yet; the rows created (with ids), in plan order."""
    created = []
    for plan in plans:
        if find_escalation(session=session, plan=plan) is not None:
            continue
        row = Escalation(
            kind=plan.kind,
            audit_id=plan.audit_id,
            case_id=plan.case_id,
            grade=plan.grade,
            flag=plan.flag,
            owner_id=plan.owner_id,
            level=plan.level,
            deadline=plan.deadline,
            status=OPEN if plan.responds else INFORMED,
            created_at=now,
        )
        session.add(row)
        session.flush()
        _log(session, now, f"escalation.{plan.kind}", row, None)
        created.append(row)
    return created


def record_response(
    *, session: Session, row: Escalation, person: Person, response: str, status: str, now: datetime
) -> list[Escalation]:
    """Answer a request: it, and every open request about the same thing, is closed.

    One remedial action answers the Director and the Assistant Director alike; the
    rows closed are returned so their messages can be edited in place.
    """
    closed = []
    for other in siblings(session=session, row=row):
        if other.status != OPEN and other.id != row.id:
            continue
        before = audit_log.snapshot(other)
        other.status = status if other.id == row.id else RESOLVED
        other.response = response
        other.responded_at = now
        session.add(other)
        _log(session, now, "escalation.respond", other, person, before)
        closed.append(other)
    return closed


def add_update(
    *,
    session: Session,
    rec: Recommendation,
    person: Person,
    kind: str,
    now: datetime,
    note: str = "",
    new_due_on: date | None = None,
    changes: dict[str, object] | None = None,
) -> RecommendationUpdate:
    """Record one event on a recommendation and apply `changes` to it, logged."""
    before = audit_log.snapshot(rec)
    for name, value in (changes or {}).items():
        setattr(rec, name, value)
    session.add(rec)
    update = RecommendationUpdate(
        recommendation_id=rec.id or 0,
        person_id=person.id or 0,
        kind=kind,
        note=note,
        new_due_on=new_due_on,
        created_at=now,
    )
    session.add(update)
    session.flush()
    _log(session, now, f"recommendation.{kind}", rec, person, before)
    return update
