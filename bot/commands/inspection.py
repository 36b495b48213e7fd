"""`qa-bot inspection pack --out pack.html|pack.pdf [--month YYYY-MM]`: the self-evaluation pack.

When Ofsted announce an inspection, the QA lead needs, within the day, what the
authority knows about the quality of its practice and how it knows it. The pack is
the twelve months to `--month` (default: the month in progress), mapped to the ILACS
judgement areas, aggregates only, small numbers suppressed at
`QA_BOT_SMALL_NUMBER_THRESHOLD` (`qa.inspection_pack`, `bot.reports.pack`). A PDF
is printed by headless Chromium; without it, the command says how to get it.
"""

from __future__ import annotations

from pathlib import Path

import typer
from sqlmodel import Session

from bot.commands.common import (
    fail,
    load_configured_framework,
    load_settings,
    open_database,
    parse_at,
    parse_month,
)
from bot.reports import ReportError
from bot.reports.pack import PACK_FORMATS, chromium, write_pack
from qa.working_days import Month
from storage.inspection_pack import load_pack

app = typer.Typer(
    help="Inspection: the self-evaluation pack for Ofsted (ILACS).", no_args_is_help=True
)


@app.command()
def pack(
    out: Path = typer.Option(
        ..., "--out", help="Write the pack to FILE (.html or .pdf).", metavar="FILE"
    ),
    month: str | None = typer.Option(
        None, "--month", help="The last month of the twelve, as YYYY-MM (default: this month)."
    ),
    at: str | None = typer.Option(
        None, "--at", help="As if the time were this (ISO-8601): rehearsals and tests."
    ),
) -> None:
    """Write the self-evaluation pack: a year of QA in the ILACS judgement areas."""
    suffix = out.suffix.lower()
    if suffix not in PACK_FORMATS:
        fail(
            f"cannot write a '{out.suffix or 'no suffix'}' pack; "
            f"name the file .html or .pdf (e.g. --out {out.stem or 'pack'}.html)"
        )
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        fail(f"cannot write {out}: the folder {folder} does not exist")
    if suffix == ".pdf" and chromium() is None:
        fail(
            "cannot write a PDF: Chromium is not installed (Debian: apt-get install chromium; "
            "or set QA_BOT_CHROMIUM to its path). Write --out pack.html instead and print it "
            "from a browser."
        )
    settings = load_settings()
    framework = load_configured_framework(settings)
    when = parse_at(at, settings.tz)
    today = when.astimezone(settings.tz).date()
    last = parse_month(month) if month else Month.of(today)
    if today < last.first:
        fail(f"{last.name} has not begun yet: pick an earlier month")
    engine = open_database(settings)
    with Session(engine) as session:
        p = load_pack(
            session=session, framework=framework, last=last, tz=settings.tz, today=today,
            threshold=settings.small_number_threshold,
        )  # fmt: skip
    try:
        written = write_pack(p, out)
    except ReportError as exc:
        fail(str(exc))
    typer.echo(f"Wrote the self-evaluation pack for {p.period} to {written}.")
