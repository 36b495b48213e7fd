"""Leavers: `qa-bot import staff --sync` lists a leaver's open work and hands it on in chat.

Through the real command line (typer's CliRunner, with the settings in the
environment), then the real endpoints: the outbox sender delivers the QA lead's
messages to the fake Slack Web API or Bot Connector, and the lead confirms the
proposed replacement with the same button as for *Can't do this one*.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner, Result

from bot.cli import app as cli_app
from qa.framework import load_framework
from storage.models import (
    Allocation,
    Escalation,
    Moderation,
    OutboxMessage,
    Person,
    Recommendation,
)
from tests.bot import test_allocation_slack as on_slack
from tests.bot import test_allocation_teams as on_teams
from tests.chat import SMALL, TestClient, app_client, slack_settings, teams_settings
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack
from tests.handlers.allocation_world import (
    NOW,
    World,
    allocate_the_month,
    seed_world,
    teams_chat,
)
from tests.handlers.leaver_world import STAFF_WITHOUT_SAM, LeaverWorld, seed_leaver

FRAMEWORK_PATH = SMALL
FRAMEWORK = load_framework(str(FRAMEWORK_PATH))


def import_staff(db_url: str, tmp_path: Path, *options: str) -> Result:
    path = tmp_path / "staff.csv"
    path.write_text(STAFF_WITHOUT_SAM, encoding="utf-8")
    env = {"QA_BOT_DATABASE_URL": db_url, "QA_BOT_FRAMEWORK": str(FRAMEWORK_PATH)}
    return CliRunner().invoke(cli_app, ["import", "staff", str(path), *options], env=env)


def seed(
    engine: Engine, chat: dict[str, dict[str, Any]] | None = None
) -> tuple[World, LeaverWorld]:
    with Session(engine) as session:
        world = seed_world(session, chat=chat)
        allocate_the_month(session, FRAMEWORK)
        extra = seed_leaver(session, world)
        session.commit()
    return world, extra


def owners(engine: Engine, extra: LeaverWorld) -> tuple[int, int, int]:
    with Session(engine) as session:
        moderation = session.get(Moderation, extra.moderation)
        escalation = session.get(Escalation, extra.escalation)
        action = session.get(Recommendation, extra.action)
        assert moderation and escalation and action
        return moderation.moderator_id, escalation.owner_id, action.owner_id


def allocation_of(engine: Engine, allocation_id: int) -> Allocation:
    with Session(engine) as session:
        row = session.get(Allocation, allocation_id)
        assert row is not None
        return row


@pytest.fixture
def monkey_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env from the working directory
    return tmp_path


# -- the command line -----------------------------------------------------------------------


def test_a_dry_run_lists_the_leavers_open_work_in_text_and_json_and_changes_nothing(
    db_url: str, engine: Engine, monkey_cwd: Path
) -> None:
    world, extra = seed(engine)

    text = import_staff(db_url, monkey_cwd, "--sync", "--dry-run")
    as_json = import_staff(db_url, monkey_cwd, "--sync", "--dry-run", "--json")

    assert text.exit_code == 0, text.output
    assert "Open work of the 1 person(s) would be deactivated:" in text.stdout
    assert "sam@testshire.gov.uk:" in text.stdout
    assert f"allocation {world.allocation} CASE-1: audit due 2027-01-25" in text.stdout
    assert f"moderation {extra.moderation} CASE-2: moderation due 2027-01-25" in text.stdout
    assert f"escalation {extra.escalation} CASE-3: grade escalation (inadequate)" in text.stdout
    assert f"action {extra.action} CASE-4: action due 2027-02-01 (open)" in text.stdout
    (leaver,) = json.loads(as_json.stdout)["leavers"]
    assert leaver["email"] == "sam@testshire.gov.uk"
    assert {i["kind"] for i in leaver["open"]} == {
        "allocation",
        "moderation",
        "escalation",
        "action",
    }
    with Session(engine) as session:
        assert (
            session.exec(
                select(OutboxMessage).where(OutboxMessage.template == "leaver_handover")
            ).all()
            == []
        )
    assert allocation_of(engine, world.allocation).status == "allocated"
    assert owners(engine, extra) == (world.sam, world.sam, world.sam)


# -- Slack ----------------------------------------------------------------------------------


@pytest.fixture
def slack_api(db_url: str, engine: Engine, slack: FakeSlack) -> Iterator[TestClient]:
    settings = slack_settings(db_url, slack.url)
    with app_client(settings, engine, NOW, framework=FRAMEWORK) as client:
        yield client


def test_on_slack_the_qa_lead_is_told_and_confirms_the_replacement(
    db_url: str, engine: Engine, slack: FakeSlack, slack_api: TestClient, monkey_cwd: Path
) -> None:
    world, extra = seed(engine)
    on_slack.deliver(slack_api)
    told_before = len(on_slack.posted_to(slack, "U0LEE"))

    result = import_staff(db_url, monkey_cwd, "--sync")

    assert result.exit_code == 0, result.output
    assert "Open work of the 1 person(s) deactivated:" in result.stdout
    assert "Handed on: 2 message(s) queued" in result.stdout
    assert allocation_of(engine, world.allocation).status == "released"
    # Escalations and actions go to Sam's line manager (Pat); the moderation to the lead.
    assert owners(engine, extra) == (world.lead, world.pat, world.pat)

    on_slack.deliver(slack_api)
    new = on_slack.posted_to(slack, "U0LEE")[told_before:]
    texts = [on_slack.text(m) for m in new]
    handover = next(t for t in texts if "Sam Jones has left" in t)
    assert "CASE-1" in handover and "proposed to Pat Smith" in handover
    assert "CASE-2" in handover and "now Lee Lead's" in handover
    assert "Pat Smith's (their line manager)" in handover
    ask = next(m for m in new if "Pat Smith takes CASE-1" in on_slack.text(m))
    confirm = on_slack.buttons(ask)[("allocation.confirm", "Proposed:")]

    on_slack.click(slack_api, "U0LEE", "allocation.confirm", confirm)

    assert "Done: Pat Smith takes CASE-1" in on_slack.text(on_slack.posted_to(slack, "DU0LEE")[-1])
    proposal = int(confirm.split("~")[0].split(":")[1])
    assert allocation_of(engine, proposal).status == "allocated"
    assert allocation_of(engine, proposal).person_id == world.pat
    on_slack.deliver(slack_api)
    assert "Please take on this audit in January: CASE-1" in on_slack.text(
        on_slack.posted_to(slack, "U0PAT")[-1]
    )

    # The same file again: Sam is already inactive, nothing more is handed on or sent.
    queued = len(_outbox(engine))
    again = import_staff(db_url, monkey_cwd, "--sync")
    assert again.exit_code == 0 and "Open work" not in again.stdout
    assert len(_outbox(engine)) == queued


def _outbox(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage)).all())


# -- Teams ----------------------------------------------------------------------------------


@pytest.fixture
def teams_api(db_url: str, engine: Engine) -> Iterator[TestClient]:
    with app_client(teams_settings(db_url), engine, NOW, framework=FRAMEWORK) as client:
        yield client


def test_on_teams_the_qa_lead_is_told_and_confirms_the_replacement(
    db_url: str,
    engine: Engine,
    connector: FakeConnector,
    teams_api: TestClient,
    monkey_cwd: Path,
) -> None:
    world, extra = seed(engine, chat=teams_chat(connector.url))
    on_teams.deliver(teams_api)
    told_before = len(on_teams.sent_to(connector, "lee"))

    result = import_staff(db_url, monkey_cwd, "--sync")

    assert result.exit_code == 0, result.output
    on_teams.deliver(teams_api)
    new = on_teams.sent_to(connector, "lee")[told_before:]
    handover = next(
        on_teams.text_of(m.cards) for m in new if "Sam Jones has left" in on_teams.text_of(m.cards)
    )
    assert "proposed to Pat Smith" in handover and "now Lee Lead's" in handover
    ask = next(m for m in new if "Pat Smith takes CASE-1" in on_teams.text_of(m.cards))
    confirm = on_teams.actions(ask.cards)["allocation.confirm@"]

    settled = on_teams.press(teams_api, connector, "lee", confirm)

    assert "Confirmed by Lee Lead" in on_teams.text_of(settled)
    proposal = int(confirm["routing_key"].split("~")[0].split(":")[1])
    assert allocation_of(engine, proposal).person_id == world.pat
    assert allocation_of(engine, proposal).status == "allocated"
    assert owners(engine, extra) == (world.lead, world.pat, world.pat)
    with Session(engine) as session:
        sam = session.get(Person, world.sam)
        assert sam is not None and not sam.active
