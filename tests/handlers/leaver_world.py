"""A leaver with one of each kind of open work, on top of the "Can't do this one" world.

Sam (allocated CASE-1 for January) also moderates Pat's audit of CASE-2, owns an
Inadequate escalation on CASE-3 and an action on CASE-4; Pat is Sam's line manager.
`STAFF_WITHOUT_SAM` is the staff list after Sam has left: `import staff --sync` with
it deactivates Sam (and only Sam).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from storage.models import Audit, Escalation, Moderation, Person, Recommendation
from tests.handlers.allocation_world import DUE, MONTH, NOW, World

HEADER = "email,name,roles,team,service,line_manager_email,capacity,slack_user_id,teams_user_id"
STAFF_WITHOUT_SAM = f"""{HEADER}
lee@testshire.gov.uk,Lee Lead,qa_lead,Quality,Children's Services,,,,
pat@testshire.gov.uk,Pat Smith,service_manager,Early Help 2,Children's Services,,2,,
kim@testshire.gov.uk,Kim Worker,practitioner,Early Help 1,Children's Services,,,,
"""


@dataclass(frozen=True)
class LeaverWorld:
    moderation: int
    escalation: int
    action: int


def seed_leaver(session: Session, world: World, now: datetime = NOW) -> LeaverWorld:
    sam = session.get(Person, world.sam)
    assert sam is not None
    sam.line_manager_id = world.pat
    session.add(sam)
    audit = Audit(
        case_id=world.cases["CASE-2"],
        auditor_id=world.pat,
        status="submitted",
        overall_grade="good",
        submitted_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(audit)
    session.flush()
    assert audit.id is not None
    moderation = Moderation(
        audit_id=audit.id, moderator_id=world.sam, month=MONTH, due_on=DUE, created_at=now
    )
    escalation = Escalation(
        kind="grade",
        case_id=world.cases["CASE-3"],
        grade="inadequate",
        owner_id=world.sam,
        deadline=datetime(2027, 1, 20, 17, 0, tzinfo=UTC),
        created_at=now,
    )
    action = Recommendation(
        case_id=world.cases["CASE-4"],
        action="Update the plan",
        owner_id=world.sam,
        due_on=date(2027, 2, 1),
        created_at=now - timedelta(days=30),
    )
    session.add_all([moderation, escalation, action])
    session.flush()
    assert moderation.id and escalation.id and action.id
    return LeaverWorld(moderation=moderation.id, escalation=escalation.id, action=action.id)
