"""The guided audit dialog in chat: start, step through, save, resume, submit, edit.

The dialog is a state table (`qa.forms.build_audit_dialog` on `qa.dialog`); its state
lives in the audit row (`storage.audits`), never only in a modal or a card, which
carry a signed routing key: `allocation:<id>` to start, `audit:<id>` to continue,
`audit:<id>:<step>` on a step's buttons and forms. Slack shows each step as a modal
updated in place; Teams as an Adaptive Card replaced in place. Both send the same
`Interaction`s here:

- `audit.start` (button, `allocation:<id>`) and `audit.continue` (`audit:<id>`):
  open the audit at the step it is at;
- `audit.step` (form): check the step's answers and move on, or answer with errors
  by field, or with privacy warnings to confirm; the review step submits;
- `audit.back` (button, with what is typed): keep the answers and go back a step;
- `audit.save` (Teams) and `audit.step.closed` (Slack closed the modal): keep the
  answers as a draft;
- `audit.edit`: reopen a submitted audit until its moderation starts;
- `audit.flag`, `audit.flag.send`, `urgent.respond...`: see `handlers.audit_flags`.

Only the allocated auditor gets any of this; everyone else a polite refusal.
Nothing that could identify a child is sent into chat but the case reference.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from handlers.allocation_messages import refreshed_prompt_context
from handlers.audit_flags import on_flag, on_flag_send, on_respond, on_respond_send
from handlers.audit_replies import (
    actor,
    keep_draft,
    save,
    step_reply,
    submitted_context,
)
from handlers.audit_session import OpenAudit, Refusal, dialog_for, open_audit, parse_key
from handlers.audit_views import confirmed
from handlers.conversation import Conversation
from handlers.interaction import Reply
from handlers.turn import Turn
from qa.dialog import (
    END,
    Advanced,
    DialogClosed,
    DialogError,
    Invalid,
    Move,
    NeedsConfirmation,
    apply,
)
from qa.forms import result
from storage.audits import (
    AUDIT_ACTIVITIES,
    DRAFT,
    OPEN_ALLOCATION,
    SUBMITTED,
    audit_for_allocation,
    moderation_started,
    reopen,
    start_draft,
    submit,
)
from storage.models import Allocation, Case

log = logging.getLogger(__name__)

EDITING = "You are changing a submitted {audit}. Use Back to change any answer, then submit again."
MOVED_ON = "That step was already saved, so here is where your {audit} is now."


def _open(turn: Turn, audit_id: int) -> OpenAudit | Refusal:
    return open_audit(
        session=turn.session, audit_id=audit_id, person=turn.person, framework=turn.framework
    )


def _resume(turn: Turn, audit_id: int, *, notice: str = "") -> list[Reply]:
    op = _open(turn, audit_id)
    if isinstance(op, Refusal):
        return op.reply()
    allocation = turn.session.get(Allocation, op.audit.allocation_id or 0)
    if op.audit.status == DRAFT and allocation and allocation.status not in OPEN_ALLOCATION:
        return Refusal("closed").reply()
    if op.state.finished:
        return [_submitted(turn, op, just_now=False)]
    return [step_reply(turn, op, notice=notice)]


def start_audit(turn: Turn, allocation_id: int) -> list[Reply]:
    """Open (or resume) the audit of an allocation, for the person it is allocated to."""
    session = turn.session
    allocation = session.get(Allocation, allocation_id)
    if allocation is None:
        return Refusal("invalid").reply()
    if allocation.person_id != turn.person.id:
        log.info("audit start refused: allocation=%s person=%s", allocation_id, turn.person.id)
        return Refusal("not_yours").reply()
    if allocation.activity not in AUDIT_ACTIVITIES or allocation.case_id is None:
        return Refusal("not_an_audit").reply()
    audit = audit_for_allocation(session=session, allocation_id=allocation_id)
    if audit is None:
        if allocation.status not in OPEN_ALLOCATION:
            return Refusal("closed").reply()
        case = session.get(Case, allocation.case_id)
        if case is None:
            return Refusal("invalid").reply()
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


def _submitted(turn: Turn, op: OpenAudit, *, just_now: bool, recommendations: int = -1) -> Reply:
    if recommendations < 0:
        recommendations = len(result(op.state, turn.framework).recommendations)
    return Reply(
        "audit_submitted",
        submitted_context(turn, op, recommendations=recommendations, just_now=just_now),
    )


def _submit(turn: Turn, op: OpenAudit) -> list[Reply]:
    finished = result(op.state, turn.framework)
    rows = submit(
        session=turn.session,
        audit=op.audit,
        state=op.state,
        result=finished,
        now=turn.now,
        actor=actor(turn),
    )
    log.info("audit submitted: audit=%s recommendations=%d", op.audit.id, len(rows))
    turn.hooks.audit_submitted(turn, op.audit)
    return [_submitted(turn, op, just_now=True, recommendations=len(rows))]


def on_start(turn: Turn) -> list[Reply]:
    parsed = parse_key(turn.interaction.routing_key, "allocation")
    if parsed is None:
        return Refusal("invalid").reply()
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


def on_continue(turn: Turn) -> list[Reply]:
    parsed = parse_key(turn.interaction.routing_key, "audit")
    if parsed is None:
        return Refusal("invalid").reply()
    return _resume(turn, parsed[0])


def _step_target(turn: Turn) -> tuple[OpenAudit, str] | list[Reply]:
    parsed = parse_key(turn.interaction.routing_key, "audit")
    if parsed is None or parsed[1] is None:
        return Refusal("invalid").reply()
    op = _open(turn, parsed[0])
    if isinstance(op, Refusal):
        return op.reply()
    return op, parsed[1]


def on_step(turn: Turn) -> list[Reply]:
    """A step's form: on, back to it with errors or warnings, or (review) submit."""
    target = _step_target(turn)
    if isinstance(target, list):
        return target
    op, step = target
    values = turn.interaction.values
    vocab = turn.framework.vocabulary.audit
    try:
        outcome = apply(
            op.dialog,
            op.state,
            step,
            values,
            today=turn.today,
            known_people=op.people,
            confirm_sensitive=confirmed(values),
        )
    except DialogClosed:
        return [_submitted(turn, op, just_now=False)]
    except DialogError:
        return [step_reply(turn, op, notice=MOVED_ON.format(audit=vocab))]
    save(turn, op, outcome.state)
    if isinstance(outcome, Invalid):
        return [step_reply(turn, op, errors=outcome.errors)]
    if isinstance(outcome, NeedsConfirmation):
        return [step_reply(turn, op, warnings=outcome.warnings)]
    assert isinstance(outcome, Advanced)
    if outcome.state.finished:
        return _submit(turn, op)
    return [step_reply(turn, op)]


def on_back(turn: Turn) -> list[Reply]:
    """Back a step, keeping what was typed on this one (unchecked)."""
    target = _step_target(turn)
    if isinstance(target, list):
        return target
    op, step = target
    if op.state.finished:
        return [_submitted(turn, op, just_now=False)]
    try:
        outcome = apply(
            op.dialog,
            op.state,
            step,
            turn.interaction.values,
            today=turn.today,
            known_people=op.people,
            action="back",
        )
    except DialogError:
        return [step_reply(turn, op)]
    save(turn, op, outcome.state)
    return [step_reply(turn, op)]


def on_save(turn: Turn) -> list[Reply]:
    """Save and stop for now (Teams): what is typed is kept; *Continue* picks it up."""
    target = _step_target(turn)
    if isinstance(target, list):
        return target
    op, step = target
    keep_draft(turn, op, step, turn.interaction.values)
    title = op.dialog.step(op.state.step).title if not op.state.finished else ""
    return [
        Reply(
            "audit_saved",
            {"reference": op.case.reference, "step": title, "audit_key": f"audit:{op.audit.id}"},
        )
    ]


def on_closed(turn: Turn) -> list[Reply]:
    """Slack: the modal was closed. Keep what was typed; say nothing."""
    target = _step_target(turn)
    if isinstance(target, list):
        return []
    op, step = target
    keep_draft(turn, op, step, turn.interaction.values)
    return []


def on_edit(turn: Turn) -> list[Reply]:
    """Reopen a submitted audit at its review step, until moderation has started."""
    parsed = parse_key(turn.interaction.routing_key, "audit")
    if parsed is None:
        return Refusal("invalid").reply()
    op = _open(turn, parsed[0])
    if isinstance(op, Refusal):
        return op.reply()
    if op.audit.status != SUBMITTED:
        return _resume(turn, op.audit.id or 0)
    notice = EDITING.format(audit=turn.framework.vocabulary.audit)
    if moderation_started(session=turn.session, audit_id=op.audit.id or 0):
        return Refusal("moderated").reply()
    if not op.state.finished:
        return [step_reply(turn, op, notice=notice)]
    last = op.state.trail[-1] if op.state.trail else op.dialog.start
    reopened = replace(
        op.state,
        step=last,
        trail=op.state.trail[:-1],
        history=(*op.state.history, Move("edit", END, last)),
    )
    reopen(session=turn.session, audit=op.audit, state=reopened, now=turn.now, actor=actor(turn))
    op.state = reopened
    return [step_reply(turn, op, notice=notice)]


CONVERSATION = Conversation(
    name="audit",
    actions={
        "audit.start": on_start,
        "audit.continue": on_continue,
        "audit.back": on_back,
        "audit.save": on_save,
        "audit.edit": on_edit,
        "audit.flag": on_flag,
        "urgent.respond": on_respond,
    },
    submissions={
        "audit.step": on_step,
        "audit.step.closed": on_closed,
        "audit.flag.send": on_flag_send,
        "urgent.respond.send": on_respond_send,
    },
)
