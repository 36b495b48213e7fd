"""Who the allocation conversation writes to, and when: its messages queued in the outbox.

What each message says (its template context) is built in `messages/allocation.py`.

Every message has an idempotency key naming the allocation it is about, so a click
repeated, retried or raced never sends anything twice:
- `allocation-declined:<released id>` edits the person's prompt in place (`update_of`);
- `allocation-proposal:<released id>:<lead id>` asks each QA lead to confirm;
- `allocation-settled:<released id>:<lead id>` edits that request in place once settled;
- `allocation-prompt-single:<allocation id>` gives the new person their one case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from messages.allocation import prompt_context, proposal_context, refreshed_prompt_context
from qa.framework import Framework
from storage.allocation_changes import qa_leads
from storage.models import Allocation, OutboxMessage, Person
from storage.outbox import Message, enqueue


def month_prompt_rows(session: Session, person_id: int, month: str) -> list[Allocation]:
    """The person's allocations of the month that a prompt lists (not proposals)."""
    return list(
        session.exec(
            select(Allocation)
            .where(Allocation.person_id == person_id)
            .where(Allocation.month == month)
            .where(
                col(Allocation.status).in_(["allocated", "in_progress", "completed", "released"])
            )
            .order_by(col(Allocation.due_on), col(Allocation.id))
        )
    )


# -- queueing ---------------------------------------------------------------------------


def queue_proposal(
    session: Session,
    framework: Framework,
    released: Allocation,
    proposal: Allocation | None,
    now: datetime,
) -> int:
    """One message per QA lead: confirm the proposal, pick another, or "nothing left"."""
    context = proposal_context(session, framework, released, proposal)
    sent = 0
    for lead in qa_leads(session=session, framework=framework):
        key = f"allocation-proposal:{released.id}:{lead.id}"
        message = Message("allocation_replacement", key, context, person_id=lead.id)
        sent += enqueue(session=session, message=message, now=now)
    return sent


def queue_settled(
    session: Session,
    framework: Framework,
    released: Allocation,
    proposal: Allocation,
    resolved: dict[str, Any],
    now: datetime,
) -> int:
    """Edit each QA lead's request in place: who settled it, when, and how."""
    prefix = f"allocation-proposal:{released.id}:"
    asked = session.exec(
        select(OutboxMessage).where(col(OutboxMessage.idempotency_key).startswith(prefix))
    ).all()
    context = proposal_context(session, framework, released, proposal, resolved=resolved)
    sent = 0
    for original in asked:
        if original.person_id is None:
            continue
        key = f"allocation-settled:{released.id}:{original.person_id}"
        message = Message(
            "allocation_replacement",
            key,
            {**context, "update_of": original.idempotency_key},
            person_id=original.person_id,
        )
        sent += enqueue(session=session, message=message, now=now)
    return sent


def queue_new_prompt(
    session: Session, framework: Framework, allocation: Allocation, now: datetime
) -> int:
    """The person now holding `allocation` gets a prompt for that one case."""
    person = session.get(Person, allocation.person_id)
    if person is None or not person.active:
        return 0
    context = prompt_context(session, framework, person, [allocation], replacement=True)
    key = f"allocation-prompt-single:{allocation.id}"
    message = Message("allocation_prompt", key, context, person_id=person.id)
    return int(enqueue(session=session, message=message, now=now))


def queue_prompt_refresh(
    session: Session, framework: Framework, released: Allocation, now: datetime
) -> int:
    """Edit the prompt that listed `released` in place, so it no longer offers its buttons."""
    context = refreshed_prompt_context(session, framework, released)
    if context is None:
        return 0
    key = f"allocation-declined:{released.id}"
    message = Message("allocation_prompt", key, context, person_id=released.person_id)
    return int(enqueue(session=session, message=message, now=now))
