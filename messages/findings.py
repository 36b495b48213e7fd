"""A final audit's findings, to the allocated worker and their line manager, and the QA
lead's request to complete the closing block.

- `findings:<audit id>:<stage>:<person id>`: the findings (case reference, the final
  grade, the domain grades, the recommendations with their due dates), one direct
  message per recipient the framework names (`findings.send_to`), when the audit
  becomes final: at submission when no moderation is coming, or when its moderation
  decides (stage `m<round>`). A moderation that confirms findings already sent and
  changes nothing sends nothing more.
- `closing-request:<audit id>:<person id>`: to each holder of `closing.role`, once per
  audit, with *Complete closing* (the form is `handlers.closing`'s).

Case references only: a recommendation's wording is staff-written and is shown only
when the privacy check finds nothing in it (`storage.tracking_messages.safe_text`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from messages.tracking import first_name, route, safe_text
from qa.framework import Framework
from qa.moderation_dialog import ModerationResult, moderation_result
from storage.closing import case_worker, closing_of, line_manager_of, mark_findings_sent
from storage.models import Audit, Case, Moderation, Person, Recommendation
from storage.moderations import load_state
from storage.outbox import Message, enqueue

log = logging.getLogger(__name__)

RECOMMENDATIONS_SHOWN = 10
SUBMITTED_STAGE = "s"


def findings_key(audit_id: int, stage: str, person_id: int) -> str:
    return f"findings:{audit_id}:{stage}:{person_id}"


def closing_request_key(audit_id: int, person_id: int) -> str:
    return f"closing-request:{audit_id}:{person_id}"


def deciding_result(
    session: Session, framework: Framework, audit: Audit, moderation: Moderation | None
) -> ModerationResult | None:
    if moderation is None:
        return None
    state = load_state(moderation)
    if state is None or not state.finished:
        return None
    return moderation_result(state, framework, overall_grade=audit.overall_grade or "")


def recipients(session: Session, framework: Framework, audit: Audit) -> list[Person]:
    """The case's allocated worker and their line manager, as the framework says; never
    the auditor (they wrote it), nobody twice."""
    case = session.get(Case, audit.case_id)
    worker = case_worker(session=session, case=case)
    found: list[Person] = []
    if "worker" in framework.findings.send_to and worker is not None:
        found.append(worker)
    if "line_manager" in framework.findings.send_to and worker is not None:
        manager = line_manager_of(session=session, person_id=worker.id or 0)
        if manager is not None:
            found.append(manager)
    out: dict[int, Person] = {}
    for p in found:
        if p.id is not None and p.id != audit.auditor_id:
            out.setdefault(p.id, p)
    return list(out.values())


def _domains(
    framework: Framework, audit: Audit, area: str, result: ModerationResult | None
) -> list[dict[str, Any]]:
    labels = {g.key: g.label for g in framework.grades}
    out = []
    for d in framework.domains_for(area):
        given = (audit.domain_grades or {}).get(d.key)
        if given is None:
            continue
        view = result.domains.get(d.key) if result is not None else None
        final = view.grade if view is not None and not view.agrees and view.grade else given
        out.append({"label": d.label, "grade": labels.get(final, ""), "changed": final != given})
    return out


def _recommendations(session: Session, audit: Audit) -> tuple[list[dict[str, Any]], int]:
    rows = list(
        session.exec(
            select(Recommendation)
            .where(Recommendation.audit_id == audit.id)
            .order_by(col(Recommendation.due_on), col(Recommendation.id))
        )
    )
    owners = {p.id: p.name for p in session.exec(select(Person))} if rows else {}
    shown = [
        {
            "level": r.level,
            "action": safe_text(r.action, 300),
            "owner": owners.get(r.owner_id, ""),
            "due_on": r.due_on.isoformat(),
        }
        for r in rows[:RECOMMENDATIONS_SHOWN]
    ]
    return shown, max(len(rows) - RECOMMENDATIONS_SHOWN, 0)


def findings_context(
    session: Session,
    framework: Framework,
    audit: Audit,
    person: Person,
    *,
    role: str,
    result: ModerationResult | None,
    tz: ZoneInfo,
) -> dict[str, Any]:
    case = session.get(Case, audit.case_id)
    labels = {g.key: g.label for g in framework.grades}
    grade = audit.final_grade or audit.overall_grade or ""
    recs, more = _recommendations(session, audit)
    auditor = session.get(Person, audit.auditor_id)
    return {
        "first_name": first_name(person.name),
        "role": role,
        "reference": case.reference if case else "",
        "auditor": auditor.name if auditor else "",
        "grade": labels.get(grade, ""),
        "moderated": result is not None,
        "domains": _domains(framework, audit, case.area if case else "", result),
        "recommendations": recs,
        "more": more,
    }


def queue_findings(
    *,
    session: Session,
    framework: Framework,
    audit: Audit,
    stage: str,
    result: ModerationResult | None,
    now: datetime,
    tz: ZoneInfo,
) -> int:
    """The findings to each recipient the framework names, once per stage."""
    people = recipients(session, framework, audit)
    if len(people) < len(framework.findings.send_to):
        # No allocated worker, no active line manager, or one of them wrote the audit.
        log.info(
            "findings: audit=%s reaches %s of %s recipients",
            audit.id,
            len(people),
            len(framework.findings.send_to),
        )
    if not people or audit.id is None:
        return 0
    case = session.get(Case, audit.case_id)
    worker_id = case.worker_id if case else None
    sent = 0
    for person in people:
        role = "worker" if person.id == worker_id else "line_manager"
        context = findings_context(
            session, framework, audit, person, role=role, result=result, tz=tz
        )
        message = Message(
            "findings", findings_key(audit.id, stage, person.id or 0), context, person_id=person.id
        )
        sent += enqueue(session=session, message=message, now=now)
    mark_findings_sent(session=session, audit_id=audit.id, now=now)
    return sent


def findings_already_sent(session: Session, audit: Audit) -> bool:
    row = closing_of(session=session, audit_id=audit.id or 0)
    return row is not None and row.findings_sent_at is not None


def closing_holders(session: Session, framework: Framework) -> list[Person]:
    if framework.closing is None:
        return []
    role = framework.closing.role
    people = session.exec(select(Person).where(col(Person.active)).order_by(col(Person.id)))
    return [p for p in people if role in (p.roles or [])]


def queue_closing_requests(
    *, session: Session, framework: Framework, audit: Audit, now: datetime, tz: ZoneInfo
) -> int:
    """Ask each holder of the closing role to complete the closing block, once."""
    if framework.closing is None or audit.id is None:
        return 0
    case = session.get(Case, audit.case_id)
    labels = {g.key: g.label for g in framework.grades}
    row = closing_of(session=session, audit_id=audit.id)
    sent_on = (
        row.findings_sent_at.astimezone(tz).date().isoformat()
        if row is not None and row.findings_sent_at is not None
        else None
    )
    sent = 0
    for person in closing_holders(session, framework):
        key = closing_request_key(audit.id, person.id or 0)
        context = {
            "first_name": first_name(person.name),
            "reference": case.reference if case else "",
            "grade": labels.get(audit.final_grade or audit.overall_grade or "", ""),
            "findings_sent_on": sent_on,
            "item": {
                "type": "closing",
                "id": audit.id,
                "open": True,
                "state": None,
                "routing_key": route("closing", audit.id, key),
            },
        }
        sent += enqueue(
            session=session,
            message=Message("closing_request", key, context, person_id=person.id),
            now=now,
        )
    return sent
