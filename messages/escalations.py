"""The escalation requests: who is asked, as what, about which case, by when.

One template (`escalation_request`) serves a grade's request for remedial action, an
urgent flag's request for a response, a dip sample's request for a whole-caseload
decision, and each of their reminders, chasers and re-escalations (`stage`). The
message key is the request's idempotency key (`qa.grading.escalation_key`), or the
reminder's, so a request is made once whoever asks first: the audit dialog's hook
or the reconciling job. Requests wait for working hours, except urgent ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from messages.tracking import escalation_item, first_name, labels, local_date
from qa.framework import Framework
from qa.send_window import in_send_window
from storage.models import Audit, Escalation, OutboxMessage
from storage.outbox import Message, enqueue
from storage.tracking import Directory, directory, key_of, references


def _case_of(session: Session, row: Escalation) -> tuple[int | None, Audit | None]:
    audit = session.get(Audit, row.audit_id) if row.audit_id is not None else None
    return row.case_id or (audit.case_id if audit else None), audit


# -- escalation requests -----------------------------------------------------------


def _roles_involved(framework: Framework, row: Escalation) -> tuple[list[str], list[str]]:
    """(roles first asked to act, every role involved) for this request's subject."""
    if row.kind == "urgent":
        flag = next((f for f in framework.audit_form.urgent_flags if f.key == row.flag), None)
        if flag is None:
            return [], []
        asked = list(flag.response_from or flag.roles)
        return asked, [*flag.roles, *flag.response_from]
    if row.kind == "dip_sample":
        approver = framework.dip_sample.whole_caseload_approver if framework.dip_sample else ""
        return [approver], [approver]
    rule = next((g for g in framework.escalation.grades if g.grade == row.grade), None)
    if rule is None:
        return [], []
    return list(rule.roles), [*rule.roles, *rule.re_escalate_to]


def request_message(
    session: Session,
    framework: Framework,
    row: Escalation,
    *,
    stage: str,
    message_key: str,
    staff: Directory,
    tz: ZoneInfo,
    now: datetime,
) -> Message:
    """The request to `row`'s owner: what to answer, asked as whom, and by when."""
    case_id, audit = _case_of(session, row)
    reference = references(session=session, case_ids=[case_id]).get(case_id or 0)
    first_asked, involved = _roles_involved(framework, row)
    person = staff.people.get(row.owner_id)
    mine = [r for r in involved if person is not None and r in person.roles]
    graded_at = (audit.finalised_at or audit.submitted_at) if audit else None
    context = {
        "stage": stage,
        "kind": row.kind,
        "level": row.level,
        "first_name": first_name(staff.name(row.owner_id)),
        "asked_as": labels(framework, mine) if mine or row.level == 0 else ["line manager"],
        "asked_first": labels(framework, first_asked),
        "audited_on": local_date(graded_at, tz),
        "item": escalation_item(
            framework, row, reference=reference, message_key=message_key, tz=tz, now=now
        ),
    }
    return Message("escalation_request", message_key, context, person_id=row.owner_id)


def send_requests(
    *,
    session: Session,
    framework: Framework,
    rows: Iterable[Escalation],
    stage: str,
    tz: ZoneInfo,
    now: datetime,
) -> int:
    """Queue each row's request not queued yet: urgent ones at once, others only in
    working hours (a later tick sends them when the window opens)."""
    rows = list(rows)
    window = in_send_window(framework.reminders, now, tz)
    keys = [key_of(r) for r in rows]
    held = set(
        session.exec(
            select(OutboxMessage.idempotency_key).where(
                col(OutboxMessage.idempotency_key).in_(keys)
            )
        ).all()
    )
    staff: Directory | None = None
    sent = 0
    for row, key in zip(rows, keys, strict=True):
        if key in held or not (window or row.kind == "urgent"):
            continue
        staff = staff or directory(session=session)
        message = request_message(
            session,
            framework,
            row,
            stage=stage if row.level == 0 else "re_escalated",
            message_key=key,
            staff=staff,
            tz=tz,
            now=now,
        )
        sent += enqueue(session=session, message=message, now=now)
    return sent
