"""`qa-bot summary --month YYYY-MM [--post] [--out FILE] [--json]`: the governance summary.

Writes the month's summary as a file (.html, .md or .csv, `bot.reports`), queues it
for each governance channel (`--post`: the same messages, under the same keys, as
the monthly `post_summary` job, so posting twice posts once), or both; with neither,
prints the headline figures. Small numbers are suppressed at
`QA_BOT_SMALL_NUMBER_THRESHOLD` everywhere. A month not over yet may be written (its
figures say so) but not posted: its key would stop the real post after month end.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import typer
from sqlmodel import Session

from bot.commands.common import (
    AS_JSON,
    AT,
    MONTH,
    check_out_file,
    console,
    fail,
    open_database,
    parse_month,
    set_up,
)
from bot.render import Renderer
from bot.reports import FORMATS, ReportError, write_report
from messages.summary import summary_post_context
from qa.framework import Framework
from qa.working_days import long_date
from reminders.summary import PostResult, channels_for, queue_summary
from storage.db import with_retries
from storage.reporting import load_summary


def _check_out(out: Path | None) -> None:
    """Refuse a file we cannot write before any work is done."""
    if out is None:
        return
    check_out_file(out, FORMATS, "report")


def _print(framework: Framework, context: dict[str, Any]) -> None:
    """The summary in the words of the channel post (`text/summary_post.md.j2`)."""
    text = Renderer(framework).render("summary_post", context, "text")["text"]
    console.print(text, highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    @app.command()
    def summary(
        month: str = MONTH,
        post: bool = typer.Option(
            False, "--post", help="Queue it for each governance channel (once per month)."
        ),
        out: Path | None = typer.Option(
            None, "--out", help="Write the report to FILE (.html, .md or .csv).", metavar="FILE"
        ),
        as_json: bool = AS_JSON,
        at: str | None = AT,
    ) -> None:
        """The monthly governance summary: write it, post it, or both."""
        m = parse_month(month)
        _check_out(out)
        settings, framework, when, today = set_up(at)
        if today < m.first:
            fail(f"{m.name} has not begun yet (today is {long_date(today)}): pick an earlier month")
        if post and today <= m.last:
            fail(
                f"{m.name} is not over yet, so its summary cannot be posted: the board gets "
                f"the whole month, from {long_date(m.last + timedelta(days=1))}. To see the "
                "figures so far, leave out --post (or write them with --out)."
            )
        if post and not channels_for(framework):
            fail(
                "the framework file has no governance channel to post to: add one under governance:"
            )
        threshold = settings.small_number_threshold
        engine = open_database(settings)
        with Session(engine) as session:
            s = load_summary(
                session=session, framework=framework, month=m, tz=settings.tz, today=today,
                threshold=threshold,
            )  # fmt: skip
        written = None
        if out is not None:
            try:
                written = write_report(s, out)
            except ReportError as exc:
                fail(str(exc))
        posted: PostResult | None = None
        if post:
            posted = with_retries(
                engine,
                lambda session: queue_summary(
                    session=session, framework=framework, month=m, now=when, tz=settings.tz,
                    threshold=threshold,
                ),
            )  # fmt: skip
        context = summary_post_context(s, channel="")
        if as_json:
            figures = {k: v for k, v in context.items() if k not in ("chart", "channel")}
            document: dict[str, Any] = {"month": m.key, "as_of": s.as_of.isoformat()}
            document["written"] = str(written) if written else None
            document["posted"] = (
                {"channels": list(posted.channels), "queued": posted.queued} if posted else None
            )
            document["figures"] = figures
            console.print_json(json.dumps(document))
            return
        if written is None and posted is None:
            _print(framework, context)
        if written is not None:
            console.print(f"Wrote the {m.name} summary to {written}.", highlight=False)
        if posted is not None:
            already = len(posted.channels) - posted.queued
            line = f"Queued the {m.name} summary for {posted.queued} channel(s)"
            if already:
                line += f"; {already} already had it"
            console.print(
                f"{line} ({', '.join(posted.channels)}). `qa-bot serve` or "
                "`qa-bot outbox send` delivers it.",
                highlight=False,
            )
