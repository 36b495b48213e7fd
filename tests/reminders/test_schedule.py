"""The scheduler: due times across clock changes, catch-up once, one lease holder."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from qa.framework import Framework, load_framework
from reminders.jobs import Job, JobContext, JobResult
from reminders.schedule import Ticker
from reminders.timing import due_instants, local_instant

LONDON = ZoneInfo("Europe/London")


def every_day(_fw: Framework, _d: date) -> bool:
    return True


@pytest.fixture
def framework() -> Framework:
    return load_framework("tests/data/framework-small.yml")


def _counting_job(runs: list[datetime], at: time = time(9, 0)) -> Job:
    def run(ctx: JobContext) -> JobResult:
        runs.append(ctx.now)
        return JobResult(enqueued=1)

    return Job(
        name="count", description="counts its runs", run=run, at=lambda _fw: at, on=every_day
    )


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25)])
def test_a_0900_job_runs_once_on_the_days_the_clocks_change(day: date) -> None:
    start = datetime.combine(day - timedelta(days=1), time(12), tzinfo=UTC)
    got = list(
        due_instants(
            after=start, until=start + timedelta(days=1), at=time(9), tz=LONDON, on=lambda d: True
        )
    )
    assert len(got) == 1
    assert got[0].astimezone(LONDON).time() == time(9, 0)


def test_a_time_in_the_skipped_hour_moves_forward_once() -> None:
    instant = local_instant(date(2026, 3, 29), time(1, 30), LONDON)
    assert instant == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 02:00 BST, the first valid time
    got = list(
        due_instants(
            after=datetime(2026, 3, 28, 12, tzinfo=UTC),
            until=datetime(2026, 3, 30, 12, tzinfo=UTC),
            at=time(1, 30),
            tz=LONDON,
            on=lambda d: True,
        )
    )
    assert [g.date() for g in got] == [date(2026, 3, 29), date(2026, 3, 30)]


def test_a_time_in_the_repeated_hour_runs_once() -> None:
    got = list(
        due_instants(
            after=datetime(2026, 10, 24, 12, tzinfo=UTC),
            until=datetime(2026, 10, 25, 12, tzinfo=UTC),
            at=time(1, 30),
            tz=LONDON,
            on=lambda d: True,
        )
    )
    assert got == [datetime(2026, 10, 25, 0, 30, tzinfo=UTC)]  # the first 01:30 (BST)


def test_three_days_down_is_caught_up_with_one_run_and_a_log_line(
    engine, framework: Framework, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    runs: list[datetime] = []
    job = _counting_job(runs)
    ticker = Ticker(engine=engine, framework=framework, tz=LONDON, jobs={job.name: job}, holder="a")
    monday = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    ticker.tick(monday)
    assert len(runs) == 1
    thursday = monday + timedelta(days=3)
    with caplog.at_level(logging.WARNING):
        ticker.tick(thursday)
    assert runs == [monday, thursday]
    assert "catching up 3 missed run(s) with one run" in caplog.text


def test_ticking_again_at_the_same_time_runs_nothing_twice(engine, framework: Framework) -> None:  # type: ignore[no-untyped-def]
    runs: list[datetime] = []
    job = _counting_job(runs)
    ticker = Ticker(engine=engine, framework=framework, tz=LONDON, jobs={job.name: job}, holder="a")
    at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    ticker.tick(at)
    ticker.tick(at)
    ticker.tick(at + timedelta(minutes=1))
    assert runs == [at]


def test_only_the_lease_holder_runs_jobs_until_its_lease_expires(
    engine, framework: Framework
) -> None:  # type: ignore[no-untyped-def]
    runs: list[datetime] = []
    job = _counting_job(runs)
    a = Ticker(engine=engine, framework=framework, tz=LONDON, jobs={job.name: job}, holder="a")
    b = Ticker(engine=engine, framework=framework, tz=LONDON, jobs={job.name: job}, holder="b")
    t = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert a.tick(t).held_lease
    assert not b.tick(t).held_lease
    assert not b.tick(t + timedelta(minutes=2)).held_lease  # a's lease still valid
    later = t + timedelta(days=1)  # a stopped renewing: b takes over
    assert b.tick(later).held_lease
    assert not a.tick(later).held_lease
    assert runs == [t, later]


def test_next_run_is_shown_in_local_time(engine, framework: Framework) -> None:  # type: ignore[no-untyped-def]
    job = _counting_job([])
    ticker = Ticker(engine=engine, framework=framework, tz=LONDON, jobs={job.name: job})
    nxt = ticker.next_run(job, now=datetime(2026, 6, 1, 9, 30, tzinfo=UTC))
    assert nxt is not None and nxt.astimezone(LONDON) == datetime(2026, 6, 2, 9, 0, tzinfo=LONDON)
