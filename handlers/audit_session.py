"""Opening an audit for the person who asked: who may, and everything a step needs.

Every audit button and form names its record with a signed routing key; the
adapters turn a forged or altered key into None before we see it. That is not the
permission check: whatever key arrives, only the allocated auditor may open,
continue, edit or submit the audit, and anyone else gets a polite refusal that says
nothing about the case. Refusals are `Refusal` values the handlers turn into replies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session

from handlers.interaction import Reply
from qa.dialog import Dialog, DialogError, DialogState
from qa.forms import build_audit_dialog
from qa.framework import Framework
from storage.audit_people import owner_candidates
from storage.audits import load_state
from storage.models import Allocation, Audit, Case, Person, Team

_KEY = re.compile(r"^(audit|allocation|escalation):(\d+)(?::(\w{1,60}))?$")


@dataclass(frozen=True)
class Refusal:
    """Why a request is turned down, as a reason key the `audit_refused` template words."""

    reason: str  # invalid / not_yours / closed / moderated / not_an_audit

    def reply(self) -> list[Reply]:
        return [Reply("audit_refused", {"reason": self.reason})]


@dataclass
class OpenAudit:
    """An audit the person may work on, with its dialog and the people they may pick."""

    audit: Audit
    case: Case
    team: str
    dialog: Dialog
    state: DialogState
    people: dict[int, str]


def parse_key(key: str | None, kind: str) -> tuple[int, str | None] | None:
    """(record id, step or None) from "audit:12" / "audit:12:domains"; None if not `kind`."""
    match = _KEY.match(key or "")
    if match is None or match.group(1) != kind:
        return None
    return int(match.group(2)), match.group(3)


def _label(person: Person, framework: Framework) -> str:
    """ "Sam Jones (Team manager, Moderator)": every role, so the auditor picks the right
    Sam and sees who also moderates or leads (issue 17: only the first role showed)."""
    roles = [r.label for r in framework.roles if r.key in (person.roles or [])]
    return f"{person.name} ({', '.join(roles)})" if roles else person.name


def people_for(
    *, session: Session, case: Case, auditor: Person, framework: Framework, state: DialogState
) -> dict[int, str]:
    """Who may own a recommendation on this case: id -> name and role, for the picker."""
    chosen = {
        v
        for answers in state.answers.values()
        for k, v in answers.items()
        if k.endswith(".owner") and isinstance(v, int)
    }
    rows = owner_candidates(
        session=session,
        service_id=case.service_id,
        first_team_id=case.team_id,
        always=[*([auditor.id] if auditor.id is not None else []), *sorted(chosen)],
    )
    return {p.id: _label(p, framework) for p in rows if p.id is not None}


def dialog_for(*, session: Session, case: Case, framework: Framework) -> tuple[Dialog, str]:
    team = session.get(Team, case.team_id)
    name = team.name if team is not None else ""
    dialog = build_audit_dialog(framework, case.area, case_reference=case.reference, team=name)
    return dialog, name


def open_audit(
    *, session: Session, audit_id: int, person: Person, framework: Framework
) -> OpenAudit | Refusal:
    """The audit, if `person` is its auditor and its case and dialog can be read."""
    audit = session.get(Audit, audit_id)
    if audit is None:
        return Refusal("invalid")
    if audit.auditor_id != person.id:
        return Refusal("not_yours")
    if audit.status == "withdrawn":  # its allocation was declined: never resumed
        return Refusal("closed")
    if audit.allocation_id is not None:
        allocation = session.get(Allocation, audit.allocation_id)
        if allocation is not None and allocation.person_id != person.id:
            return Refusal("not_yours")
    case = session.get(Case, audit.case_id)
    if case is None:
        return Refusal("invalid")
    dialog, team = dialog_for(session=session, case=case, framework=framework)
    try:
        state = load_state(audit)
    except DialogError:
        return Refusal("invalid")
    if state is None:
        state = dialog.start_state()
    people = people_for(
        session=session, case=case, auditor=person, framework=framework, state=state
    )
    return OpenAudit(audit, case, team, dialog, state, people)
