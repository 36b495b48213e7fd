"""Moderation in chat: the request's *Moderate* button, the dialog, the outcome.

A submitted audit is considered for moderation at once (an after-submit hook, here)
and again by the `moderation_assign` job; each moderator the framework's rules pick
gets one message per audit (`messages.moderation`). *Moderate* opens City of
London's moderation template as a dialog on the audit's machinery: each step is a
modal dialog updated in place or a card replaced in place, answers are
kept as drafts, errors come back by field. The same `Interaction`s arrive here:

- `moderation.open` (button, `moderation:<id>`): open at the step it is at;
- `moderation.step` (form, `moderation:<id>:<step>`): check and move on; the review
  step submits;
- `moderation.back` (button): back a step, keeping what is typed;
- `moderation.save` (a card's *Save*) and `moderation.step.closed` (a modal closed):
  keep what is typed as a draft.

All of that is the one dialog controller's (`handlers.dialog_controller`); `FLOW`
here says what is particular to a moderation.

Only the assigned moderator (or panel member) gets any of this; everyone else a
polite refusal. When the deciding submission arrives, the outcome is applied
(`storage.moderation_outcomes`), the author is told, the request is edited to say it
is done, and the `AFTER_OUTCOME` hooks run (a regrade's escalation).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import select

from handlers.conversation import Conversation
from handlers.dialog_controller import DialogFlow, StepNotes
from handlers.dialog_session import Refusal, parse_key
from handlers.interaction import Reply
from handlers.moderation_session import MODERATION, OpenModeration, open_moderation
from handlers.moderation_views import moderation_step_context, panel_note, receipt
from handlers.turn import Turn
from messages.moderation import (
    assign_and_request,
    mark_request,
    queue_outcome,
    request_key,
)
from qa.dialog import StepView
from qa.moderation_dialog import moderation_result, seal_blind
from storage.models import Audit, Moderation, OutboxMessage
from storage.moderation_outcomes import finish
from storage.moderations import ASSIGNED, Candidates, save_state

log = logging.getLogger(__name__)


class ModerationFlow(DialogFlow[OpenModeration]):
    """One moderator's (or panel member's) moderation of one audit."""

    name = MODERATION

    def open(self, turn: Turn, record_id: int) -> OpenModeration | Refusal:
        return open_moderation(
            session=turn.session,
            moderation_id=record_id,
            person=turn.person,
            framework=turn.framework,
        )

    def persist(self, turn: Turn, op: OpenModeration) -> None:
        """Keep the dialog; a blind moderation's blind step is sealed once passed."""
        op.state = seal_blind(op.state)
        save_state(session=turn.session, moderation=op.moderation, state=op.state)

    def on_open(self, turn: Turn) -> list[Reply]:
        """*Moderate*: the dialog at its step. Where the first reply replaces the pressed
        message, the request comes back as it was sent (its Moderate button resumes
        later) and the step follows as a new message (issue 17: a button must not wipe
        out the message it was on)."""
        replies = super().on_open(turn)
        pressed_on_request = turn.interaction.values.get("card") == "request"
        if not (turn.interaction.replaces_pressed and pressed_on_request):
            return replies
        if not replies or replies[0].template != "moderation_step":
            return replies
        parsed = parse_key(turn.interaction.routing_key, MODERATION)
        moderation = turn.session.get(Moderation, parsed[0]) if parsed else None
        if moderation is None:
            return replies
        sent = turn.session.exec(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == request_key(moderation))
        ).first()
        if sent is None:
            return replies
        return [Reply("moderation_request", dict(sent.context or {})), *replies]

    def on_resume(self, turn: Turn, op: OpenModeration) -> Refusal | None:
        """Opening an assigned moderation starts the work (its status moves on)."""
        if not op.state.finished and op.moderation.status == ASSIGNED:
            self.persist(turn, op)
        return None

    def step_context(
        self, turn: Turn, op: OpenModeration, sv: StepView, notes: StepNotes
    ) -> dict[str, Any]:
        """The step, with the panel's note after any other."""
        notice = " ".join(n for n in (notes.notice, panel_note(turn, op)) if n)
        return moderation_step_context(
            op.dialog,
            sv,
            moderation_id=op.moderation.id or 0,
            reference=op.case.reference,
            round_no=op.round,
            errors=notes.errors,
            warnings=notes.warnings,
            notice=notice,
        )

    def finished(self, turn: Turn, op: OpenModeration) -> list[Reply]:
        return [receipt(turn, op, decided=False, just_now=False)]

    def saved(self, turn: Turn, op: OpenModeration) -> Reply:
        return receipt(turn, op, decided=False, just_now=False, saved=True)

    def submit(self, turn: Turn, op: OpenModeration) -> list[Reply]:
        """Apply the outcome when this submission decides; edit the requests; tell."""
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
        for row, state in [(moderation, "done"), *((w, "withdrawn") for w in decision.withdrawn)]:
            mark_request(
                session=session, framework=framework, moderation=row, state=state, now=turn.now
            )
        if decision.decided:
            queue_outcome(
                session, framework, audit, moderation, result, round_no=decision.round, now=turn.now
            )
            turn.hooks.moderation_decided(turn, audit, moderation)
        return [receipt(turn, op, decided=decision.decided, just_now=True)]


FLOW = ModerationFlow()


# -- hooks --------------------------------------------------------------------------


def moderate_after_submit(turn: Turn, audit: Audit) -> None:
    """Select and assign the audit just submitted (idempotent: one round, one set)."""
    candidates = Candidates([audit], turn.now, turn.tz, actor=turn.person.email)
    assign_and_request(session=turn.session, framework=turn.framework, candidates=candidates)


def escalate_final_grade(turn: Turn, audit: Audit, moderation: Moderation) -> None:
    """A regrade asks for the new grade's escalation (Inadequate, Requires Improvement)."""
    if moderation.outcome != "regraded":
        return
    from handlers.escalation import escalate_after_submit  # the escalation feature's door

    escalate_after_submit(turn, audit)


_ACTIONS, _SUBMISSIONS = FLOW.routes(open_action="moderation.open")

CONVERSATION = Conversation(
    name="moderation",
    actions=_ACTIONS,
    submissions=_SUBMISSIONS,
    after_submit=(moderate_after_submit,),
    after_outcome=(escalate_final_grade,),
)
