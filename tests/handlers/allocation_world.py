"""A small authority for the "Can't do this one" tests: a QA lead, two auditors, four cases.

Sam and Pat are service managers (one audit a month each, room for two) in Early Help 2;
the cases belong to Early Help 1, so the peer principle lets either audit them. Sam is
allocated CASE-1 for January 2027. Lee is the QA lead and audits nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, select

from qa.framework import Framework
from qa.working_days import Month
from reminders.allocations import allocate_month
from storage.models import Allocation, Case, Person, Service, Team
from tests.handlers.helpers import added

MONTH = "2027-01"
DUE = date(2027, 1, 25)
# Tuesday 5 January 2027, the day after allocation day.
NOW = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    lead: int
    sam: int
    pat: int
    cases: dict[str, int]
    allocation: int  # Sam's CASE-1


def _person(session: Session, now: datetime, name: str, roles: list[str], **extra: Any) -> int:
    first = name.split()[0].lower()
    row = Person(
        email=f"{first}@testshire.gov.uk",
        name=name,
        roles=roles,
        created_at=now,
        updated_at=now,
        **extra,
    )
    return added(session, row)


def allocate(
    session: Session, now: datetime, person_id: int, case_id: int | None, **extra: Any
) -> int:
    row = Allocation(
        month=MONTH,
        person_id=person_id,
        case_id=case_id,
        activity=extra.pop("activity", "audit"),
        due_on=DUE,
        reason=extra.pop("reason", "Service manager: 1 audit a month; never audited"),
        status=extra.pop("status", "allocated"),
        created_at=now,
        updated_at=now,
    )
    return added(session, row)


def seed_world(
    session: Session,
    now: datetime = NOW,
    *,
    pat_capacity: int = 2,
    chat: dict[str, dict[str, Any]] | None = None,
) -> World:
    """The authority; `chat` sets platform ids per first name (default: Slack ids U0LEE...)."""
    if chat is None:
        chat = {n: {"slack_user_id": f"U0{n.upper()}"} for n in ("lee", "sam", "pat")}
    service = Service(name="Children's Services")
    session.add(service)
    session.flush()
    assert service.id is not None
    teams = {}
    for name in ("Early Help 1", "Early Help 2", "Quality"):
        team = Team(name=name, service_id=service.id)
        session.add(team)
        session.flush()
        teams[name] = team.id
    lead = _person(
        session, now, "Lee Lead", ["qa_lead"], team_id=teams["Quality"], **chat.get("lee", {})
    )
    sam = _person(
        session,
        now,
        "Sam Jones",
        ["service_manager"],
        team_id=teams["Early Help 2"],
        capacity=2,
        **chat.get("sam", {}),
    )
    pat = _person(
        session,
        now,
        "Pat Smith",
        ["service_manager"],
        team_id=teams["Early Help 2"],
        capacity=pat_capacity,
        **chat.get("pat", {}),
    )
    cases = {}
    for i in range(1, 5):
        row = Case(
            reference=f"CASE-{i}",
            service_id=service.id,
            team_id=teams["Early Help 1"] or 0,
            area="early_help",
            opened_on=date(2026, 6, i),
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        cases[row.reference] = row.id
    allocation = allocate(session, now, sam, cases["CASE-1"])
    return World(lead=lead, sam=sam, pat=pat, cases=cases, allocation=allocation)


def on_teams(connector_url: str, name: str) -> dict[str, Any]:
    """A person's Teams ids whose 1:1 chat (`a:chat-<name>`) lives on the fake connector."""
    reference = {"serviceUrl": connector_url, "conversation": {"id": f"a:chat-{name}"}}
    return {"teams_user_id": f"aad-{name}", "teams_conversation": reference}


def teams_chat(connector_url: str) -> dict[str, dict[str, Any]]:
    """`chat` for `seed_world`: Lee, Sam and Pat all on Teams."""
    return {n: on_teams(connector_url, n) for n in ("lee", "sam", "pat")}


def allocate_the_month(session: Session, framework: Framework) -> None:
    """The scheduler's allocation run for MONTH, as on allocation day."""
    allocate_month(
        session=session,
        framework=framework,
        month=Month.parse(MONTH),
        now=NOW,
        tz=ZoneInfo("Europe/London"),
        actor="scheduler",
    )


def allocated_world(
    engine: Engine, framework: Framework, *, chat: dict[str, dict[str, Any]] | None = None
) -> World:
    """The authority with the month allocated and every prompt queued, committed."""
    with Session(engine) as session:
        world = seed_world(session, chat=chat)
        allocate_the_month(session, framework)
        session.commit()
    return world


def allocation_for(engine: Engine, person_id: int, case_id: int) -> Allocation:
    """The one allocation of `case_id` to `person_id`."""
    with Session(engine) as session:
        return session.exec(
            select(Allocation)
            .where(Allocation.person_id == person_id)
            .where(Allocation.case_id == case_id)
        ).one()
