"""Two `qa-bot serve` processes on one PostgreSQL database run each tick once.

Both processes start the scheduler (every replica does); the database lease lets only
one of them run the jobs. A counting job, registered in each child process before the
CLI starts, writes one audit-log row per run with the process id, so the test sees
who ran what. When the holder stops, it releases the lease and the other takes over.
PostgreSQL only: SQLite is a single-process database here.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from reminders.jobs import Job, JobContext, JobResult
from storage.models import AuditLogEntry, JobRun
from tests.conftest import PG_URL

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="needs QA_BOT_TEST_DATABASE_URL (PostgreSQL)"),
]

REPO = Path(__file__).parents[2]
COUNTER = "test_tick_counter"
TICK_SECONDS = "1"


def _count(ctx: JobContext) -> JobResult:
    ctx.session.add(
        AuditLogEntry(
            at=ctx.now,
            actor=f"pid:{os.getpid()}",
            action="test.tick",
            record_type="test",
            record_id="tick",
        )
    )
    return JobResult(changed=1)


def register_counting_job() -> None:
    """Called in each child process before `qa-bot serve` starts."""
    import bot.composition

    product_jobs = bot.composition.jobs
    counter = Job(COUNTER, "Counts its own runs (tests only)", _count)
    bot.composition.jobs = lambda: {**product_jobs(), COUNTER: counter}  # type: ignore[assignment]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(db_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_", "QA_BOT_"))}
    env |= {
        "PYTHONPATH": str(REPO),
        "QA_BOT_DATABASE_URL": db_url,
        "QA_BOT_FRAMEWORK": "lambeth",
        "QA_BOT_HOST": "127.0.0.1",
        "QA_BOT_PORT": str(port),
        "QA_BOT_TICK_SECONDS": TICK_SECONDS,
        "QA_BOT_LOG_LEVEL": "WARNING",
    }
    code = (
        "from tests.faults.test_two_replicas import register_counting_job; "
        "register_counting_job(); from bot.cli import main; main()"
    )
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-c", code, "serve"],
            env=env,
            cwd=log.parent,  # no .env from the repository leaks in
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait(condition: Callable[[], bool], what: str, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _runs(engine: Engine) -> list[AuditLogEntry]:
    with Session(engine) as s:
        return list(
            s.exec(
                select(AuditLogEntry)
                .where(AuditLogEntry.action == "test.tick")
                .order_by(col(AuditLogEntry.id))
            )
        )


@pytest.fixture
def replicas(db_url: str, tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    ports = [_free_port(), _free_port()]
    procs = [_serve(db_url, port, tmp_path / f"serve-{i}.log") for i, port in enumerate(ports)]
    try:
        for port, proc in zip(ports, procs, strict=True):
            _wait(lambda p=port, pr=proc: _healthy(p) or pr.poll() is not None, "healthz")
            assert proc.poll() is None, (tmp_path / f"serve-{procs.index(proc)}.log").read_text()
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_two_serve_processes_run_each_tick_once_and_hand_over_on_shutdown(
    engine: Engine, replicas: list[subprocess.Popen[bytes]]
) -> None:
    started = time.monotonic()
    _wait(lambda: len(_runs(engine)) >= 6, "six ticks")
    elapsed = time.monotonic() - started
    runs = _runs(engine)

    holders = {r.actor for r in runs}
    assert len(holders) == 1, f"both processes ran the jobs: {holders}"
    assert holders <= {f"pid:{p.pid}" for p in replicas}
    # One run per tick interval at most: two processes running it would double this.
    assert len(runs) <= elapsed / float(TICK_SECONDS) + 3
    assert len({r.at for r in runs}) == len(runs)
    with Session(engine) as s:
        assert s.get(JobRun, COUNTER) is not None

    holder = next(p for p in replicas if f"pid:{p.pid}" in holders)
    other = next(p for p in replicas if p is not holder)
    holder.terminate()
    holder.wait(timeout=20)
    before = len(_runs(engine))
    _wait(
        lambda: any(r.actor == f"pid:{other.pid}" for r in _runs(engine)[before:]),
        "the other process to take over",
    )
    assert other.poll() is None
    after = _runs(engine)[before:]
    assert {r.actor for r in after} == {f"pid:{other.pid}"}
