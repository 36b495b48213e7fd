""" "Can't do this one" in the database: release, propose a replacement, settle it.

An allocation someone cannot do is `released` (kept for the record, with the reason);
the engine's replacement is stored as a `proposed` allocation until a QA lead
confirms it (or picks another), when it becomes `allocated`. The link from a proposal
to the allocation it replaces lives in the audit log (`allocation.proposed`, whose
`after` names what it `replaces`), which records every step anyway.

Proposals hold their place while they wait: the engine's inputs here count them, so
two declines on the same day cannot be offered the same case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from qa.allocation import Allocated, replacement_for
from qa.framework import Framework
from qa.working_days import Month
from storage.allocation_choices import (
    REASON_PHRASE,
    as_allocated,
    choices,
    month_inputs,
    taken_pairs,
)
from storage.allocations import ALLOCATED, PROPOSED, RELEASED, allocation_row
from storage.audit_log import record
from storage.models import Allocation, AuditLogEntry, Person

DECLINE_REASONS = ("absence", "conflict", "case_closed", "other")
# Which way round a replacement goes: an absent person cannot take another case; a
# closed case cannot go to someone else. Otherwise the engine's own order.
KEEP: dict[str, Literal["person", "case"] | None] = {"absence": "case", "case_closed": "person"}
PROPOSED_ACTION = "allocation.proposed"
SETTLED_ACTIONS = ("allocation.confirmed", "allocation.picked")


def decline_parts(decline_reason: str | None) -> tuple[str, str]:
    """(category, the person's words) from a stored `decline_reason`."""
    category, _, words = (decline_reason or "").partition(":")
    return category.strip(), words.strip()


def release(
    *,
    session: Session,
    allocation: Allocation,
    category: str,
    words: str,
    now: datetime,
    actor: str,
    actor_id: int | None,
) -> None:
    """The person cannot do it: keep the row as `released`, with why."""
    before = allocation.status
    allocation.status = RELEASED
    allocation.decline_reason = f"{category}: {words}" if words else category
    allocation.updated_at = now
    session.add(allocation)
    # The category only: what the person typed stays on the row, not in the log.
    record(
        session=session,
        now=now,
        action="allocation.released",
        record_type="allocation",
        record_id=allocation.id or 0,
        actor=actor,
        actor_id=actor_id,
        before={"status": before},
        after={"status": RELEASED, "reason": category},
    )


def propose(
    *,
    session: Session,
    framework: Framework,
    released: Allocation,
    category: str,
    now: datetime,
    tz: ZoneInfo,
    actor: str,
    actor_id: int | None,
) -> Allocation | None:
    """Ask the engine for a replacement and store it as `proposed`; None if there is none."""
    month = Month.parse(released.month)
    inputs = month_inputs(session=session, framework=framework, month=month, tz=tz)
    phrase = REASON_PHRASE.get(category, REASON_PHRASE["other"])
    found = replacement_for(inputs, as_allocated(released), phrase, keep=KEEP.get(category))
    taken = taken_pairs(session=session, month=released.month)
    if found is None or (found.person_id, found.case_id, found.activity) in taken:
        # The engine does not know about released rows; a pair already on record
        # (someone who declined this case before) falls back to the short list.
        options = choices(
            session=session, framework=framework, released=released, category=category, tz=tz
        )
        found = options[0].allocated if options else None
    if found is None:
        return None
    row = allocation_row(found, month=released.month, status=PROPOSED, now=now)
    session.add(row)
    session.flush()
    record(
        session=session,
        now=now,
        action=PROPOSED_ACTION,
        record_type="allocation",
        record_id=row.id or 0,
        actor=actor,
        actor_id=actor_id,
        after={
            "replaces": released.id,
            "person_id": row.person_id,
            "case_id": row.case_id,
            "activity": row.activity,
        },
    )
    return row


def replaced_by(*, session: Session, proposal_id: int) -> Allocation | None:
    """The released allocation that proposal `proposal_id` stands in for."""
    entry = session.exec(
        select(AuditLogEntry)
        .where(AuditLogEntry.record_type == "allocation")
        .where(AuditLogEntry.record_id == str(proposal_id))
        .where(AuditLogEntry.action == PROPOSED_ACTION)
        .order_by(col(AuditLogEntry.id))
    ).first()
    replaces = (entry.after or {}).get("replaces") if entry else None
    return session.get(Allocation, int(replaces)) if replaces is not None else None


def settled_by(*, session: Session, proposal_id: int) -> tuple[Person | None, datetime | None]:
    """Who confirmed (or picked) the proposal, and when: for "already done" answers."""
    entry = session.exec(
        select(AuditLogEntry)
        .where(AuditLogEntry.record_type == "allocation")
        .where(AuditLogEntry.record_id == str(proposal_id))
        .where(col(AuditLogEntry.action).in_(SETTLED_ACTIONS))
        .order_by(col(AuditLogEntry.id))
    ).first()
    if entry is None:
        return None, None
    who = session.get(Person, entry.actor_id) if entry.actor_id is not None else None
    return who, entry.at


def settle(
    *,
    session: Session,
    proposal: Allocation,
    now: datetime,
    actor: str,
    actor_id: int | None,
    chosen: Allocated | None = None,
) -> None:
    """The QA lead's decision: the proposal (or `chosen`, picked instead) becomes allocated."""
    before = {
        "status": proposal.status,
        "person_id": proposal.person_id,
        "case_id": proposal.case_id,
    }
    if chosen is not None:
        proposal.person_id, proposal.case_id = chosen.person_id, chosen.case_id
        proposal.due_on, proposal.reason = chosen.due_on, chosen.reason
    proposal.status = ALLOCATED
    proposal.updated_at = now
    session.add(proposal)
    record(
        session=session,
        now=now,
        action="allocation.picked" if chosen is not None else "allocation.confirmed",
        record_type="allocation",
        record_id=proposal.id or 0,
        actor=actor,
        actor_id=actor_id,
        before=before,
        after={
            "status": ALLOCATED,
            "person_id": proposal.person_id,
            "case_id": proposal.case_id,
        },
    )


def is_qa_lead(person: Person, framework: Framework) -> bool:
    return framework.qa_lead_role in (person.roles or [])


def qa_leads(*, session: Session, framework: Framework) -> list[Person]:
    """Everyone active who holds the framework's QA lead role."""
    people = session.exec(select(Person).where(col(Person.active)).order_by(col(Person.id)))
    return [p for p in people if is_qa_lead(p, framework)]
