"""Opening a moderation for the person who asked: who may, and what a step needs.

Every moderation button and form names its record with a signed routing key,
`moderation:<id>` or `moderation:<id>:<step>`; the adapters turn a forged key into
None. That is not the permission check: whatever key arrives, only the moderator the
row is assigned to (a panel member has a row of their own) may open, continue or
submit it, and anyone else gets a polite refusal that says nothing about the case.
A moderation whose audit is no longer waiting for it (the chair decided, the audit
was returned) is closed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session

from handlers.interaction import Reply
from qa.dialog import Dialog, DialogError, DialogState
from qa.framework import Framework
from qa.moderation_dialog import build_moderation_dialog
from storage.audit_people import owner_candidates
from storage.audits import SUBMITTED
from storage.models import Audit, Case, Moderation, Person
from storage.moderations import OPEN, WITHDRAWN, current_round, load_state

_KEY = re.compile(r"^moderation:(\d+)(?::(\w{1,60}))?$")


@dataclass(frozen=True)
class Refusal:
    """Why a request is turned down: invalid / not_yours / closed."""

    reason: str

    def reply(self) -> list[Reply]:
        return [Reply("moderation_refused", {"reason": self.reason})]


@dataclass
class OpenModeration:
    """A moderation the person may work on, with its dialog and the people they may pick."""

    moderation: Moderation
    audit: Audit
    case: Case
    dialog: Dialog
    state: DialogState
    people: dict[int, str]
    round: int
    rows: list[Moderation]


def parse_key(key: str | None) -> tuple[int, str | None] | None:
    """(moderation id, step or None) from "moderation:12" / "moderation:12:grades"."""
    match = _KEY.match(key or "")
    if match is None:
        return None
    return int(match.group(1)), match.group(2)


def _people(
    session: Session, framework: Framework, case: Case, always: list[int], state: DialogState
) -> dict[int, str]:
    """Who may own an action arising: the case's service (its team first), the
    auditor, the moderator and anyone already chosen; id -> name and role."""
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
        always=[*always, *sorted(chosen)],
    )
    out = {}
    for p in rows:
        roles = [r.label for r in framework.roles if r.key in (p.roles or [])]
        out[p.id or 0] = f"{p.name} ({', '.join(roles)})" if roles else p.name
    return out


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
        return Refusal("invalid")
    if moderation.moderator_id != person.id:
        return Refusal("not_yours")
    audit = session.get(Audit, moderation.audit_id)
    case = session.get(Case, audit.case_id) if audit is not None else None
    if audit is None or case is None:
        return Refusal("invalid")
    if moderation.status == WITHDRAWN or (moderation.status in OPEN and audit.status != SUBMITTED):
        return Refusal("closed")
    try:
        dialog = dialog_for(framework, audit, case)
        state = load_state(moderation) or dialog.start_state()
    except DialogError:
        return Refusal("invalid")
    people = _people(session, framework, case, [audit.auditor_id, moderation.moderator_id], state)
    round_no, rows = current_round(session=session, audit=audit)
    return OpenModeration(moderation, audit, case, dialog, state, people, round_no, rows)
