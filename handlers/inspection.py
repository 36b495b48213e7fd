"""Inspection mode: a QA lead types `inspection CR-1, CR-2 in 5 days`.

Ofsted's inspectors name the cases they will look at; the lead needs them audited
within days. The bot allocates every one at once to the fastest independent auditor
available (`qa.inspection_mode`), marks them urgent (chased every working day until
submitted: `reminders/inspection.py`), sends each auditor the usual allocation prompt,
and tells the lead who got what. Only a QA lead may start it; anything missing from
the line gets the usage, with what was missing.
"""

from __future__ import annotations

from handlers.audit_flow import actor
from handlers.conversation import Conversation
from handlers.interaction import Reply
from handlers.turn import Turn
from messages.inspection import queue_prompts, started_context
from qa.inspection_mode import MAX_CASES, MAX_DAYS, parse_request
from storage.allocation_changes import is_qa_lead
from storage.inspection_mode import start_inspection

TEMPLATE = "inspection_reply"


def inspection_command(turn: Turn, text: str) -> list[Reply]:
    """`inspection REF, REF in N days`: allocate them now, urgent; tell the lead who got what."""
    if not is_qa_lead(turn.person, turn.framework):
        return [Reply(TEMPLATE, {"what": "not_lead"})]
    request = parse_request(text)
    if request.problem is not None or request.days is None:
        return [
            Reply(
                TEMPLATE,
                {
                    "what": "usage",
                    "problem": request.problem or "no_days",
                    "max_cases": MAX_CASES,
                    "max_days": MAX_DAYS,
                    "audits_word": turn.framework.vocabulary.audits,
                },
            )
        ]
    started = start_inspection(
        session=turn.session,
        framework=turn.framework,
        references=request.references,
        days=request.days,
        started_by=turn.person,
        actor=actor(turn),
        now=turn.now,
        today=turn.today,
    )
    queue_prompts(session=turn.session, framework=turn.framework, started=started, now=turn.now)
    return [Reply(TEMPLATE, started_context(turn.session, turn.framework, started, request.days))]


CONVERSATION = Conversation(name="inspection", commands={"inspection": inspection_command})
