"""Seeding the demo authority: the expected rows, idempotent, and a reset that clears."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session, SQLModel, col

from demo.authority import DEMO_QA_LEAD_EMAIL, DemoAuthority, generate
from qa.framework import Framework, load_framework
from storage import models
from storage.db import session_scope
from storage.outbox import Message, enqueue
from storage.seed import ACTOR, SeedReport, reset_demo, seed_demo

SMALL = Path(__file__).parents[1] / "data" / "framework-small.yml"
TODAY = date(2026, 12, 1)


@pytest.fixture
def framework() -> Framework:
    return load_framework(str(SMALL))


@pytest.fixture
def authority(framework: Framework) -> DemoAuthority:
    return generate(framework, today=TODAY, staff=40, cases=200)


def count(session: Session, model: type[SQLModel]) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def counts(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as s:
        return {
            m.__name__: count(s, m)
            for m in (
                models.Service,
                models.Team,
                models.Person,
                models.Case,
                models.AuditLogEntry,
                models.OutboxMessage,
            )
        }


def seed(engine: Engine, fw: Framework, a: DemoAuthority, now: datetime, **kw: bool) -> SeedReport:
    with session_scope(engine) as s:
        return seed_demo(session=s, framework=fw, authority=a, now=now, **kw)


def test_seeding_writes_the_whole_authority(
    engine: Engine, framework: Framework, authority: DemoAuthority, now: datetime
) -> None:
    report = seed(engine, framework, authority, now)

    assert (report.services, report.teams, report.people, report.cases) == (
        len(authority.services),
        len(authority.teams),
        len(authority.people),
        len(authority.cases),
    )
    assert counts(engine) == {
        "Service": len(authority.services),
        "Team": len(authority.teams),
        "Person": len(authority.people),
        "Case": len(authority.cases),
        "AuditLogEntry": 1,
        "OutboxMessage": 0,
    }
    with session_scope(engine) as s:
        people = {p.id: p for p in s.execute(select(models.Person)).scalars()}
        by_email = {p.email: p for p in people.values()}
        for demo in authority.people:
            row = by_email[demo.email]
            manager = people[row.line_manager_id].email if row.line_manager_id else None
            assert manager == demo.line_manager_email
            assert row.roles == list(demo.roles)
        lead = by_email[DEMO_QA_LEAD_EMAIL]
        assert framework.qa_lead_role in lead.roles
        teams = {t.id: t for t in s.execute(select(models.Team)).scalars()}
        for case in s.execute(select(models.Case)).scalars():
            assert teams[case.team_id].service_id == case.service_id
            assert case.worker_id is not None and people[case.worker_id].team_id == case.team_id
        entry = s.execute(select(models.AuditLogEntry)).scalar_one()
        assert entry.actor == ACTOR
        assert entry.action == "demo.seed"
        assert entry.after is not None and entry.after["cases"] == len(authority.cases)


def test_seeding_twice_changes_nothing(
    engine: Engine, framework: Framework, authority: DemoAuthority, now: datetime
) -> None:
    seed(engine, framework, authority, now)
    before = counts(engine)

    again = seed(engine, framework, authority, now)

    assert again.added == 0
    assert again.skipped == (
        len(authority.services)
        + len(authority.teams)
        + len(authority.people)
        + len(authority.cases)
    )
    assert counts(engine) == before


def test_seeding_adds_only_what_is_missing(
    engine: Engine, framework: Framework, authority: DemoAuthority, now: datetime
) -> None:
    seed(engine, framework, authority, now)
    bigger = generate(framework, today=TODAY, staff=40, cases=300)
    assert bigger.people == authority.people
    new_refs = {c.reference for c in bigger.cases} - {c.reference for c in authority.cases}

    report = seed(engine, framework, bigger, now)

    assert (report.people, report.cases) == (0, len(new_refs))
    assert counts(engine)["Case"] == len(authority.cases) + len(new_refs)


def test_reset_clears_every_data_table_but_keeps_the_schema_version(
    engine: Engine, framework: Framework, authority: DemoAuthority, now: datetime
) -> None:
    seed(engine, framework, authority, now)
    with session_scope(engine) as s:
        lead = s.execute(
            select(models.Person).where(col(models.Person.email) == DEMO_QA_LEAD_EMAIL)
        ).scalar_one()
        enqueue(
            session=s,
            now=now,
            message=Message(template="hello", context={}, idempotency_key="k1", person_id=lead.id),
        )

    with session_scope(engine) as s:
        reset_demo(session=s)

    assert set(counts(engine).values()) == {0}
    with session_scope(engine) as s:
        assert s.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1


def test_seeding_with_reset_replaces_the_authority(
    engine: Engine, framework: Framework, authority: DemoAuthority, now: datetime
) -> None:
    seed(engine, framework, authority, now)
    other = generate(framework, today=TODAY, seed=99, staff=30, cases=50)

    report = seed(engine, framework, other, now, reset=True)

    assert report.cleared and report.skipped == 0
    c = counts(engine)
    assert (c["Person"], c["Case"], c["AuditLogEntry"]) == (30, 50, 1)


def test_an_authority_that_does_not_fit_the_framework_writes_nothing(
    engine: Engine, framework: Framework, authority: DemoAuthority, now: datetime
) -> None:
    stray = replace(authority.people[-1], roles=("cook",))
    bad = replace(authority, people=(*authority.people[:-1], stray))

    with pytest.raises(ValueError, match=r"role 'cook' is not defined in framework 'small'"):
        seed(engine, framework, bad, now)

    assert set(counts(engine).values()) == {0}


def test_naive_now_is_refused(
    engine: Engine, framework: Framework, authority: DemoAuthority
) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        seed(engine, framework, authority, datetime(2026, 12, 1, 9, 0))
