"""A small authority whose status figures are counted by hand (see EXPECTED below).

Today is Thursday 10 December 2026 (`NOW`). Two services, three teams:
  Early Help (service 1): "Early Help 1" (team 1), "Early Help 2" (team 2)
  Children Looked After (service 2): "CLA Permanence" (team 3)
People: a QA lead and a director (no team), a head of service and a team manager in
Early Help 1, a team manager in CLA Permanence, a practitioner in Early Help 1, and a
service manager whose team is not known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from storage.models import (
    Allocation,
    Audit,
    Case,
    Escalation,
    Moderation,
    Person,
    Recommendation,
    Service,
    Team,
)
from tests.handlers.helpers import added

NOW = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)
MONTH = "2026-12"

# Hand-counted from the rows below (comments on each row say where it lands).
EXPECTED: dict[int, dict[str, Any]] = {
    1: {
        "allocated": 5,
        "done": 1,
        "in_progress": 1,
        "not_started": 3,
        "overdue": 3,
        "overdue_earlier": 1,
        "awaiting_moderation": 1,
        "moderation_overdue": 1,
        "escalations_open": 1,
        "escalations_late": 1,
        "recommendations_open": 2,
        "recommendations_overdue": 1,
        "grades": {"inadequate": 1},
    },
    2: {
        "allocated": 2,
        "done": 1,
        "in_progress": 1,
        "not_started": 0,
        "overdue": 1,
        "overdue_earlier": 0,
        "awaiting_moderation": 1,
        "moderation_overdue": 0,
        "escalations_open": 0,
        "escalations_late": 0,
        "recommendations_open": 1,
        "recommendations_overdue": 1,
        "grades": {"good": 1},
    },
    3: {
        "allocated": 2,
        "done": 1,
        "in_progress": 0,
        "not_started": 1,
        "overdue": 0,
        "overdue_earlier": 0,
        "awaiting_moderation": 0,
        "moderation_overdue": 0,
        "escalations_open": 2,
        "escalations_late": 1,
        "recommendations_open": 1,
        "recommendations_overdue": 1,
        "grades": {"good": 1},
    },
}
PAST_DUE = {1: 7, 2: 2, 3: 2}


@dataclass(frozen=True)
class People:
    lead: int
    director: int
    head: int  # head of service, Early Help 1
    tm1: int  # team manager, Early Help 1
    tm3: int  # team manager, CLA Permanence
    pat: int  # practitioner, Early Help 1
    lost: int  # service manager with no team


def _person(
    session: Session, email: str, name: str, roles: list[str], team: int | None, slack: str
) -> int:
    row = Person(
        email=email,
        name=name,
        roles=roles,
        team_id=team,
        slack_user_id=slack,
        teams_user_id=f"aad-{slack}",
        created_at=NOW,
        updated_at=NOW,
    )
    return added(session, row)


def seed(engine: Engine) -> People:
    with Session(engine) as session:
        session.add_all(
            [
                Service(id=1, name="Early Help"),
                Service(id=2, name="Children Looked After"),
                Team(id=1, name="Early Help 1", service_id=1),
                Team(id=2, name="Early Help 2", service_id=1),
                Team(id=3, name="CLA Permanence", service_id=2),
            ]
        )
        session.flush()
        people = People(
            lead=_person(session, "lee@t.gov.uk", "Lee Lead", ["qa_lead"], None, "U1LEAD"),
            director=_person(session, "dee@t.gov.uk", "Dee Director", ["director"], None, "U1DIR"),
            head=_person(session, "hana@t.gov.uk", "Hana Head", ["head_of_service"], 1, "U1HOS"),
            tm1=_person(
                session, "tom@t.gov.uk", "Tom Manager", ["team_manager", "practitioner"], 1, "U1TM"
            ),
            tm3=_person(session, "tess@t.gov.uk", "Tess Manager", ["team_manager"], 3, "U3TM"),
            pat=_person(session, "pat@t.gov.uk", "Pat Worker", ["practitioner"], 1, "U1PAT"),
            lost=_person(session, "sam@t.gov.uk", "Sam Nowhere", ["service_manager"], None, "U0SM"),
        )
        cases: dict[str, int] = {}
        for ref, team, service in [
            ("EH-1", 1, 1),
            ("EH-2", 1, 1),
            ("EH-3", 1, 1),
            ("EH-4", 1, 1),
            ("EH2-1", 2, 1),
            ("EH2-2", 2, 1),
            ("CLA-1", 3, 2),
            ("CLA-2", 3, 2),
        ]:
            row = Case(
                reference=ref,
                service_id=service,
                team_id=team,
                area="early_help",
                opened_on=date(2026, 1, 5),
            )
            session.add(row)
            session.flush()
            assert row.id is not None
            cases[ref] = row.id

        def allocation(
            ref: str | None, person: int, status: str, due: date, month: str = MONTH, **kw: Any
        ) -> int:
            row = Allocation(
                month=month,
                person_id=person,
                case_id=cases[ref] if ref else None,
                due_on=due,
                status=status,
                created_at=NOW,
                updated_at=NOW,
                **kw,
            )
            return added(session, row)

        dec = lambda d: date(2026, 12, d)  # noqa: E731
        a1 = allocation("EH-1", people.tm3, "completed", dec(17))  # t1 done
        a2 = allocation("EH-2", people.tm3, "allocated", dec(8))  # t1 in progress (draft), overdue
        allocation("EH-3", people.tm3, "allocated", dec(8))  # t1 not started, overdue
        allocation("EH-4", people.tm3, "allocated", dec(17))  # t1 not started
        allocation("EH-1", people.tm1, "released", dec(8))  # not live: not counted
        a6 = allocation("EH2-1", people.tm3, "allocated", dec(17))  # t2 done (submitted audit)
        allocation("EH2-2", people.tm3, "in_progress", dec(9))  # t2 in progress, overdue
        a8 = allocation("CLA-1", people.tm1, "completed", dec(5))  # t3 done, not late
        allocation("CLA-2", people.tm1, "allocated", dec(17))  # t3 not started
        nov = "2026-11"
        allocation("EH-1", people.tm3, "allocated", date(2026, 11, 27), nov)  # t1 overdue earlier
        allocation("CLA-1", people.tm1, "completed", date(2026, 11, 27), nov)  # nothing
        a12 = allocation("EH2-1", people.tm1, "allocated", date(2026, 11, 27), nov)  # done: audit
        # No case: belongs to the owner's team (head of service, Early Help 1). t1 not started,
        # overdue.
        allocation(None, people.head, "allocated", dec(5), activity="moderation")

        def audit(
            allocation_id: int | None,
            ref: str,
            status: str,
            submitted: datetime | None,
            overall: str | None,
            final: str | None = None,
        ) -> int:
            row = Audit(
                allocation_id=allocation_id,
                case_id=cases[ref],
                auditor_id=people.tm3,
                status=status,
                overall_grade=overall,
                final_grade=final,
                submitted_at=submitted,
                created_at=NOW,
                updated_at=NOW,
            )
            return added(session, row)

        at = lambda m, d: datetime(2026, m, d, 12, 0, tzinfo=UTC)  # noqa: E731
        audit(a2, "EH-2", "draft", None, None)
        au_a6 = audit(a6, "EH2-1", "submitted", at(12, 5), "good")  # t2 good
        au_a1 = audit(a1, "EH-1", "final", at(12, 3), "requires_improvement", "inadequate")  # t1
        au_a8 = audit(a8, "CLA-1", "submitted", at(12, 4), "good")  # t3 good
        audit(None, "CLA-1", "final", at(11, 20), "outstanding")  # November: not counted
        audit(a12, "EH2-1", "submitted", at(11, 25), "good")  # November: not counted
        # Late on 30 November in London (GMT): November, not December.
        audit(None, "EH-3", "submitted", datetime(2026, 11, 30, 23, 30, tzinfo=UTC), "good")

        def moderation(audit_id: int, moderator: int, status: str, due: date) -> None:
            session.add(
                Moderation(
                    audit_id=audit_id,
                    moderator_id=moderator,
                    month=MONTH,
                    status=status,
                    due_on=due,
                    created_at=NOW,
                )
            )

        moderation(au_a1, people.head, "assigned", dec(8))  # t1 awaiting, overdue
        moderation(au_a1, people.director, "assigned", dec(12))  # same audit, panel member
        moderation(au_a8, people.head, "completed", dec(1))  # done: not counted
        moderation(au_a6, people.head, "assigned", dec(15))  # t2 awaiting

        def escalation(
            kind: str, ref: str | None, owner: int, deadline: datetime, status: str
        ) -> None:
            session.add(
                Escalation(
                    kind=kind,
                    case_id=cases[ref] if ref else None,
                    owner_id=owner,
                    deadline=deadline,
                    status=status,
                    created_at=NOW,
                )
            )

        escalation("grade", "EH-1", people.director, datetime(2026, 12, 8, 17, tzinfo=UTC), "open")
        escalation("urgent", "CLA-1", people.lead, datetime(2026, 12, 11, 17, tzinfo=UTC), "open")
        escalation("overdue_actions", None, people.head, at(12, 1), "responded")  # closed
        escalation("overdue_actions", None, people.tm3, at(12, 9), "open")  # t3 (owner), late

        def recommendation(ref: str | None, owner: int, due: date, status: str) -> None:
            session.add(
                Recommendation(
                    case_id=cases[ref] if ref else None,
                    action="Review the plan",
                    owner_id=owner,
                    due_on=due,
                    status=status,
                    created_at=NOW,
                )
            )

        recommendation("EH-1", people.pat, dec(1), "open")  # t1 overdue
        recommendation("EH-2", people.tm1, dec(20), "open")  # t1 open
        recommendation("CLA-2", people.tm3, date(2026, 11, 30), "done")  # closed
        recommendation(None, people.tm3, dec(2), "more_time")  # t3 (owner) overdue
        recommendation("EH2-2", people.pat, dec(9), "open")  # t2 (case wins over owner) overdue
        session.commit()
        return people
