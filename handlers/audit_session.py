"""Opening an audit for the person who asked: who may, and everything a step needs.

Whatever routing key arrives (`handlers.dialog_session`), only the allocated auditor
may open, continue, edit or submit the audit; anyone else gets a polite refusal
(`audit_refused`) that says nothing about the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from sqlmodel import Session

from handlers.dialog_session import OpenDialog, Refusal, pick_people
from qa.dialog import Dialog, DialogError
from qa.forms import build_audit_dialog
from qa.framework import Framework
from storage.audits import load_state
from storage.models import Allocation, Audit, Case, Person, Team

AUDIT = "audit"  # the flow's name: routing keys, action ids, templates


# invalid / not_yours / closed / moderated / not_an_audit, worded by `audit_refused`
refused = partial(Refusal, AUDIT)


@dataclass
class OpenAudit(OpenDialog):
    """An audit the person may work on, and the name of its case's team."""

    audit: Audit
    team: str


def dialog_for(
    *, session: Session, case: Case, framework: Framework, audit: Audit | None = None
) -> tuple[Dialog, str]:
    team = session.get(Team, case.team_id)
    name = team.name if team is not None else ""
    allocation = (
        session.get(Allocation, audit.allocation_id)
        if audit is not None and audit.allocation_id is not None
        else None
    )
    dip = allocation is not None and allocation.activity == "dip_sample"
    dialog = build_audit_dialog(
        framework, case.area, case_reference=case.reference, team=name, dip_sample=dip
    )
    return dialog, name


def open_audit(
    *, session: Session, audit_id: int, person: Person, framework: Framework
) -> OpenAudit | Refusal:
    """The audit, if `person` is its auditor and its case and dialog can be read."""
    audit = session.get(Audit, audit_id)
    if audit is None:
        return refused("invalid")
    if audit.auditor_id != person.id:
        return refused("not_yours")
    if audit.allocation_id is not None:
        allocation = session.get(Allocation, audit.allocation_id)
        if allocation is not None and allocation.person_id != person.id:
            return refused("not_yours")
    case = session.get(Case, audit.case_id)
    if case is None:
        return refused("invalid")
    dialog, team = dialog_for(session=session, case=case, framework=framework, audit=audit)
    try:
        state = load_state(audit)
    except DialogError:
        return refused("invalid")
    if state is None:
        state = dialog.start_state()
    people = pick_people(
        session=session, framework=framework, case=case, always=[person.id], state=state
    )
    return OpenAudit(case=case, dialog=dialog, state=state, people=people, audit=audit, team=team)
