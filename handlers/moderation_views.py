"""What the moderation dialog shows: a step, a panel's note, the one-line receipt.

Each step is built by the audit dialog's own `handlers.audit_views.step_context` (the
same inputs, pre-filling, errors and limits), with the moderation's routing keys in
place of the audit's; the `moderation_step` templates render it. On a panel the
chair sees how the members' views stand, and members are told the chair decides.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from handlers.audit_views import step_context
from handlers.interaction import Reply
from handlers.moderation_session import OpenModeration
from handlers.turn import Turn
from qa.dialog import Dialog, StepView
from qa.moderation_dialog import OUTCOMES
from storage.moderations import COMPLETED

_OUTCOME_WORD = {recorded: offered for recorded, offered in OUTCOMES.values()}


def panel_note(turn: Turn, op: OpenModeration) -> str:
    """On a panel: the chair's decision is final; the chair sees the views so far."""
    if not turn.framework.moderation.panel:
        return ""
    if not op.moderation.is_chair:
        return (
            "You are on the panel for this case: record your view. The chair's decision is final."
        )
    views = Counter(
        _OUTCOME_WORD.get(r.outcome or "", r.outcome or "")
        for r in op.rows
        if r.id != op.moderation.id and r.status == COMPLETED and r.outcome
    )
    members = sum(1 for r in op.rows if r.id != op.moderation.id)
    if not views:
        return (
            "You chair this panel: your decision is final. "
            f"No views recorded yet ({members} members)."
        )
    shown = ", ".join(f"{word} ({n})" for word, n in sorted(views.items()))
    return (
        f"You chair this panel: your decision is final. Views recorded, {sum(views.values())} "
        f"of {members}: {shown}."
    )


def moderation_step_context(
    dialog: Dialog,
    sv: StepView,
    *,
    moderation_id: int,
    reference: str,
    round_no: int = 1,
    errors: Mapping[str, str] | None = None,
    warnings: Mapping[str, str] | None = None,
    notice: str = "",
) -> dict[str, Any]:
    """The `moderation_step` context: the audit's step context, with this moderation's
    keys (pure, so the template tests build it for the largest forms)."""
    context = step_context(
        dialog,
        sv,
        audit_id=0,
        reference=reference,
        errors=errors,
        warnings=warnings,
        notice=notice,
    )
    key = f"moderation:{moderation_id}"
    context.update(
        step_key=f"{key}:{sv.key}",
        moderation_key=key,
        audit_key="",
        flags=[],
        raised=[],
        round=round_no,
    )
    return context


def receipt(
    turn: Turn, op: OpenModeration, *, decided: bool, just_now: bool, saved: bool = False
) -> Reply:
    """One line: what was recorded (or saved for later), and what happens next."""
    labels = {g.key: g.label for g in turn.framework.grades}
    m = op.moderation
    final = op.audit.final_grade if m.outcome != "returned" else None
    context: dict[str, Any] = {
        "reference": op.case.reference,
        "outcome": m.outcome or "",
        "final": labels.get(final or m.moderated_grade or "", ""),
        "decided": decided,
        "panel": turn.framework.moderation.panel,
        "is_chair": m.is_chair,
        "just_now": just_now,
        "saved": saved,
        "moderation_key": f"moderation:{m.id}",
    }
    return Reply("moderation_receipt", context)
