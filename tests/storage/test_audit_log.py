"""`record_row`: who and when as one `By`, or in the older keywords; the same entry."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from storage.audit_log import By, record_row
from storage.db import session_scope
from storage.models import AuditLogEntry, Person


def _entries(engine: Engine) -> list[tuple[object, ...]]:
    with session_scope(engine) as s:
        rows = s.exec(select(AuditLogEntry).order_by(col(AuditLogEntry.id))).all()
        return [
            (e.at, e.actor, e.actor_id, e.action, e.record_type, e.record_id, e.before, e.after)
            for e in rows
        ]


def test_by_and_the_keywords_log_the_same_entry(engine: Engine, now: datetime) -> None:
    with session_scope(engine) as s:
        person = Person(email="p@council.gov.uk", name="P", created_at=now, updated_at=now)
        s.add(person)
        s.flush()
        record_row(
            s, person, "person.edit", By("lead@council.gov.uk", person.id, now), after={"a": 1}
        )
        record_row(
            session=s,
            now=now,
            action="person.edit",
            row=person,
            actor="lead@council.gov.uk",
            actor_id=person.id,
            after={"a": 1},
        )
        pid = person.id
    first, second = _entries(engine)
    assert first == second
    assert first[1:6] == ("lead@council.gov.uk", pid, "person.edit", "person", str(pid))


def test_a_change_with_nobody_behind_it_is_refused(engine: Engine, now: datetime) -> None:
    with session_scope(engine) as s:
        person = Person(email="p@council.gov.uk", name="P", created_at=now, updated_at=now)
        s.add(person)
        s.flush()
        with pytest.raises(TypeError):
            record_row(s, person, "person.edit", now=now)
