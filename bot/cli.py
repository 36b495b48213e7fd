"""The `qa-bot` command. Each group of commands lives in its own module in bot/commands."""

from __future__ import annotations

import importlib
import logging

import typer

app = typer.Typer(
    name="qa-bot",
    help="Run the children's services quality-assurance cycle in Slack and Microsoft Teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# (module in bot.commands, sub-command name or None for top-level commands it adds).
COMMAND_MODULES: list[tuple[str, str | None]] = [
    ("serve", None),
    ("demo", None),
    ("framework", "framework"),
    ("imports", "import"),
    ("jobs", "jobs"),
    ("allocate", None),
    ("summary", None),
    ("teams_package", "teams-package"),
    ("outbox", "outbox"),
    ("export", "export"),
    ("retention", None),
    ("inspection", "inspection"),
]


def _register() -> None:
    for module_name, group in COMMAND_MODULES:
        module = importlib.import_module(f"bot.commands.{module_name}")
        if group is None:
            module.register(app)
        else:
            app.add_typer(module.app, name=group)


_register()


def main() -> None:
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    app()
