"""An audit's closing record: findings sent to the worker and line manager, and the QA
lead's closing block (City of London's "To be completed by Head of Safeguarding &
Quality Assurance"). One row per audit, made the first time either happens.

The answers are dates (ISO text) and Yes/No only: no free text, nothing about a child.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from storage.audit_log import record
from storage.models import AuditClosing, Case, Moderation, Person


def closing_of(*, session: Session, audit_id: int) -> AuditClosing | None:
    return session.exec(select(AuditClosing).where(AuditClosing.audit_id == audit_id)).first()


def _row(session: Session, audit_id: int, now: datetime) -> AuditClosing:
    row = closing_of(session=session, audit_id=audit_id)
    if row is None:
        row = AuditClosing(audit_id=audit_id, answers={}, created_at=now)
        session.add(row)
        session.flush()
    return row


def mark_findings_sent(*, session: Session, audit_id: int, now: datetime) -> AuditClosing:
    """Remember the first time the findings went out (the closing block's first date)."""
    row = _row(session, audit_id, now)
    if row.findings_sent_at is None:
        row.findings_sent_at = now
        session.add(row)
    return row


def record_closing(
    *,
    session: Session,
    audit_id: int,
    answers: dict[str, Any],
    person: Person,
    now: datetime,
) -> AuditClosing:
    """Store the QA lead's closing answers (the latest submission wins), and log it."""
    row = _row(session, audit_id, now)
    before = dict(row.answers or {})
    row.answers = dict(answers)
    row.closed_by_id = person.id
    row.closed_at = now
    session.add(row)
    session.flush()
    record(
        session=session,
        now=now,
        action="audit.close",
        record_type="audit",
        record_id=audit_id,
        actor=person.email,
        actor_id=person.id,
        before={"closing": before} if before else None,
        after={"closing": dict(answers)},
    )
    return row


def line_manager_of(*, session: Session, person_id: int) -> Person | None:
    """The person's line manager: the nearest active one up the line-management chain
    (a manager who has left is passed over for theirs, as escalations do)."""
    seen = {person_id}
    current = session.get(Person, person_id)
    while current is not None and current.line_manager_id is not None:
        if current.line_manager_id in seen:
            return None
        seen.add(current.line_manager_id)
        boss = session.get(Person, current.line_manager_id)
        if boss is not None and boss.active:
            return boss
        current = boss
    return None


def case_worker(*, session: Session, case: Case | None) -> Person | None:
    if case is None or case.worker_id is None:
        return None
    worker = session.get(Person, case.worker_id)
    return worker if worker is not None and worker.active else None


def panel_moderated(*, session: Session, audit_id: int) -> bool:
    """Whether a panel (a chair and members) moderated the audit."""
    rows = session.exec(select(Moderation).where(Moderation.audit_id == audit_id)).all()
    return any(r.is_chair for r in rows)
