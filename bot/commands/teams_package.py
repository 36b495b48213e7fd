"""`qa-bot teams-package --out FILE.zip`: the Teams app package for an administrator to upload."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.commands.common import console, fail, load_settings
from bot.settings import Settings
from qa.framework import FrameworkError, load_framework

app = typer.Typer(
    help="Write the Microsoft Teams app package (manifest and icons) for upload.",
    add_completion=False,
)


def _developer_name(settings: Settings) -> str:
    """The authority's name from the framework, cut at a word to fit Teams' 32 characters."""
    from bot.teams.package import developer_name

    try:
        authority = load_framework(settings.framework).authority
    except FrameworkError:
        return "qa-bot"
    return developer_name(authority)


@app.callback(invoke_without_command=True)
def teams_package(
    out: Path = typer.Option(
        Path("qa-bot-teams.zip"), "--out", "-o", help="Where to write the zip.", dir_okay=False
    ),
    host: str | None = typer.Option(
        None,
        "--host",
        help="The public host name the bot is served on, e.g. qa-bot.example.gov.uk. "
        "Default: QA_BOT_PUBLIC_HOST.",
    ),
    bot_id: str | None = typer.Option(
        None, "--bot-id", help="The Entra app (client) id. Default: TEAMS_CLIENT_ID."
    ),
    app_id: str | None = typer.Option(
        None, "--app-id", help="The Teams app id (a GUID). Default: the bot id."
    ),
    name: str = typer.Option("QA bot", "--name", help="The app's name in Teams (30 characters)."),
    developer: str | None = typer.Option(
        None, "--developer", help="Publisher name (32 characters). Default: the authority."
    ),
    app_version: str = typer.Option(
        "", "--app-version", help="Package version, e.g. 1.2.0 (raise it for every upload)."
    ),
) -> None:
    """Write manifest.json, color.png and outline.png into one zip."""
    from bot.teams.package import PackageError, PackageOptions, write_package

    settings = load_settings()
    bot_id = bot_id or settings.teams_client_id
    if not bot_id:
        fail("no bot id: pass --bot-id or set TEAMS_CLIENT_ID (the Entra app's client id).")
    host = host or settings.public_host
    if not host:
        fail(
            "no host name: pass --host or set QA_BOT_PUBLIC_HOST to the public name the bot "
            "is served on (e.g. qa-bot.example.gov.uk)."
        )
    options = PackageOptions(
        bot_id=bot_id,
        app_id=app_id or bot_id,
        host=host.strip().lower(),
        name=name,
        developer=developer or _developer_name(settings),
        app_version=app_version,
    )
    try:
        written = write_package(options, out)
    except PackageError as exc:
        fail(f"cannot build the Teams package: {exc}.")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}.")
    console.print(f"Wrote the Teams app package to {written}.")
    console.print(
        "Upload it in the Teams admin centre (Manage apps > Upload new app), then set "
        "QA_BOT_TEAMS_APP_CATALOG_ID to the app id Teams shows, for proactive installs."
    )
