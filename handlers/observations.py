"""Observations of practice: a manager records one in chat; the QA lead is told.

`observe` (typed, or the slash command) answers with a card whose button opens the
form (a typed message cannot open a dialog on every platform). The form asks who was
observed by role, never by name; the setting; what went well and what could be better;
whether feedback was given and when; the date; and, optionally, a case reference,
checked against the known cases. The two free texts must not identify a child or a
family (`qa.privacy`): a name, a date of birth or a contact detail is refused with the
kind found, never the text. Only holders of `observations.by_roles` record; holders of
`observations.notify_roles` are told "so it can be centrally recorded" (City of London
2024, Appendix 2). Logs carry ids only.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from handlers.conversation import Conversation
from handlers.forms import with_errors
from handlers.interaction import Reply
from handlers.turn import Turn
from qa.framework import Framework
from qa.privacy import find_sensitive, warning
from qa.validation import Context, Field, Option, validate
from storage.models import Case, Observation
from storage.observations import NewObservation, case_by_reference, holders, record
from storage.outbox import Message, enqueue

log = logging.getLogger(__name__)

PROMPT = "observe_prompt"
FORM = "observation_form"
RECEIPT = "observation_receipt"
NOTICE = "observation_notice"
ROUTE = "observe"
TEXT_CHARS = 1000
REFERENCE_CHARS = 40
YES, NO = "yes", "no"


def _role_options(framework: Framework) -> tuple[Option, ...]:
    return tuple(Option(r.key, r.label) for r in framework.roles)


def _fields(framework: Framework) -> tuple[Field, ...]:
    settings = tuple(Option(s, s) for s in framework.observations.settings)
    return (
        Field(
            "observed_role",
            "who was observed",
            "choice",
            options=_role_options(framework),
            missing="Pick the role of the person observed",
        ),
        Field("setting", "setting", "choice", options=settings, missing="Pick the setting"),
        Field(
            "observed_on",
            "date of the observation",
            "date",
            dates="not_future",
            missing="Pick the date of the observation",
        ),
        Field(
            "went_well",
            "what went well",
            "text",
            multiline=True,
            max_length=TEXT_CHARS,
            missing="Write what went well",
        ),
        Field(
            "could_be_better",
            "what could be better",
            "text",
            multiline=True,
            max_length=TEXT_CHARS,
            missing="Write what could be better",
        ),
        Field(
            "feedback_given",
            "feedback given",
            "choice",
            options=(Option(YES, "Yes"), Option(NO, "Not yet")),
            missing="Say whether feedback was given",
        ),
        Field(
            "feedback_on",
            "date feedback was given",
            "date",
            dates="not_future",
            required_if=("feedback_given", (YES,)),
            missing="Pick the date feedback was given",
        ),
        Field(
            "reference",
            "case reference",
            "text",
            required=False,
            max_length=REFERENCE_CHARS,
        ),
    )


def _may_record(turn: Turn) -> bool:
    wanted = set(turn.framework.observations.by_roles)
    return bool(wanted.intersection(turn.person.roles or []))


def _refusal(turn: Turn) -> list[Reply] | None:
    policy = turn.framework.observations
    if not policy.enabled:
        return [Reply(RECEIPT, {"what": "off"})]
    if not _may_record(turn):
        roles = [turn.framework.role(k).label for k in policy.by_roles]
        return [Reply(RECEIPT, {"what": "not_manager", "roles": roles})]
    return None


def _form(turn: Turn, values: dict[str, Any]) -> Reply:
    fw = turn.framework
    return Reply(
        FORM,
        {
            "roles": [{"value": o.value, "label": o.label} for o in _role_options(fw)],
            "settings": list(fw.observations.settings),
            "routing_key": ROUTE,
            "values": values,
        },
    )


def observe_command(turn: Turn, _rest: str = "") -> list[Reply]:
    """`observe`: the card with the button that opens the form."""
    refused = _refusal(turn)
    if refused is not None:
        return refused
    return [Reply(PROMPT, {"routing_key": ROUTE})]


def open_form(turn: Turn) -> list[Reply]:
    refused = _refusal(turn)
    if refused is not None:
        return refused
    return [_form(turn, {})]


def _check(turn: Turn, values: dict[str, Any]) -> tuple[NewObservation | None, dict[str, str]]:
    cleaned, errors = validate(_fields(turn.framework), values, Context(today=turn.today))
    for key in ("went_well", "could_be_better"):
        text = str(cleaned.get(key) or "")
        found = find_sensitive(text) if text else []
        if found and key not in errors:
            errors[key] = warning(found)
    case: Case | None = None
    reference = str(cleaned.get("reference") or "").strip()
    if reference and "reference" not in errors:
        case = case_by_reference(session=turn.session, reference=reference)
        if case is None:
            errors["reference"] = (
                "No case has that reference: check it, or leave it empty where there is none"
            )
    if errors:
        return None, errors
    given = cleaned["feedback_given"] == YES
    return (
        NewObservation(
            observed_role=str(cleaned["observed_role"]),
            setting=str(cleaned["setting"]),
            went_well=str(cleaned["went_well"]),
            could_be_better=str(cleaned["could_be_better"]),
            feedback_given=given,
            feedback_on=date.fromisoformat(str(cleaned["feedback_on"]))
            if given and cleaned.get("feedback_on")
            else None,
            observed_on=date.fromisoformat(str(cleaned["observed_on"])),
            case_id=case.id if case is not None else None,
        ),
        {},
    )


def _summary(turn: Turn, row: Observation, reference: str | None) -> dict[str, Any]:
    fw = turn.framework
    role = row.observed_role
    return {
        "observed_role": fw.role(role).label if role in fw.role_keys else role,
        "setting": row.setting,
        "observed_on": row.observed_on.isoformat(),
        "went_well": row.went_well,
        "could_be_better": row.could_be_better,
        "feedback_given": row.feedback_given,
        "feedback_on": row.feedback_on.isoformat() if row.feedback_on else None,
        "reference": reference,
        "by": turn.person.name,
    }


def submit(turn: Turn) -> list[Reply]:
    refused = _refusal(turn)
    if refused is not None:
        return refused
    values = dict(turn.interaction.values)
    new, errors = _check(turn, values)
    if new is None:
        return with_errors(_form(turn, values), errors)
    row = record(session=turn.session, recorder=turn.person, new=new, now=turn.now)
    case = turn.session.get(Case, new.case_id) if new.case_id is not None else None
    summary = _summary(turn, row, case.reference if case is not None else None)
    told = holders(
        session=turn.session,
        roles=turn.framework.observations.notify_roles,
        excluding=turn.person.id,
    )
    for person_id in told:
        enqueue(
            session=turn.session,
            message=Message(
                NOTICE,
                f"observation:{row.id}:notice:{person_id}",
                dict(summary),
                person_id=person_id,
            ),
            now=turn.now,
        )
    log.info("observation recorded id=%s by=%s told=%s", row.id, turn.person.id, len(told))
    notify = bool(turn.framework.observations.notify_roles)
    return [Reply(RECEIPT, {"what": "recorded", **summary, "told": len(told), "notify": notify})]


CONVERSATION = Conversation(
    name="observations",
    commands={"observe": observe_command},
    actions={"observe.open": open_form},
    submissions={"observe.record": submit},
)
