"""The engine, sessions and schema upgrades.

SQLite (the embedded default) runs in WAL mode with a busy timeout, and every
transaction starts with `BEGIN IMMEDIATE`, so a reader never has to upgrade to a
writer mid-transaction (the cause of "database is locked" that a busy timeout cannot
cure). Within one process, transactions on a SQLite file also queue on a lock of
their own before `BEGIN IMMEDIATE`: SQLite's busy handler waits by sleeping in steps
of up to 100 ms, so under load a freed database sat idle while every waiter slept
(the load bench's p99 was mostly that sleep); a lock hands it to the next waiter at
once. Other processes (the CLI) still meet the busy timeout. PostgreSQL connections
are pre-pinged so a restarted server is survived.
"""

from __future__ import annotations

import threading
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
BUSY_TIMEOUT_SECONDS = 30


def make_engine(url: str) -> Engine:
    """An engine for `url` with the pragmas and pool settings this product relies on."""
    if url.startswith("sqlite"):
        in_memory = url in {"sqlite://", "sqlite:///:memory:"}
        # hide_parameters: an error message must never carry what someone typed into a log.
        kwargs: dict[str, Any] = {
            "connect_args": {"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS},
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
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        _queue_writers(engine)
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True
    )


_HOLDS_LOCK = "qa_bot_holds_writer_lock"
READ_ONLY = "qa_bot_read_only"


def _queue_writers(engine: Engine) -> None:
    """`BEGIN IMMEDIATE` for every transaction, taken in turn through an in-process lock.

    The lock is taken before `BEGIN IMMEDIATE` and given back once the driver's COMMIT
    or ROLLBACK has returned (the dialect's own methods are wrapped: SQLAlchemy's
    `commit` event fires before the COMMIT, too early). Reentrant, so a thread that
    nests two transactions meets SQLite's busy timeout as before, not a deadlock of
    ours. The connection records whether it holds the lock, so a rollback after a
    failed begin, or the pool's reset of an idle connection, releases nothing.
    """
    lock = threading.RLock()
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def release(dbapi_conn: Any) -> None:
        try:
            held = dbapi_conn.info.pop(_HOLDS_LOCK, False)
        except (AttributeError, NotImplementedError):  # a raw connection: never began here
            return
        if held:
            lock.release()

    def do_commit(dbapi_conn: Any) -> None:
        try:
            commit(dbapi_conn)
        finally:
            release(dbapi_conn)

    def do_rollback(dbapi_conn: Any) -> None:
        try:
            rollback(dbapi_conn)
        finally:
            release(dbapi_conn)

    setattr(dialect, "do_commit", do_commit)  # noqa: B010 - per engine, not the class
    setattr(dialect, "do_rollback", do_rollback)  # noqa: B010

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")  # a snapshot read: WAL lets it run beside a writer
            return
        # Bounded like SQLite's own busy timeout: a thread that waits on another while
        # holding a transaction fails as it always did, instead of hanging for good.
        if lock.acquire(timeout=BUSY_TIMEOUT_SECONDS):
            conn.connection.info[_HOLDS_LOCK] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            release(conn.connection)
            raise


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


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work that only reads. On SQLite it begins a plain (deferred)
    transaction, a consistent snapshot that neither waits for the writer nor makes
    writers wait. It must not write: a write would not queue with the others (see
    `_queue_writers`). Elsewhere it is `session_scope`."""
    with session_scope(engine.execution_options(**{READ_ONLY: True})) as session:
        yield session


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
