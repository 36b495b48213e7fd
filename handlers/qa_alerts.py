"""Raising a QA alert on a case, and acting on it (Lambeth QAF 8).

A holder of a `qa_alerts.raised_by` role (Lambeth: IROs and CP chairs) types `alert`
and gets a button that opens a form: the case reference (a case the bot knows), what
the concern is about, and a short note. The note must not identify a child
(`qa.privacy`): one that looks like a name, a date of birth or a contact detail is
refused with the kind found, never the text. The alert is stored, the raiser gets a
receipt, and the nearest holder of `acted_on_by` (the case's team manager) is asked,
with an *Acted on* button, to say what changed; that closes the alert and tells the
raiser. Every message has an outbox key per alert, so a repeated press sends nothing
twice. Where the framework has no `qa_alerts`, `alert` is a word the bot does not know.
"""

from __future__ import annotations

from typing import Any

from handlers.conversation import Conversation
from handlers.forms import note_field, refuse_sensitive, with_errors
from handlers.in_place import edit_pressed
from handlers.interaction import Reply
from handlers.menu import didnt_catch
from handlers.tracking_replies import gone, route
from handlers.turn import Turn
from messages.tracking import first_name
from messages.tracking import route as make_route
from qa.framework import QaAlerts
from qa.validation import Context, Field, Option, validate
from storage.models import Case, QaAlert
from storage.outbox import Message, enqueue
from storage.qa_alerts import act_on, case_by_reference, raise_alert, request_key
from storage.tracking import directory

START = "alert_start"
FORM = "alert_form"
ACT_FORM = "alert_act_form"
RECEIPT = "alert_receipt"
REQUEST = "alert_request"
ACTED = "alert_acted"
REFERENCE_CHARS = 40
NEW = "alert-new"  # the routing key of the start button: no record yet


def _policy(turn: Turn) -> QaAlerts | None:
    return turn.framework.qa_alerts


def _may_raise(turn: Turn, policy: QaAlerts) -> bool:
    return bool(set(turn.person.roles or ()) & set(policy.raised_by))


def _kinds(policy: QaAlerts) -> list[dict[str, str]]:
    return [{"value": k.key, "label": k.label} for k in policy.kinds]


def _raise_fields(policy: QaAlerts) -> tuple[Field, ...]:
    return (
        Field(
            "reference",
            "case reference",
            "text",
            max_length=REFERENCE_CHARS,
            missing="Give the case reference",
        ),
        Field(
            "concern",
            "what it is about",
            "choice",
            options=tuple(Option(k.key, k.label) for k in policy.kinds),
            missing="Pick what the concern is about",
        ),
        note_field("note", "Write a short note of the concern"),
    )


def _act_fields() -> tuple[Field, ...]:
    return (note_field("what changed", "Say briefly what changed"),)


# -- raising ----------------------------------------------------------------------------


def alert_command(turn: Turn, rest: str = "") -> list[Reply]:
    policy = _policy(turn)
    if policy is None:
        return didnt_catch(turn, "alert")
    if not _may_raise(turn, policy):
        return [Reply(RECEIPT, {"what": "not_raiser", "reference": None})]
    return [Reply(START, {"first_name": first_name(turn.person.name), "routing_key": NEW})]


def _form(turn: Turn, policy: QaAlerts, values: dict[str, Any]) -> Reply:
    return Reply(
        FORM,
        {
            "kinds": _kinds(policy),
            "days": policy.respond_within_days,
            "routing_key": turn.interaction.routing_key or NEW,
            "values": values,
        },
    )


def _raising(turn: Turn) -> QaAlerts | list[Reply]:
    """The policy, when alerts are on and this person may raise one; else the replies
    that refuse a pressed button or a submitted form."""
    policy = _policy(turn)
    if policy is None:
        return gone(RECEIPT)
    if not _may_raise(turn, policy):
        return [Reply(RECEIPT, {"what": "not_raiser", "reference": None})]
    return policy


def open_raise_form(turn: Turn) -> list[Reply]:
    policy = _raising(turn)
    if isinstance(policy, list):
        return policy
    return [_form(turn, policy, {})]


def submit_raise(turn: Turn) -> list[Reply]:
    policy = _raising(turn)
    if isinstance(policy, list):
        return policy
    values = dict(turn.interaction.values)
    cleaned, errors = validate(_raise_fields(policy), values, Context(today=turn.today))
    case: Case | None = None
    if "reference" not in errors:
        case = case_by_reference(session=turn.session, reference=str(cleaned["reference"]))
        if case is None:
            errors["reference"] = "No case has that reference: check it against the case record"
    note = str(cleaned.get("note") or "")
    refuse_sensitive(errors, note)
    if errors or case is None:
        return with_errors(_form(turn, policy, values), errors)
    alert = raise_alert(
        session=turn.session,
        policy=policy,
        case=case,
        kind=str(cleaned["concern"]),
        note=note,
        raised_by_id=turn.person.id or 0,
        now=turn.now,
        today=turn.today,
    )
    staff = directory(session=turn.session)
    if alert.acted_on_by_id is not None:
        key = request_key(alert.id or 0)
        context = {
            "first_name": first_name(staff.name(alert.acted_on_by_id)),
            "reference": case.reference,
            "kind": policy.kind_label(alert.kind),
            "note": note,
            "raised_by": turn.person.name,
            "raised_on": turn.today.isoformat(),
            "due_on": alert.due_on.isoformat(),
            "routing_key": make_route("alert", alert.id or 0, key),
        }
        request = Message(REQUEST, key, context, person_id=alert.acted_on_by_id)
        enqueue(session=turn.session, message=request, now=turn.now)
    receipt = {
        "what": "raised",
        "reference": case.reference,
        "kind": policy.kind_label(alert.kind),
        "asked": staff.name(alert.acted_on_by_id) or None,
        "due_on": alert.due_on.isoformat(),
    }
    return [Reply(RECEIPT, receipt)]


# -- acting on it -----------------------------------------------------------------------


def _load(turn: Turn) -> tuple[QaAlerts, QaAlert, str | None] | list[Reply]:
    policy = _policy(turn)
    found = route(turn, "alert")
    alert = turn.session.get(QaAlert, found[0]) if found else None
    if policy is None or alert is None:
        return gone(RECEIPT)
    case = turn.session.get(Case, alert.case_id)
    reference = case.reference if case else None
    if alert.acted_at is not None:
        return [Reply(RECEIPT, {"what": "already", "reference": reference})]
    asked = turn.person.id == alert.acted_on_by_id
    if not asked and policy.acted_on_by not in (turn.person.roles or ()):
        owner = directory(session=turn.session).name(alert.acted_on_by_id) or None
        return [Reply(RECEIPT, {"what": "not_asked", "reference": reference, "owner": owner})]
    return policy, alert, reference


def _act_form(turn: Turn, policy: QaAlerts, alert: QaAlert, reference: str | None) -> Reply:
    return Reply(
        ACT_FORM,
        {
            "reference": reference,
            "kind": policy.kind_label(alert.kind),
            "routing_key": turn.interaction.routing_key or "",
            "values": dict(turn.interaction.values)
            if turn.interaction.kind == "submission"
            else {},
        },
    )


def open_act_form(turn: Turn) -> list[Reply]:
    loaded = _load(turn)
    if isinstance(loaded, list):
        return loaded
    return [_act_form(turn, *loaded)]


def submit_act(turn: Turn) -> list[Reply]:
    loaded = _load(turn)
    if isinstance(loaded, list):
        return loaded
    policy, alert, reference = loaded
    cleaned, errors = validate(
        _act_fields(), dict(turn.interaction.values), Context(today=turn.today)
    )
    note = str(cleaned.get("note") or "")
    refuse_sensitive(errors, note)
    if errors:
        return with_errors(_act_form(turn, policy, alert, reference), errors)
    act_on(
        session=turn.session, alert=alert, note=note, person_id=turn.person.id or 0, now=turn.now
    )
    staff = directory(session=turn.session)
    told = {
        "first_name": first_name(staff.name(alert.raised_by_id)),
        "reference": reference,
        "kind": policy.kind_label(alert.kind),
        "by": turn.person.name,
        "on": turn.today.isoformat(),
        "note": note,
    }
    key = f"{request_key(alert.id or 0)}:acted"
    enqueue(
        session=turn.session,
        message=Message(ACTED, key, told, person_id=alert.raised_by_id),
        now=turn.now,
    )
    receipt = Reply(RECEIPT, {"what": "acted", "reference": reference})
    return [*_edit_request(turn, alert), receipt]


def _edit_request(turn: Turn, alert: QaAlert) -> list[Reply]:
    """Show the request as acted on, in place and without its button, where it was sent."""
    acted = {"by": turn.person.name, "on": turn.today.isoformat()}
    return edit_pressed(turn, request_key(alert.id or 0), "acted", {"acted": acted})


CONVERSATION = Conversation(
    name="qa_alerts",
    commands={"alert": alert_command},
    actions={"alert.raise": open_raise_form, "alert.act": open_act_form},
    submissions={"alert.raise": submit_raise, "alert.act": submit_act},
)
