"""`qa-bot demo --no-serve` through the real command line: an authority and its year."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine, delete, func
from sqlmodel import Session, select
from typer.testing import CliRunner, Result

from bot.commands import demo
from bot.commands.common import console
from bot.commands.demo_banner import LeadWork, print_banner
from bot.settings import Settings
from demo.authority import DEMO_QA_LEAD_EMAIL
from qa.framework import preset
from storage.models import (
    Allocation,
    Audit,
    Escalation,
    Moderation,
    Person,
    Recommendation,
    RecommendationUpdate,
)

Invoke = Callable[..., Result]


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.chdir(tmp_path)  # no stray .env from the working directory
    # Every variable the command sets is listed, so the runner restores it afterwards.
    env = {
        "QA_BOT_DATABASE_URL": db_url,
        "QA_BOT_FRAMEWORK": "lambeth",
        "QA_BOT_TEAMS_PLAYGROUND": "1",
        "QA_BOT_HOST": "127.0.0.1",
    }
    root = typer.Typer()
    demo.register(root)
    root.command("noop")(lambda: None)  # two commands: the runner then names `demo`

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(root, ["demo", "--no-serve", *args], env=env)

    return invoke


def count(engine: Engine, model: type) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


def test_demo_builds_the_authority_and_a_year_of_history(cli: Invoke, engine: Engine) -> None:
    result = cli("--reset")

    assert result.exit_code == 0, result.output
    assert "Built the London Borough of Lambeth" in result.output
    assert "Added 14 months of history (" in " ".join(result.output.split())
    assert count(engine, Person) == 120
    assert count(engine, Audit) > 300
    assert min(count(engine, Moderation), count(engine, Escalation)) > 0


def test_running_the_demo_again_keeps_the_database_and_its_history(
    cli: Invoke, engine: Engine
) -> None:
    cli("--reset")
    before = count(engine, Allocation), count(engine, Audit)

    result = cli()

    assert result.exit_code == 0, result.output
    assert "Using the existing demo database" in result.output
    assert "history" not in result.output
    assert (count(engine, Allocation), count(engine, Audit)) == before


def test_a_demo_database_built_before_there_was_history_gains_it(
    cli: Invoke, engine: Engine
) -> None:
    cli("--reset")
    with Session(engine) as s:  # children before parents
        for model in (RecommendationUpdate, Recommendation, Escalation, Moderation, Audit,
                      Allocation):  # fmt: skip
            s.execute(delete(model))
        s.commit()

    result = cli()

    assert result.exit_code == 0, result.output
    assert "Added 14 months of history (" in " ".join(result.output.split())
    assert count(engine, Audit) > 300


def test_a_slack_user_can_be_the_demo_qa_lead(cli: Invoke, engine: Engine) -> None:
    cli("--reset")

    result = cli("--slack-user", "U0ALEX")

    assert result.exit_code == 0, result.output
    with Session(engine) as s:
        lead = s.exec(select(Person).where(Person.email == DEMO_QA_LEAD_EMAIL)).one()
        assert lead.slack_user_id == "U0ALEX"
    refused = cli("--slack-user", "alex")
    assert refused.exit_code == 1 and "not a Slack member id" in refused.output


def test_the_demo_says_what_is_waiting_for_its_qa_lead_and_which_command_shows_it(
    cli: Invoke,
) -> None:
    result = cli("--reset")

    output = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "Waiting for Alex Morgan (alex.morgan@demo.gov.uk), the QA lead:" in output
    assert "to start" in output and "`my`, then Start" in output
    assert "`status`" in output


def test_the_playground_command_and_address_are_printed_unwrapped_on_a_narrow_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(_env_file=None, QA_BOT_HOST="127.0.0.1")  # type: ignore[call-arg]
    monkeypatch.setattr(console, "width", 60)
    with console.capture() as captured:
        print_banner(preset("camden"), LeadWork(audits=1), date(2026, 12, 7), settings)
    lines = captured.get().splitlines()

    command = (  # as the README shows it
        "npx -y -p @microsoft/m365agentsplayground agentsplayground "
        "-e http://127.0.0.1:3978/api/messages -p 56150"
    )
    assert all(len(line) <= 60 for line in lines if line.startswith("│"))  # the panel wraps
    assert command in lines  # ... the command does not
    assert any("http://localhost:56150" in line for line in lines)
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert command in readme and "http://localhost:56150" in readme
    assert "--slack-user" in readme
