"""Unfinished drafts are reminded before they are due: once per threshold, in hours."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from qa.framework import Framework, preset
from reminders.drafts import DRAFT_REMINDERS
from reminders.schedule import Ticker
from storage.db import session_scope
from storage.models import Allocation, Audit, Case, OutboxMessage, Person, Service, Team

LONDON = ZoneInfo("Europe/London")
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _draft(engine, *, due: date, status: str = "draft") -> int:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        svc = Service(name="Early Help")
        s.add(svc)
        s.flush()
        team = Team(name="EH 1", service_id=svc.id or 0)
        s.add(team)
        s.flush()
        person = Person(email="a@c.gov.uk", name="A B", roles=["team_manager"], team_id=team.id,
                        created_at=T0, updated_at=T0)  # fmt: skip
        s.add(person)
        s.flush()
        case = Case(reference="REF-1", service_id=svc.id or 0, team_id=team.id or 0,
                    area="early_help", opened_on=date(2026, 1, 1))  # fmt: skip
        s.add(case)
        s.flush()
        alloc = Allocation(month="2026-12", person_id=person.id or 0, case_id=case.id, due_on=due,
                           status="in_progress", created_at=T0, updated_at=T0)  # fmt: skip
        s.add(alloc)
        s.flush()
        audit = Audit(allocation_id=alloc.id, case_id=case.id or 0, auditor_id=person.id or 0,
                      status=status, created_at=T0, updated_at=T0)  # fmt: skip
        s.add(audit)
        s.flush()
        return audit.id or 0


def _keys(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return sorted(m.idempotency_key for m in s.exec(select(OutboxMessage)))


def _run(engine, fw: Framework, at: datetime) -> None:  # type: ignore[no-untyped-def]
    Ticker(engine=engine, framework=fw, tz=LONDON, jobs={}).run_job(DRAFT_REMINDERS, now=at)


def test_a_draft_is_reminded_three_working_days_before_and_on_the_day(engine) -> None:  # type: ignore[no-untyped-def]
    fw = preset("camden")  # before_due_working_days: [3], on the due day too
    audit_id = _draft(engine, due=date(2026, 12, 10))  # a Thursday
    _run(engine, fw, datetime(2026, 12, 1, 10, 0, tzinfo=UTC))  # 7 working days left
    assert _keys(engine) == []
    for day in (7, 8, 9, 10):  # twice a day, Monday to Thursday: nothing is sent twice
        for hour in (10, 14):
            _run(engine, fw, datetime(2026, 12, day, hour, 0, tzinfo=UTC))
    assert _keys(engine) == [f"draft-reminder:{audit_id}:0wd", f"draft-reminder:{audit_id}:3wd"]


def test_no_reminder_at_night_at_weekends_or_for_submitted_audits(engine) -> None:  # type: ignore[no-untyped-def]
    fw = preset("camden")
    _draft(engine, due=date(2026, 12, 7), status="submitted")
    _run(engine, fw, datetime(2026, 12, 4, 10, 0, tzinfo=UTC))
    assert _keys(engine) == []


def test_no_reminder_outside_working_hours(engine) -> None:  # type: ignore[no-untyped-def]
    fw = preset("camden")
    _draft(engine, due=date(2026, 12, 7))
    _run(engine, fw, datetime(2026, 12, 4, 22, 0, tzinfo=UTC))  # Friday night
    _run(engine, fw, datetime(2026, 12, 5, 10, 0, tzinfo=UTC))  # Saturday
    assert _keys(engine) == []
    _run(engine, fw, datetime(2026, 12, 7, 10, 0, tzinfo=UTC))  # Monday, the due day
    assert len(_keys(engine)) == 1
