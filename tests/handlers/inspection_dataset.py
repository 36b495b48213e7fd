"""A small authority for inspection mode, whose right allocation is worked out by hand.

Thursday 10 December 2026 (`NOW`). One service, two teams (T1, T2). Auditors (service
and team managers: the small framework's audit cadences) and their record, days from
allocation to submission: Fay (T2) 2 days, Max (T2) 5, Sol (T1) 10, Nia (T1) none yet.
Fay line-manages Wes, a worker in T1; Wil is another worker in T1 (no line manager).

Cases the inspectors pick: CASE-1 (T1, Wil's), CASE-2 (T1, Wes's), CASE-3 (T2, no worker).
- CASE-1: only T2 may audit (peer principle): Fay, the fastest.
- CASE-2: T2 again, but Fay line-manages Wes: Max.
- CASE-3: only T1: Sol (a record, and Nia has none yet).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from storage.models import Allocation, Audit, Case, Person, Service, Team
from tests.handlers.helpers import added

NOW = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)
GUID = "00000000-0000-0000-0000-0000000000{:02d}"


@dataclass
class Seeded:
    people: dict[str, int] = field(default_factory=dict)
    cases: dict[str, int] = field(default_factory=dict)


def _person(s: Session, out: Seeded, name: str, roles: list[str], n: int, **extra: object) -> int:
    pid = added(
        s,
        Person(
            email=f"{name.lower()}@testshire.gov.uk",
            name=f"{name} Example",
            roles=roles,
            slack_user_id=f"U{n:02d}{name.upper()}",
            teams_user_id=GUID.format(n),
            created_at=NOW,
            updated_at=NOW,
            **extra,  # type: ignore[arg-type]
        ),
    )
    out.people[name] = pid
    return pid


def seed(engine: Engine) -> Seeded:
    out = Seeded()
    with Session(engine) as s:
        service = added(s, Service(name="Children's Social Care"))
        t1 = added(s, Team(name="T1", service_id=service))
        t2 = added(s, Team(name="T2", service_id=service))
        _person(s, out, "Lee", ["qa_lead"], 1)
        fay = _person(s, out, "Fay", ["service_manager"], 2, team_id=t2)
        _person(s, out, "Max", ["team_manager"], 3, team_id=t2)
        _person(s, out, "Sol", ["service_manager"], 4, team_id=t1)
        _person(s, out, "Nia", ["team_manager"], 5, team_id=t1)
        _person(s, out, "Wes", ["practitioner"], 6, team_id=t1, line_manager_id=fay)
        _person(s, out, "Wil", ["practitioner"], 7, team_id=t1)
        opened = date(2026, 1, 5)
        for ref, team, worker in [
            ("CASE-1", t1, out.people["Wil"]),
            ("CASE-2", t1, out.people["Wes"]),
            ("CASE-3", t2, None),
        ]:
            out.cases[ref] = added(
                s,
                Case(reference=ref, service_id=service, team_id=team, worker_id=worker,
                     area="cin_cp", opened_on=opened),
            )  # fmt: skip
        old = added(
            s,
            Case(reference="OLD-1", service_id=service, team_id=t1, area="cin_cp",
                 status="closed", opened_on=opened),
        )  # fmt: skip
        for name, days in [("Fay", 2), ("Max", 5), ("Sol", 10)]:
            start = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
            pid = out.people[name]
            allocation = added(
                s,
                Allocation(month="2026-10", person_id=pid, case_id=old, due_on=date(2026, 10, 30),
                           status="completed", created_at=start, updated_at=start),
            )  # fmt: skip
            added(
                s,
                Audit(allocation_id=allocation, case_id=old, auditor_id=pid, status="final",
                      overall_grade="good", submitted_at=start + timedelta(days=days),
                      created_at=start, updated_at=start),
            )  # fmt: skip
        s.commit()
    return out
