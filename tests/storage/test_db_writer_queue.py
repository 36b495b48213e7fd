"""SQLite writers in one process queue on a lock; reads take a snapshot (issue 18).

The lock must be given back however a transaction ends (commit, rollback, an error
in the middle), or the next writer waits forever; a read must not wait for a writer.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, text

from storage.db import read_scope, session_scope, with_retries

WAIT = 5.0


def _write_in_thread(engine: Engine) -> bool:
    """Whether another thread can write (within WAIT seconds)."""
    done = threading.Event()

    def write() -> None:
        with_retries(engine, lambda s: s.exec(text("INSERT INTO qa_probe VALUES (1)")))
        done.set()

    threading.Thread(target=write, daemon=True).start()
    return done.wait(WAIT)


@pytest.fixture
def probe(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        session.exec(text("CREATE TABLE qa_probe (x INTEGER)"))
    return engine


def test_the_writer_lock_is_given_back_after_a_commit_and_after_an_error(probe: Engine) -> None:
    with session_scope(probe) as session:
        session.exec(text("INSERT INTO qa_probe VALUES (1)"))
    assert _write_in_thread(probe)

    with pytest.raises(ZeroDivisionError), session_scope(probe) as session:
        session.exec(text("INSERT INTO qa_probe VALUES (2)"))
        _ = 1 / 0
    assert _write_in_thread(probe)

    with session_scope(probe) as session:
        assert session.exec(text("SELECT COUNT(*) FROM qa_probe")).one() == (3,)


def test_a_read_does_not_wait_for_a_writer_and_sees_only_committed_rows(probe: Engine) -> None:
    writing, finish = threading.Event(), threading.Event()

    def hold_a_write() -> None:
        with session_scope(probe) as session:
            session.exec(text("INSERT INTO qa_probe VALUES (1)"))
            writing.set()
            finish.wait(WAIT)

    writer = threading.Thread(target=hold_a_write, daemon=True)
    writer.start()
    assert writing.wait(WAIT)
    try:
        read: list[int] = []
        reader = threading.Thread(
            target=lambda: read.append(_count(probe)),
            daemon=True,
        )
        reader.start()
        reader.join(WAIT / 2)
        assert read == [0], "the read waited for the writer (or saw its uncommitted row)"
    finally:
        finish.set()
        writer.join(WAIT)
    assert _count(probe) == 1


def _count(engine: Engine) -> int:
    with read_scope(engine) as session:
        return int(session.exec(text("SELECT COUNT(*) FROM qa_probe")).one()[0])
