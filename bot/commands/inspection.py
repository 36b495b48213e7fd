"""`qa-bot inspection pack` (the self-evaluation pack), `qa-bot inspection start` (inspection mode).

`start --cases REF,REF --days N [--by EMAIL]` does what a QA lead's `inspection`
line in chat does (`handlers/inspection.py`): the cases go at once to the fastest
independent auditors, urgent, chased daily; the auditors' prompts and the lead's
list of who got what are queued (`qa-bot serve` or `qa-bot outbox send` delivers).

`pack --out pack.html|pack.pdf [--month YYYY-MM]`:

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

from bot.commands.common import AT, check_out_file, fail, open_database, parse_month, set_up
from bot.render import Renderer
from bot.reports import ReportError
from bot.reports.pack import PACK_FORMATS, chromium, write_pack
from messages.inspection import queue_prompts, started_context
from qa.inspection_mode import MAX_CASES, MAX_DAYS, parse_request
from qa.working_days import Month
from storage.allocation_changes import qa_leads
from storage.db import with_retries
from storage.inspection_mode import start_inspection
from storage.inspection_pack import load_pack
from storage.models import Person
from storage.outbox import Message, enqueue

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
    at: str | None = AT,
) -> None:
    """Write the self-evaluation pack: a year of QA in the ILACS judgement areas."""
    check_out_file(out, PACK_FORMATS, "pack")
    if out.suffix.lower() == ".pdf" and chromium() is None:
        fail(
            "cannot write a PDF: Chromium is not installed (Debian: apt-get install chromium; "
            "or set QA_BOT_CHROMIUM to its path). Write --out pack.html instead and print it "
            "from a browser."
        )
    settings, framework, _, today = set_up(at)
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


@app.command()
def start(
    cases: str = typer.Option(
        ..., "--cases", help="The case references the inspectors picked, comma-separated."
    ),
    days: int = typer.Option(..., "--days", help="The deadline, in days from today."),
    by: str | None = typer.Option(
        None, "--by", help="The QA lead starting it (email; default: the first QA lead)."
    ),
    at: str | None = AT,
) -> None:
    """Inspection mode: allocate the inspectors' cases now, urgent, chased daily."""
    if not 1 <= days <= MAX_DAYS:
        fail(f"--days must be from 1 to {MAX_DAYS}")
    request = parse_request(f"{cases} {days} days")
    if request.problem == "no_cases":
        fail("name the cases: --cases REF,REF")
    if request.problem == "too_many":
        fail(f"at most {MAX_CASES} cases at once: start it again for the rest")
    if request.days is None or request.problem in ("no_days", "too_long"):
        fail(f"--days must be from 1 to {MAX_DAYS}")
    settings, framework, when, today = set_up(at)
    engine = open_database(settings)

    with Session(engine) as session:
        leads = qa_leads(session=session, framework=framework)
    if by is not None:
        leads = [p for p in leads if p.email.lower() == by.lower()]
        if not leads:
            fail(f"{by} is not an active QA lead")
    lead_id = leads[0].id if leads else None

    def work(session: Session) -> dict[str, object]:
        lead = session.get(Person, lead_id) if lead_id is not None else None
        started = start_inspection(
            session=session, framework=framework, references=request.references,
            days=request.days or 0, started_by=lead, actor=by or "cli", now=when, today=today,
        )  # fmt: skip
        queue_prompts(session=session, framework=framework, started=started, now=when)
        context = started_context(session, framework, started, request.days or 0)
        if lead is not None and lead.id is not None:
            refs = "-".join(str(r.id) for _, r in started.made) or "none"
            key = f"inspection-started:{lead.id}:{refs}"
            enqueue(session=session, message=Message("inspection_reply", key, context,
                    person_id=lead.id), now=when)  # fmt: skip
        return context

    context = with_retries(engine, work)
    text = Renderer(framework).render("inspection_reply", context, "text")["text"]
    typer.echo(text.strip())
