"""The engine, sessions and schema upgrades.

SQLite (the embedded default) runs in WAL mode with a busy timeout, and every
transaction starts with `BEGIN IMMEDIATE`, so a reader never has to upgrade to a
writer mid-transaction (the cause of "database is locked" that a busy timeout cannot
cure). PostgreSQL connections are pre-pinged so a restarted server is survived.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
T = TypeVar("T")


def make_engine(url: str) -> Engine:
    """An engine for `url` with the pragmas and pool settings this product relies on."""
    if url.startswith("sqlite"):
        in_memory = url in {"sqlite://", "sqlite:///:memory:"}
        # hide_parameters: an error message must never carry what someone typed into a log.
        kwargs: dict[str, Any] = {
            "connect_args": {"check_same_thread": False, "timeout": 30},
            "hide_parameters": True,
        }
        if in_memory:
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, decide when transactions begin.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            if not in_memory:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True
    )


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _is_transient(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(
        s in text
        for s in (
            "database is locked",
            "could not serialize",
            "deadlock detected",
            "server closed the connection",
            "connection refused",
            "terminating connection",
            "connection is closed",
        )
    )


def with_retries(
    engine: Engine, work: Callable[[Session], T], *, attempts: int = 6, base_delay: float = 0.05
) -> T:
    """Run `work` in a transaction, retrying transient database errors.

    A person never sees "database is locked" or a dropped connection after a database
    restart: the whole unit of work is retried from the start, so nothing half-writes.
    """
    for attempt in range(attempts):
        try:
            with session_scope(engine) as session:
                return work(session)
        except (OperationalError, DBAPIError) as exc:
            if attempt == attempts - 1 or not _is_transient(exc):
                raise
            time.sleep(base_delay * (2**attempt))
    raise AssertionError("unreachable")


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema at `url` up to `revision` (idempotent)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)
