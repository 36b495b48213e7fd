"""A small Lambeth department for the tracking tests: two services, their Assistant
Directors, a Director, a QA lead, a team manager and a social worker, one case.

Rows are written straight through the storage models (no dialog), so each test says
exactly which audit, recommendation or escalation exists and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from qa.framework import Framework, preset
from reminders.jobs import Job
from reminders.schedule import Ticker
from reminders.tracking import TRACKING_JOBS
from storage.db import session_scope
from storage.models import (
    Allocation,
    Audit,
    Case,
    Escalation,
    OutboxMessage,
    Person,
    Recommendation,
    Service,
    Team,
)
from tests.handlers.helpers import added

LONDON = ZoneInfo("Europe/London")
LAMBETH = preset("lambeth")


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    """A London wall-clock time as the aware UTC instant a tick carries."""
    return datetime(y, m, d, hh, mm, tzinfo=LONDON).astimezone(UTC)


@dataclass(frozen=True)
class World:
    director: int
    strategic: int
    ad: int  # the case's service's Assistant Director
    other_ad: int  # another service's
    lead: int
    manager: int  # team manager, the worker's line manager
    worker: int
    auditor: int
    case: int
    other_case: int


def _person(s: Session, email: str, roles: list[str], **extra: Any) -> int:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    name = extra.pop("name", email.split("@")[0].replace(".", " ").title())
    row = Person(email=email, name=name, roles=roles, created_at=now, updated_at=now, **extra)
    return added(s, row)


def build_world(engine: Engine, **ids: Any) -> World:
    """The department; `ids` sets chat ids, e.g. `director={"slack_user_id": "U1"}`."""
    with session_scope(engine) as s:
        s.add_all([Service(id=1, name="Children in Need"), Service(id=2, name="Looked After")])
        s.flush()
        s.add_all(
            [
                Team(id=1, name="CIN 1", service_id=1),
                Team(id=2, name="CIN leadership", service_id=1),
                Team(id=3, name="LAC 1", service_id=2),
            ]
        )
        s.flush()
        strategic = _person(
            s, "sd@lambeth.gov.uk", ["strategic_director"], **ids.get("strategic", {})
        )
        director = _person(
            s,
            "dana.director@lambeth.gov.uk",
            ["director"],
            line_manager_id=strategic,
            **ids.get("director", {}),
        )
        ad = _person(
            s,
            "ada.ad@lambeth.gov.uk",
            ["assistant_director"],
            team_id=2,
            line_manager_id=strategic,
            **ids.get("ad", {}),
        )
        other_ad = _person(s, "otto.ad@lambeth.gov.uk", ["assistant_director"], team_id=3)
        lead = _person(s, "lee.lead@lambeth.gov.uk", ["qa_lead"], **ids.get("lead", {}))
        manager = _person(
            s,
            "tom.manager@lambeth.gov.uk",
            ["team_manager"],
            team_id=1,
            line_manager_id=ad,
            **ids.get("manager", {}),
        )
        worker = _person(
            s,
            "sam.worker@lambeth.gov.uk",
            ["practitioner"],
            team_id=1,
            line_manager_id=manager,
            **ids.get("worker", {}),
        )
        auditor = _person(
            s, "al.auditor@lambeth.gov.uk", ["service_manager"], team_id=1, **ids.get("auditor", {})
        )
        cases = []
        for ref in ("CIN-0001", "CIN-0002"):
            c = Case(
                reference=ref,
                service_id=1,
                team_id=1,
                worker_id=worker,
                area="cin_cp",
                opened_on=date(2026, 1, 5),
            )
            s.add(c)
            s.flush()
            cases.append(c.id or 0)
    return World(director, strategic, ad, other_ad, lead, manager, worker, auditor, *cases)


def add_audit(
    engine: Engine,
    *,
    case: int,
    auditor: int,
    grade: str,
    when: datetime,
    activity: str | None = None,
    status: str = "submitted",
    flags: list[str] | None = None,
) -> int:
    with session_scope(engine) as s:
        allocation_id = None
        if activity is not None:
            alloc = Allocation(
                month=f"{when:%Y-%m}",
                person_id=auditor,
                case_id=case,
                activity=activity,
                due_on=when.date(),
                created_at=when,
                updated_at=when,
            )
            s.add(alloc)
            s.flush()
            allocation_id = alloc.id
        audit = Audit(
            allocation_id=allocation_id,
            case_id=case,
            auditor_id=auditor,
            overall_grade=grade,
            status=status,
            urgent_flags=flags or [],
            submitted_at=when,
            created_at=when,
            updated_at=when,
        )
        s.add(audit)
        s.flush()
        return audit.id or 0


def add_recommendation(
    engine: Engine,
    *,
    owner: int,
    due: date,
    created: datetime,
    case: int | None = None,
    raised_by: int | None = None,
    action: str = "Update the chronology and share it with the IRO",
) -> int:
    with session_scope(engine) as s:
        rec = Recommendation(
            case_id=case,
            action=action,
            owner_id=owner,
            raised_by_id=raised_by,
            due_on=due,
            created_at=created,
        )
        s.add(rec)
        s.flush()
        return rec.id or 0


def ticker(
    engine: Engine, framework: Framework = LAMBETH, jobs: tuple[Job, ...] = TRACKING_JOBS
) -> Ticker:
    return Ticker(engine=engine, framework=framework, tz=LONDON, jobs={j.name: j for j in jobs})


def messages(
    engine: Engine, template: str | None = None, person: int | None = None
) -> list[OutboxMessage]:
    with Session(engine) as s:
        query = select(OutboxMessage).order_by(col(OutboxMessage.id))
        if template is not None:
            query = query.where(OutboxMessage.template == template)
        if person is not None:
            query = query.where(OutboxMessage.person_id == person)
        return list(s.exec(query))


def escalations(engine: Engine) -> list[Escalation]:
    with Session(engine) as s:
        return list(s.exec(select(Escalation).order_by(col(Escalation.id))))
