"""The demo QA lead's escalation to answer, when her framework escalates no grade to her.

Why: whoever tries the demo is its QA lead and should have an escalation to answer.
Some frameworks (Camden's) escalate no grade at all, so the history has none for her;
what they do have is an urgent flag the audit dialog sends to the QA lead's role
(Camden: "urgent safeguarding concern for this child", told to `head_of_qa`). So,
when she has no escalation open, the demo raises that flag on the newest learning
conversation someone else has in hand (a draft first, else the newest submitted one),
as its auditor would have from the dialog's flag button: the same people told (as
`handlers.audit_flags` chooses them: holders of the flag's roles, in the case's
service for a local role, never the person raising it), the same rows and audit-log
entry (`storage.urgent_flags.raise_urgent`), the same `urgent_flag` message under the
same idempotency key, with its *Respond* button. It is raised now, as the demo starts,
so its response is due `response_hours` from now rather than already overdue.

A framework whose flags never reach the QA lead gets nothing made up: she has no
escalation, and the banner says so. Run again, it finds her escalation open and adds
nothing.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from qa.framework import Framework, UrgentFlag
from storage.audit_people import role_holders
from storage.models import Audit, Case, Escalation, Person
from storage.outbox import Message, enqueue
from storage.tracking import OPEN as OPEN_ESCALATION
from storage.urgent_flags import raise_urgent

ANSWERED = ("grade", "dip_sample", "urgent")  # the kinds `my` offers a button to answer
IN_HAND = ("draft", "returned")


def _has_one(session: Session, person_id: int) -> bool:
    return (
        session.exec(
            select(Escalation.id)
            .where(Escalation.owner_id == person_id)
            .where(Escalation.status == OPEN_ESCALATION)
            .where(col(Escalation.kind).in_(ANSWERED))
        ).first()
        is not None
    )


def _newest_audit(session: Session, person_id: int) -> Audit | None:
    """Someone else's newest draft (a flag is raised mid-dialog), else newest submitted."""
    draft = session.exec(
        select(Audit)
        .where(Audit.auditor_id != person_id)
        .where(col(Audit.status).in_(IN_HAND))
        .order_by(col(Audit.updated_at).desc(), col(Audit.id).desc())
    ).first()
    if draft is not None:
        return draft
    return session.exec(
        select(Audit)
        .where(Audit.auditor_id != person_id)
        .where(col(Audit.submitted_at).is_not(None))
        .order_by(col(Audit.submitted_at).desc(), col(Audit.id).desc())
    ).first()


def _told(
    session: Session, framework: Framework, flag: UrgentFlag, case: Case, auditor_id: int
) -> list[Person]:
    """Who the audit dialog tells of `flag` (as `handlers.audit_flags._owners` does)."""
    local = [r.key for r in framework.roles if r.sees in ("service", "team")]
    owners = role_holders(
        session=session, roles=flag.roles, service_id=case.service_id, local_roles=local
    )
    if not owners:
        owners = role_holders(
            session=session, roles=[framework.qa_lead_role], service_id=None, local_roles=()
        )
    return [p for p in owners if p.id != auditor_id] or owners


def flag_for_lead(
    *, session: Session, framework: Framework, person_id: int, now: datetime, tz: ZoneInfo
) -> int:
    """Raise an urgent flag that reaches `person_id` if she has no escalation open (see
    the module docstring); how many messages were queued."""
    if _has_one(session, person_id):
        return 0
    audit = _newest_audit(session, person_id)
    case = session.get(Case, audit.case_id) if audit is not None else None
    auditor = session.get(Person, audit.auditor_id) if audit is not None else None
    if audit is None or case is None or auditor is None:
        return 0
    for flag in framework.audit_form.urgent_flags:
        owners = _told(session, framework, flag, case, auditor.id or 0)
        if person_id not in {p.id for p in owners}:
            continue
        rows = raise_urgent(
            session=session, audit=audit, flag=flag, owners=owners, now=now, actor=auditor.email
        )
        by_id = {p.id: p for p in owners}
        asked = [r.label for r in framework.roles if r.key in flag.response_from]
        queued = 0
        for row in rows:
            owner = by_id[row.owner_id]
            context = {
                "first_name": owner.name.split()[0] if owner.name else "",
                "flag": flag.label,
                "reference": case.reference,
                "raised_by": auditor.name,
                "hours": flag.response_hours,
                "deadline": row.deadline.astimezone(tz).date().isoformat(),
                "response_from": asked,
                "note": "",
                "note_withheld": False,
                "routing_key": f"escalation:{row.id}",
            }
            key = f"urgent:{audit.id}:{flag.key}:{owner.id}"
            message = Message("urgent_flag", key, context, person_id=owner.id)
            queued += enqueue(session=session, message=message, now=now)
        return queued
    return 0
