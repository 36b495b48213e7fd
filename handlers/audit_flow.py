"""The audit as a dialog flow: how the controller opens, keeps, shows and submits it.

The controller (`handlers.dialog_controller`) does the stepping, drafts and refusals
for every dialog; this is what is particular to an audit: the record is the audit
row (`storage.audits`), a draft whose allocation has closed is refused, a step is
`handlers.audit_views.step_context` with the audit's keys, and submitting stores the
result, runs the after-submit hooks (escalation, moderation) and says thank you.
Kept apart from `handlers.audit` (start and edit) so the urgent flags
(`handlers.audit_flags`) can keep drafts and answer with steps the same way.
"""

from __future__ import annotations

import logging
from typing import Any

from handlers.audit_session import AUDIT, OpenAudit, open_audit, refused
from handlers.audit_views import step_context
from handlers.dialog_controller import DialogFlow, StepNotes
from handlers.dialog_session import Refusal
from handlers.interaction import Reply
from handlers.turn import Turn
from qa.dialog import StepView
from qa.forms import result
from qa.framework import Framework
from storage.audits import (
    DRAFT,
    OPEN_ALLOCATION,
    is_editing,
    moderation_started,
    save_state,
    submit,
)
from storage.models import Allocation

log = logging.getLogger(__name__)


def actor(turn: Turn) -> str:
    """Who acted, for the audit log (the staff member's work email)."""
    return turn.person.email


def submitted_context(
    turn: Turn, op: OpenAudit, *, recommendations: int, just_now: bool
) -> dict[str, Any]:
    """The thank-you and summary: grades and counts, never free text."""
    framework: Framework = turn.framework
    audit = op.audit
    grades = {g.key: g.label for g in framework.grades}
    domains = [
        {"label": d.label, "grade": grades.get(audit.domain_grades.get(d.key, ""), "")}
        for d in framework.domains_for(op.case.area)
        if d.key in (audit.domain_grades or {})
    ]
    flags = {f.key: f.label for f in framework.audit_form.urgent_flags}
    edits = sum(1 for h in audit.history or [] if h.get("event") == "edited")
    return {
        "reference": op.case.reference,
        "overall": grades.get(audit.overall_grade or "", audit.overall_grade or ""),
        "domains": domains,
        "recommendations": recommendations,
        "flags": [flags.get(k, k) for k in audit.urgent_flags or []],
        "edited": edits > 0,
        "just_now": just_now,
        "can_edit": not moderation_started(session=turn.session, audit_id=audit.id or 0),
        "audit_key": f"audit:{audit.id}",
    }


def submitted(turn: Turn, op: OpenAudit, *, just_now: bool, recommendations: int = -1) -> Reply:
    if recommendations < 0:
        recommendations = len(result(op.state, turn.framework).recommendations)
    return Reply(
        "audit_submitted",
        submitted_context(turn, op, recommendations=recommendations, just_now=just_now),
    )


class AuditFlow(DialogFlow[OpenAudit]):
    """The audit of one allocated case, by its auditor."""

    name = AUDIT

    def open(self, turn: Turn, record_id: int) -> OpenAudit | Refusal:
        return open_audit(
            session=turn.session, audit_id=record_id, person=turn.person, framework=turn.framework
        )

    def persist(self, turn: Turn, op: OpenAudit) -> None:
        save_state(session=turn.session, audit=op.audit, state=op.state, now=turn.now)

    def on_resume(self, turn: Turn, op: OpenAudit) -> Refusal | None:
        """A draft whose allocation was released or closed cannot be picked up again."""
        allocation = turn.session.get(Allocation, op.audit.allocation_id or 0)
        if op.audit.status == DRAFT and allocation and allocation.status not in OPEN_ALLOCATION:
            return refused("closed")
        return None

    def step_context(
        self, turn: Turn, op: OpenAudit, sv: StepView, notes: StepNotes
    ) -> dict[str, Any]:
        editing = is_editing(op.audit)
        ref = op.case.reference
        return step_context(
            op.dialog, sv, audit_id=op.audit.id or 0, reference=ref, editing=editing, **vars(notes)
        )

    def moved_on_notice(self, turn: Turn) -> str:
        return self.moved_on.format(dialog=turn.framework.vocabulary.audit)

    def finished(self, turn: Turn, op: OpenAudit) -> list[Reply]:
        return [submitted(turn, op, just_now=False)]

    def submit(self, turn: Turn, op: OpenAudit) -> list[Reply]:
        """Store the result and its recommendations, then the after-submit hooks."""
        rows = submit(
            session=turn.session,
            audit=op.audit,
            state=op.state,
            result=result(op.state, turn.framework),
            now=turn.now,
            actor=actor(turn),
        )
        log.info("audit submitted: audit=%s recommendations=%d", op.audit.id, len(rows))
        turn.hooks.audit_submitted(turn, op.audit)
        return [submitted(turn, op, just_now=True, recommendations=len(rows))]

    def saved(self, turn: Turn, op: OpenAudit) -> Reply:
        title = op.dialog.step(op.state.step).title if not op.state.finished else ""
        context = {
            "reference": op.case.reference,
            "step": title,
            "audit_key": f"audit:{op.audit.id}",
        }
        return Reply("audit_saved", context)


FLOW = AuditFlow()
