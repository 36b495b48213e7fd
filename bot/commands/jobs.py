"""`qa-bot jobs list|run`: see the schedule, or run one job as if at a given time."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from bot.commands.common import (
    console,
    fail,
    load_configured_framework,
    load_settings,
    now,
    open_database,
    parse_at,
)
from bot.composition import jobs as all_jobs
from reminders.schedule import Ticker

app = typer.Typer(help="The scheduled jobs.", no_args_is_help=True)


@app.command("list")
def list_jobs(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Every scheduled job and its next run, in local time."""
    settings = load_settings()
    framework = load_configured_framework(settings)
    engine = open_database(settings)
    ticker = Ticker(engine=engine, framework=framework, tz=settings.tz, jobs=all_jobs())
    current = now()
    rows = []
    for job in ticker.jobs.values():
        nxt = ticker.next_run(job, now=current)
        rows.append(
            {
                "name": job.name,
                "description": job.description,
                "next_run": nxt.astimezone(settings.tz).isoformat()
                if nxt and job.at
                else "every minute",
            }
        )
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table(title=f"Scheduled jobs ({settings.timezone})")
    for col in ("job", "what it does", "next run"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], r["description"], r["next_run"])
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
