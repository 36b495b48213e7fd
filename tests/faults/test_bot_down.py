"""The bot was down across a scheduled time: it catches up once, says so, then waits.

A real `qa-bot serve` process (ticking every second) starts on a database whose
`JobRun` row says the monthly allocation job last ran two months ago, so at least one
allocation day passed while the bot was down. It must run the job once (not once per
missed day), log the catch-up, and queue each person's prompt at most once; started
again, it must run nothing more. The clock is the machine's: the preset is picked so
that an allocation day falls in the missed window.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.composition import jobs
from demo.authority import generate
from qa.framework import Framework, preset
from reminders.allocations import ALLOCATE_MONTH
from reminders.schedule import TICK, Ticker
from storage.db import session_scope
from storage.models import Allocation, JobRun, OutboxMessage
from storage.seed import seed_demo

pytestmark = pytest.mark.slow

REPO = Path(__file__).parents[2]
LONDON = ZoneInfo("Europe/London")
DOWN_FOR = timedelta(days=62)


def _missed_preset(engine: Engine, now: datetime) -> tuple[str, Framework] | None:
    """A preset with an allocation day in the window the bot was down."""
    for name in ("lambeth", "camden", "wandsworth", "city-of-london"):
        fw = preset(name)
        ticker = Ticker(engine=engine, framework=fw, tz=LONDON, jobs=jobs())
        if ticker.due(ALLOCATE_MONTH, last=now - DOWN_FOR, now=now):
            return name, fw
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(db_url: str, framework: str, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_", "QA_BOT_"))}
    env |= {
        "PYTHONPATH": str(REPO),
        "QA_BOT_DATABASE_URL": db_url,
        "QA_BOT_FRAMEWORK": framework,
        "QA_BOT_HOST": "127.0.0.1",
        "QA_BOT_PORT": str(_free_port()),
        "QA_BOT_TICK_SECONDS": "1",
        "QA_BOT_LOG_LEVEL": "INFO",
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "from bot.cli import main; main()", "serve"],
            env=env,
            cwd=log.parent,  # no .env from the repository leaks in
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def _wait(
    condition: Callable[[], bool], what: str, proc: subprocess.Popen[bytes], log: Path
) -> None:
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if condition():
            return
        assert proc.poll() is None, log.read_text()
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()}")


def _last_run(engine: Engine, name: str) -> datetime | None:
    with Session(engine) as s:
        row = s.get(JobRun, name)
        return row.last_run_at if row else None


def _counts(engine: Engine) -> tuple[int, Counter[int | None]]:
    with Session(engine) as s:
        allocations = int(s.exec(select(func.count()).select_from(Allocation)).one())
        prompts = s.exec(
            select(OutboxMessage.person_id).where(OutboxMessage.template == "allocation_prompt")
        ).all()
    return allocations, Counter(prompts)


@pytest.mark.timeout(120)
def test_a_missed_allocation_day_is_caught_up_once_with_a_log_line(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    found = _missed_preset(engine, now)
    if found is None:
        pytest.skip("no preset has an allocation day in the last two months")
    name, fw = found
    with session_scope(engine) as s:
        authority = generate(fw, today=date.today(), staff=40, cases=200)
        seed_demo(session=s, framework=fw, authority=authority, now=now - DOWN_FOR)
        s.add(JobRun(name=ALLOCATE_MONTH.name, last_run_at=now - DOWN_FOR))

    first_log = tmp_path / "first.log"
    first = _serve(db_url, name, first_log)
    try:
        _wait(
            lambda: (_last_run(engine, ALLOCATE_MONTH.name) or now) > now,
            "the allocation job to run",
            first,
            first_log,
        )
        ran_at = _last_run(engine, TICK)
        _wait(
            lambda: (_last_run(engine, TICK) or now) > (ran_at or now),
            "a later tick",
            first,
            first_log,
        )
    finally:
        _stop(first)
    log = first_log.read_text()
    lines = [line for line in log.splitlines() if f"job {ALLOCATE_MONTH.name}:" in line]
    assert len(lines) == 1 and "catching up" in lines[0], log
    allocations, prompts = _counts(engine)
    assert set(prompts.values()) <= {1}, "each person's prompt queued once"
    assert len(prompts) <= allocations
    job_ran = _last_run(engine, ALLOCATE_MONTH.name)

    second_log = tmp_path / "second.log"
    second = _serve(db_url, name, second_log)
    try:
        started = datetime.now(UTC)
        _wait(
            lambda: (_last_run(engine, TICK) or now) > started + timedelta(seconds=1),
            "two ticks of the second start",
            second,
            second_log,
        )
    finally:
        _stop(second)
    assert _last_run(engine, ALLOCATE_MONTH.name) == job_ran, "the job ran again"
    assert _counts(engine) == (allocations, prompts)
    assert f"job {ALLOCATE_MONTH.name}:" not in second_log.read_text()
