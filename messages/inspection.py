"""What inspection mode says, and queueing it: the lead's list, the auditors' prompts, the chase.

The QA lead who started it is told who got which case (staff names, case references:
the lead allocates, so sees both). Each auditor gets the usual allocation prompt for
their inspection cases (Start, Can't do this one), under a key of its own, so the
monthly prompt and this one never stand in for each other. Every working day until
each is submitted, its auditor is chased (`inspection_chase`), once a day.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from messages.allocation import prompt_context
from messages.tracking import first_name
from qa.framework import Framework
from qa.working_days import long_date
from storage.inspection_mode import Started
from storage.models import Allocation, Case, InspectionAudit, Person
from storage.outbox import Message, enqueue
from storage.tracking import directory

__all__ = ["chase_messages", "queue_prompts", "started_context"]


def started_context(
    session: Session, framework: Framework, started: Started, days: int
) -> dict[str, Any]:
    """The `inspection_reply` context for the lead: who got what, and what could not go."""
    staff = directory(session=session)
    return {
        "what": "started",
        "audit_word": framework.vocabulary.audit,
        "audits_word": framework.vocabulary.audits,
        "days": days,
        "due": long_date(started.due_on),
        "rows": [
            {"reference": ref, "auditor": staff.name(row.person_id)} for ref, row in started.made
        ],
        "unallocated": list(started.unallocated),
        "unknown": list(started.unknown),
    }


def queue_prompts(
    *, session: Session, framework: Framework, started: Started, now: datetime
) -> int:
    """One allocation prompt per auditor for their inspection cases; how many were queued."""
    by_person: dict[int, list[Allocation]] = defaultdict(list)
    for _, row in started.made:
        by_person[row.person_id].append(row)
    sent = 0
    for person_id, rows in by_person.items():
        person = session.get(Person, person_id)
        if person is None:
            continue
        ids = "-".join(str(r.id) for r in sorted(rows, key=lambda r: r.id or 0))
        context = prompt_context(session, framework, person, rows)
        key = f"inspection-prompt:{person_id}:{ids}"
        message = Message("allocation_prompt", key, context, person_id=person_id)
        sent += enqueue(session=session, message=message, now=now)
    return sent


def chase_messages(
    session: Session,
    framework: Framework,
    rows: list[tuple[InspectionAudit, Allocation]],
    today: date,
) -> list[Message]:
    """Today's chase for each auditor with inspection audits still to submit."""
    by_person: dict[int, list[tuple[InspectionAudit, Allocation]]] = defaultdict(list)
    for item in rows:
        by_person[item[1].person_id].append(item)
    staff = directory(session=session)
    out = []
    for person_id, items in by_person.items():
        cases = []
        for inspection, allocation in items:
            case = session.get(Case, allocation.case_id) if allocation.case_id else None
            cases.append(
                {
                    "reference": case.reference if case else None,
                    "due": long_date(inspection.due_on),
                    "overdue": inspection.due_on < today,
                    "today": inspection.due_on == today,
                }
            )
        context = {
            "first_name": first_name(staff.name(person_id)),
            "audit_word": framework.vocabulary.audit,
            "audits_word": framework.vocabulary.audits,
            "items": cases,
        }
        key = f"inspection-chase:{person_id}:{today.isoformat()}"
        out.append(Message("inspection_chase", key, context, person_id=person_id))
    return out
