"""Seeding people and work for handler tests, straight through the storage models."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, SQLModel

from qa.framework import Framework, load_framework
from storage.models import Case, Person, Service, Team

SMALL = Path(__file__).parents[1] / "data" / "framework-small.yml"


def small_framework() -> Framework:
    return load_framework(str(SMALL))


def added(session: Session, row: SQLModel) -> int:
    """Add `row`, flush so the database gives it an id, and return that id."""
    session.add(row)
    session.flush()
    row_id = getattr(row, "id", None)
    assert isinstance(row_id, int), row
    return row_id


def person(session: Session, now: datetime, email: str, roles: list[str], **extra: Any) -> Person:
    row = Person(
        email=email,
        name=extra.pop("name", email.split("@")[0].title()),
        roles=roles,
        created_at=now,
        updated_at=now,
        **extra,
    )
    session.add(row)
    session.flush()
    return row


def case(session: Session, reference: str, *, area: str = "early_help") -> Case:
    service = session.get(Service, 1)
    if service is None:
        service = Service(id=1, name="Early Help")
        session.add(service)
        session.flush()
    team = session.get(Team, 1)
    if team is None:
        team = Team(id=1, name="Early Help 1", service_id=1)
        session.add(team)
        session.flush()
    row = Case(reference=reference, service_id=1, team_id=1, area=area, opened_on=date(2026, 1, 5))
    session.add(row)
    session.flush()
    return row
