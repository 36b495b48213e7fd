"""What the allocation conversation says: the template contexts of its messages.

Contexts carry case references, areas, teams and dates, never anything that names a
child. Staff names appear only where a colleague needs them: the QA lead sees who
declined and who is proposed; the person given a case in someone's place is not told
who that was. The person's own words for declining go to the QA lead(s) only.
Queueing them, each under its idempotency key, is `handlers/allocation_messages.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from messages.tracking import first_name
from qa.framework import Framework
from qa.working_days import Month, long_date
from storage.allocation_changes import declinable, decline_parts
from storage.models import Allocation, Case, OutboxMessage, Person, Team


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
        # "Can't do this one" stays after Start, while the audit is a draft (issue 17).
        "declinable": declinable(session=session, allocation=row),
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
        "first_name": first_name(person.name),
        "month": month,
        "audit_word": framework.vocabulary.audit,
        "audits_word": framework.vocabulary.audits,
        "items": [prompt_item(session, framework, r) for r in rows],
        "replacement": replacement,
    }


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
        "started": row.status == "in_progress",  # its draft is withdrawn with it
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
