"""A finished moderation, stored, and its outcome applied to the audit (Lambeth's rules).

- *confirmed*: the auditor's grade stands and is final;
- *regraded*: the moderator's grade becomes final (the escalation for a worse grade
  is the caller's to trigger, after this);
- *returned*: the audit goes back to its author with the reason: its dialog reopens at
  the review step, its allocation is open again, and the round's rows are listed in
  the audit's history so that the resubmission starts a new round.

On a panel (City of London) every member records a view, but only the chair's
submission decides: it sets the outcome, and members who have not yet given their
view are withdrawn. Actions arising become recommendations (`source="moderation"`)
with their owners and due dates; the tracking jobs remind their owners. Nothing is
deleted: the audit's history keeps every round, the audit log every change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from qa.dialog import END, DialogState, Move
from qa.moderation_dialog import ModerationResult
from storage.allocations import ALLOCATED, COMPLETED, IN_PROGRESS
from storage.audit_log import record_row
from storage.audits import RETURNED
from storage.audits import load_state as load_audit_state
from storage.audits import save_state as save_audit_state
from storage.models import Allocation, Audit, Moderation, Recommendation
from storage.moderations import COMPLETED as DONE
from storage.moderations import OPEN, WITHDRAWN, current_round

FINAL = "final"
SLOT_ACTIVITY = "moderation"


@dataclass(frozen=True)
class Decision:
    """What one submission did: whether it decided the audit, in which round, the
    recommendations it made and the panel views it withdrew."""

    decided: bool
    round: int
    recommendations: tuple[Recommendation, ...] = ()
    withdrawn: tuple[Moderation, ...] = ()


def is_deciding(moderation: Moderation, rows: list[Moderation]) -> bool:
    """The chair's view decides on a panel; a lone moderator's always does."""
    return moderation.is_chair or not any(r.is_chair for r in rows if r.id != moderation.id)


def _complete_slot(session: Session, moderation: Moderation, now: datetime) -> None:
    """Tick off one of the moderator's monthly moderation allocations, if they have one."""
    slot = session.exec(
        select(Allocation)
        .where(Allocation.person_id == moderation.moderator_id)
        .where(Allocation.activity == SLOT_ACTIVITY)
        .where(col(Allocation.case_id).is_(None))
        .where(col(Allocation.status).in_([ALLOCATED, IN_PROGRESS]))
        .where(col(Allocation.month) <= moderation.month)
        .order_by(col(Allocation.month), col(Allocation.id))
    ).first()
    if slot is not None:
        slot.status = COMPLETED
        slot.updated_at = now
        session.add(slot)


def _recommendations(
    session: Session, audit: Audit, moderation: Moderation, result: ModerationResult, now: datetime
) -> list[Recommendation]:
    rows = [
        Recommendation(
            source="moderation",
            audit_id=audit.id,
            case_id=audit.case_id,
            level="child",
            action=a.action,
            owner_id=a.owner_id,
            raised_by_id=moderation.moderator_id,
            due_on=a.due_on,
            created_at=now,
        )
        for a in result.actions
    ]
    session.add_all(rows)
    return rows


def _reopen(session: Session, audit: Audit, now: datetime) -> None:
    """The author's dialog, back at its review step: Back reaches every answer."""
    state = load_audit_state(audit)
    if state is None or not state.finished:
        return
    last = state.trail[-1] if state.trail else state.step
    reopened: DialogState = replace(
        state,
        step=last,
        trail=state.trail[:-1],
        history=(*state.history, Move("returned", END, last)),
    )
    save_audit_state(session=session, audit=audit, state=reopened, now=now)


def _return(
    session: Session,
    audit: Audit,
    moderation: Moderation,
    rows: list[Moderation],
    entry: dict[str, Any],
    now: datetime,
) -> None:
    entry.update(
        event="returned", moderations=sorted({r.id or 0 for r in rows} | {moderation.id or 0})
    )
    audit.status = RETURNED
    audit.final_grade = None
    audit.finalised_at = None
    _reopen(session, audit, now)
    if audit.allocation_id is not None:
        allocation = session.get(Allocation, audit.allocation_id)
        if allocation is not None and allocation.status == COMPLETED:
            allocation.status = IN_PROGRESS
            allocation.updated_at = now
            session.add(allocation)


def finish(
    *,
    session: Session,
    moderation: Moderation,
    audit: Audit,
    state: DialogState,
    result: ModerationResult,
    now: datetime,
    actor: str,
) -> Decision:
    """Store `moderation`'s finished dialog; when it decides, apply its outcome."""
    round_no, rows = current_round(session=session, audit=audit)
    moderation.answers = state.to_json()
    moderation.step = END
    moderation.outcome = result.outcome
    moderation.moderated_grade = result.moderated_grade
    moderation.comments = result.reason
    moderation.status = DONE
    moderation.completed_at = now
    session.add(moderation)
    _complete_slot(session, moderation, now)
    decided = is_deciding(moderation, rows)
    recs: list[Recommendation] = []
    withdrawn: list[Moderation] = []
    if decided:
        recs = _recommendations(session, audit, moderation, result, now)
        entry: dict[str, Any] = {
            "event": "moderated",
            "at": now.isoformat(),
            "by": moderation.moderator_id,
            "round": round_no,
            "moderation": moderation.id,
            "outcome": result.outcome,
        }
        if result.outcome == "returned":
            _return(session, audit, moderation, rows, entry, now)
        else:
            entry["final_grade"] = result.final_grade
            audit.final_grade = result.final_grade
            audit.finalised_at = now
            audit.status = FINAL
        audit.history = [*(audit.history or []), entry]
        audit.updated_at = now
        session.add(audit)
        for r in rows:
            if r.id != moderation.id and r.status in OPEN:
                r.status = WITHDRAWN
                session.add(r)
                withdrawn.append(r)
    session.flush()
    record_row(
        session=session,
        now=now,
        action="moderation.decide" if decided else "moderation.view",
        row=moderation,
        actor=actor,
        actor_id=moderation.moderator_id,
        after={
            "audit_id": audit.id,
            "round": round_no,
            "outcome": result.outcome,
            "final_grade": result.final_grade if decided else None,
            "recommendations": [r.id for r in recs],
            "withdrawn": [r.id for r in withdrawn],
        },
    )
    return Decision(decided, round_no, tuple(recs), tuple(withdrawn))
