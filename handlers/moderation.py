"""Moderation in chat: the request's *Moderate* button, the dialog, the outcome.

A submitted audit is considered for moderation at once (an after-submit hook, here)
and again by the `moderation_assign` job; each moderator the framework's rules pick
gets one message per audit (`storage.moderation_messages`). *Moderate* opens City of
London's moderation template as a dialog on the audit's machinery: Slack shows each
step as a modal updated in place, Teams as a card replaced in place, answers are
kept as drafts, errors come back by field. The same `Interaction`s arrive here:

- `moderation.open` (button, `moderation:<id>`): open at the step it is at;
- `moderation.step` (form, `moderation:<id>:<step>`): check and move on; the review
  step submits;
- `moderation.back` (button): back a step, keeping what is typed;
- `moderation.save` (Teams) and `moderation.step.closed` (Slack closed the modal):
  keep what is typed as a draft.

Only the assigned moderator (or panel member) gets any of this; everyone else a
polite refusal. When the deciding submission arrives, the outcome is applied
(`storage.moderation_outcomes`), the author is told, the request is edited to say it
is done, and the `AFTER_OUTCOME` hooks run (a regrade's escalation).
"""

from __future__ import annotations

import logging

from sqlmodel import select

from handlers.audit_views import confirmed
from handlers.conversation import Conversation
from handlers.interaction import Reply
from handlers.moderation_session import OpenModeration, Refusal, open_moderation, parse_key
from handlers.moderation_views import receipt, step_reply
from handlers.turn import Turn
from qa.dialog import Advanced, DialogClosed, DialogError, Invalid, NeedsConfirmation, apply
from qa.moderation_dialog import moderation_result
from qa.validation import Context, draft_value
from storage.models import Audit, Moderation, OutboxMessage
from storage.moderation_messages import (
    assign_and_request,
    mark_request,
    queue_outcome,
    request_key,
)
from storage.moderation_outcomes import finish
from storage.moderations import save_state

log = logging.getLogger(__name__)

MOVED_ON = "That step was already saved, so here is where your moderation is now."


def _open(turn: Turn, moderation_id: int) -> OpenModeration | Refusal:
    return open_moderation(
        session=turn.session,
        moderation_id=moderation_id,
        person=turn.person,
        framework=turn.framework,
    )


def _target(turn: Turn, *, with_step: bool) -> tuple[OpenModeration, str | None] | list[Reply]:
    parsed = parse_key(turn.interaction.routing_key)
    if parsed is None or (with_step and parsed[1] is None):
        return Refusal("invalid").reply()
    op = _open(turn, parsed[0])
    if isinstance(op, Refusal):
        log.info("moderation refused: moderation=%s person=%s", parsed[0], turn.person.id)
        return op.reply()
    return op, parsed[1]


def _done(turn: Turn, op: OpenModeration) -> list[Reply]:
    return [receipt(turn, op, decided=False, just_now=False)]


def on_open(turn: Turn) -> list[Reply]:
    """*Moderate*: the dialog at the step it is at (its receipt, once submitted)."""
    target = _target(turn, with_step=False)
    if isinstance(target, list):
        return target
    op, _ = target
    if op.state.finished:
        return _done(turn, op)
    if op.moderation.status == "assigned":
        save_state(session=turn.session, moderation=op.moderation, state=op.state)
    replies = [step_reply(turn, op)]
    if turn.interaction.replaces_pressed and turn.interaction.values.get("card") == "request":
        # The first reply replaces the pressed message here: give the request back as
        # it was sent, so its Moderate button can resume later, and send the step as a
        # new card (issue 17: a button must not wipe out the card it was on).
        sent = turn.session.exec(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == request_key(op.moderation))
        ).first()
        if sent is not None:
            replies.insert(0, Reply("moderation_request", dict(sent.context or {})))
    return replies


def _finish(turn: Turn, op: OpenModeration) -> list[Reply]:
    session, framework = turn.session, turn.framework
    audit, moderation = op.audit, op.moderation
    result = moderation_result(op.state, framework, overall_grade=audit.overall_grade or "")
    decision = finish(
        session=session,
        moderation=moderation,
        audit=audit,
        state=op.state,
        result=result,
        now=turn.now,
        actor=turn.person.email,
    )
    log.info(
        "moderation submitted: moderation=%s audit=%s decided=%s",
        moderation.id,
        audit.id,
        decision.decided,
    )
    mark_request(
        session=session, framework=framework, moderation=moderation, state="done", now=turn.now
    )
    for row in decision.withdrawn:
        mark_request(
            session=session, framework=framework, moderation=row, state="withdrawn", now=turn.now
        )
    if decision.decided:
        queue_outcome(
            session=session,
            framework=framework,
            audit=audit,
            moderation=moderation,
            result=result,
            round_no=decision.round,
            now=turn.now,
        )
        turn.hooks.moderation_decided(turn, audit, moderation)
    return [receipt(turn, op, decided=decision.decided, just_now=True)]


def on_step(turn: Turn) -> list[Reply]:
    """A step's form: on, back to it with errors or warnings, or (review) submit."""
    target = _target(turn, with_step=True)
    if isinstance(target, list):
        return target
    op, step = target
    assert step is not None
    values = turn.interaction.values
    try:
        outcome = apply(
            op.dialog,
            op.state,
            step,
            values,
            today=turn.now.date(),
            known_people=op.people,
            confirm_sensitive=confirmed(values),
        )
    except DialogClosed:
        return _done(turn, op)
    except DialogError:
        return [step_reply(turn, op, notice=MOVED_ON)]
    op.state = outcome.state
    save_state(session=turn.session, moderation=op.moderation, state=op.state)
    if isinstance(outcome, Invalid):
        return [step_reply(turn, op, errors=outcome.errors)]
    if isinstance(outcome, NeedsConfirmation):
        return [step_reply(turn, op, warnings=outcome.warnings)]
    assert isinstance(outcome, Advanced)
    if outcome.state.finished:
        return _finish(turn, op)
    return [step_reply(turn, op)]


def on_back(turn: Turn) -> list[Reply]:
    """Back a step, keeping what was typed on this one (unchecked)."""
    target = _target(turn, with_step=True)
    if isinstance(target, list):
        return target
    op, step = target
    assert step is not None
    if op.state.finished:
        return _done(turn, op)
    try:
        outcome = apply(
            op.dialog,
            op.state,
            step,
            turn.interaction.values,
            today=turn.now.date(),
            known_people=op.people,
            action="back",
        )
    except DialogError:
        return [step_reply(turn, op)]
    op.state = outcome.state
    save_state(session=turn.session, moderation=op.moderation, state=op.state)
    return [step_reply(turn, op)]


def _keep_draft(turn: Turn, op: OpenModeration, step: str | None) -> None:
    """Save what is typed on the current step, unchecked (never blank a step)."""
    state, values = op.state, turn.interaction.values
    if step != state.step or state.finished:
        return
    fields = op.dialog.step(step).fields
    if not any(f.key in values for f in fields):
        return
    ctx = Context(today=turn.now.date(), known_people=op.people)
    drafted = {f.key: draft_value(f, values.get(f.key), ctx) for f in fields}
    op.state = state.with_answers(step, {k: v for k, v in drafted.items() if v is not None})
    save_state(session=turn.session, moderation=op.moderation, state=op.state)


def on_save(turn: Turn) -> list[Reply]:
    """Save and stop for now (Teams): *Moderate* on the request picks it up again."""
    target = _target(turn, with_step=True)
    if isinstance(target, list):
        return target
    op, step = target
    _keep_draft(turn, op, step)
    return [receipt(turn, op, decided=False, just_now=False, saved=True)]


def on_closed(turn: Turn) -> list[Reply]:
    """Slack: the modal was closed. Keep what was typed; say nothing."""
    target = _target(turn, with_step=True)
    if isinstance(target, list):
        return []
    op, step = target
    _keep_draft(turn, op, step)
    return []


# -- hooks --------------------------------------------------------------------------


def moderate_after_submit(turn: Turn, audit: Audit) -> None:
    """Select and assign the audit just submitted (idempotent: one round, one set)."""
    assign_and_request(
        session=turn.session,
        framework=turn.framework,
        audits=[audit],
        now=turn.now,
        tz=turn.tz,
        actor=turn.person.email,
    )


def escalate_final_grade(turn: Turn, audit: Audit, moderation: Moderation) -> None:
    """A regrade asks for the new grade's escalation (Inadequate, Requires Improvement)."""
    if moderation.outcome != "regraded":
        return
    from handlers.escalation import escalate_after_submit  # the escalation feature's door

    escalate_after_submit(turn, audit)


CONVERSATION = Conversation(
    name="moderation",
    actions={
        "moderation.open": on_open,
        "moderation.back": on_back,
        "moderation.save": on_save,
    },
    submissions={
        "moderation.step": on_step,
        "moderation.step.closed": on_closed,
    },
    after_submit=(moderate_after_submit,),
    after_outcome=(escalate_final_grade,),
)
