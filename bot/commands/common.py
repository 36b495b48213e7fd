"""What every CLI command shares: settings, the database, the clock, and errors.

A user error prints what to fix and exits 1; typer turns usage errors into exit 2.
Only `bot/` reads the real clock; everything below it is handed `now`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import NamedTuple, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import Engine
from sqlmodel import Session

from bot.settings import Settings
from qa.framework import Framework, FrameworkError, load_framework
from qa.working_days import Month
from storage.db import make_engine, upgrade

console = Console()
err_console = Console(stderr=True)

# Options several commands take, spelt and explained the same way in each.
MONTH = typer.Option(..., "--month", help="The month, as YYYY-MM.")
AS_JSON = typer.Option(False, "--json", help="Machine-readable output.")
AT = typer.Option(None, "--at", help="As if the time were this (ISO-8601): rehearsals and tests.")


def fail(message: str) -> NoReturn:
    """Report a user error (what is wrong and what to do) and exit with status 1."""
    err_console.print(f"[bold red]Error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def check_out_file(out: Path, formats: Sequence[str], what: str) -> None:
    """Refuse an `--out` file of the wrong kind, or in a missing folder, before any work.

    `what` names the output ("report", "pack"); the message suggests the first format.
    """
    if out.suffix.lower() not in formats:
        kinds = f"{', '.join(formats[:-1])} or {formats[-1]}" if len(formats) > 1 else formats[0]
        fail(
            f"cannot write a '{out.suffix or 'no suffix'}' {what}; "
            f"name the file {kinds} (e.g. --out {out.stem or what}{formats[0]})"
        )
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        fail(f"cannot write {out}: the folder {folder} does not exist")


def now() -> datetime:
    return datetime.now(UTC)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        lines = [f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()]
        fail("the configuration is not valid:\n  " + "\n  ".join(lines))


def load_configured_framework(settings: Settings) -> Framework:
    try:
        return load_framework(settings.framework)
    except FrameworkError as exc:
        fail(f"QA_BOT_FRAMEWORK={settings.framework!r} cannot be used:\n{exc}")


def open_database(settings: Settings) -> Engine:
    """The configured database, migrated to the current schema."""
    try:
        upgrade(settings.database_url)
    except Exception as exc:  # noqa: BLE001 - reported, never raised
        fail(f"cannot open the database at QA_BOT_DATABASE_URL: {type(exc).__name__}: {exc}")
    return make_engine(settings.database_url)


@contextmanager
def database_session(settings: Settings) -> Iterator[Session]:
    """A read session on the configured database, for commands that only look:
    the engine is disposed afterwards, so a one-shot command leaves no pool behind."""
    engine = open_database(settings)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def parse_month(value: str) -> Month:
    """`--month`: a month as YYYY-MM; anything else is a user error."""
    try:
        return Month.parse(value)
    except ValueError as exc:
        fail(str(exc))


def parse_at(value: str | None, tz: tzinfo) -> datetime:
    """`--at`: an ISO-8601 time, local when it has no offset (as people write it)."""
    if value is None:
        return now()
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--at {value!r} is not an ISO-8601 time; write e.g. 2026-12-01T09:00")
    if at.tzinfo is None:
        at = at.replace(tzinfo=tz)
    return at.astimezone(UTC)


class SetUp(NamedTuple):
    """What a command that reads the framework at a time starts from."""

    settings: Settings
    framework: Framework
    now: datetime  # `--at`, else the real clock
    today: date  # `now` as a local date in the authority's zone


def set_up(at: str | None) -> SetUp:
    """Settings, framework and the time (`--at`) that such commands start with, read
    and checked in the same order in each, so their errors come in the same order."""
    settings = load_settings()
    framework = load_configured_framework(settings)
    when = parse_at(at, settings.tz)
    return SetUp(settings, framework, when, when.astimezone(settings.tz).date())
