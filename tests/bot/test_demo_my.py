"""The demo in any month, as its QA lead sees it: `my` on Teams and Slack after `qa-bot demo`.

Built through the real command (`qa-bot demo --no-serve`) on a frozen date, then asked
through the real endpoints: the Playground's user on `/api/messages`, the same person
on Slack through `/slack/events`. Whatever the date (7 December and 15 August, when
Camden allocates nothing; 1 January, before the month's allocation day; 29 February of
a leap year), she has a learning conversation to start, a moderation to do with its
request queued and a button to open it, an action, an escalation to answer with its
request queued, and last month's board summary in her chat.

Camden escalates no grade (its framework sets none), so her escalation is the one
the preset does route to her: its urgent safeguarding flag, told to the Head of QA
and answered with *Respond* (`urgent.respond`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.commands import demo
from demo.authority import DEMO_QA_LEAD_EMAIL
from qa.framework import load_framework
from storage.models import Audit, Escalation, OutboxMessage, Person
from tests import chat
from tests.bot.test_sender import running_clock
from tests.chat import SECRET, TestClient, app_client, post_command, teams_settings
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack

ROUTING_SECRET = "demo-test-routing-secret"
ANSWER = "urgent.respond"  # Camden's escalation to the QA lead: an urgent flag
PLAYGROUND_USER = demo.PLAYGROUND_USER_IDS[1]
SLACK_USER = "U0ALEX"
# 7 Dec and 15 Aug: Camden allocates nothing; 1 Jan: before the allocation day; 29 Feb.
DATES = (date(2026, 12, 7), date(2027, 8, 15), date(2027, 1, 1), date(2028, 2, 29))


def build_demo(
    db_url: str,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    at: datetime,
    *,
    reset: bool = True,
) -> str:
    """`qa-bot demo --no-serve [--reset]` as if run at `at`; its output."""
    monkeypatch.setattr(demo, "now", lambda: at)
    root = typer.Typer()
    demo.register(root)
    root.command("noop")(lambda: None)  # two commands: the runner then names `demo`
    env = {
        "QA_BOT_DATABASE_URL": db_url,
        "QA_BOT_FRAMEWORK": "camden",
        "QA_BOT_TEAMS_PLAYGROUND": "1",
        "QA_BOT_HOST": "127.0.0.1",
    }
    args = ["demo", "--no-serve", *(["--reset"] if reset else [])]
    result = CliRunner().invoke(root, args, env=env)
    assert result.exit_code == 0, result.output
    with Session(engine) as s:  # the Slack demo user is the same person
        lead = s.exec(select(Person).where(Person.email == DEMO_QA_LEAD_EMAIL)).one()
        lead.slack_user_id = SLACK_USER
        s.add(lead)
        s.commit()
    return " ".join(result.output.split())


@pytest.fixture(params=DATES, ids=str)
def day(request: pytest.FixtureRequest) -> date:
    value: date = request.param
    return value


@pytest.fixture
def built(
    day: date, db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[datetime, str]:
    monkeypatch.chdir(tmp_path)  # no stray .env from the working directory
    at = datetime(day.year, day.month, day.day, 10, 30, tzinfo=UTC)
    return at, build_demo(db_url, engine, monkeypatch, at)


@pytest.fixture
def client(
    built: tuple[datetime, str], db_url: str, engine: Engine, slack: FakeSlack
) -> Iterator[TestClient]:
    settings = teams_settings(
        db_url,
        QA_BOT_FRAMEWORK="camden",
        QA_BOT_ROUTING_SECRET=ROUTING_SECRET,
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.url,
    )
    with app_client(settings, engine, built[0], framework=load_framework("camden")) as test_client:
        yield test_client


def teams_my(client: TestClient, connector: FakeConnector) -> dict[str, Any]:
    [card] = chat.say(client, connector, PLAYGROUND_USER, "my").cards
    return card


def slack_my(client: TestClient) -> dict[str, Any]:
    response = post_command(client, None, SLACK_USER, "my")
    assert response.status_code == 200
    reply: dict[str, Any] = response.json()
    return reply


def teams_buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every `Action.Execute` in the card: its title and data."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def item_texts(card: dict[str, Any]) -> list[str]:
    """The wording of each item of `my` (one Container each)."""
    return [
        " ".join(b["text"] for b in c["items"] if b.get("type") == "TextBlock")
        for c in card["body"]
        if c.get("type") == "Container"
    ]


def test_my_shows_every_flow_with_its_button_on_teams_and_slack(
    client: TestClient, connector: FakeConnector
) -> None:
    card = teams_my(client, connector)

    buttons = teams_buttons(card)
    assert {"audit.start", "moderation.open", ANSWER} <= {b["verb"] for b in buttons}
    texts = item_texts(card)
    for words in ("Learning conversation to start", "Moderation to do", "Action you own",
                  "Urgent flag to answer"):  # fmt: skip
        assert any(words in t for t in texts), (words, texts)
    assert "No case yet" not in json.dumps(card)
    # The moderation opens from `my`: the dialog's first step comes back in place.
    [press] = [b for b in buttons if b["verb"] == "moderation.open"][:1]
    shown = chat.press(client, connector, PLAYGROUND_USER, press["data"])
    assert "moderation.step" in json.dumps(shown)
    # So does the escalation: its response form.
    [respond] = [b for b in buttons if b["verb"] == ANSWER][:1]
    shown = chat.press(client, connector, PLAYGROUND_USER, respond["data"])
    assert "urgent.respond.send" in json.dumps(shown)

    reply = slack_my(client)

    actions = [b["accessory"]["action_id"] for b in reply["blocks"] if "accessory" in b]
    assert {"audit.start", "moderation.open", ANSWER} <= set(actions)
    assert "Action you own" in json.dumps(reply) and "No case yet" not in json.dumps(reply)


def test_the_requests_and_last_months_summary_are_queued_for_her_once(
    built: tuple[datetime, str],
    db_url: str,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at, output = built
    build_demo(db_url, engine, monkeypatch, at, reset=False)  # run again: nothing twice
    with Session(engine) as s:
        lead = s.exec(select(Person).where(Person.email == DEMO_QA_LEAD_EMAIL)).one()
        queued = s.exec(select(OutboxMessage).where(OutboxMessage.person_id == lead.id)).all()
        urgent = s.exec(
            select(Escalation)
            .where(Escalation.owner_id == lead.id)
            .where(Escalation.kind == "urgent")
        ).all()
        flagged = s.get(Audit, urgent[0].audit_id) if urgent else None
    # One urgent flag (Camden's safeguarding flag, told to the Head of QA), raised once
    # on someone else's learning conversation, as its dialog would have.
    assert [(e.flag, e.status) for e in urgent] == [("safeguarding", "open")]
    assert flagged is not None and flagged.urgent_flags == ["safeguarding"]
    assert flagged.auditor_id != lead.id
    templates = [m.template for m in queued]
    assert len({m.idempotency_key for m in queued}) == len(queued)
    assert templates.count("moderation_request") >= 1
    assert templates.count("urgent_flag") >= 1
    requests = [m for m in queued if m.template == "moderation_request"]
    assert all(m.context["routing_key"].startswith("moderation:") for m in requests)
    assert templates.count("summary_post") == 1
    # The banner's lines say which command shows each flow.
    assert "to start" in output and "`my`, then Open moderation" in output
    assert "escalation to answer, its request in your chat: `my`, then Respond" in output
    assert "summary" in output
    if at.month in (8, 12):
        assert "framework allocates no learning conversations in" in output
    if at.date() == date(2026, 12, 7):
        assert (
            "1 learning conversation to start (from November 2026, still due: the camden "
            "framework allocates no learning conversations in December 2026): `my`, then Start"
        ) in output


def test_her_requests_and_the_board_summary_reach_her_in_the_playground(
    db_url: str,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    connector: FakeConnector,
) -> None:
    monkeypatch.chdir(tmp_path)
    at = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)
    build_demo(db_url, engine, monkeypatch, at)
    with Session(engine) as s:  # Teams only: the Playground's user, and no Slack account
        lead = s.exec(select(Person).where(Person.email == DEMO_QA_LEAD_EMAIL)).one()
        lead.slack_user_id = None
        s.add(lead)
        s.commit()
    settings = teams_settings(
        db_url, QA_BOT_FRAMEWORK="camden", QA_BOT_ROUTING_SECRET=ROUTING_SECRET
    )
    camden = load_framework("camden")
    with app_client(settings, engine, running_clock(at), framework=camden) as client:
        teams_my(client, connector)  # she has written to the bot: her chat is known
        report = asyncio.run(client.app.state.sender.drain(timeout=30))  # type: ignore[attr-defined]

    assert report.failed == 0 and report.delivered >= 3
    cards = [card for call in connector.messages() for card in call.cards]
    verbs = {b["verb"] for card in cards for b in teams_buttons(card)}
    assert {"moderation.open", ANSWER} <= verbs
    assert any("Quality Assurance Board" in json.dumps(card) for card in cards)
