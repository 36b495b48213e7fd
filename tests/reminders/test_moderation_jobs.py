"""The moderation jobs at frozen times: the catch-up assignment and moderators' reminders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.composition import jobs as all_jobs
from reminders.jobs import JobContext
from reminders.moderation import ModerationToRemind, due_reminders, run_assign, run_reminders
from storage.models import Moderation, OutboxMessage
from tests.handlers.helpers import small_framework
from tests.storage.test_moderations import Place

TZ = ZoneInfo("Europe/London")
POLICY = small_framework().reminders


def at(day: int, hour: int = 10, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def place(engine: Engine, now: datetime) -> Iterator[tuple[Session, Place]]:
    with Session(engine) as session:
        yield session, Place(session, now, small_framework())


def ctx(session: Session, place: Place, now: datetime) -> JobContext:
    return JobContext(session, place.framework, TZ, now)


def keys(session: Session, template: str) -> list[str]:
    return list(
        session.exec(
            select(OutboxMessage.idempotency_key)
            .where(OutboxMessage.template == template)
            .order_by(col(OutboxMessage.id))
        )
    )


def test_the_jobs_are_registered() -> None:
    jobs = all_jobs()
    assert {"moderation_assign", "moderation_reminders"} <= set(jobs)
    assert jobs["moderation_assign"].at is None, "at every tick"


def test_an_audit_the_hook_missed_is_assigned_by_the_job_once(
    place: tuple[Session, Place], now: datetime
) -> None:
    session, p = place
    audit = p.audit(session)
    old = p.audit(session, at=now - timedelta(days=70))  # submitted in September
    result = run_assign(ctx(session, p, now + timedelta(hours=1)))
    assert result.changed == 1
    [row] = session.exec(select(Moderation)).all()
    assert row.audit_id == audit.id and row.moderator_id == p.free.id
    assert keys(session, "moderation_request") == [f"moderation-request:{row.id}"]
    assert run_assign(ctx(session, p, now + timedelta(hours=2))).changed == 0
    assert old.id not in {m.audit_id for m in session.exec(select(Moderation))}


def test_an_audit_nobody_could_take_is_noted(place: tuple[Session, Place], now: datetime) -> None:
    session, p = place
    for person in (p.free, p.away, p.in_team, p.case_manager, p.line_manager):
        person.active = False
        session.add(person)
    p.audit(session)
    result = run_assign(ctx(session, p, now))
    assert result.changed == 0 and len(result.notes) == 1 and "unassigned" in result.notes[0]


def test_reminders_fall_three_working_days_before_and_on_the_day() -> None:
    item = ModerationToRemind(7, date(2026, 12, 15), created_on=date(2026, 12, 1))
    assert due_reminders(POLICY, [item], at(9), TZ) == []
    assert due_reminders(POLICY, [item], at(10), TZ) == [(7, 3)]
    assert due_reminders(POLICY, [item], at(12), TZ) == [], "a Saturday"
    assert due_reminders(POLICY, [item], at(10, hour=20), TZ) == [], "after working hours"
    assert due_reminders(POLICY, [item], at(14), TZ) == [(7, 3)], "missed: caught up once"
    assert due_reminders(POLICY, [item], at(15), TZ) == [(7, 0)]
    assert due_reminders(POLICY, [item], at(16), TZ) == [], "past due: status shows it"
    fresh = ModerationToRemind(8, date(2026, 12, 15), created_on=date(2026, 12, 11))
    assert due_reminders(POLICY, [fresh], at(11), TZ) == [], "the request has just told them"


def test_the_reminder_job_sends_each_reminder_once_and_none_when_done(
    place: tuple[Session, Place], now: datetime
) -> None:
    session, p = place
    p.audit(session)
    run_assign(ctx(session, p, now))
    [row] = session.exec(select(Moderation)).all()
    for day in (10, 10, 11, 15, 15):
        run_reminders(ctx(session, p, at(day)))
    assert keys(session, "moderation_reminder") == [
        f"moderation-due:{row.id}:3",
        f"moderation-due:{row.id}:0",
    ]
    [message] = session.exec(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == f"moderation-due:{row.id}:3")
    ).all()
    assert message.person_id == row.moderator_id
    assert message.context["reference"] == "CASE-0000042"
    assert message.context["routing_key"] == f"moderation:{row.id}"
    row.status = "completed"
    session.add(row)
    before = len(keys(session, "moderation_reminder"))
    run_reminders(ctx(session, p, at(14)))
    assert len(keys(session, "moderation_reminder")) == before
