"""Once-only keys of inbound requests: claimed with the request's effects, pruned later.

A key is claimed in the same transaction as everything the request changes, so a
platform's retry, or a concurrent copy, finds it and does nothing (`bot/turns.py`).
Retries arrive within minutes and modal holds last seconds, so keys older than
`KEEP_FOR` are only history; the nightly retention job prunes them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, delete, func, select

from storage.models import ProcessedEvent

KEEP_FOR = timedelta(days=7)


def claim(*, session: Session, key: str, now: datetime, window: timedelta | None = None) -> bool:
    """True the first time `key` is seen (or once `window` has passed since it was);
    False for a retry or a duplicate. Flushed at once, so a concurrent copy fails on the
    primary key when it commits, and the whole of its turn rolls back.

    Without a window it is one statement (`INSERT ... ON CONFLICT DO NOTHING`), not a
    read then a write: every click and activity pays it. A concurrent copy then waits
    on the row and inserts nothing instead of failing at commit."""
    if window is None:
        return _insert_new(session, key, now)
    seen = session.get(ProcessedEvent, key)
    if seen is None:
        session.add(ProcessedEvent(event_id=key, received_at=now))
        session.flush()
        return True
    if window is not None and seen.received_at <= now - window:
        seen.received_at = now
        session.add(seen)
        session.flush()
        return True
    return False


def _insert_new(session: Session, key: str, now: datetime) -> bool:
    """Insert the key unless it is there; whether it was inserted (SQLite, PostgreSQL)."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    insert: Any = sqlite_insert if sqlite else postgresql_insert
    statement = (
        insert(ProcessedEvent)
        .values(event_id=key, received_at=now)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(ProcessedEvent.event_id)  # a row back only when inserted; rowcount
    )  # is not reliable here (psycopg reports -1 for this statement)
    return session.connection().execute(statement).first() is not None


def seen(*, session: Session, key: str) -> bool:
    return session.get(ProcessedEvent, key) is not None


# Above every character our keys use (ASCII): in SQLite's byte order the keys that
# start with `prefix` all lie in `[prefix, prefix + _TOP)`.
_TOP = "\U0010ffff"


def _starting_with(session: Session, prefix: str) -> list[Any]:
    key = col(ProcessedEvent.event_id)
    where = [key.startswith(prefix)]
    if session.get_bind().dialect.name == "sqlite":
        where += [key >= prefix, key < prefix + _TOP]
    return where


def held(*, session: Session, prefix: str) -> bool:
    """Whether any claim starts with `prefix` (a read, so a release can be skipped)."""
    found = session.exec(
        select(ProcessedEvent.event_id).where(*_starting_with(session, prefix)).limit(1)
    ).first()
    return found is not None


def release(*, session: Session, prefix: str) -> None:
    """Give up every claim whose key starts with `prefix`.

    On SQLite a LIKE alone (case-insensitive there) reads every claim in the table,
    and it holds a week of them; the byte-ordered range walks the primary key's index
    to the few in question, and the LIKE stays, so the range only narrows. Elsewhere a
    collation need not order by bytes, so only the LIKE is used.
    """
    session.exec(delete(ProcessedEvent).where(*_starting_with(session, prefix)))  # type: ignore[call-overload]


def prune(*, session: Session, now: datetime) -> int:
    """Delete keys older than `KEEP_FOR`; the number deleted."""
    old = col(ProcessedEvent.received_at) < now - KEEP_FOR
    count = int(session.exec(select(func.count()).select_from(ProcessedEvent).where(old)).one())
    if count:
        session.exec(delete(ProcessedEvent).where(old))  # type: ignore[call-overload]
    return count
