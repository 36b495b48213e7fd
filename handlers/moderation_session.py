"""Opening a moderation for the person who asked: who may, and what a step needs.

Whatever routing key arrives (`moderation:<id>`, `moderation:<id>:<step>`; see
`handlers.dialog_session`), only the moderator the row is assigned to (a panel
member has a row of their own) may open, continue or submit it, and anyone else
gets a polite refusal that says nothing about the case. A moderation whose audit
is no longer waiting for it (the chair decided, the audit was returned) is closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from sqlmodel import Session

from handlers.dialog_session import OpenDialog, Refusal, pick_people
from qa.dialog import Dialog, DialogError
from qa.framework import Framework
from qa.moderation_dialog import build_moderation_dialog, resume_state
from storage.audits import SUBMITTED
from storage.models import Audit, Case, Moderation, Person
from storage.moderations import OPEN, WITHDRAWN, current_round, load_state

MODERATION = "moderation"  # the flow's name: routing keys, action ids, templates


refused = partial(Refusal, MODERATION)  # invalid / not_yours / closed


@dataclass
class OpenModeration(OpenDialog):
    """A moderation the person may work on, its audit, and the round's rows (a panel)."""

    moderation: Moderation
    audit: Audit
    round: int
    rows: list[Moderation]


def dialog_for(framework: Framework, audit: Audit, case: Case) -> Dialog:
    known = {d.key for d in framework.audit_form.domains}
    grades = {k: v for k, v in (audit.domain_grades or {}).items() if k in known}
    return build_moderation_dialog(
        framework,
        domain_grades=grades,
        overall_grade=audit.overall_grade or "",
        case_reference=case.reference,
    )


def open_moderation(
    *, session: Session, moderation_id: int, person: Person, framework: Framework
) -> OpenModeration | Refusal:
    """The moderation, if `person` is its moderator and it can still be worked on
    (a finished one opens too: the handlers answer with its receipt)."""
    moderation = session.get(Moderation, moderation_id)
    if moderation is None:
        return refused("invalid")
    if moderation.moderator_id != person.id:
        return refused("not_yours")
    audit = session.get(Audit, moderation.audit_id)
    case = session.get(Case, audit.case_id) if audit is not None else None
    if audit is None or case is None:
        return refused("invalid")
    if moderation.status == WITHDRAWN or (moderation.status in OPEN and audit.status != SUBMITTED):
        return refused("closed")
    try:
        dialog = dialog_for(framework, audit, case)
        state = resume_state(dialog, load_state(moderation) or dialog.start_state())
    except DialogError:
        return refused("invalid")
    people = pick_people(
        session=session,
        framework=framework,
        case=case,
        always=[audit.auditor_id, moderation.moderator_id],
        state=state,
    )
    round_no, rows = current_round(session=session, audit=audit)
    return OpenModeration(case, dialog, state, people, moderation, audit, round_no, rows)
