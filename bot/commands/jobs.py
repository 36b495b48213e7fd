"""`qa-bot jobs list|run`: see the schedule, or run one job as if at a given time.

`jobs list` says when each job next acts, in words a QA lead can check against the
framework: a time for the jobs with a time of day, "weekly on Monday" for the weekly
reviews (they are checked every tick but act once a week), "every tick" for the
reconcilers, and "not used" when this framework never makes a job due (say, no one
receives a quarterly analysis). Saying "every minute" for all of those was wrong.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

import typer
from rich.table import Table

from bot.commands.common import (
    AS_JSON,
    console,
    fail,
    load_configured_framework,
    load_settings,
    now,
    open_database,
    parse_at,
)
from bot.composition import jobs as all_jobs
from qa.framework import Framework
from reminders.jobs import Job
from reminders.schedule import Ticker

app = typer.Typer(help="The scheduled jobs.", no_args_is_help=True)

_DAYS = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}

# Jobs checked at every tick that act once a week, on the framework's weekday.
_WEEKLY: dict[str, Callable[[Framework], str]] = {
    "overdue_escalations": lambda fw: fw.escalation.overdue_actions_weekday,
    "case_reviews": lambda fw: fw.escalation.overdue_actions_weekday,
}


def when_words(
    job: Job, framework: Framework, nxt: datetime | None, tick_seconds: float
) -> tuple[str, str]:
    """(kind, words) for when `job` acts: kind is "at", "weekly", "every_tick" or "unused"."""
    if job.at is not None:
        if nxt is None:
            return "unused", "not used: this framework never makes it due"
        return "at", f"{nxt:%a %-d %b %Y, %H:%M} ({nxt:%Z})"
    if job.name in _WEEKLY:
        day = _DAYS.get(_WEEKLY[job.name](framework), "the framework's weekday")
        return "weekly", f"weekly on {day} (checked every tick)"
    return "every_tick", f"checked every {tick_seconds:g} s"


@app.command("list")
def list_jobs(
    as_json: bool = AS_JSON,
) -> None:
    """Every scheduled job and its next run, in local time."""
    settings = load_settings()
    framework = load_configured_framework(settings)
    engine = open_database(settings)
    ticker = Ticker(engine=engine, framework=framework, tz=settings.tz, jobs=all_jobs())
    current = now()
    rows = []
    for job in ticker.jobs.values():
        nxt = ticker.next_run(job, now=current) if job.at is not None else None
        local = nxt.astimezone(settings.tz) if nxt else None
        kind, words = when_words(job, framework, local, settings.tick_seconds)
        rows.append(
            {
                "name": job.name,
                "description": job.description,
                "schedule": kind,
                "next_run": local.isoformat() if local else None,
                "when": words,
            }
        )
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table(title=f"Scheduled jobs ({settings.timezone})")
    table.add_column("job", no_wrap=True)
    table.add_column("what it does", overflow="fold", ratio=3)
    table.add_column("next run", overflow="fold", ratio=2)
    for r in rows:
        table.add_row(str(r["name"]), str(r["description"]), str(r["when"]))
    console.print(table)


@app.command("run")
def run_job(
    name: str = typer.Argument(..., help="The job's name, from `qa-bot jobs list`."),
    at: str | None = typer.Option(None, "--at", help="Run as if the time were this (ISO-8601)."),
) -> None:
    """Run one job now, or as if the time were --at (catch-up, rehearsals, tests)."""
    settings = load_settings()
    framework = load_configured_framework(settings)
    jobs = all_jobs()
    if name not in jobs:
        known = ", ".join(sorted(jobs)) or "(none)"
        fail(f"there is no job called {name!r}; jobs: {known}")
    when = parse_at(at, settings.tz)
    engine = open_database(settings)
    ticker = Ticker(engine=engine, framework=framework, tz=settings.tz, jobs=jobs)
    result = ticker.run_job(jobs[name], now=when)
    console.print(
        f"{name} ran at {when.astimezone(settings.tz):%Y-%m-%d %H:%M %Z}: "
        f"{result.enqueued} message(s) queued, {result.changed} record(s) changed"
    )
    for note in result.notes:
        console.print(f"  {note}")
