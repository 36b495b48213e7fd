"""One process runs the scheduler ticks, however many workers or replicas serve requests.

The holder renews a lease row in the database at every tick; another process takes
it over only once it has expired, so a crashed holder is replaced within one lease
period and two live processes never run the same tick.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, update

from storage.models import Lease

SCHEDULER_LEASE = "scheduler"


def acquire(
    *, session: Session, holder: str, now: datetime, ttl: timedelta, name: str = SCHEDULER_LEASE
) -> bool:
    """Take or renew the lease; True when `holder` holds it until now + ttl.

    A single conditional UPDATE (held by us, or expired) followed by an INSERT that does
    nothing on conflict: both are atomic on SQLite and PostgreSQL, so two processes
    racing for a free lease cannot both win.
    """
    expires = now + ttl
    result = session.execute(
        update(Lease)
        .where(col(Lease.name) == name)
        .where((col(Lease.holder) == holder) | (col(Lease.expires_at) < now))
        .values(holder=holder, expires_at=expires)
    )
    if getattr(result, "rowcount", 0) == 1:
        return True
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    inserted = session.execute(
        insert(Lease)
        .values(name=name, holder=holder, expires_at=expires)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(col(Lease.name))
    ).first()
    return inserted is not None


def release(*, session: Session, holder: str, now: datetime, name: str = SCHEDULER_LEASE) -> None:
    """Give the lease up at shutdown so another process can take over at once."""
    session.execute(
        update(Lease)
        .where(col(Lease.name) == name)
        .where(col(Lease.holder) == holder)
        .values(expires_at=now)
    )
