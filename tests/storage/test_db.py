"""The database layer: migrations both ways, aware timestamps, no "database is locked"."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import StatementError
from sqlmodel import Session, select

from storage.db import downgrade, make_engine, session_scope, upgrade, with_retries
from storage.models import Case, Person, Service, Team

EXPECTED_TABLES = {
    "service", "team", "person", "absence", "case", "allocation", "audit", "moderation",
    "recommendation", "recommendationupdate", "escalation", "outboxmessage", "audit_log",
    "lease", "job_run", "processed_event",
}  # fmt: skip


def test_migrations_create_every_table_and_downgrade_removes_them(db_url: str) -> None:
    engine = make_engine(db_url)
    assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES
    engine.dispose()
    downgrade(db_url, "base")
    engine = make_engine(db_url)
    assert not EXPECTED_TABLES & set(inspect(engine).get_table_names())
    engine.dispose()
    upgrade(db_url)
    upgrade(db_url)  # idempotent
    engine = make_engine(db_url)
    assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES
    engine.dispose()


def _person(email: str, now: datetime) -> Person:
    return Person(
        email=email, name="A Person", roles=["practitioner"], created_at=now, updated_at=now
    )


def test_timestamps_come_back_timezone_aware_in_utc(engine, now: datetime) -> None:  # type: ignore[no-untyped-def]
    bst = timezone(timedelta(hours=1))
    with session_scope(engine) as s:
        s.add(_person("a@council.gov.uk", now.astimezone(bst)))
    with Session(engine) as s:
        p = s.exec(select(Person)).one()
    assert p.created_at.tzinfo is not None
    assert p.created_at == now
    assert p.created_at.utcoffset() == timedelta(0)


def test_a_naive_timestamp_is_refused(engine) -> None:  # type: ignore[no-untyped-def]
    naive = datetime(2026, 12, 1, 9, 0)
    with pytest.raises(StatementError, match="naive datetime"), session_scope(engine) as s:
        s.add(_person("b@council.gov.uk", naive))  # type: ignore[arg-type]


def test_email_is_unique(engine, now: datetime) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        s.add(_person("c@council.gov.uk", now))
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), session_scope(engine) as s:
        s.add(_person("c@council.gov.uk", now))
    with Session(engine) as s:
        assert len(s.exec(select(Person)).all()) == 1


def test_concurrent_writers_never_see_database_is_locked(engine, now: datetime) -> None:  # type: ignore[no-untyped-def]
    """Eight threads each read then write in one transaction: every write lands."""
    with session_scope(engine) as s:
        svc = Service(name="Early Help")
        s.add(svc)
        s.flush()
        s.add(Team(name="EH 1", service_id=svc.id))
    errors: list[BaseException] = []

    def work(i: int) -> None:
        def unit(session: Session) -> None:
            team = session.exec(select(Team)).one()  # read first: the classic upgrade trap
            session.add(
                Case(
                    reference=f"REF-{i:04d}",
                    service_id=team.service_id,
                    team_id=team.id or 0,
                    area="early_help",
                    opened_on=date(2026, 1, 1),
                )
            )

        try:
            with_retries(engine, unit)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    with Session(engine) as s:
        assert len(s.exec(select(Case)).all()) == 8


def test_sqlite_runs_in_wal_mode(db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    engine.dispose()


def test_session_scope_rolls_back_everything_on_error(engine, now: datetime) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        s.add(_person("d@council.gov.uk", now))
        s.flush()
        raise RuntimeError("boom")
    with Session(engine) as s:
        assert s.exec(select(Person)).all() == []
