"""The Done form shows the whole action (issue 17: "set measu..." cut at 60 characters).

Reminders and digests keep a short summary; the form, where the owner decides the
action is done, has room for all of it. Through the real Teams endpoint, reusing
the tracking tests' world and helpers.
"""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from reminders.tracking import REMINDERS
from tests.bot.card_schema import card_problems
from tests.bot.test_tracking_teams import (  # noqa: F401 - fixtures used by name
    NOW,
    WORKER,
    actions,
    client,
    clock,
    deliver,
    press,
    sent_to,
    world,
)
from tests.fakes.connector import FakeConnector
from tests.reminders.tracking_world import World, add_recommendation, ticker

LONG_ACTION = (
    "Set measurable outcomes in the child's plan, agree them with the family at the next "
    "review, and record who checks each one and when"
)


def test_done_form_shows_the_action_in_full(
    client: TestClient,  # noqa: F811
    connector: FakeConnector,
    engine: Engine,
    world: World,  # noqa: F811
) -> None:
    assert len(LONG_ACTION) > 100
    add_recommendation(
        engine,
        owner=world.worker,
        due=date(2026, 12, 17),
        created=NOW,
        case=world.case,
        action=LONG_ACTION,
    )
    ticker(engine).run_job(REMINDERS, now=NOW)
    deliver(client)
    [reminder] = sent_to(connector, "a:chat-worker")
    form = press(client, connector, WORKER, "a:chat-worker", actions(reminder.cards[0])["rec.done"])
    shown = " ".join(b.get("text", "") for b in form["body"])
    assert LONG_ACTION in shown, shown
    assert "…" not in shown
    assert card_problems(form) == []
