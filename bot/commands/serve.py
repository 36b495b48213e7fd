"""`qa-bot serve`: the one long-running process."""

from __future__ import annotations

import typer

from bot.commands.common import console, load_configured_framework, load_settings, open_database


def register(app: typer.Typer) -> None:
    @app.command()
    def serve() -> None:
        """Serve Slack, Teams and /healthz; run the scheduler and the outbox sender."""
        from bot.server import run_server

        settings = load_settings()
        framework = load_configured_framework(settings)
        open_database(settings).dispose()
        if not settings.slack_enabled and not settings.teams_enabled:
            console.print(
                "[yellow]Neither Slack nor Teams is configured[/]: set SLACK_BOT_TOKEN and "
                "SLACK_SIGNING_SECRET, or TEAMS_CLIENT_ID (see the README). Serving /healthz only."
            )
        console.print(f"qa-bot serving on http://{settings.host}:{settings.port}")
        run_server(settings, framework)
