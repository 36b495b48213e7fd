"""What the allocation conversation says, and to whom: template contexts and outbox messages.

Contexts carry case references, areas, teams and dates, never anything that names a
child. Staff names appear only where a colleague needs them: the QA lead sees who
declined and who is proposed; the person given a case in someone's place is not told
who that was. The person's own words for declining go to the QA lead(s) only.

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

from handlers.help import first_name
from qa.framework import Framework
from qa.working_days import Month, long_date
from storage.allocation_changes import decline_parts, qa_leads
from storage.models import Allocation, Case, OutboxMessage, Person, Team
from storage.outbox import Message, enqueue


def routing_key(allocation_id: int | None) -> str:
    return f"allocation:{allocation_id}"


def allocation_id_of(key: str | None) -> int | None:
    """The id inside a verified routing key `allocation:<id>`; None for anything else."""
    kind, _, rest = (key or "").partition(":")
    return int(rest) if kind == "allocation" and rest.isdigit() else None


def case_bits(session: Session, framework: Framework, case_id: int | None) -> dict[str, Any]:
    """Reference, area (in the framework's words) and team of a case: all a message shows."""
    case = session.get(Case, case_id) if case_id is not None else None
    if case is None:
        return {"reference": None, "area": None, "team": None}
    team = session.get(Team, case.team_id)
    areas = {a.key: a.label for a in framework.areas}
    return {
        "reference": case.reference,
        "area": areas.get(case.area, case.area),
        "team": team.name if team else "",
    }


def prompt_item(session: Session, framework: Framework, row: Allocation) -> dict[str, Any]:
    """One allocation as the prompt shows it (the monthly job's shape, plus its status)."""
    return {
        "allocation_id": row.id,
        "activity": row.activity,
        **case_bits(session, framework, row.case_id),
        "due": long_date(row.due_on),
        "due_on": row.due_on.isoformat(),
        "reason": row.reason,
        "routing_key": routing_key(row.id),
        "status": row.status,
    }


def prompt_context(
    session: Session,
    framework: Framework,
    person: Person,
    rows: list[Allocation],
    *,
    replacement: bool = False,
) -> dict[str, Any]:
    """The `allocation_prompt` context for `rows` (all of one month)."""
    month = Month.parse(rows[0].month).name if rows else ""
    return {
        "first_name": first_name(person),
        "month": month,
        "audit_word": framework.vocabulary.audit,
        "audits_word": framework.vocabulary.audits,
        "items": [prompt_item(session, framework, r) for r in rows],
        "replacement": replacement,
    }


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


def decline_context(
    session: Session,
    framework: Framework,
    row: Allocation,
    *,
    reason: str | None = None,
    details: str = "",
    warning: str | None = None,
) -> dict[str, Any]:
    return {
        **case_bits(session, framework, row.case_id),
        "activity": row.activity,
        "due_on": row.due_on.isoformat(),
        "routing_key": routing_key(row.id),
        "reason": reason,
        "details": details,
        "warning": warning,
    }


def proposal_context(
    session: Session,
    framework: Framework,
    released: Allocation,
    proposal: Allocation | None,
    *,
    resolved: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The QA lead's view: who could not do what and why, and what the engine proposes."""
    category, words = decline_parts(released.decline_reason)
    decliner = session.get(Person, released.person_id)
    offered = None
    if proposal is not None:
        person = session.get(Person, proposal.person_id)
        offered = {
            "person": person.name if person else "",
            **case_bits(session, framework, proposal.case_id),
            "activity": proposal.activity,
            "due_on": proposal.due_on.isoformat(),
            "reason": proposal.reason,
            "same_person": proposal.person_id == released.person_id,
            "routing_key": routing_key(proposal.id),
        }
    return {
        "month": Month.parse(released.month).name,
        "declined": {
            "person": decliner.name if decliner else "",
            **case_bits(session, framework, released.case_id),
            "activity": released.activity,
            "due_on": released.due_on.isoformat(),
        },
        "category": category,
        "details": words,
        "proposal": offered,
        "resolved": resolved,
    }


def resolution(person: Person, now: datetime, outcome: str) -> dict[str, Any]:
    return {"outcome": outcome, "by": person.name, "on": now.date().isoformat()}


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


def refreshed_prompt_context(
    session: Session, framework: Framework, allocation: Allocation
) -> dict[str, Any] | None:
    """The first prompt that listed `allocation`, as it should read now (each case's
    current status), with `update_of` naming that prompt; None if there was none."""
    original = _prompt_listing(session, allocation)
    if original is None:
        return None
    ids = [i.get("allocation_id") for i in original.context.get("items", [])]
    rows = [r for r in (session.get(Allocation, i) for i in ids if isinstance(i, int)) if r]
    person = session.get(Person, allocation.person_id)
    if person is None or not rows:
        return None
    context = prompt_context(
        session,
        framework,
        person,
        rows,
        replacement=bool(original.context.get("replacement")),
    )
    context["update_of"] = original.idempotency_key
    return context


def _prompt_listing(session: Session, allocation: Allocation) -> OutboxMessage | None:
    """The first prompt (not an edit of one) sent to the person that lists `allocation`."""
    prompts = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.person_id == allocation.person_id)
        .where(OutboxMessage.template == "allocation_prompt")
        .order_by(col(OutboxMessage.id))
    ).all()
    for prompt in prompts:
        context = prompt.context or {}
        if context.get("update_of"):
            continue
        if any(i.get("allocation_id") == allocation.id for i in context.get("items", [])):
            return prompt
    return None
