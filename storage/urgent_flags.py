"""Urgent flags in the database: an Escalation per person told, and their responses.

An auditor's urgent flag ("urgent safeguarding concern for this child") is escalated
the moment it is sent, not when the audit is submitted: one open `Escalation` (kind
`urgent`, level 0) per person told, due `response_hours` later, the flag added to
the audit's `urgent_flags`, and an audit-log entry, in the caller's transaction.
Sending the same flag again adds nothing, and the escalation feature's reconciler
(which looks for kind `urgent` rows by flag) finds these and makes no second request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, select

from qa.framework import UrgentFlag
from storage.audit_log import record_row
from storage.models import Audit, Escalation, Person

URGENT = "urgent"


def raise_urgent(
    *,
    session: Session,
    audit: Audit,
    flag: UrgentFlag,
    owners: Sequence[Person],
    now: datetime,
    actor: str,
) -> list[Escalation]:
    """An open urgent Escalation per owner (none twice for the same audit and flag),
    due `flag.response_hours` from now; the flag is on the audit at once."""
    existing = {
        e.owner_id
        for e in session.exec(
            select(Escalation)
            .where(Escalation.audit_id == audit.id)
            .where(Escalation.kind == URGENT)
            .where(Escalation.flag == flag.key)
        )
    }
    rows = []
    for owner in owners:
        if owner.id is None or owner.id in existing:
            continue
        row = Escalation(
            kind=URGENT,
            audit_id=audit.id,
            case_id=audit.case_id,
            flag=flag.key,
            owner_id=owner.id,
            deadline=now + timedelta(hours=flag.response_hours),
            created_at=now,
        )
        session.add(row)
        rows.append(row)
    if flag.key not in (audit.urgent_flags or []):
        audit.urgent_flags = [*(audit.urgent_flags or []), flag.key]
        audit.updated_at = now
        session.add(audit)
    session.flush()
    record_row(
        session=session,
        now=now,
        action="audit.urgent_flag",
        row=audit,
        actor=actor,
        actor_id=audit.auditor_id,
        after={
            "flag": flag.key,
            "escalations": [r.id for r in rows],
            "owners": [r.owner_id for r in rows],
        },
    )
    return rows


def respond(
    *, session: Session, escalation: Escalation, text: str, now: datetime, actor: str
) -> None:
    """Record the owner's response to an escalation (a later one is added to it)."""
    before = {"status": escalation.status, "responded_at": escalation.responded_at}
    if isinstance(before["responded_at"], datetime):
        before["responded_at"] = before["responded_at"].isoformat()
    earlier = escalation.response
    escalation.response = f"{earlier}\n\n{text}" if earlier else text
    escalation.responded_at = now
    escalation.status = "responded"
    session.add(escalation)
    record_row(
        session=session,
        now=now,
        action="escalation.respond",
        row=escalation,
        actor=actor,
        actor_id=escalation.owner_id,
        before=before,
        after={"status": escalation.status, "responded_at": now.isoformat()},
    )
