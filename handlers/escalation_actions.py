"""*Record remedial action* on an escalated audit, and the whole-caseload decision.

`escalation.record` opens a form: for a grade escalation, what was done and by whom;
for a dip sample that found the same concerns, whether to approve an audit of the
worker's whole caseload (approved, it is allocated at once to the dip-sampler).
Submitting closes the request and every other open request about the same audit (one
remedial action answers the Director and the Assistant Director alike), edits each of
their messages in place and answers with a receipt.
Urgent flags are answered through `urgent.respond`, which the audit dialog owns
(`handlers.audit_flags`); this module leaves it alone.
"""

from __future__ import annotations

from typing import Any

from handlers.conversation import Conversation
from handlers.escalation import queue_caseload_prompt
from handlers.forms import read_form, text_field, with_errors
from handlers.interaction import Reply
from handlers.tracking_replies import edit, gone, route, state
from handlers.turn import Turn
from qa.validation import Field, Option
from storage.escalations import approved_caseload
from storage.models import Case, Escalation
from storage.tracking import OPEN, RESOLVED, RESPONDED, directory, key_of, siblings
from storage.tracking_records import record_response

RECEIPT = "escalation_receipt"
FORM = "escalation_form"
ITEM = "escalation"
FIELDS: dict[str, tuple[Field, ...]] = {
    "grade": (
        text_field(
            "action_taken",
            "the remedial action",
            max_length=2000,
            missing="Say what remedial action has been taken",
        ),
        Field(
            "by_whom",
            "who took it",
            "text",
            max_length=200,
            missing="Say who took the action (a name or a role)",
        ),
    ),
    "dip_sample": (
        Field(
            "decision",
            "your decision",
            "choice",
            options=(
                Option("approve", "Approve an audit of the whole caseload"),
                Option("decline", "Not now"),
            ),
            missing="Choose whether to approve the audit of the whole caseload",
        ),
        Field("note", "a note", "text", multiline=True, max_length=1000, required=False),
    ),
}
STATUS = {"approve": "approved", "decline": "declined"}


def _reference(turn: Turn, row: Escalation) -> str | None:
    case = turn.session.get(Case, row.case_id) if row.case_id is not None else None
    return case.reference if case else None


def _load(turn: Turn) -> tuple[Escalation, str] | list[Reply]:
    found = route(turn, "escalation")
    row = turn.session.get(Escalation, found[0]) if found else None
    if found is None or row is None or row.kind not in FIELDS:
        return gone(RECEIPT)
    reference = _reference(turn, row)
    if row.owner_id != turn.person.id:
        owner = directory(session=turn.session).name(row.owner_id)
        return [Reply(RECEIPT, {"what": "not_owner", "reference": reference, "owner": owner})]
    if row.status != OPEN:
        who = directory(session=turn.session).name(_responder(turn, row))
        on = (
            row.responded_at.astimezone(turn.now.tzinfo).date().isoformat()
            if row.responded_at
            else None
        )
        return [Reply(RECEIPT, {"what": "already", "reference": reference, "by": who, "on": on})]
    return row, found[1]


def _responder(turn: Turn, row: Escalation) -> int | None:
    """Who answered: the owner of the request closed with its own status, else the owner."""
    answered = [
        r for r in siblings(session=turn.session, row=row) if r.status not in (OPEN, RESOLVED)
    ]
    return answered[0].owner_id if answered else row.owner_id


def _form(turn: Turn, row: Escalation, values: dict[str, Any]) -> Reply:
    grade = row.grade if row.grade in turn.framework.grade_keys else None
    return Reply(
        FORM,
        {
            "kind": row.kind,
            "reference": _reference(turn, row),
            "grade": turn.framework.grade(grade).label if grade else None,
            "deadline": row.deadline.astimezone(turn.tz).date().isoformat(),
            "routing_key": turn.interaction.routing_key or "",
            "values": values,
            "by_default": turn.person.name,
        },
    )


def open_form(turn: Turn) -> list[Reply]:
    loaded = _load(turn)
    if isinstance(loaded, list):
        return loaded
    return [_form(turn, loaded[0], {})]


def submit(turn: Turn) -> list[Reply]:
    loaded = _load(turn)
    if isinstance(loaded, list):
        return loaded
    row, clicked = loaded
    values, cleaned, errors = read_form(turn, FIELDS[row.kind])
    if errors:
        return with_errors(_form(turn, row, values), errors)
    if row.kind == "dip_sample":
        decision = str(cleaned["decision"])
        status = STATUS[decision]
        what = "approved_caseload" if decision == "approve" else "declined"
        response = f"{decision}: {cleaned.get('note', '')}".strip().rstrip(":")
    else:
        status, what = RESPONDED, "recorded"
        response = f"{cleaned['action_taken']}\nBy: {cleaned['by_whom']}"
    closed = record_response(
        session=turn.session,
        row=row,
        person=turn.person,
        response=response,
        status=status,
        now=turn.now,
    )
    if what == "approved_caseload":  # approved: allocated at once, not next month
        rows = approved_caseload(turn.session, turn.framework, row, now=turn.now, tz=turn.tz)
        if rows:
            queue_caseload_prompt(turn, rows)
    shown = state(turn, what)
    replies: list[Reply] = []
    keys = {key_of(r): r for r in closed}
    from_rows = set(keys)  # built from the database, not taken from the button
    keys.setdefault(clicked, row)
    for key, closed_row in keys.items():
        in_place = edit(
            turn,
            message_key=key,
            item_type=ITEM,
            item_id=closed_row.id or 0,
            shown=shown,
            suffix=f"r{row.id}",
            trusted=key in from_rows,
        )
        if key == clicked:
            replies = in_place
    return [*replies, Reply(RECEIPT, {"what": what, "reference": _reference(turn, row)})]


CONVERSATION = Conversation(
    name="escalation_record",
    actions={"escalation.record": open_form},
    submissions={"escalation.record": submit},
)
