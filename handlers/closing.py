"""After an audit is final: its findings to the worker and line manager, and the QA
lead's closing block.

Two hooks, composed after moderation's (`bot/composition.py`):

- after a submission that no moderation will follow (no moderator assigned in its
  round, its grade not one the framework always moderates), the audit is final as
  submitted;
- after a moderation decides (confirmed or regraded; a returned audit is not final).

Either way the findings go to the people `findings.send_to` names
(`messages.findings`), and each holder of `closing.role` is asked to complete the
closing block. *Complete closing* (`closing.open`) opens a small form of the block's
questions, in the framework's words, with what the bot knows filled in: the day it
sent the findings, whether a panel moderated it. Submitting (`closing.submit`)
stores the answers (`storage.closing`), edits the request in place and answers with
a one-line receipt. Only holders of the role may complete it.
"""

from __future__ import annotations

import logging
from typing import Any

from handlers.conversation import Conversation
from handlers.forms import with_errors
from handlers.interaction import Reply
from handlers.tracking_replies import edit, gone, route, state
from handlers.turn import Turn
from messages.findings import (
    SUBMITTED_STAGE,
    closing_holders,
    deciding_result,
    findings_already_sent,
    queue_closing_requests,
    queue_findings,
)
from messages.moderation import findings_amended
from qa.framework import ClosingQuestion, Framework
from qa.validation import Context, Field, Option, validate
from storage.audits import SUBMITTED
from storage.closing import closing_of, panel_moderated, record_closing
from storage.models import Audit, Case, Moderation
from storage.moderation_outcomes import FINAL
from storage.moderations import current_round

log = logging.getLogger(__name__)

FORM = "closing_form"
RECEIPT = "closing_receipt"
ITEM = "closing"
YES_NO = (Option("yes", "Yes"), Option("no", "No"))


def _wanted(framework: Framework) -> bool:
    return bool(framework.findings.send_to) or framework.closing is not None


def _final(turn: Turn, audit: Audit, *, stage: str, moderation: Moderation | None) -> None:
    """The audit is final: findings out (unless a confirmation changed nothing already
    sent), then the closing requests (which show the day the findings went)."""
    session, framework = turn.session, turn.framework
    result = deciding_result(session, framework, audit, moderation)
    unchanged = (
        result is not None and result.outcome == "confirmed" and not findings_amended(result)
    )
    if not (unchanged and findings_already_sent(session, audit)):
        queue_findings(
            session, framework, audit, stage=stage, result=result, now=turn.now, tz=turn.tz
        )
    queue_closing_requests(
        session=session, framework=framework, audit=audit, now=turn.now, tz=turn.tz
    )
    log.info("audit final: audit=%s stage=%s", audit.id, stage)


def final_after_submit(turn: Turn, audit: Audit) -> None:
    """Final as submitted when no moderation follows (runs after moderation's hook)."""
    framework = turn.framework
    if not _wanted(framework) or audit.status != SUBMITTED or audit.id is None:
        return
    round_no, rows = current_round(session=turn.session, audit=audit)
    if rows or audit.overall_grade in framework.moderation.always_grades:
        return  # moderated (or waiting for a moderator): final when it decides
    _final(turn, audit, stage=f"{SUBMITTED_STAGE}{round_no}", moderation=None)


def final_after_outcome(turn: Turn, audit: Audit, moderation: Moderation) -> None:
    """Final when the moderation confirmed or regraded it (not when it was returned)."""
    if not _wanted(turn.framework) or audit.status != FINAL or audit.id is None:
        return
    round_no, _ = current_round(session=turn.session, audit=audit)
    _final(turn, audit, stage=f"m{round_no}", moderation=moderation)


# -- the closing form -------------------------------------------------------------------


def _field(q: ClosingQuestion) -> Field:
    if q.kind == "yes_no":
        return Field(q.key, q.label, "choice", options=YES_NO, required=False)
    return Field(q.key, q.label, "date", required=False)


def _prefill(turn: Turn, audit: Audit) -> dict[str, str]:
    """What the bot knows: the answers given before, else the days and facts it has."""
    closing = turn.framework.closing
    row = closing_of(session=turn.session, audit_id=audit.id or 0)
    given = dict(row.answers or {}) if row is not None and row.answers else {}
    out: dict[str, str] = {}
    for q in closing.questions if closing is not None else []:
        if isinstance(given.get(q.key), str):
            out[q.key] = given[q.key]
        elif q.filled_by == "findings_sent" and row is not None and row.findings_sent_at:
            out[q.key] = row.findings_sent_at.astimezone(turn.tz).date().isoformat()
        elif q.filled_by == "moderation_panel":
            out[q.key] = (
                "yes" if panel_moderated(session=turn.session, audit_id=audit.id or 0) else "no"
            )
    return out


def _reference(turn: Turn, audit: Audit) -> str:
    case = turn.session.get(Case, audit.case_id)
    return case.reference if case else ""


def _load(turn: Turn) -> tuple[Audit, str] | list[Reply]:
    found = route(turn, ITEM)
    audit = turn.session.get(Audit, found[0]) if found else None
    closing = turn.framework.closing
    if found is None or audit is None or closing is None:
        return gone(RECEIPT)
    if turn.person.id not in {p.id for p in closing_holders(turn.session, turn.framework)}:
        return [Reply(RECEIPT, {"what": "not_yours", "reference": _reference(turn, audit)})]
    return audit, found[1]


def _form(turn: Turn, audit: Audit, values: dict[str, Any]) -> Reply:
    closing = turn.framework.closing
    assert closing is not None
    return Reply(
        FORM,
        {
            "reference": _reference(turn, audit),
            "routing_key": turn.interaction.routing_key or "",
            "questions": [
                {"key": q.key, "label": q.label, "kind": q.kind} for q in closing.questions
            ],
            "values": values,
        },
    )


def open_form(turn: Turn) -> list[Reply]:
    loaded = _load(turn)
    if isinstance(loaded, list):
        return loaded
    audit = loaded[0]
    return [_form(turn, audit, _prefill(turn, audit))]


def submit(turn: Turn) -> list[Reply]:
    loaded = _load(turn)
    if isinstance(loaded, list):
        return loaded
    audit, clicked = loaded
    closing = turn.framework.closing
    assert closing is not None
    values = {k: v for k, v in turn.interaction.values.items() if isinstance(v, str)}
    fields = [_field(q) for q in closing.questions]
    cleaned, errors = validate(fields, values, Context(today=turn.today))
    if errors:
        return with_errors(_form(turn, audit, values), errors)
    answers = {k: v for k, v in cleaned.items() if isinstance(v, str)}
    record_closing(
        session=turn.session,
        audit_id=audit.id or 0,
        answers=answers,
        person=turn.person,
        now=turn.now,
    )
    replies = edit(
        turn,
        message_key=clicked,
        item_type=ITEM,
        item_id=audit.id or 0,
        shown=state(turn, "closed"),
        suffix=f"closed-{int(turn.now.timestamp())}",
    )
    return [*replies, Reply(RECEIPT, {"what": "recorded", "reference": _reference(turn, audit)})]


CONVERSATION = Conversation(
    name="closing",
    actions={"closing.open": open_form},
    submissions={"closing.submit": submit},
    after_submit=(final_after_submit,),
    after_outcome=(final_after_outcome,),
)
