"""The QA lead settles a "Can't do this one": *Confirm* the engine's proposal, or *Pick another*.

*Confirm* (`allocation.confirm`) makes the proposal an allocation, sends the new
person a prompt for that one case, and edits every QA lead's request in place to say
who confirmed it and when. *Pick another* (`allocation.pick_other`) opens a short
list drawn by the engine's rules (storage/allocation_choices.py): other eligible
people for the same case, or other cases for the same person; choosing one
(`allocation.pick`) settles it the same way.

Only a QA lead may settle; a proposal settles once. A second click, or a second lead
clicking after the first, is told who settled it and when, and nothing more is sent.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session

from handlers.allocation import refused
from handlers.allocation_messages import queue_new_prompt, queue_settled
from handlers.conversation import Conversation
from handlers.interaction import Reply
from handlers.turn import Turn
from messages.allocation import (
    allocation_id_of,
    case_bits,
    proposal_context,
    resolution,
    routing_key,
)
from qa.allocation_types import Allocated
from qa.framework import Framework
from storage.allocation_changes import decline_parts, is_qa_lead, replaced_by, settle, settled_by
from storage.allocation_choices import Choice, choices
from storage.allocations import PROPOSED
from storage.models import Allocation, Person, Team

log = logging.getLogger(__name__)

NEED_CHOICE = "Choose one of the options (the list may have changed since it opened)."


def _proposal(turn: Turn) -> tuple[Allocation | None, Allocation | None, list[Reply]]:
    """(proposal, the allocation it replaces), or a refusal."""
    proposal_id = allocation_id_of(turn.interaction.routing_key)
    proposal = turn.session.get(Allocation, proposal_id) if proposal_id is not None else None
    released = replaced_by(session=turn.session, proposal_id=proposal.id or 0) if proposal else None
    if proposal is None or released is None:
        return None, None, refused("invalid")
    if not is_qa_lead(turn.person, turn.framework):
        log.info("allocation %s: settling refused for person %s", proposal.id, turn.person.id)
        return None, None, refused("not_lead")
    if proposal.status != PROPOSED:
        who, when = settled_by(session=turn.session, proposal_id=proposal.id or 0)
        reference = case_bits(turn.session, turn.framework, proposal.case_id)["reference"]
        return (
            None,
            None,
            refused(
                "settled",
                reference=reference,
                by=who.name if who else None,
                on=when.astimezone(turn.now.tzinfo).date().isoformat() if when else None,
            ),
        )
    return proposal, released, []


def _settle(
    turn: Turn,
    proposal: Allocation,
    released: Allocation,
    outcome: str,
    chosen: Allocated | None = None,
) -> list[Reply]:
    """Confirm the proposal (or the `chosen` pick instead), then tell the new person, edit
    the leads' requests, and answer with a receipt."""
    settle(
        session=turn.session,
        proposal=proposal,
        now=turn.now,
        actor=turn.person.email,
        actor_id=turn.person.id,
        chosen=chosen,
    )
    resolved = resolution(turn.person, turn.now, outcome)
    queue_new_prompt(turn.session, turn.framework, proposal, turn.now)
    queue_settled(turn.session, turn.framework, released, proposal, resolved, turn.now)
    log.info("allocation %s %s by person %s", proposal.id, outcome, turn.person.id)
    person = turn.session.get(Person, proposal.person_id)
    return [
        Reply(
            "allocation_confirmed",
            {
                **proposal_context(
                    turn.session, turn.framework, released, proposal, resolved=resolved
                ),
                "person": person.name if person else "",
            },
        )
    ]


def confirm(turn: Turn) -> list[Reply]:
    proposal, released, refusal = _proposal(turn)
    if proposal is None or released is None:
        return refusal
    return _settle(turn, proposal, released, "confirmed")


def _options(turn: Turn, proposal: Allocation, released: Allocation) -> list[Choice]:
    category, _ = decline_parts(released.decline_reason)
    found = choices(
        session=turn.session,
        framework=turn.framework,
        released=released,
        category=category,
        tz=turn.tz,
        skip=frozenset({proposal.id or 0}),
    )
    current = (proposal.person_id, proposal.case_id)
    return [c for c in found if (c.allocated.person_id, c.allocated.case_id) != current]


def _pick_context(
    session: Session,
    framework: Framework,
    proposal: Allocation,
    released: Allocation,
    options: list[Choice],
) -> dict[str, Any]:
    context = proposal_context(session, framework, released, proposal)
    people, cases = [], []
    for option in options:
        a = option.allocated
        if option.kind == "person":
            person = session.get(Person, a.person_id)
            team = session.get(Team, person.team_id) if person and person.team_id else None
            label = (person.name if person else "?") + (f" ({team.name})" if team else "")
            people.append({"value": option.value, "label": label})
        else:
            bits = case_bits(session, framework, a.case_id)
            label = f"{bits['reference']}, {bits['area']}, {bits['team']}"
            cases.append({"value": option.value, "label": label})
    return {
        **context,
        "routing_key": routing_key(proposal.id),
        "people": people,
        "cases": cases,
    }


def pick_form(turn: Turn) -> list[Reply]:
    """*Pick another*: the short list (a modal dialog, or a card in place)."""
    proposal, released, refusal = _proposal(turn)
    if proposal is None or released is None:
        return refusal
    options = _options(turn, proposal, released)
    context = _pick_context(turn.session, turn.framework, proposal, released, options)
    return [Reply("allocation_pick", context)]


def pick_submit(turn: Turn) -> list[Reply]:
    proposal, released, refusal = _proposal(turn)
    if proposal is None or released is None:
        return refusal
    options = _options(turn, proposal, released)
    value = turn.interaction.values.get("choice")
    chosen = next((o for o in options if o.value == value), None)
    if chosen is None:
        context = _pick_context(turn.session, turn.framework, proposal, released, options)
        return [Reply("allocation_pick", context, errors={"choice": NEED_CHOICE})]
    return _settle(turn, proposal, released, "picked", chosen.allocated)


def show_proposal(turn: Turn) -> list[Reply]:
    """The request again (*Back* from a short list shown in place)."""
    proposal, released, refusal = _proposal(turn)
    if proposal is None or released is None:
        return refusal
    return [
        Reply(
            "allocation_replacement",
            proposal_context(turn.session, turn.framework, released, proposal),
        )
    ]


CONVERSATION = Conversation(
    name="allocation_lead",
    actions={
        "allocation.confirm": confirm,
        "allocation.pick_other": pick_form,
        "allocation.proposal": show_proposal,
    },
    submissions={"allocation.pick": pick_submit},
)
