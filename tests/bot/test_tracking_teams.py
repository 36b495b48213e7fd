"""Tracking on Teams, through the real endpoint: Action.Execute presses on a reminder
card show the form in place, a submitted form puts the updated card back, the QA lead
agrees more time from their own card, and the outbox edits the cards it sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from reminders.tracking import REMINDERS
from storage.models import Recommendation
from tests import chat
from tests.chat import Clock, TestClient, app_client, teams_settings
from tests.chat import deliver_unpaced as deliver
from tests.fakes.connector import ConnectorCall, FakeConnector
from tests.reminders.tracking_world import (
    LAMBETH,
    World,
    add_recommendation,
    at,
    build_world,
    ticker,
)

NOW = at(2026, 12, 1, 10)
WORKER = "aaaaaaaa-0000-0000-0000-000000000001"
LEAD = "aaaaaaaa-0000-0000-0000-000000000002"
AUDITOR = "aaaaaaaa-0000-0000-0000-000000000003"


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def client(db_url: str, engine: Engine, clock: Clock) -> Iterator[TestClient]:
    with app_client(teams_settings(db_url), engine, clock, framework=LAMBETH) as test_client:
        yield test_client


@pytest.fixture
def world(engine: Engine, client: TestClient, connector: FakeConnector) -> World:
    w = build_world(
        engine,
        worker={"teams_user_id": WORKER},
        lead={"teams_user_id": LEAD},
        auditor={"teams_user_id": AUDITOR},
    )
    for aad, where in ((WORKER, "a:chat-worker"), (LEAD, "a:chat-lead"), (AUDITOR, "a:chat-aud")):
        chat.say(client, connector, aad, "help", conversation_id=where)
    connector.state.calls.clear()
    return w


def actions(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every Action.Execute in a card, by its `data.action`."""
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute":
                found[node["data"]["action"]] = node["data"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def press(
    client: TestClient, connector: FakeConnector, aad: str, where: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Press a card button in the chat `where`; the card Teams shows in its place."""
    return chat.press(client, connector, aad, data, conversation_id=where)


def sent_to(connector: FakeConnector, chat: str) -> list[ConnectorCall]:
    return [c for c in connector.messages() if c.conversation_id == chat]


def test_more_time_asked_on_a_card_is_agreed_by_the_qa_lead_on_theirs(
    client: TestClient, connector: FakeConnector, engine: Engine, world: World, clock: Clock
) -> None:
    rec = add_recommendation(
        engine,
        owner=world.worker,
        due=date(2026, 12, 17),
        created=NOW,
        case=world.case,
        raised_by=world.auditor,
    )
    ticker(engine).run_job(REMINDERS, now=NOW)
    deliver(client)
    [reminder] = sent_to(connector, "a:chat-worker")
    assert "A new action is yours: case CIN-0001" in reminder.all_text
    ask = actions(reminder.cards[0])["rec.more_time"]

    clock.now = at(2026, 12, 2, 11)
    form = press(client, connector, WORKER, "a:chat-worker", ask)
    assert (
        "Ask for more time" in str(form) and actions(form)["rec.more_time"]["kind"] == "submission"
    )
    submit = actions(form)["rec.more_time"]

    weekend = press(
        client,
        connector,
        WORKER,
        "a:chat-worker",
        {**submit, "new_due": "2027-01-16", "reason": "Waiting for the health assessment"},
    )
    assert "16 January is a Saturday" in str(weekend)
    assert "Waiting for the health assessment" in str(weekend)  # what was typed is kept

    card = press(
        client,
        connector,
        WORKER,
        "a:chat-worker",
        {**submit, "new_due": "2027-01-14", "reason": "Waiting for the health assessment"},
    )
    assert "More time asked for, to Thursday 14 January" in str(card)
    assert (
        "Asked for more time for case CIN-0001" in sent_to(connector, "a:chat-worker")[-1].all_text
    )

    deliver(client)
    [request] = sent_to(connector, "a:chat-lead")
    assert "Sam Worker asks for more time on case CIN-0001: to Thursday 14 January" in (
        request.all_text
    )
    agree = actions(request.cards[0])["rec.approve_time"]
    decided = press(client, connector, LEAD, "a:chat-lead", agree)
    assert "Agreed by Lee Lead on Wednesday 2 December" in str(decided)
    assert "rec.approve_time" not in str(decided)

    with Session(engine) as s:
        row = s.get(Recommendation, rec)
        assert row is not None and row.due_on == date(2027, 1, 14) and row.status == "open"

    deliver(client)
    assert "More time agreed" in sent_to(connector, "a:chat-worker")[-1].all_text
    assert "now due Thursday 14 January" in sent_to(connector, "a:chat-aud")[-1].all_text
    edited = {c.activity_id for c in connector.calls_to("update")}
    assert len(edited) == 2  # the worker's reminder and the lead's request, in place


def test_cancel_on_a_form_card_puts_the_reminder_back_unchanged(
    client: TestClient, connector: FakeConnector, engine: Engine, world: World
) -> None:
    add_recommendation(
        engine, owner=world.worker, due=date(2026, 12, 17), created=NOW, case=world.case
    )
    ticker(engine).run_job(REMINDERS, now=NOW)
    deliver(client)
    [reminder] = sent_to(connector, "a:chat-worker")
    form = press(client, connector, WORKER, "a:chat-worker", actions(reminder.cards[0])["rec.done"])
    back = press(client, connector, WORKER, "a:chat-worker", actions(form)["tracking.cancel"])
    assert back == reminder.cards[0]
