"""Urgent flags: one tap away on every step, escalated the moment they are sent.

The framework names the flags an auditor may raise ("urgent safeguarding concern
for this child", "racism or discrimination that has not been addressed") and who is
told (`UrgentFlag.roles`). Sending one records it in the dialog state and the audit,
opens an `Escalation` per person told (due in `response_hours`), queues each of them
a message with the case reference, who raised it and a *Respond* button, and logs it
in the audit log, all in the same transaction. What is typed on the step when the
flag button is pressed is kept first, so raising a flag never costs an answer.

The note goes to the people told only when it passes the privacy check (or the
auditor confirmed it): a message about a child must carry the case reference, not
the child's details. Responding (`urgent.respond`) is kept minimal here: the owner
records a response; the follow-up dialog belongs to the escalation feature.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from handlers.audit_flow import FLOW, actor
from handlers.audit_session import OpenAudit, refused
from handlers.dialog_session import CONFIRM_KEY, confirmed, parse_key
from handlers.help import first_name, role_labels
from handlers.interaction import Reply
from handlers.turn import Turn
from qa.dialog import raise_flag
from qa.framework import UrgentFlag
from qa.privacy import warnings_for
from storage.audit_people import role_holders
from storage.models import Audit, Case, Escalation, Person
from storage.outbox import Message, enqueue
from storage.urgent_flags import raise_urgent, respond

log = logging.getLogger(__name__)

NOTE_MAX = 1000
RESPONSE_MAX = 3000
KIND_KEY, NOTE_KEY, RESPONSE_KEY = "flag.kind", "flag.note", "urgent.response"


def _flag_form(
    turn: Turn,
    op: OpenAudit,
    step: str,
    *,
    choice: str = "",
    note: str = "",
    warning: str = "",
    errors: dict[str, str] | None = None,
) -> Reply:
    flags = turn.framework.audit_form.urgent_flags
    raised = {f.key for f in op.state.flags}
    return Reply(
        "audit_flag",
        {
            "reference": op.case.reference,
            "routing_key": f"audit:{op.audit.id}:{step}",
            "audit_key": f"audit:{op.audit.id}",
            "flags": [
                {
                    "value": f.key,
                    "label": f.label,
                    "told": ", ".join(role_labels(list(f.roles), turn.framework)),
                    "raised": f.key in raised,
                }
                for f in flags
            ],
            "single": len(flags) == 1,
            "choice": choice,
            "note": note,
            "warning": warning,
            "confirm": bool(warning),
            "confirm_key": CONFIRM_KEY,
            "errors": dict(errors or {}),
        },
        errors=dict(errors or {}),
        placement="stack",  # on top of the step, which keeps what was typed
    )


def on_flag(turn: Turn) -> list[Reply]:
    """The flag button on a step: keep what is typed, show the flag form."""
    target = FLOW.at_step(turn)
    if isinstance(target, list):
        return target
    op, step = target
    if not turn.framework.audit_form.urgent_flags:
        return refused("invalid").reply()
    FLOW.keep_draft(turn, op, step, turn.interaction.values)
    return [_flag_form(turn, op, step)]


def _owners(turn: Turn, flag: UrgentFlag, case: Case) -> list[Person]:
    local = [r.key for r in turn.framework.roles if r.sees in ("service", "team")]
    owners = role_holders(
        session=turn.session, roles=flag.roles, service_id=case.service_id, local_roles=local
    )
    if not owners:  # never nowhere: the QA lead hears of it
        owners = role_holders(
            session=turn.session,
            roles=[turn.framework.qa_lead_role],
            service_id=None,
            local_roles=(),
        )
    return [p for p in owners if p.id != turn.person.id] or owners


def _notify(
    turn: Turn,
    rows: list[Escalation],
    *,
    flag: UrgentFlag,
    audit: Audit,
    case: Case,
    note: str,
    owners: dict[int, Person],
) -> None:
    withheld = bool(note and warnings_for({"note": note}))
    asked = role_labels(list(flag.response_from), turn.framework)
    for row in rows:
        owner = owners[row.owner_id]
        enqueue(
            session=turn.session,
            now=turn.now,
            message=Message(
                template="urgent_flag",
                idempotency_key=f"urgent:{audit.id}:{flag.key}:{owner.id}",
                person_id=owner.id,
                context={
                    "first_name": first_name(owner),
                    "flag": flag.label,
                    "reference": case.reference,
                    "raised_by": turn.person.name,
                    "hours": flag.response_hours,
                    "deadline": row.deadline.astimezone(turn.now.tzinfo).date().isoformat(),
                    "response_from": asked,
                    "note": "" if withheld else note,
                    "note_withheld": withheld,
                    "routing_key": f"escalation:{row.id}",
                },
            ),
        )


def on_flag_send(turn: Turn) -> list[Reply]:
    """Escalate at once, then back to the step beneath, and a receipt."""
    target = FLOW.at_step(turn)
    if isinstance(target, list):
        return target
    op, step = target
    flags = {f.key: f for f in turn.framework.audit_form.urgent_flags}
    values = turn.interaction.values
    choice = str(values.get(KIND_KEY) or "")
    if len(flags) == 1 and not choice:
        choice = next(iter(flags))
    note = str(values.get(NOTE_KEY) or "").strip()
    if choice not in flags:
        errors = {KIND_KEY: "Choose what the concern is about"}
        return [_flag_form(turn, op, step, note=note, errors=errors)]
    if len(note) > NOTE_MAX:
        errors = {NOTE_KEY: f"Keep this under {NOTE_MAX} characters (it has {len(note)})"}
        return [_flag_form(turn, op, step, choice=choice, note=note, errors=errors)]
    warning = warnings_for({NOTE_KEY: note}).get(NOTE_KEY, "")
    if warning and not confirmed(values):
        return [_flag_form(turn, op, step, choice=choice, note=note, warning=warning)]
    flag = flags[choice]
    before = {f.key for f in op.state.flags}
    FLOW.save(turn, op, raise_flag(op.dialog, op.state, choice, note, by=turn.person.id or 0))
    owners = _owners(turn, flag, op.case)
    rows = raise_urgent(turn.session, op.audit, flag, owners, now=turn.now, actor=actor(turn))
    by_id = {p.id: p for p in owners if p.id is not None}
    _notify(turn, rows, flag=flag, audit=op.audit, case=op.case, note=note, owners=by_id)
    log.info("urgent flag: audit=%s flag=%s escalations=%d", op.audit.id, choice, len(rows))
    receipt = _receipt(turn, op, flag, owners, already=choice in before)
    if op.state.finished:
        return [receipt]
    back = FLOW.step_reply(turn, op, notice=receipt.context["line"])
    return [replace(back, placement="unstack"), receipt]


def _receipt(
    turn: Turn, op: OpenAudit, flag: UrgentFlag, owners: list[Person], *, already: bool
) -> Reply:
    told = [p.name for p in owners]
    if already:
        line = f"You raised this concern for case {op.case.reference} earlier; it has been sent."
    elif told:
        line = f"Sent now to {', '.join(told)}: {flag.label.lower()}, case {op.case.reference}."
    else:
        line = (
            f"I could not find anyone to send this to. Please phone your manager now about "
            f"case {op.case.reference}."
        )
    context: dict[str, Any] = {
        "reference": op.case.reference,
        "flag": flag.label,
        "told": told,
        "already": already,
        "line": line,
    }
    return Reply("urgent_flag_receipt", context)


# -- responding (minimal) ------------------------------------------------------------------


def _escalation(turn: Turn) -> tuple[Escalation, str] | list[Reply]:
    parsed = parse_key(turn.interaction.routing_key, "escalation")
    if parsed is None:
        return refused("invalid").reply()
    row = turn.session.get(Escalation, parsed[0])
    if row is None:
        return refused("invalid").reply()
    if row.owner_id != turn.person.id:
        return refused("not_yours").reply()
    case = turn.session.get(Case, row.case_id or 0)
    return row, case.reference if case else ""


def _respond_form(turn: Turn, row: Escalation, reference: str, errors: dict[str, str]) -> Reply:
    labels = {f.key: f.label for f in turn.framework.audit_form.urgent_flags}
    return Reply(
        "urgent_respond",
        {
            "reference": reference,
            "flag": labels.get(row.flag or "", row.flag or ""),
            "deadline": row.deadline.astimezone(turn.now.tzinfo).date().isoformat(),
            "responded": row.responded_at is not None,
            "routing_key": f"escalation:{row.id}",
            "errors": errors,
        },
        errors=errors,
    )


def on_respond(turn: Turn) -> list[Reply]:
    found = _escalation(turn)
    if isinstance(found, list):
        return found
    row, reference = found
    return [_respond_form(turn, row, reference, {})]


def on_respond_send(turn: Turn) -> list[Reply]:
    found = _escalation(turn)
    if isinstance(found, list):
        return found
    row, reference = found
    text = str(turn.interaction.values.get(RESPONSE_KEY) or "").strip()
    if not text:
        errors = {RESPONSE_KEY: "Say what has been done, or will be, about this concern"}
        return [_respond_form(turn, row, reference, errors)]
    if len(text) > RESPONSE_MAX:
        errors = {RESPONSE_KEY: f"Keep this under {RESPONSE_MAX} characters (it has {len(text)})"}
        return [_respond_form(turn, row, reference, errors)]
    respond(session=turn.session, escalation=row, text=text, now=turn.now, actor=actor(turn))
    log.info("escalation responded: escalation=%s", row.id)
    return [Reply("notice", {"text": f"Thank you. Your response on case {reference} is recorded."})]
