"""`qa-bot demo`: the embedded default: SQLite, a demo authority, Teams in Playground mode."""

from __future__ import annotations

import os
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import typer
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from bot.commands.common import console, fail, load_settings, now, open_database
from bot.commands.demo_banner import LeadWork, lead_inbox, print_banner, print_work
from demo.authority import DEMO_QA_LEAD_EMAIL, generate
from demo.history import DemoHistory, generate_history
from qa.framework import Framework, FrameworkError, load_framework, preset_names
from qa.working_days import Month
from storage.db import session_scope
from storage.models import Person
from storage.seed import seed_demo
from storage.seed_history import HistoryReport, has_history, seed_history

# The Microsoft 365 Agents Playground's default user (its `from.id` and `aadObjectId`).
PLAYGROUND_USER_IDS = ("user-id-0", "00000000-0000-0000-0000-0000000000020")
SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        preset: str | None = typer.Option(
            None, "--preset", help=f"Framework preset: {', '.join(preset_names())}."
        ),
        reset: bool = typer.Option(False, "--reset", help="Empty the database and build it again."),
        no_serve: bool = typer.Option(False, "--no-serve", help="Build the database, then exit."),
        slack_user: str | None = typer.Option(
            None,
            "--slack-user",
            help="Your Slack member id (U...): on Slack you are the demo QA lead.",
        ),
    ) -> None:
        """Build a demo authority in SQLite and serve it on 127.0.0.1 for the Teams Playground."""
        if preset is not None:
            os.environ["QA_BOT_FRAMEWORK"] = preset
        os.environ.setdefault("QA_BOT_TEAMS_PLAYGROUND", "1")
        os.environ.setdefault("QA_BOT_HOST", "127.0.0.1")
        settings = load_settings()
        try:
            framework = load_framework(settings.framework)
        except FrameworkError as exc:
            fail(f"framework {settings.framework!r} cannot be used:\n{exc}")
        engine = open_database(settings)
        current = now()
        with Session(engine) as s:
            existing = s.exec(select(func.count()).select_from(Person)).one()
            known = has_history(session=s)
        today = current.astimezone(settings.tz).date()
        if existing and not reset:
            console.print(
                f"Using the existing demo database ({existing} people); --reset rebuilds it."
            )
            if not known:  # built before the demo had a history
                authority = generate(framework, today=today)
                _add_history(engine, generate_history(framework, authority, today=today,
                                                      tz=settings.tz), current)  # fmt: skip
        else:
            authority = generate(framework, today=today)
            history = generate_history(framework, authority, today=today, tz=settings.tz)
            with session_scope(engine) as s:
                report = seed_demo(
                    session=s, framework=framework, authority=authority, now=current, reset=reset
                )
                lead = s.exec(select(Person).where(Person.email == DEMO_QA_LEAD_EMAIL)).one()
                lead.teams_user_id = PLAYGROUND_USER_IDS[1]
                past = seed_history(session=s, history=history, now=current)
            console.print(
                f"Built the {framework.authority} demo: {report.services} services, "
                f"{report.teams} teams, {report.people} people, {report.cases} cases."
            )
            _print_history(past)
        if slack_user is not None:
            _be_the_lead_on_slack(engine, slack_user)
        work = _lead_inbox(engine, framework, settings.tz, current)
        today = current.astimezone(settings.tz).date()
        if no_serve:
            print_work(framework, work, today)
            return
        print_banner(framework, work, today, settings)
        from bot.server import run_server

        run_server(settings, framework)


def _be_the_lead_on_slack(engine: Engine, slack_user: str) -> None:
    """Whoever runs the demo with Slack is its QA lead there (her email is made up, so
    Slack could never find her by it)."""
    if not SLACK_USER_ID.fullmatch(slack_user):
        fail(f"--slack-user {slack_user!r} is not a Slack member id (like U0123ABCD)")
    with session_scope(engine) as s:
        taken = s.exec(select(Person).where(Person.slack_user_id == slack_user)).all()
        for other in taken:
            other.slack_user_id = None
        s.flush()
        lead = s.exec(select(Person).where(Person.email == DEMO_QA_LEAD_EMAIL)).one()
        lead.slack_user_id = slack_user


def _lead_inbox(engine: Engine, framework: Framework, tz: ZoneInfo, current: datetime) -> LeadWork:
    """Queue what the demo QA lead would have been sent, and read back what she has."""
    with session_scope(engine) as s:
        return lead_inbox(session=s, framework=framework, tz=tz, now=current)


def _add_history(engine: Engine, history: DemoHistory, current: datetime) -> None:
    """An existing demo database without history (built before there was any) gains it."""
    try:
        with session_scope(engine) as s:
            past = seed_history(session=s, history=history, now=current)
    except ValueError as exc:
        console.print(f"No history added: {exc}.", highlight=False)
        return
    if not past.skipped:
        _print_history(past)


def _print_history(past: HistoryReport) -> None:
    if past.skipped:
        return
    span = f"{Month.parse(past.first_month).name} to {Month.parse(past.last_month).name}"
    console.print(
        f"Added {past.months} months of history ({span}): {past.audits} audits, "
        f"{past.moderations} moderations, {past.recommendations} recommendations, "
        f"{past.escalations} escalations.",
        highlight=False,
    )
