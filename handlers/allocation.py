""" "Can't do this one": the allocated person says why, and the QA lead is asked to settle it.

The allocation prompt (sent by the monthly job) has two buttons per case: *Start audit*
(`audit.start`, handled by the audit dialog) and *Can't do this one*
(`allocation.decline`), which opens a short form: a reason (absence, conflict of
interest, case closed, something else) and, for "something else", a few words. On
submit the allocation is released, the engine proposes a replacement, the QA lead(s)
are asked to confirm it (handlers/allocation_lead.py), the prompt is edited in place,
and the person gets a one-line receipt.

A case already started can still be declined while its audit is a draft (someone who
opens it and finds a conflict of interest needs the button most): the draft is then
withdrawn with the allocation (`storage.allocation_changes.release`), so its reminders
stop and whoever takes the case starts afresh. A submitted audit is not handed on.

Only the allocated person may decline; anyone else is refused politely and nothing
changes. The words typed are checked for personal details (a warning to confirm, not a
refusal) and are shown to the QA lead only. Logs carry ids, never what was typed.
"""

from __future__ import annotations

import logging
from typing import Any

from handlers.allocation_messages import month_prompt_rows, queue_prompt_refresh, queue_proposal
from handlers.conversation import Conversation
from handlers.interaction import Reply
from handlers.turn import Turn
from messages.allocation import allocation_id_of, decline_context, prompt_context
from qa.privacy import warnings_for
from storage.allocation_changes import DECLINE_REASONS, declinable, propose, release
from storage.models import Allocation

log = logging.getLogger(__name__)

MAX_WORDS = 500  # characters kept of the reason typed
NEED_REASON = "Choose the reason that fits best."
NEED_WORDS = "Tell the QA lead briefly why: a few words are enough."


def refused(why: str, **context: Any) -> list[Reply]:
    """A polite refusal: nothing changed, and what the person can do instead."""
    return [Reply("allocation_refused", {"why": why, "reference": None, **context})]


def own_allocation(turn: Turn) -> tuple[Allocation | None, list[Reply]]:
    """The allocation the button names, if it is this person's and still open."""
    allocation_id = allocation_id_of(turn.interaction.routing_key)
    row = turn.session.get(Allocation, allocation_id) if allocation_id is not None else None
    if row is None:
        return None, refused("invalid")
    if row.person_id != turn.person.id:
        log.info("allocation %s: decline refused for person %s", row.id, turn.person.id)
        return None, refused("not_yours")
    if row.case_id is None:
        return None, refused("invalid")  # a moderation slot has no case to decline
    if not declinable(session=turn.session, allocation=row):
        context = decline_context(turn.session, turn.framework, row)
        return None, refused("not_open", reference=context["reference"], status=row.status)
    return row, []


def decline_form(turn: Turn) -> list[Reply]:
    """*Can't do this one*: the reason form (a modal dialog, or a card in place)."""
    row, refusal = own_allocation(turn)
    if row is None:
        return refusal
    return [Reply("allocation_decline", decline_context(turn.session, turn.framework, row))]


def _confirmed(value: Any) -> bool:
    """A ticked "send it as it is" box: a list of values, or "true", by platform."""
    if isinstance(value, list):
        return "yes" in value
    return str(value).lower() in {"true", "yes"}


def decline_submit(turn: Turn) -> list[Reply]:
    """The form sent: check it, release the allocation, ask the QA lead, thank the person."""
    row, refusal = own_allocation(turn)
    if row is None:
        return refusal
    values = turn.interaction.values
    category = str(values.get("reason") or "")
    words = str(values.get("details") or "").strip()[:MAX_WORDS]
    context = decline_context(
        turn.session, turn.framework, row, reason=category or None, details=words
    )
    if category not in DECLINE_REASONS:
        return [Reply("allocation_decline", context, errors={"reason": NEED_REASON})]
    if category == "other" and not words:
        return [Reply("allocation_decline", context, errors={"details": NEED_WORDS})]
    warning = warnings_for({"details": words}).get("details") if words else None
    if warning and not _confirmed(values.get("confirm")):
        return [Reply("allocation_decline", {**context, "warning": warning})]
    actor = turn.person.email
    release(
        session=turn.session,
        allocation=row,
        category=category,
        words=words,
        now=turn.now,
        actor=actor,
        actor_id=turn.person.id,
    )
    proposal = propose(
        session=turn.session,
        framework=turn.framework,
        released=row,
        category=category,
        now=turn.now,
        tz=turn.tz,
        actor=actor,
        actor_id=turn.person.id,
    )
    told = queue_proposal(turn.session, turn.framework, row, proposal, turn.now)
    queue_prompt_refresh(turn.session, turn.framework, row, turn.now)
    log.info(
        "allocation %s released by person %s; proposal %s",
        row.id,
        turn.person.id,
        proposal.id if proposal else "-",
    )
    return [Reply("allocation_released", {"reference": context["reference"], "told": told > 0})]


def show_prompt(turn: Turn) -> list[Reply]:
    """The person's allocations for the month again (*Back* from a reason form shown in place)."""
    allocation_id = allocation_id_of(turn.interaction.routing_key)
    row = turn.session.get(Allocation, allocation_id) if allocation_id is not None else None
    if row is None:
        return refused("invalid")
    if row.person_id != turn.person.id:
        return refused("not_yours")
    rows = month_prompt_rows(turn.session, row.person_id, row.month)
    context = prompt_context(turn.session, turn.framework, turn.person, rows)
    return [Reply("allocation_prompt", context)]


CONVERSATION = Conversation(
    name="allocation",
    actions={"allocation.decline": decline_form, "allocation.show": show_prompt},
    submissions={"allocation.decline": decline_submit},
)
