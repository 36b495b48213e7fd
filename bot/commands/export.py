"""`qa-bot export person EMAIL` and `qa-bot export case REF`: everything held, as JSON.

For a subject access request (a member of staff asking what the bot holds about
them) and for a case's whole QA history (a complaint, an inspection, a legal
request). The document goes to stdout, or to `--out FILE`; the export itself is
recorded in the audit log (who asked is "cli"; what was exported is an id).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from sqlmodel import Session

from bot.commands.common import fail, load_settings, now, open_database
from storage.db import with_retries
from storage.exports import case_export, note_export, person_export

app = typer.Typer(
    help="Export what the bot holds about a person or a case, as JSON.", no_args_is_help=True
)

OUT = typer.Option(None, "--out", help="Write the JSON to this file instead of stdout.")


def _export(build: Callable[[Session, datetime], dict[str, Any] | None], out: Path | None) -> bool:
    settings = load_settings()
    engine = open_database(settings)
    at = now()

    def work(session: Session) -> dict[str, Any] | None:
        document = build(session, at)
        if document is not None:
            note_export(session=session, now=at, document=document, actor="cli")
        return document

    document = with_retries(engine, work)
    if document is None:
        return False
    text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {out}: {exc.strerror or exc}")
        typer.echo(f"Wrote {out}", err=True)
    return True


@app.command()
def person(
    email: str = typer.Argument(..., help="The person's work email, as on the staff list."),
    out: Path | None = OUT,
) -> None:
    """Everything held about one member of staff (a subject access request)."""
    found = _export(lambda s, t: person_export(session=s, email=email, now=t), out)
    if not found:
        fail(f"no one with the email {email!r} is on the staff list; check the spelling")


@app.command()
def case(
    reference: str = typer.Argument(..., help="The case reference, as in the case system."),
    out: Path | None = OUT,
) -> None:
    """A case's whole QA history: allocations, audits, moderation, actions, escalations."""
    found = _export(lambda s, t: case_export(session=s, reference=reference, now=t), out)
    if not found:
        fail(f"there is no case with the reference {reference!r}; check the spelling")
