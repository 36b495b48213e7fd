"""`qa-bot framework check|show|list`: validate a framework file, or start one from a preset.

`check` is what a QA lead runs after editing their file: it prints every problem at
once, each with its line and a fix, so one edit-and-check round is enough. `show`
prints a preset as shipped, comments included, because the comments say which rule
comes from where and which values are only defaults; the one change is quotes around
plain values such as `Yes` and `No` that YAML 1.1 tools would read as true and false.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from qa.framework import (
    PRESETS_DIR,
    Framework,
    FrameworkError,
    display_name,
    legacy_warnings,
    load_framework,
    preset_names,
)
from qa.framework_checks import quote_for_yaml11

app = typer.Typer(
    help="Check a framework file, or print a preset to start your own from.",
    no_args_is_help=True,
)


def _counts(fw: Framework) -> dict[str, int]:
    return {
        "roles": len(fw.roles),
        "areas": len(fw.areas),
        "grades": len(fw.grades),
        "domains": len(fw.audit_form.domains),
        "cadences": len(fw.cadences),
        "governance_channels": len(fw.governance),
        "calendar_entries": len(fw.calendar),
        "reports": len(fw.summary.reports),
    }


# Counts left out of `check`'s one-line summary when zero: keys added after the line's
# wording was fixed, so a file that does not use them reads as it always did.
_QUIET_WHEN_ZERO = {"reports"}


def _plural(n: int, what: str) -> str:
    """`1 role`, `2 roles`, `1 calendar entry` from the plural key `calendar_entries`."""
    words = what.replace("_", " ")
    if n == 1:
        words = words[:-3] + "y" if words.endswith("ies") else words[:-1]
    return f"{n} {words}"


def _err(message: str) -> None:
    typer.echo(message, err=True)


@app.command()
def check(
    source: Annotated[
        str, typer.Argument(metavar="PATH|PRESET", help="A framework YAML file or a preset name.")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON, for scripts.")
    ] = False,
    with_staff: Annotated[
        bool,
        typer.Option(
            "--with-staff",
            help="Also read the staff in QA_BOT_DATABASE_URL and warn about services "
            "that nobody in a role the framework escalates to would hear about.",
        ),
    ] = False,
) -> None:
    """Validate a framework file: every problem, with its line and a fix."""
    name = display_name(source)
    try:
        fw = load_framework(source)
    except FrameworkError as exc:
        if as_json:
            problems = [
                {"file": p.file, "line": p.line, "message": p.message} for p in exc.problems
            ]
            typer.echo(json.dumps({"file": name, "valid": False, "problems": problems}, indent=2))
            raise typer.Exit(1) from None
        for problem in exc.problems:
            typer.echo(str(problem))
        count = len(exc.problems)
        fix = "fix it" if count == 1 else "fix them"
        _err(f"✗ {name}: {_plural(count, 'problems')}; {fix} and check again")
        raise typer.Exit(1) from None
    counts = _counts(fw)
    warnings = [str(p) for p in legacy_warnings(source)]
    warnings += _staff_warnings(fw) if with_staff else []
    if as_json:
        result = {
            "file": name, "valid": True, "problems": [], "counts": counts, "warnings": warnings,
        }  # fmt: skip
        typer.echo(json.dumps(result, indent=2))
        return
    shown = ", ".join(
        _plural(n, what) for what, n in counts.items() if n or what not in _QUIET_WHEN_ZERO
    )
    typer.echo(f"✓ {name}: valid ({shown})")
    for warning in warnings:
        typer.echo(f"Warning: {warning}")


def _staff_warnings(fw: Framework) -> list[str]:
    """The configured database's staff against the framework's escalation roles."""
    from bot.commands.common import database_session, load_settings
    from storage.escalations import escalation_warnings

    with database_session(load_settings()) as session:
        return escalation_warnings(session=session, framework=fw)


@app.command()
def show(
    preset: Annotated[str, typer.Argument(metavar="PRESET", help="A preset name.")],
) -> None:
    """Print a preset exactly as shipped (with its comments), to start your own file from."""
    if preset not in preset_names():
        _err(f"Error: there is no preset called '{preset}'.")
        _err("Presets: " + ", ".join(preset_names()))
        raise typer.Exit(1)
    text = (PRESETS_DIR / f"{preset}.yml").read_text(encoding="utf-8")
    typer.echo(quote_for_yaml11(text), nl=False)


@app.command(name="list")
def list_presets() -> None:
    """List the presets shipped with qa-bot."""
    for name in preset_names():
        fw = load_framework(name)
        typer.echo(f"{name:<16} {fw.authority}")
