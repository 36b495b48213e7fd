"""A leaver's open work, handed on after `import staff --sync` deactivates them.

Nothing of theirs may wait for nobody. Inside the import's transaction:

- each open allocation (a learning conversation, a moderation slot) goes through the
  same flow as *Can't do this one*: released, the engine proposes a replacement, and
  every QA lead is asked to *Confirm* it or *Pick another* (handlers/allocation.py and
  handlers/allocation_lead.py; the buttons are theirs, so this module adds none);
- each open moderation goes to another moderator the moderation engine picks (same
  rules: role, capacity, nobody too close to the audit, not already on its panel), who
  is sent the usual request; the QA lead takes it when nobody is free;
- each escalation they must answer and each action they own is re-owned to their
  line manager, or the QA lead when they have none (or theirs has left too);

then each QA lead gets one message listing all of it and who owns what now. Every
message goes through the outbox with an idempotency key, so running the import again
(the person is already inactive then) sends nothing more. Logs carry ids only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from handlers.allocation_messages import queue_proposal
from messages.moderation import request_context, request_key
from qa.framework import Framework
from qa.moderation import Selected, assign
from qa.working_days import Month
from storage.allocation_changes import propose, qa_leads, release
from storage.allocations import PROPOSED
from storage.audit_log import RECORD_TYPES, By, record_row
from storage.imports.staff_leavers import LeaverWork, OpenItem
from storage.models import Allocation, Audit, Escalation, Moderation, Person, Recommendation
from storage.moderation_inputs import assignment_history, local_date, moderators, submitted_audits
from storage.moderations import ASSIGNED, OPEN
from storage.outbox import Message, enqueue

log = logging.getLogger(__name__)

ACTOR = "cli:import"
CATEGORY = "other"  # of DECLINE_REASONS: the engine may offer the case to anyone eligible
WORDS = "they have left (no longer in the staff list)"
TEMPLATE = "leaver_handover"
MODERATION_REASON = "its moderator has left"


@dataclass(frozen=True)
class Handover:
    """What became of one leaver's work: for the QA leads' message."""

    leaver: Person
    heir: Person | None  # who now owns their escalations and actions
    lines: list[dict[str, Any]]

    def context(self, lead: Person) -> dict[str, Any]:
        return {
            "leaver": self.leaver.name,
            "heir": self.heir.name if self.heir else None,
            "heir_is_you": self.heir is not None and self.heir.id == lead.id,
            "heir_is_manager": self.heir is not None
            and self.heir.id == self.leaver.line_manager_id,
            "items": self.lines,
            "proposals": sum(1 for line in self.lines if line["kind"] == "allocation"),
        }


def _heir(session: Session, leaver: Person, leads: list[Person]) -> Person | None:
    """The leaver's line manager if still active, else the first QA lead."""
    if leaver.line_manager_id is not None:
        manager = session.get(Person, leaver.line_manager_id)
        if manager is not None and manager.active:
            return manager
    return leads[0] if leads else None


def _line(item: OpenItem, outcome: str) -> dict[str, Any]:
    return {"kind": item.kind, "reference": item.reference, "what": item.what, "outcome": outcome}


def _reown(
    session: Session,
    row: Escalation | Recommendation | Moderation,
    *,
    field: str,
    to: Person,
    now: datetime,
) -> None:
    before = getattr(row, field)
    setattr(row, field, to.id)
    session.add(row)
    record_row(
        session,
        row,
        f"{RECORD_TYPES[type(row)]}.reassigned",
        By(ACTOR, None, now),
        before={field: before},
        after={field: to.id, "reason": "leaver"},
    )


def _allocation(
    session: Session, framework: Framework, item: OpenItem, now: datetime, tz: ZoneInfo
) -> tuple[str, int]:
    """Release and propose, as *Can't do this one* does; (what happened, messages queued)."""
    row = session.get(Allocation, item.id)
    if row is None:
        return "no longer open", 0
    if row.status == PROPOSED:
        return "it was proposed to them: use Pick another in that request", 0
    by = By(ACTOR, None, now)
    release(session, row, category=CATEGORY, words=WORDS, by=by)
    proposal = propose(session, framework, row, category=CATEGORY, tz=tz, by=by)
    queued = queue_proposal(session, framework, row, proposal, now)
    if proposal is None:
        return "nobody eligible is free: I've asked you to pick someone", queued
    taker = session.get(Person, proposal.person_id)
    return f"proposed to {taker.name if taker else 'someone'}: confirm it in my message", queued


def _new_moderator(
    session: Session, framework: Framework, row: Moderation, now: datetime, tz: ZoneInfo
) -> Person | None:
    """Who the moderation engine would give this audit to now, leaving out its panel."""
    audit = session.get(Audit, row.audit_id)
    if audit is None or audit.id is None:
        return None
    today = local_date(now, tz)
    month = Month.of(today)
    subs = submitted_audits(session=session, audits=[audit], tz=tz)
    if not subs:
        return None
    panel = set(
        session.exec(
            select(Moderation.moderator_id)
            .where(Moderation.audit_id == audit.id)
            .where(col(Moderation.status).in_(OPEN))
        ).all()
    )
    pool = [
        m
        for m in moderators(session=session, framework=framework, month=month, today=today)
        if m.id not in panel
    ]
    result = assign(
        framework,
        month,
        [Selected(audit.id, MODERATION_REASON, "always")],
        subs,
        pool,
        assignment_history(session=session, month=month),
    )
    chosen = next(iter(result.assigned), None)
    return session.get(Person, chosen.moderator_id) if chosen is not None else None


def _moderation(
    session: Session,
    framework: Framework,
    item: OpenItem,
    lead: Person | None,
    now: datetime,
    tz: ZoneInfo,
) -> tuple[str, int]:
    """Another moderator starts it afresh and is asked as usual; else the QA lead owns it."""
    row = session.get(Moderation, item.id)
    if row is None:
        return "no longer open", 0
    new = _new_moderator(session, framework, row, now, tz)
    if new is None:
        outcome = _reown_item(session, Moderation, item, "moderator_id", lead, now)
        return outcome + " (no other moderator is free)", 0
    _reown(session, row, field="moderator_id", to=new, now=now)
    row.status, row.step, row.answers = ASSIGNED, "grades", {}  # their draft was theirs
    session.add(row)
    context = request_context(session, framework, row, reason=MODERATION_REASON)
    key = f"{request_key(row)}:to:{new.id}"
    message = Message("moderation_request", key, context, person_id=new.id)
    return f"now {new.name}'s (asked to moderate it)", int(
        enqueue(session=session, message=message, now=now)
    )


def _hand_on_one(
    session: Session,
    framework: Framework,
    work: LeaverWork,
    leads: list[Person],
    now: datetime,
    tz: ZoneInfo,
) -> tuple[Handover | None, int]:
    """(what became of the work, proposal messages queued)."""
    leaver = session.get(Person, work.person_id)
    if leaver is None:
        return None, 0
    queued = 0
    heir = _heir(session, leaver, leads)
    moderator = leads[0] if leads else heir
    lines: list[dict[str, Any]] = []
    for item in work.items:
        if item.kind == "allocation":
            outcome, asked = _allocation(session, framework, item, now, tz)
            queued += asked
        elif item.kind == "moderation":
            outcome, asked = _moderation(session, framework, item, moderator, now, tz)
            queued += asked
        elif item.kind == "escalation":
            outcome = _reown_item(session, Escalation, item, "owner_id", heir, now)
        else:
            outcome = _reown_item(session, Recommendation, item, "owner_id", heir, now)
        lines.append(_line(item, outcome))
    return Handover(leaver=leaver, heir=heir, lines=lines), queued


def _reown_item(
    session: Session,
    model: type[Escalation] | type[Recommendation] | type[Moderation],
    item: OpenItem,
    field: str,
    to: Person | None,
    now: datetime,
) -> str:
    found = session.get(model, item.id)
    row = found if isinstance(found, Escalation | Recommendation | Moderation) else None
    if row is None:
        return "no longer open"
    if to is None:
        return "nobody to take it on: add a QA lead"
    _reown(session, row, field=field, to=to, now=now)
    return f"now {to.name}'s"


def hand_on(
    session: Session,
    leavers: list[LeaverWork],
    now: datetime,
    *,
    framework: Framework,
    tz: ZoneInfo,
) -> int:
    """Hand on every leaver's open work and tell each QA lead; how many messages were queued.

    Runs in the import's transaction (a `storage.imports.staff_leavers.LeaverHook`),
    after the leavers were deactivated, so the engine no longer offers them anything.
    """
    leads = qa_leads(session=session, framework=framework)
    queued = 0
    for work in leavers:
        handover, asked = _hand_on_one(session, framework, work, leads, now, tz)
        queued += asked
        if handover is None:
            continue
        for lead in leads:
            key = f"leaver:{work.person_id}:{lead.id}:{now.date().isoformat()}"
            message = Message(TEMPLATE, key, handover.context(lead), person_id=lead.id)
            queued += enqueue(session=session, message=message, now=now)
        log.info(
            "leaver %s: %d open item(s) handed on; heir %s; %d QA lead(s) told",
            work.person_id,
            len(work.items),
            handover.heir.id if handover.heir else "-",
            len(leads),
        )
    return queued
