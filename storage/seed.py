"""Write a generated demo authority (`demo.authority`) into the database.

Why a module of its own: the demo, the playground and load tests all start from a
database holding a whole department, and must be able to run twice without
doubling it. Seeding is idempotent (services and teams by name, people by email,
cases by reference: what exists is kept, the rest is added) and uses bulk inserts,
so thousands of cases take well under a second. `reset=True` empties every data
table first (the Alembic version table is left alone), for a fresh demo.

Everything happens in the caller's session, so a failure rolls back to nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlmodel import Session, SQLModel, col

from demo.authority import DemoAuthority
from qa.framework import Framework
from storage import models
from storage.audit_log import record

ACTOR = "cli:demo"


@dataclass(frozen=True)
class SeedReport:
    """How many rows seeding added, and how many it found already there."""

    services: int = 0
    teams: int = 0
    people: int = 0
    cases: int = 0
    skipped: int = 0
    cleared: bool = False

    @property
    def added(self) -> int:
        return self.services + self.teams + self.people + self.cases


def note_seeding(
    *, session: Session, now: datetime, action: str, framework: str, after: dict[str, Any]
) -> None:
    """The one audit-log entry each demo seeder leaves (ids and counts only), so a demo
    database says what was written into it, by whom, and for which framework."""
    record(
        session=session,
        now=now,
        action=action,
        record_type="demo",
        record_id=framework,
        actor=ACTOR,
        after=after,
    )


def reset_demo(*, session: Session) -> None:
    """Empty every data table, children before parents, keeping the schema."""
    session.execute(update(models.Person).values(line_manager_id=None))
    for table in reversed(SQLModel.metadata.sorted_tables):
        session.execute(delete(table))


def _ids(session: Session, key: Any, id_column: Any) -> dict[str, int]:
    """Natural key (name, email) -> id for every row of a table."""
    return {row[0]: row[1] for row in session.execute(select(key, id_column))}


def _check(framework: Framework, authority: DemoAuthority) -> None:
    """Refuse an authority that does not fit the framework before writing anything."""
    roles, areas = set(framework.role_keys), set(framework.area_keys)
    problems = [
        f"person {p.email}: role '{r}' is not defined in framework '{framework.name}'"
        for p in authority.people
        for r in p.roles
        if r not in roles
    ] + [
        f"case {c.reference}: area '{c.area}' is not defined in framework '{framework.name}'"
        for c in authority.cases
        if c.area not in areas
    ]
    if problems:
        raise ValueError("the demo authority does not fit the framework:\n" + "\n".join(problems))


def seed_demo(
    *,
    session: Session,
    framework: Framework,
    authority: DemoAuthority,
    now: datetime,
    reset: bool = False,
) -> SeedReport:
    """Add whatever of `authority` is not in the database yet; see the module docstring."""
    if now.tzinfo is None:
        raise ValueError("seed_demo needs a timezone-aware `now`")
    _check(framework, authority)
    if reset:
        reset_demo(session=session)
    skipped = 0

    svc_ids = _ids(session, models.Service.name, models.Service.id)
    new_services = [{"name": s.name, "active": True} for s in authority.services]
    new_services = [s for s in new_services if s["name"] not in svc_ids]
    skipped += len(authority.services) - len(new_services)
    if new_services:
        session.execute(insert(models.Service), new_services)
        svc_ids = _ids(session, models.Service.name, models.Service.id)

    team_ids = _ids(session, models.Team.name, models.Team.id)
    new_teams = [
        {"name": t.name, "service_id": svc_ids[t.service], "active": True}
        for t in authority.teams
        if t.name not in team_ids
    ]
    skipped += len(authority.teams) - len(new_teams)
    if new_teams:
        session.execute(insert(models.Team), new_teams)
        team_ids = _ids(session, models.Team.name, models.Team.id)

    person_ids = _ids(session, models.Person.email, models.Person.id)
    fresh = [p for p in authority.people if p.email not in person_ids]
    skipped += len(authority.people) - len(fresh)
    if fresh:
        session.execute(
            insert(models.Person),
            [
                {
                    "email": p.email,
                    "name": p.name,
                    "roles": list(p.roles),
                    "team_id": team_ids[p.team],
                    "line_manager_id": None,
                    "capacity": p.capacity,
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for p in fresh
            ],
        )
        person_ids = _ids(session, models.Person.email, models.Person.id)
        managed = [
            {"id": person_ids[p.email], "line_manager_id": person_ids[p.line_manager_email]}
            for p in fresh
            if p.line_manager_email and p.line_manager_email in person_ids
        ]
        if managed:
            session.execute(update(models.Person), managed)

    case_refs = set(session.execute(select(col(models.Case.reference))).scalars())
    new_cases = [
        {
            "reference": c.reference,
            "service_id": svc_ids[c.service],
            "team_id": team_ids[c.team],
            "worker_id": person_ids.get(c.worker_email),
            "area": c.area,
            "status": c.status,
            "opened_on": c.opened_on,
            "active": True,
        }
        for c in authority.cases
        if c.reference not in case_refs
    ]
    skipped += len(authority.cases) - len(new_cases)
    if new_cases:
        session.execute(insert(models.Case), new_cases)

    report = SeedReport(
        services=len(new_services),
        teams=len(new_teams),
        people=len(fresh),
        cases=len(new_cases),
        skipped=skipped,
        cleared=reset,
    )
    if report.added or reset:
        note_seeding(
            session=session,
            now=now,
            action="demo.seed",
            framework=authority.framework,
            after={"seed": authority.seed, **asdict(report)},
        )
    session.flush()
    return report
