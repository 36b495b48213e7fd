"""*Need more time*: the owner asks for a new date; a QA lead agrees or not.

The owner's request (a new working-day date after the current one, and why) goes to
every QA lead but the owner (`rec_time_request`, with *Agree* / *Don't agree*); the
first to decide wins, the others' cards are edited to say who decided. Agreeing moves
the due date; the owner is told either way, and the person who raised the action is
told when its date changes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import col, select

from handlers.conversation import Conversation
from handlers.interaction import Reply
from handlers.recommendations import RECEIPT, record, reference_of, show_update, submitted, tell
from handlers.tracking_replies import edit, gone, route, state
from handlers.turn import Turn
from messages.tracking import NOTE_CHARS, first_name, safe_text
from storage.models import Recommendation, RecommendationUpdate
from storage.outbox import Message, enqueue
from storage.tracking import MORE_TIME_REQUESTED, OPEN, directory


def _leads(turn: Turn, owner_id: int) -> list[int]:
    """Who approves more time: the QA leads, other than the owner when there are others."""
    holders = directory(session=turn.session).role_holders().get(turn.framework.qa_lead_role, ())
    others = [p for p in holders if p != owner_id]
    return others or list(holders)


def submit_more_time(turn: Turn) -> list[Reply]:
    got = submitted(turn, "more_time")
    if isinstance(got, list):
        return got
    rec, key, cleaned = got
    new_due = date.fromisoformat(str(cleaned["new_due"]))
    reason = str(cleaned["reason"])
    changes: dict[str, object] = {"status": MORE_TIME_REQUESTED}
    update = record(turn, rec, "more_time", note=reason, new_due_on=new_due, changes=changes)
    leads = _leads(turn, rec.owner_id)
    staff = directory(session=turn.session)
    for lead in leads:
        request_key = f"more-time:{update.id}:{lead}"
        context = {
            "first_name": first_name(staff.name(lead)),
            "owner": turn.person.name,
            "item": {
                "type": "more_time",
                "id": update.id,
                "reference": reference_of(turn, rec),
                "level": rec.level,
                "summary": safe_text(rec.action),
                "due_on": rec.due_on.isoformat(),
                "new_due_on": new_due.isoformat(),
                "reason": safe_text(reason, NOTE_CHARS),
                "routing_key": f"more-time:{update.id}|{request_key}",
                "open": True,
                "state": None,
            },
        }
        message = Message("rec_time_request", request_key, context, person_id=lead)
        enqueue(session=turn.session, message=message, now=turn.now)
    shown = show_update(
        turn, rec, key, update, state(turn, "more_time", open_=True, new_due_on=new_due.isoformat())
    )
    what = "more_time" if leads else "more_time_no_lead"
    receipt = {
        "what": what,
        "reference": reference_of(turn, rec),
        "new_due_on": new_due.isoformat(),
    }
    return [*shown, Reply(RECEIPT, receipt)]


def _decide(turn: Turn, approve: bool) -> list[Reply]:
    found = route(turn, "more-time")
    request = turn.session.get(RecommendationUpdate, found[0]) if found else None
    rec = turn.session.get(Recommendation, request.recommendation_id) if request else None
    if found is None or request is None or rec is None or request.kind != "more_time":
        return gone(RECEIPT)
    if turn.framework.qa_lead_role not in (turn.person.roles or []):
        return [Reply(RECEIPT, {"what": "not_lead", "reference": reference_of(turn, rec)})]
    later = turn.session.exec(
        select(RecommendationUpdate)
        .where(RecommendationUpdate.recommendation_id == rec.id)
        .where(col(RecommendationUpdate.id) > request.id)
        .where(col(RecommendationUpdate.kind).in_(["approved", "refused", "done"]))
    ).first()
    if later is not None:
        by = directory(session=turn.session).name(later.person_id)
        return [
            Reply(
                RECEIPT, {"what": "already_decided", "reference": reference_of(turn, rec), "by": by}
            )
        ]
    new_due = request.new_due_on
    changes: dict[str, Any] = {"status": OPEN if rec.status == MORE_TIME_REQUESTED else rec.status}
    if approve and new_due is not None:
        changes |= {"due_on": new_due, "snoozed_until": None}
    kind = "approved" if approve else "refused"
    update = record(turn, rec, kind, new_due_on=new_due if approve else None, changes=changes)
    extra = {"update_id": update.id, "new_due_on": new_due.isoformat() if new_due else None}
    tell(turn, rec, rec.owner_id, f"time_{kind}", **extra)
    if approve and rec.raised_by_id != rec.owner_id:
        tell(turn, rec, rec.raised_by_id, "date_changed", **extra)
    shown: list[Reply] = []
    for lead in _leads(turn, rec.owner_id):
        request_key = f"more-time:{request.id}:{lead}"
        replies = edit(
            turn,
            message_key=request_key,
            item_type="more_time",
            item_id=request.id or 0,
            shown=state(turn, kind),
            suffix=f"u{update.id}",
            trusted=True,  # built here from the request and each lead, not from the button
        )
        if request_key == found[1]:
            shown = replies
    receipt = {
        "what": kind,
        "reference": reference_of(turn, rec),
        "new_due_on": extra["new_due_on"],
    }
    return [*shown, Reply(RECEIPT, receipt)]


CONVERSATION = Conversation(
    name="more_time",
    actions={
        "rec.approve_time": lambda turn: _decide(turn, True),
        "rec.refuse_time": lambda turn: _decide(turn, False),
    },
    submissions={"rec.more_time": submit_more_time},
)
