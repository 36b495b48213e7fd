"""After an audit is submitted: escalate a worrying grade, urgent flags, dip samples.

Listed as an `after_submit` hook of this conversation, so it runs in the submitting turn's
transaction. An Inadequate or Requires Improvement grade asks the framework's roles
(the Director, the service's Assistant Director...) for remedial action by the
framework's deadline; an urgent flag asks for a response at once; a dip sample that
finds the same concerns asks the approver for an audit of the worker's whole caseload,
or (`dip_sample.caseload: allocate`) allocates that caseload to the dip-sampler at once.
Idempotent: a re-submitted audit makes no second request (the `audit_escalations`
job makes the same requests for anything this hook missed).
"""

from __future__ import annotations

from handlers.conversation import Conversation
from handlers.turn import Turn
from messages.allocation import prompt_context
from messages.escalations import send_requests
from storage.escalations import allocate_caseload, escalate_audit
from storage.models import Allocation, Audit, Person
from storage.outbox import Message, enqueue
from storage.tracking import directory


def escalate_after_submit(turn: Turn, audit: Audit) -> None:
    tz = turn.tz
    rows = escalate_audit(
        session=turn.session,
        framework=turn.framework,
        audit=audit,
        staff=directory(session=turn.session),
        now=turn.now,
        tz=tz,
    )
    send_requests(
        session=turn.session,
        framework=turn.framework,
        rows=rows,
        stage="request",
        tz=tz,
        now=turn.now,
    )
    caseload = allocate_caseload(
        session=turn.session, framework=turn.framework, audit=audit, now=turn.now, tz=tz
    )
    if caseload:
        queue_caseload_prompt(turn, caseload)


def queue_caseload_prompt(turn: Turn, rows: list[Allocation]) -> bool:
    """The dip-sampler's one prompt listing the whole caseload just allocated to them."""
    person = turn.session.get(Person, rows[0].person_id)
    if person is None or not person.active:
        return False
    context = prompt_context(turn.session, turn.framework, person, rows)
    key = f"allocation-caseload:{min(r.id or 0 for r in rows)}"
    message = Message("allocation_prompt", key, context, person_id=person.id)
    return enqueue(session=turn.session, message=message, now=turn.now)


CONVERSATION = Conversation(name="escalation", after_submit=(escalate_after_submit,))
