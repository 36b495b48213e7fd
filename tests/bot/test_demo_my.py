"""The demo in any month, as its QA lead sees it: `my` on Teams and Slack after `qa-bot demo`.

Built through the real command (`qa-bot demo --no-serve`) on a frozen date, then asked
through the real endpoints: the Playground's user on `/api/messages`, the same person
on Slack through `/slack/events`. Whatever the date (7 December and 15 August, when
Camden allocates nothing; 1 January, before the month's allocation day; 29 February of
a leap year), she has a learning conversation to start, a moderation to do with its
request queued and a button to open it, an action, an escalation to answer with its
request queued, and last month's board summary in her chat.
"""

from __future__ import annotations

import asyncio
import json
import time
import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import typer
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.app import build_app
from bot.commands import demo
from bot.deps import Deps
from bot.settings import Settings
from demo.authority import DEMO_QA_LEAD_EMAIL
from qa.framework import load_framework
from storage.models import OutboxMessage, Person
from tests.bot.test_sender import running_clock
from tests.fakes import connector as teams
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack, new_trigger_id

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SIGNING_SECRET = "demo-test-signing-secret"
ROUTING_SECRET = "demo-test-routing-secret"
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
def connector() -> Iterator[FakeConnector]:
    with FakeConnector() as fake:
        yield fake


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(
    built: tuple[datetime, str], db_url: str, engine: Engine, slack: FakeSlack
) -> Iterator[TestClient]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        QA_BOT_DATABASE_URL=db_url,
        QA_BOT_FRAMEWORK="camden",
        QA_BOT_HOST="127.0.0.1",
        QA_BOT_TEAMS_PLAYGROUND=True,
        QA_BOT_ROUTING_SECRET=ROUTING_SECRET,
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.url,
        SLACK_APP_TOKEN=None,
        TEAMS_CLIENT_ID=None,
        TEAMS_CLIENT_SECRET=None,
    )
    at = built[0]
    deps = Deps(settings, load_framework("camden"), engine, clock=lambda: at)
    with TestClient(build_app(deps, background=False)) as test_client:
        yield test_client


def teams_my(client: TestClient, connector: FakeConnector) -> dict[str, Any]:
    before = len(connector.messages())
    activity = teams.message("my", service_url=connector.url, aad_object_id=PLAYGROUND_USER)
    assert client.post("/api/messages", json=activity).status_code == 200
    [sent] = connector.messages()[before:]
    [card] = sent.cards
    return card


def slack_my(client: TestClient) -> dict[str, Any]:
    body = urlencode(
        {
            "team_id": "T0TEAM",
            "channel_id": "C0GENERAL",
            "user_id": SLACK_USER,
            "command": "/qa",
            "text": "my",
            "response_url": "http://127.0.0.1:9/response",
            "trigger_id": new_trigger_id(),
        }
    ).encode()
    ts = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
    }
    response = client.post("/slack/events", content=body, headers=headers)
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
    assert {"audit.start", "moderation.open", "escalation.record"} <= {b["verb"] for b in buttons}
    texts = item_texts(card)
    for words in ("Learning conversation to start", "Moderation to do", "Action you own",
                  "Escalation"):  # fmt: skip
        assert any(words in t for t in texts), (words, texts)
    assert "No case yet" not in json.dumps(card)
    # The moderation opens from `my`: the dialog's first step comes back in place.
    [press] = [b for b in buttons if b["verb"] == "moderation.open"][:1]
    activity = teams.execute(
        press["data"], verb="moderation.open", service_url=connector.url,
        aad_object_id=PLAYGROUND_USER,
    )  # fmt: skip
    answer = client.post("/api/messages", json=activity)
    assert answer.status_code == 200
    assert "moderation.step" in json.dumps(answer.json())

    reply = slack_my(client)

    actions = [b["accessory"]["action_id"] for b in reply["blocks"] if "accessory" in b]
    assert {"audit.start", "moderation.open", "escalation.record"} <= set(actions)
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
    templates = [m.template for m in queued]
    assert len({m.idempotency_key for m in queued}) == len(queued)
    assert templates.count("moderation_request") >= 1
    assert templates.count("escalation_request") >= 1
    requests = [m for m in queued if m.template == "moderation_request"]
    assert all(m.context["routing_key"].startswith("moderation:") for m in requests)
    assert templates.count("summary_post") == 1
    # The banner's lines say which command shows each flow.
    assert "to start" in output and "`my`, then Open moderation" in output
    assert "Record remedial action" in output and "summary" in output
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
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        QA_BOT_DATABASE_URL=db_url,
        QA_BOT_FRAMEWORK="camden",
        QA_BOT_HOST="127.0.0.1",
        QA_BOT_TEAMS_PLAYGROUND=True,
        QA_BOT_ROUTING_SECRET=ROUTING_SECRET,
        SLACK_BOT_TOKEN=None,
        SLACK_APP_TOKEN=None,
        TEAMS_CLIENT_ID=None,
        TEAMS_CLIENT_SECRET=None,
    )
    deps = Deps(settings, load_framework("camden"), engine, clock=running_clock(at))
    app = build_app(deps, background=False)
    with TestClient(app) as client:
        teams_my(client, connector)  # she has written to the bot: her chat is known
        report = asyncio.run(app.state.sender.drain(timeout=30))

    assert report.failed == 0 and report.delivered >= 3
    cards = [card for call in connector.messages() for card in call.cards]
    verbs = {b["verb"] for card in cards for b in teams_buttons(card)}
    assert {"moderation.open", "escalation.record"} <= verbs
    assert any("Quality Assurance Board" in json.dumps(card) for card in cards)
