"""Seeding the demo history: every row written and linked, once, and all of it in the past."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from demo.authority import DemoAuthority, generate
from demo.history import DemoHistory, generate_history
from qa.framework import Framework, load_framework
from storage import models
from storage.db import session_scope
from storage.escalations import escalate_audit
from storage.seed import seed_demo
from storage.seed_history import HistoryReport, has_history, seed_history
from storage.tracking import GRADED, directory

SMALL = Path(__file__).parents[1] / "data" / "framework-small.yml"
TODAY = date(2026, 11, 18)
NOW = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
TABLES: tuple[type[SQLModel], ...] = (
    models.Allocation,
    models.Audit,
    models.Moderation,
    models.Recommendation,
    models.RecommendationUpdate,
    models.Escalation,
)


@pytest.fixture(scope="module")
def framework() -> Framework:
    return load_framework(str(SMALL))


@pytest.fixture(scope="module")
def authority(framework: Framework) -> DemoAuthority:
    return generate(framework, today=TODAY, staff=40, cases=300)


@pytest.fixture(scope="module")
def history(framework: Framework, authority: DemoAuthority) -> DemoHistory:
    return generate_history(framework, authority, today=TODAY, tz=LONDON)


def counts(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as s:
        return {m.__name__: s.execute(sa_select(func.count()).select_from(m)).scalar_one()
                for m in TABLES}  # fmt: skip


def seed_all(
    engine: Engine, framework: Framework, authority: DemoAuthority, history: DemoHistory
) -> HistoryReport:
    with session_scope(engine) as s:
        seed_demo(session=s, framework=framework, authority=authority, now=NOW)
        return seed_history(session=s, history=history, now=NOW)


def test_seeding_writes_every_row_of_the_history(
    engine: Engine, framework: Framework, authority: DemoAuthority, history: DemoHistory
) -> None:
    report = seed_all(engine, framework, authority, history)

    done = [r for r in history.recommendations if r.status == "done"]
    assert report == HistoryReport(
        months=len(history.months),
        first_month="2025-10",
        last_month="2026-11",
        allocations=len(history.allocations),
        audits=len(history.audits),
        moderations=len(history.moderations),
        recommendations=len(history.recommendations),
        escalations=len(history.escalations),
    )
    assert counts(engine) == {
        "Allocation": len(history.allocations),
        "Audit": len(history.audits),
        "Moderation": len(history.moderations),
        "Recommendation": len(history.recommendations),
        "RecommendationUpdate": len(done),
        "Escalation": len(history.escalations),
    }
    assert min(report.audits, report.moderations, report.escalations) > 0


def test_rows_point_at_the_right_people_cases_and_audits(
    engine: Engine, framework: Framework, authority: DemoAuthority, history: DemoHistory
) -> None:
    seed_all(engine, framework, authority, history)

    with Session(engine) as s:
        email = {p.id: p.email for p in s.exec(select(models.Person))}
        ref = {c.id: c.reference for c in s.exec(select(models.Case))}
        audits = list(s.exec(select(models.Audit).order_by(col(models.Audit.id))))
        allocations = {a.id: a for a in s.exec(select(models.Allocation))}
        for row, want in zip(audits, history.audits, strict=True):
            assert (email[row.auditor_id], ref[row.case_id]) == (want.auditor, want.case)
            allocation = allocations[row.allocation_id]
            assert (allocation.person_id, allocation.case_id) == (row.auditor_id, row.case_id)
            assert [email[e["by"]] for e in row.history] == [e.by for e in want.events]
            owners = [
                v for step in row.answers["answers"].values()
                for k, v in step.items() if k.endswith(".owner")
            ]  # fmt: skip
            assert all(isinstance(v, int) and v in email for v in owners)
        for rec in s.exec(select(models.Recommendation)):
            audit = s.get(models.Audit, rec.audit_id)
            assert audit is not None and rec.case_id == audit.case_id
            assert rec.raised_by_id == audit.auditor_id


def test_seeding_twice_adds_nothing(
    engine: Engine, framework: Framework, authority: DemoAuthority, history: DemoHistory
) -> None:
    seed_all(engine, framework, authority, history)
    before = counts(engine)

    with session_scope(engine) as s:
        again = seed_history(session=s, history=history, now=NOW)
        assert has_history(session=s)

    assert again == HistoryReport(skipped=True)
    assert counts(engine) == before


def test_every_time_written_is_before_today_and_every_due_date_sensible(
    engine: Engine, framework: Framework, authority: DemoAuthority, history: DemoHistory
) -> None:
    seed_all(engine, framework, authority, history)
    start_of_today = datetime.combine(TODAY, datetime.min.time(), LONDON)

    with Session(engine) as s:
        instants: list[datetime | None] = []
        for a in s.exec(select(models.Allocation)):
            instants += [a.created_at, a.updated_at]
            assert a.month <= TODAY.strftime("%Y-%m")
        for au in s.exec(select(models.Audit)):
            instants += [au.created_at, au.updated_at, au.submitted_at, au.finalised_at]
        for m in s.exec(select(models.Moderation)):
            instants += [m.created_at, m.completed_at]
        for r in s.exec(select(models.Recommendation)):
            instants += [r.created_at, r.completed_at]
            assert r.due_on > r.created_at.astimezone(LONDON).date()
        for e in s.exec(select(models.Escalation)):
            instants += [e.created_at, e.responded_at]
            assert e.deadline > e.created_at

    written = [t for t in instants if t is not None]
    assert written and all(t < start_of_today for t in written)


def test_the_escalation_job_finds_every_request_already_made(
    engine: Engine, framework: Framework, authority: DemoAuthority, history: DemoHistory
) -> None:
    """Starting the demo must not ask anyone again about a past audit."""
    seed_all(engine, framework, authority, history)

    with session_scope(engine) as s:
        staff = directory(session=s)
        graded = s.exec(select(models.Audit).where(col(models.Audit.status).in_(GRADED)))
        made = [
            row
            for audit in graded
            for row in escalate_audit(
                session=s, framework=framework, audit=audit, staff=staff, now=NOW, tz=LONDON
            )
        ]

    assert made == []


def test_a_history_naming_people_who_are_not_there_writes_nothing(
    engine: Engine, history: DemoHistory
) -> None:
    with pytest.raises(ValueError, match="not in the database"), session_scope(engine) as s:
        seed_history(session=s, history=history, now=NOW)

    assert set(counts(engine).values()) == {0}


def test_naive_now_is_refused(engine: Engine, history: DemoHistory) -> None:
    with pytest.raises(ValueError, match="timezone-aware"), session_scope(engine) as s:
        seed_history(session=s, history=history, now=datetime(2026, 11, 18, 9, 0))
