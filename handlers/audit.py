"""The guided audit dialog in chat: start, step through, save, resume, submit, edit.

The dialog is a state table (`qa.forms.build_audit_dialog` on `qa.dialog`); its state
lives in the audit row (`storage.audits`), never only in a modal or a card, which
carry a signed routing key: `allocation:<id>` to start, `audit:<id>` to continue,
`audit:<id>:<step>` on a step's buttons and forms. Each step is a modal dialog
updated in place or a card replaced in place; either way the same
`Interaction`s arrive here:

- `audit.start` (button, `allocation:<id>`) and `audit.continue` (`audit:<id>`):
  open the audit at the step it is at;
- `audit.step` (form): check the step's answers and move on, or answer with errors
  by field, or with privacy warnings to confirm; the review step submits;
- `audit.back` (button, with what is typed): keep the answers and go back a step;
- `audit.save` (a card's *Save*) and `audit.step.closed` (a modal closed): keep the
  answers as a draft;
- `audit.edit`: reopen a submitted audit until its moderation starts;
- `audit.flag`, `audit.flag.send`, `urgent.respond...`: see `handlers.audit_flags`.

Stepping, drafts, back, save and refusals are the one dialog controller's
(`handlers.dialog_controller`), run with the audit's flow (`handlers.audit_flow`);
what is here is particular to audits: starting from an allocation, and editing.
Only the allocated auditor gets any of this; everyone else a polite refusal.
Nothing that could identify a child is sent into chat but the case reference.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from handlers.audit_flags import on_flag, on_flag_send, on_respond, on_respond_send
from handlers.audit_flow import FLOW, actor
from handlers.audit_session import dialog_for, refused
from handlers.conversation import Conversation
from handlers.dialog_session import Refusal, parse_key
from handlers.interaction import Reply
from handlers.turn import Turn
from messages.allocation import refreshed_prompt_context
from qa.dialog import END, Move
from storage.audits import (
    AUDIT_ACTIVITIES,
    OPEN_ALLOCATION,
    SUBMITTED,
    audit_for_allocation,
    moderation_started,
    reopen,
    start_draft,
)
from storage.models import Allocation, Case

log = logging.getLogger(__name__)

EDITING = "You are changing a submitted {audit}. Use Back to change any answer, then submit again."


def _resume(turn: Turn, audit_id: int) -> list[Reply]:
    op = FLOW.open(turn, audit_id)
    if isinstance(op, Refusal):
        return op.reply()
    return FLOW.resume(turn, op)


def start_audit(turn: Turn, allocation_id: int) -> list[Reply]:
    """Open (or resume) the audit of an allocation, for the person it is allocated to."""
    session = turn.session
    allocation = session.get(Allocation, allocation_id)
    if allocation is None:
        return refused("invalid").reply()
    if allocation.person_id != turn.person.id:
        log.info("audit start refused: allocation=%s person=%s", allocation_id, turn.person.id)
        return refused("not_yours").reply()
    if allocation.activity not in AUDIT_ACTIVITIES or allocation.case_id is None:
        return refused("not_an_audit").reply()
    audit = audit_for_allocation(session=session, allocation_id=allocation_id)
    if audit is None:
        if allocation.status not in OPEN_ALLOCATION:
            return refused("closed").reply()
        case = session.get(Case, allocation.case_id)
        if case is None:
            return refused("invalid").reply()
        dialog, _ = dialog_for(session=session, case=case, framework=turn.framework)
        audit = start_draft(
            session=session,
            allocation=allocation,
            state=dialog.start_state(),
            now=turn.now,
            actor=actor(turn),
        )
        log.info("audit started: audit=%s allocation=%s", audit.id, allocation_id)
    return _resume(turn, audit.id or 0)


def on_start(turn: Turn) -> list[Reply]:
    parsed = parse_key(turn.interaction.routing_key, "allocation")
    if parsed is None:
        return refused("invalid").reply()
    replies = start_audit(turn, parsed[0])
    on_prompt = turn.interaction.values.get("card") == "prompt"  # the card it was pressed on
    started = bool(replies) and replies[0].template == "audit_step"
    if not turn.interaction.replaces_pressed or not on_prompt or not started:
        return replies
    # The first reply replaces the pressed message here: give the month's prompt back
    # (this case now says Carry on, the others keep their buttons) and send the step as
    # a new card, so Start does not wipe out the rest of the prompt (issue 17).
    allocation = turn.session.get(Allocation, parsed[0])
    prompt = (
        refreshed_prompt_context(turn.session, turn.framework, allocation) if allocation else None
    )
    return [Reply("allocation_prompt", prompt), *replies] if prompt else replies


def on_edit(turn: Turn) -> list[Reply]:
    """Reopen a submitted audit at its review step, until moderation has started."""
    target = FLOW.target(turn, with_step=False)
    if isinstance(target, list):
        return target
    op, _ = target
    if op.audit.status != SUBMITTED:
        return FLOW.resume(turn, op)
    notice = EDITING.format(audit=turn.framework.vocabulary.audit)
    if moderation_started(session=turn.session, audit_id=op.audit.id or 0):
        return refused("moderated").reply()
    if not op.state.finished:
        return [FLOW.step_reply(turn, op, notice=notice)]
    last = op.state.trail[-1] if op.state.trail else op.dialog.start
    reopened = replace(
        op.state,
        step=last,
        trail=op.state.trail[:-1],
        history=(*op.state.history, Move("edit", END, last)),
    )
    reopen(session=turn.session, audit=op.audit, state=reopened, now=turn.now, actor=actor(turn))
    op.state = reopened
    return [FLOW.step_reply(turn, op, notice=notice)]


_ACTIONS, _SUBMISSIONS = FLOW.routes(open_action="audit.continue")

CONVERSATION = Conversation(
    name="audit",
    actions={
        "audit.start": on_start,
        **_ACTIONS,
        "audit.edit": on_edit,
        "audit.flag": on_flag,
        "urgent.respond": on_respond,
    },
    submissions={
        **_SUBMISSIONS,
        "audit.flag.send": on_flag_send,
        "urgent.respond.send": on_respond_send,
    },
)
