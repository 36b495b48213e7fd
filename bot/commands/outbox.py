"""`qa-bot outbox send` and `qa-bot outbox failed`: the outbox from the command line.

`send` is the sender `serve` runs in the background, run once: it delivers everything
queued (waiting for retries that come due within `--timeout`), then exits. It builds
the same messengers `serve` would: Slack from SLACK_BOT_TOKEN and SLACK_API_URL,
Teams when it is configured. `failed` lists what could not be delivered and why, for
a person to put right (a missing Slack id, a channel the bot is not in). `emailed`
lists who chat cannot reach and so gets their messages by email (QA_BOT_SMTP_*), and
why, so their chat account can be put right.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Engine

from bot.commands.common import (
    console,
    database_session,
    fail,
    load_configured_framework,
    load_settings,
    open_database,
)
from bot.deps import Deps
from bot.messenger import Messenger
from bot.settings import Settings
from qa.framework import Framework
from storage.models import Person
from storage.outbox import failures, reached_by_email

app = typer.Typer(
    help="Messages waiting to go out to Slack and Teams, and those that could not.",
    no_args_is_help=True,
)


def build_messengers(settings: Settings, engine: Engine, framework: Framework) -> list[Messenger]:
    """Slack first (when SLACK_BOT_TOKEN is set), then Teams (when configured)."""
    messengers: list[Messenger] = []
    if settings.slack_bot_token is not None:
        from bot.slack.messenger import SlackMessenger

        messengers.append(SlackMessenger.from_settings(settings, engine=engine))
    if settings.teams_enabled:
        from bot.teams.messenger import TeamsMessenger

        messengers.append(TeamsMessenger(settings, engine=engine, framework=framework))
    return messengers


@app.command()
def send(
    timeout: Annotated[
        float,
        typer.Option(help="Stop after this many seconds; what is left stays queued."),
    ] = 600.0,
    worker_id: Annotated[
        str | None,
        typer.Option(
            "--worker-id",
            help="A stable name for this sender: messages a crashed run under the same "
            "name had claimed are taken back at once instead of after five minutes.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Deliver everything queued, then exit."""
    from bot.sender import OutboxSender

    if timeout <= 0:
        fail(f"--timeout must be more than 0 seconds (it is {timeout:g})")
    settings = load_settings()
    framework = load_configured_framework(settings)
    engine = open_database(settings)
    messengers = build_messengers(settings, engine, framework)
    if not messengers:
        fail(
            "there is no chat platform to send to: set SLACK_BOT_TOKEN (and SLACK_API_URL "
            "for GovSlack), or TEAMS_CLIENT_ID, TEAMS_CLIENT_SECRET and TEAMS_TENANT_ID"
        )
    deps = Deps(settings=settings, framework=framework, engine=engine)
    sender = OutboxSender(deps, messengers, worker_id=worker_id)
    try:
        report = asyncio.run(sender.drain(until_empty=True, timeout=timeout))
    finally:
        engine.dispose()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "delivered": report.delivered,
                    "retried": report.retried,
                    "failed": report.failed,
                    "remaining": report.remaining,
                    "seconds": round(report.seconds, 2),
                }
            )
        )
        return
    console.print(
        f"Delivered {report.delivered}, retried {report.retried}, failed {report.failed} "
        f"in {report.seconds:.1f} s; {report.remaining} still queued."
    )
    if report.failed:
        console.print("See why with [bold]qa-bot outbox failed[/].")


# How `bot.sender` words a message to someone with no Slack or Teams account.
NO_ACCOUNT_PREFIX = "no chat account"


@app.command()
def failed(
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many.")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """What could not be delivered, and why (most recent first)."""
    settings = load_settings()
    with database_session(settings) as session:
        rows = failures(session=session, limit=limit)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "id": f.id,
                        "at": f.at.isoformat(),
                        "recipient": f.recipient,
                        "template": f.template,
                        "platform": f.platform,
                        "reason": f.reason,
                    }
                    for f in rows
                ]
            )
        )
        return
    if not rows:
        console.print("Nothing has failed: every message was delivered or is still queued.")
        return
    table = Table(title=f"Messages that could not be delivered ({len(rows)})")
    for column in ("when", "recipient", "template", "reason"):
        table.add_column(column, overflow="fold")
    for f in rows:
        when = f.at.astimezone(settings.tz).strftime("%a %d %b %Y %H:%M")
        table.add_row(when, f.recipient, f.template, f.reason)
    console.print(table)
    no_account = sum(f.reason.startswith(NO_ACCOUNT_PREFIX) for f in rows)
    if no_account:
        console.print(
            f"{no_account} of these went to people with no chat account the bot can reach: "
            "staff not yet on Slack or Teams, or whose email the platform does not know. "
            "That is expected in the demo, where only the Playground user has a chat "
            "account. Otherwise add their slack_user_id or teams_user_id to the staff "
            "file and import it again; their next messages will reach them."
        )


@app.command()
def emailed(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Who chat cannot reach, so their messages go by email, and why (latest first)."""
    with database_session(load_settings()) as session:
        rows = []
        for person_id, reason in reached_by_email(session=session):
            person = session.get(Person, person_id)
            rows.append((person.email if person else f"person {person_id}", reason))
    if as_json:
        typer.echo(json.dumps([{"recipient": who, "reason": why} for who, why in rows]))
        return
    if not rows:
        console.print("Nobody is being reached by email: chat reaches everyone it has tried.")
        return
    table = Table(title=f"Reached by email because chat cannot reach them ({len(rows)})")
    for column in ("recipient", "reason"):
        table.add_column(column, overflow="fold")
    for who, why in rows:
        table.add_row(who, why)
    console.print(table)
