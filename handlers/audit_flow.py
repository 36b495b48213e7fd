"""What the audit handlers share: keeping a draft, and the replies they answer with.

Kept apart from `handlers.audit` (the step handlers) and `handlers.audit_flags` (the
urgent flags) because both answer with the same step screen and keep drafts the
same way. "Never lose an answer": whatever a person has typed on a step is kept
whenever it reaches us, be it Next, Back, Save, closing the modal or raising a flag.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.audit_session import OpenAudit
from handlers.audit_views import step_context
from handlers.interaction import Reply
from handlers.turn import Turn
from qa.dialog import DialogState, view
from qa.framework import Framework
from qa.validation import Context, draft_value
from storage.audits import is_editing, moderation_started, save_state


def actor(turn: Turn) -> str:
    """Who acted, for the audit log (the staff member's work email)."""
    return turn.person.email


def keep_draft(turn: Turn, op: OpenAudit, step: str | None, values: Mapping[str, Any]) -> None:
    """Save what is typed on the current step without checking or moving it on.

    Only when the values are for the step the audit is at and carry at least one of
    its fields (a button with no inputs must not blank a step).
    """
    state = op.state
    if step != state.step or state.finished:
        return
    fields = op.dialog.step(step).fields
    if not any(f.key in values for f in fields):
        return
    ctx = Context(today=turn.today, known_people=op.people)
    drafted = {f.key: draft_value(f, values.get(f.key), ctx) for f in fields}
    answers = {k: v for k, v in drafted.items() if v is not None}
    op.state = state.with_answers(step, answers)
    save_state(session=turn.session, audit=op.audit, state=op.state, now=turn.now)


def save(turn: Turn, op: OpenAudit, state: DialogState) -> None:
    op.state = state
    save_state(session=turn.session, audit=op.audit, state=state, now=turn.now)


def step_reply(
    turn: Turn,
    op: OpenAudit,
    *,
    errors: Mapping[str, str] | None = None,
    warnings: Mapping[str, str] | None = None,
    notice: str = "",
) -> Reply:
    """The current step. Errors on its fields become Slack's inline errors; an error
    about something not on the screen is shown on its first field (or as a note)."""
    sv = view(op.dialog, op.state, today=turn.today, known_people=op.people)
    keys = [f.key for f in sv.fields]
    field_errors = {k: v for k, v in (errors or {}).items() if k in keys}
    stray = [v for k, v in (errors or {}).items() if k not in keys]
    if stray and keys:
        first = keys[0]
        field_errors[first] = " ".join([field_errors.get(first, ""), *stray]).strip()
    context = step_context(
        op.dialog,
        sv,
        audit_id=op.audit.id or 0,
        reference=op.case.reference,
        errors=field_errors if keys else errors,
        warnings=warnings,
        notice=notice,
        editing=is_editing(op.audit),
    )
    return Reply("audit_step", context, errors=field_errors)


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
