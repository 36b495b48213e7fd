"""The scheduler: one APScheduler tick a minute, in the process that holds the lease.

Each tick asks every job whether a due time passed since its last run (in local
wall-clock time, safe across clock changes) and, if so, runs it once with `now`. A
bot that was down for three days runs each job once on start-up, not three times,
and logs that it caught up. Ticks are idempotent: the jobs are reconcilers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from qa.framework import Framework
from reminders.jobs import Job, JobContext, JobResult
from reminders.lease import acquire, release
from reminders.timing import due_instants, next_instant
from storage.db import session_scope, with_retries
from storage.models import JobRun

log = logging.getLogger(__name__)

TICK = "_tick"
FIRST_RUN_LOOKBACK = timedelta(days=1)


@dataclass(frozen=True)
class TickReport:
    held_lease: bool
    ran: tuple[tuple[str, JobResult], ...] = ()


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Ticker:
    """Runs due jobs. Pure of the clock: every method takes `now`."""

    def __init__(
        self,
        *,
        engine: Engine,
        framework: Framework,
        tz: ZoneInfo,
        jobs: dict[str, Job],
        holder: str | None = None,
        lease_ttl: timedelta = timedelta(minutes=3),
    ) -> None:
        self.engine = engine
        self.framework = framework
        self.tz = tz
        self.jobs = jobs
        self.holder = holder or default_holder()
        self.lease_ttl = lease_ttl
        # The wall clock, when running for real, so a long tick renews its lease in time.
        self.clock: Callable[[], datetime] | None = None

    def due(self, job: Job, *, last: datetime | None, now: datetime) -> list[datetime]:
        """The due instants of `job` in (last, now]."""
        after = last or (now - FIRST_RUN_LOOKBACK)
        if job.at is None:
            return [now] if after < now else []
        return list(
            due_instants(
                after=after,
                until=now,
                at=job.at(self.framework),
                tz=self.tz,
                on=lambda d: job.on(self.framework, d),
            )
        )

    def next_run(self, job: Job, *, now: datetime) -> datetime | None:
        if job.at is None:
            return now
        return next_instant(
            after=now, at=job.at(self.framework), tz=self.tz, on=lambda d: job.on(self.framework, d)
        )

    def tick(self, now: datetime) -> TickReport:
        """One scheduler tick: take the lease, then run each job that fell due once."""
        held = with_retries(
            self.engine,
            lambda s: acquire(session=s, holder=self.holder, now=now, ttl=self.lease_ttl),
        )
        if not held:
            return TickReport(held_lease=False)
        ran: list[tuple[str, JobResult]] = []
        for job in self.jobs.values():
            # Renew before each job: a long run must not outlive the lease and let a
            # second process start the same jobs.
            if not self._renew(self.clock() if self.clock is not None else now):
                log.warning("scheduler lease lost mid-tick; another process carries on")
                break
            with session_scope(self.engine) as s:
                row = s.get(JobRun, job.name)
                last = row.last_run_at if row else None
            due = self.due(job, last=last, now=now)
            if not due:
                continue
            if last is None:
                log.info("job %s: first run on this database", job.name)
            elif len(due) > 1 or (job.at is not None and now - due[-1] > timedelta(minutes=5)):
                log.warning(
                    "job %s: catching up %d missed run(s) with one run (last run %s)",
                    job.name,
                    len(due),
                    last.isoformat() if last else "never",
                )
            try:
                ran.append((job.name, self.run_job(job, now=now)))
            except Exception:
                log.exception("job %s failed; it will be retried at its next due time", job.name)
        self._mark(TICK, now)
        return TickReport(held_lease=True, ran=tuple(ran))

    def _renew(self, at: datetime) -> bool:
        return with_retries(
            self.engine,
            lambda s: acquire(session=s, holder=self.holder, now=at, ttl=self.lease_ttl),
        )

    def run_job(self, job: Job, *, now: datetime) -> JobResult:
        """Run one job in its own transaction and record when it ran."""

        def work(session: Session) -> JobResult:
            ctx = JobContext(session=session, framework=self.framework, tz=self.tz, now=now)
            result = job.run(ctx)
            row = session.get(JobRun, job.name)
            if row is None:
                session.add(JobRun(name=job.name, last_run_at=now))
            elif row.last_run_at < now:
                row.last_run_at = now
            return result

        return with_retries(self.engine, work)

    def _mark(self, name: str, now: datetime) -> None:
        def work(session: Session) -> None:
            row = session.get(JobRun, name)
            if row is None:
                session.add(JobRun(name=name, last_run_at=now))
            else:
                row.last_run_at = now

        with_retries(self.engine, work)

    def release(self, now: datetime) -> None:
        with_retries(self.engine, lambda s: release(session=s, holder=self.holder, now=now))


class SchedulerLoop:
    """APScheduler 3 drives `Ticker.tick` every `interval` seconds inside `serve`."""

    def __init__(
        self, ticker: Ticker, clock: Callable[[], datetime], *, interval: float = 60.0
    ) -> None:
        self.ticker = ticker
        self.clock = clock
        self.interval = interval
        ticker.clock = clock

    async def run(self, stop: asyncio.Event) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler(timezone=self.ticker.tz)
        scheduler.add_job(
            self._tick,
            "interval",
            seconds=self.interval,
            id="tick",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            next_run_time=datetime.now(self.ticker.tz),  # catch up at start-up
        )
        scheduler.start()
        try:
            await stop.wait()
        finally:
            scheduler.shutdown(wait=True)
            try:
                self.ticker.release(self.clock())
            except Exception:  # noqa: BLE001 - shutting down; the lease expires anyway
                log.warning("could not release the scheduler lease")

    def _tick(self) -> None:
        try:
            self.ticker.tick(self.clock())
        except Exception:
            log.exception("scheduler tick failed; the next tick retries")
