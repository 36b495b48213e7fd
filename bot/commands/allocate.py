"""`qa-bot allocate --month YYYY-MM [--dry-run]`: the month's allocations, safely re-runnable."""

from __future__ import annotations

import json

import typer
from rich.table import Table
from sqlmodel import Session, select

from bot.commands.common import (
    AS_JSON,
    MONTH,
    console,
    load_configured_framework,
    load_settings,
    now,
    open_database,
    parse_month,
)
from qa.working_days import long_date
from reminders.allocations import allocate_month
from storage.db import with_retries
from storage.models import Case, Person


def register(app: typer.Typer) -> None:
    @app.command()
    def allocate(
        month: str = MONTH,
        dry_run: bool = typer.Option(
            False, "--dry-run", help="Show the plan; store and send nothing."
        ),
        as_json: bool = AS_JSON,
    ) -> None:
        """Make the month's allocations and queue the prompts (safe to run again)."""
        m = parse_month(month)
        settings = load_settings()
        framework = load_configured_framework(settings)
        engine = open_database(settings)
        current = now()
        result = with_retries(
            engine,
            lambda s: allocate_month(
                session=s, framework=framework, month=m, now=current, tz=settings.tz,
                actor="cli:allocate", dry_run=dry_run,
            ),
        )  # fmt: skip
        with Session(engine) as s:
            people = {p.id: p.email for p in s.exec(select(Person))}
            refs = {c.id: c.reference for c in s.exec(select(Case))}
        rows = [
            {
                "person": people.get(a.person_id, str(a.person_id)),
                "activity": a.activity,
                "case": refs.get(a.case_id) if a.case_id is not None else None,
                "due_on": a.due_on.isoformat(),
                "reason": a.reason,
            }
            for a in result.plan.allocations
        ]
        shortfalls = [s.message for s in result.plan.shortfalls]
        if as_json:
            console.print_json(
                json.dumps(
                    {
                        "month": m.key,
                        "dry_run": dry_run,
                        "allocations": rows,
                        "created": result.created,
                        "messages_queued": result.enqueued,
                        "shortfalls": shortfalls,
                        "note": result.plan.note,
                    }
                )
            )
            return
        if result.plan.note:
            console.print(result.plan.note)
        table = Table(title=f"Allocations for {m.name}" + (" (dry run)" if dry_run else ""))
        for col in ("person", "activity", "case", "due", "why"):
            table.add_column(col)
        for r, a in zip(rows, result.plan.allocations, strict=True):
            table.add_row(
                r["person"], r["activity"], r["case"] or "-", long_date(a.due_on), r["reason"]
            )
        if rows:
            console.print(table)
        for message in shortfalls:
            console.print(f"[yellow]Short:[/] {message}")
        if dry_run:
            console.print(
                f"Dry run: {len(rows)} allocation(s) would be made; nothing stored or sent."
            )
        else:
            console.print(
                f"{result.created} new allocation(s) stored; {result.enqueued} message(s) queued."
            )
