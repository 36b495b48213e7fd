"""`qa-bot retention [--dry-run] [--at ISO-8601]`: apply the retention policy, or preview it.

The nightly `retention` job does the same work (`qa-bot jobs run retention` runs it
now); this command exists for the dry run, which a data-protection officer wants to
see before the first real run, and after any change to `retention:` in the framework.
"""

from __future__ import annotations

import json

import typer

from bot.commands.common import (
    AS_JSON,
    console,
    load_configured_framework,
    load_settings,
    open_database,
    parse_at,
)
from storage.db import with_retries
from storage.retention import RetentionReport, apply_retention


def register(app: typer.Typer) -> None:
    @app.command()
    def retention(
        dry_run: bool = typer.Option(
            False, "--dry-run", help="Count what would be removed; change nothing."
        ),
        at: str | None = typer.Option(
            None, "--at", help="Apply the policy as if the time were this (ISO-8601)."
        ),
        as_json: bool = AS_JSON,
    ) -> None:
        """Anonymise old audits and delete old messages and audit-log rows, per the framework."""
        settings = load_settings()
        framework = load_configured_framework(settings)
        when = parse_at(at, settings.tz)
        engine = open_database(settings)
        report: RetentionReport = with_retries(
            engine,
            lambda s: apply_retention(
                session=s, framework=framework, now=when, actor="cli", dry_run=dry_run
            ),
        )
        if as_json:
            console.print_json(json.dumps(report.summary()))
            return
        policy = framework.retention
        console.print(
            f"Retention policy: audits {policy.audits_months} months, sent messages "
            f"{policy.outbox_days} days, audit log {policy.audit_log_months} months.",
            highlight=False,
        )
        for line in report.lines():
            console.print(f"  {line}", highlight=False)
        if dry_run:
            console.print("Dry run: nothing was changed.", highlight=False)
