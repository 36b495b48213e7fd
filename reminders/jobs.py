"""The scheduled jobs: level-triggered reconcilers and when each falls due.

A job never "sends the 09:00 reminders"; it computes from the database what should
have been sent by `now` and enqueues what has not been, with idempotency keys. So a
run missed while the bot was down is caught up by the next, and a run repeated
sends nothing twice. Each feature module defines its jobs as values; `bot/composition.py`
lists them all, so a job is scheduled exactly when it is on that list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session

from qa.framework import Framework


@dataclass(frozen=True)
class JobContext:
    session: Session
    framework: Framework
    tz: ZoneInfo
    now: datetime


@dataclass(frozen=True)
class JobResult:
    """What a run did, for logs and `qa-bot jobs run` (counts, never names)."""

    enqueued: int = 0
    changed: int = 0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    run: Callable[[JobContext], JobResult]
    # Local time of day it falls due, and on which local dates; None: at every tick.
    at: Callable[[Framework], time] | None = None
    on: Callable[[Framework, date], bool] = field(default=lambda _fw, _d: True)


def at_summary_time(
    name: str,
    description: str,
    run: Callable[[JobContext], JobResult],
    on: Callable[[Framework, date], bool],
) -> Job:
    """A job that falls due at the framework's summary time (the summaries, the reports,
    the weekly QA alerts): such jobs differ only in the days `on` picks."""
    return Job(name, description, run, at=lambda fw: fw.summary.time, on=on)
