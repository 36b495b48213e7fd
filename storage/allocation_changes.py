""" "Can't do this one" in the database: release, propose a replacement, settle it.

An allocation someone cannot do is `released` (kept for the record, with the reason);
if they had started it, its draft audit is `withdrawn` with it (kept, never resumed,
no more draft reminders), since whoever takes the case starts afresh;
the engine's replacement is stored as a `proposed` allocation until a QA lead
confirms it (or picks another), when it becomes `allocated`. The link from a proposal
to the allocation it replaces lives in the audit log (`allocation.proposed`, whose
`after` names what it `replaces`), which records every step anyway.

Proposals hold their place while they wait: the engine's inputs here count them, so
two declines on the same day cannot be offered the same case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
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
from storage.allocations import ALLOCATED, IN_PROGRESS, PROPOSED, RELEASED, allocation_row
from storage.audit_log import RECORD_TYPES, record_row
from storage.audits import DRAFT, audit_for_allocation
from storage.models import Allocation, Audit, AuditLogEntry, Person

DECLINE_REASONS = ("absence", "conflict", "case_closed", "other")
# Which way round a replacement goes: an absent person cannot take another case; a
# closed case cannot go to someone else. Otherwise the engine's own order.
KEEP: dict[str, Literal["person", "case"] | None] = {"absence": "case", "case_closed": "person"}
PROPOSED_ACTION = "allocation.proposed"
SETTLED_ACTIONS = ("allocation.confirmed", "allocation.picked")
WITHDRAWN = "withdrawn"  # a draft audit whose allocation was released


def declinable(*, session: Session, allocation: Allocation) -> bool:
    """Can its person still say "Can't do this one"? Before they start, and after they
    start while the audit is only a draft: a submitted audit (even one returned by
    moderation) is theirs to finish, not to hand on."""
    if allocation.case_id is None:
        return False
    if allocation.status == ALLOCATED:
        return True
    if allocation.status != IN_PROGRESS or allocation.id is None:
        return False
    audit = audit_for_allocation(session=session, allocation_id=allocation.id)
    return audit is None or audit.status == DRAFT


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
    if allocation.status == IN_PROGRESS and allocation.id is not None:
        draft = audit_for_allocation(session=session, allocation_id=allocation.id)
        if draft is not None and draft.status == DRAFT:
            # Kept as `withdrawn`, so it is never resumed or reminded of.
            why = {"reason": category, "allocation_id": draft.allocation_id}
            _move(session, draft, WITHDRAWN, now, actor, actor_id, why)
    allocation.decline_reason = f"{category}: {words}" if words else category
    _move(session, allocation, RELEASED, now, actor, actor_id, {"reason": category})


def _move(
    session: Session,
    row: Allocation | Audit,
    status: str,
    now: datetime,
    actor: str,
    actor_id: int | None,
    why: dict[str, Any],
) -> None:
    """Move a released allocation, or its draft, to `status`, logged as
    `<record type>.<status>` with `why`: the category and ids only, never the person's
    words (they stay on the row)."""
    before = row.status
    row.status = status
    row.updated_at = now
    session.add(row)
    record_row(
        session=session,
        now=now,
        action=f"{RECORD_TYPES[type(row)]}.{status}",
        row=row,
        actor=actor,
        actor_id=actor_id,
        before={"status": before},
        after={"status": status, **why},
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
    record_row(
        session=session,
        now=now,
        action=PROPOSED_ACTION,
        row=row,
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


def _first_entry(
    session: Session, proposal_id: int, actions: tuple[str, ...]
) -> AuditLogEntry | None:
    """The first audit-log entry of one of `actions` about proposal `proposal_id`: where
    its history lives (what it replaces, who settled it)."""
    return session.exec(
        select(AuditLogEntry)
        .where(AuditLogEntry.record_type == "allocation")
        .where(AuditLogEntry.record_id == str(proposal_id))
        .where(col(AuditLogEntry.action).in_(actions))
        .order_by(col(AuditLogEntry.id))
    ).first()


def replaced_by(*, session: Session, proposal_id: int) -> Allocation | None:
    """The released allocation that proposal `proposal_id` stands in for."""
    entry = _first_entry(session, proposal_id, (PROPOSED_ACTION,))
    replaces = (entry.after or {}).get("replaces") if entry else None
    return session.get(Allocation, int(replaces)) if replaces is not None else None


def settled_by(*, session: Session, proposal_id: int) -> tuple[Person | None, datetime | None]:
    """Who confirmed (or picked) the proposal, and when: for "already done" answers."""
    entry = _first_entry(session, proposal_id, SETTLED_ACTIONS)
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
    record_row(
        session=session,
        now=now,
        action="allocation.picked" if chosen is not None else "allocation.confirmed",
        row=proposal,
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
