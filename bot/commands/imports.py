"""`qa-bot import staff|cases PATH`: load people or cases from a CSV file, all or nothing.

The checking and writing live in `storage.imports`; this module only turns settings
into an engine and a framework, draws a progress bar for big files, and prints the
outcome for a person (or, with --json, for a script). Problems go to stderr, one a
line, and exit 1 with nothing written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine
from sqlmodel import Session

from bot.commands.common import (
    console,
    err_console,
    fail,
    load_configured_framework,
    load_settings,
    now,
    open_database,
)
from qa.framework import Framework
from storage.escalations import escalation_warnings
from storage.imports import ImportRejected, ImportResult, import_cases, import_staff
from storage.imports.staff import StaffImportResult
from storage.imports.staff_leavers import LeaverWork

app = typer.Typer(
    help="Load people (staff.csv) or cases (cases.csv). All or nothing: a file with any "
    "problem changes nothing.",
    no_args_is_help=True,
)

BAR_FROM_ROWS = 2000
NOUNS = {
    "person": ("person", "people"),
    "team": ("team", "teams"),
    "service": ("service", "services"),
    "case": ("case", "cases"),
}

PathArg = Annotated[Path, typer.Argument(help="The CSV file (UTF-8, header row).")]
DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Check and report what would change; write nothing.")
]
Sync = Annotated[
    bool, typer.Option("--sync", help="Deactivate what the file no longer lists (never deletes).")
]
Json = Annotated[bool, typer.Option("--json", help="Print the outcome as JSON, for scripts.")]


class ProgressBar:
    """A progress callback for storage: draws a bar on stderr once a stage is big enough."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Progress | None = None
        self.tasks: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or total < BAR_FROM_ROWS:
            return
        if self.bar is None:
            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err_console,
                transient=True,
            )
            self.bar.start()
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage.capitalize(), total=total)
        self.bar.update(self.tasks[stage], completed=done, total=total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _counts(word: str, created: int, updated: int, unchanged: int, deactivated: int) -> str:
    one, many = NOUNS[word]
    return (
        f"{created:,} {one if created == 1 else many} created, {updated:,} updated, "
        f"{unchanged:,} unchanged, {deactivated:,} deactivated"
    )


def _say(text: str) -> None:
    """Print text that may hold file data: no markup, no wrapping (one item a line)."""
    console.print(text, highlight=False, markup=False, soft_wrap=True)


def _print_result(r: ImportResult) -> None:
    main_type = next(iter(r.counts))
    dry = "Dry run, nothing written. " if r.dry_run else ""
    if not r.changed:
        _say(f"{dry}{r.file}: no changes ({r.main.unchanged:,} {NOUNS[main_type][1]} up to date).")
    else:
        lead = f"{dry}{r.file} would give: " if r.dry_run else f"{r.file}: "
        _say(lead + _counts(main_type, **vars(r.main)) + ".")
        for kind, c in list(r.counts.items())[1:]:
            if c.created or c.updated or c.deactivated:
                _say(f"  {_counts(kind, **vars(c))}.")
        _say("What would change (a sample):" if r.dry_run else "What changed (a sample):")
        for change in r.changes:
            _say(f"  {change}")
    if isinstance(r, StaffImportResult):
        _print_leavers(r)
    if r.warnings:
        _say(f"{len(r.warnings)} warning(s); these do not stop the import:")
        for w in r.warnings:
            _say(f"  {w}")


def _print_leavers(r: StaffImportResult) -> None:
    """Each open item of each person deactivated, and (after a real sync) who was told."""
    if not r.leavers:
        return
    verb = "would be deactivated" if r.dry_run else "deactivated"
    _say(f"Open work of the {len(r.leavers)} person(s) {verb}:")
    for work in r.leavers:
        _say(f"  {work.email}:")
        for item in work.items:
            _say(f"    {item}")
    if r.dry_run:
        _say(
            "Without --dry-run, each allocation is offered to a replacement for the QA lead "
            "to confirm, and escalations and actions go to the line manager (else the QA lead)."
        )
    else:
        _say(
            f"Handed on: {r.told} message(s) queued for the QA lead(s), who confirm "
            "each replacement in chat."
        )


def _run(
    importer: Callable[..., ImportResult],
    path: Path,
    *,
    dry_run: bool,
    sync: bool,
    as_json: bool,
    **extra: Any,
) -> None:
    settings = load_settings()
    framework = load_configured_framework(settings)
    if not path.is_file():
        fail(f"there is no file at {path}; check the path and try again")
    engine = open_database(settings)
    progress = ProgressBar(enabled=not as_json)
    try:
        result = importer(
            engine=engine,
            source=path,
            framework=framework,
            now=now(),
            sync=sync,
            dry_run=dry_run,
            progress=progress,
            **extra,
        )
        staffed = importer is import_staff and not dry_run
        reach = _escalation_reach(engine, framework) if staffed else []
    except ImportRejected as exc:
        progress.close()
        if as_json:
            typer.echo(
                json.dumps({"ok": False, "problems": [p.as_dict() for p in exc.problems]}, indent=2)
            )
        else:
            for problem in exc.problems:
                err_console.print(str(problem), highlight=False, markup=False, soft_wrap=True)
            err_console.print(
                f"Nothing was imported: {len(exc.problems)} problem(s) in {path.name}. "
                "Fix them and run the import again.",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
        raise typer.Exit(1) from None
    finally:
        progress.close()
        engine.dispose()
    if as_json:
        typer.echo(json.dumps({**result.as_dict(), "escalation_warnings": reach}, indent=2))
    else:
        _print_result(result)
        for warning in reach:
            _say(f"Warning: {warning}")


def _escalation_reach(engine: Engine, framework: Framework) -> list[str]:
    """Services whose cases no holder of an escalation role would hear about (after the
    import: a dry run changed nothing, so it reads the staff as they already are)."""
    with Session(engine) as session:
        return escalation_warnings(session=session, framework=framework)


@app.command("staff")
def staff(
    path: PathArg, dry_run: DryRun = False, sync: Sync = False, as_json: Json = False
) -> None:
    """Load people from staff.csv: email,name,roles,team,service,line_manager_email,
    capacity,slack_user_id,teams_user_id. Teams and services come from it too."""
    from handlers.leavers import hand_on

    settings = load_settings()
    framework = load_configured_framework(settings)

    def on_leavers(session: Session, leavers: list[LeaverWork], at: datetime) -> int:
        return hand_on(session, leavers, at, framework=framework, tz=settings.tz)

    _run(import_staff, path, dry_run=dry_run, sync=sync, as_json=as_json, on_leavers=on_leavers)


@app.command("cases")
def cases(
    path: PathArg, dry_run: DryRun = False, sync: Sync = False, as_json: Json = False
) -> None:
    """Load cases from cases.csv: case_reference,service,team,worker_email,area,status,
    opened_on. Import staff first: a case's team must be known."""
    _run(import_cases, path, dry_run=dry_run, sync=sync, as_json=as_json)
