"""Blind moderation through the real endpoints (issue 15), on Slack and on Teams.

Camden with `moderation.blind: true`: the auditor submits an Inadequate audit; the
moderator's request and the dialog's first step never name the auditor's grade (the
grade label is absent from every payload the moderator gets, option lists aside: a
grade picker offers every grade); after the moderator gives their own grades the next
step shows both side by side, and once submitted the agreement figures count the
blind grades, not the confirmed ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

import handlers.audit  # noqa: F401 - registers the audit dialog
from bot.composition import router
from bot.routing_keys import keys_for
from qa.framework import Framework
from qa.working_days import Month
from storage.agreement import agreement_rows
from tests.bot.test_audit_slack import app_for
from tests.bot.test_audit_teams import inputs
from tests.bot.test_moderation_slack import SlackModeration
from tests.bot.test_moderation_teams import TeamsModeration, find_action
from tests.chat import all_text, app_client, teams_settings
from tests.dispatching import LONDON
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack
from tests.handlers.moderation_world import (
    ModerationWorld,
    aad_id,
    connect_auditor,
    connect_teams,
    dialog_of,
    moderation_answers,
    moderations,
    seed_moderation_world,
    slack_id,
)

GIVEN = "Inadequate"  # the auditor's grade, everywhere
MINE = "good"  # the moderator's blind grade, everywhere


def blind(framework: Framework) -> Framework:
    """The framework with blind moderation on."""
    policy = framework.moderation.model_copy(update={"blind": True})
    return framework.model_copy(update={"moderation": policy})


def blind_world(world: ModerationWorld) -> ModerationWorld:
    return replace(world, audit=replace(world.audit, framework=blind(world.framework)))


def shown(payload: Any) -> str:
    """What a payload says, without its pickers' option lists (they offer every grade)."""

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: strip(v)
                for k, v in node.items()
                if k not in ("options", "choices", "option_groups")
            }
        if isinstance(node, list):
            return [strip(v) for v in node]
        if isinstance(node, str) and node[:1] in "[{":
            try:
                return strip(json.loads(node))
            except ValueError:
                return node
        return node

    return json.dumps(strip(payload), ensure_ascii=False)


def blind_values(engine: Engine, world: ModerationWorld, row: Any) -> dict[str, str]:
    step = dialog_of(engine, world.framework, row).step("blind")
    return {f.key: MINE for f in step.fields}


def assert_counted_blind(engine: Engine, world: ModerationWorld, now: datetime) -> None:
    """The agreement figures pair the auditor's grades with the blind ones."""
    month = Month.of(now.date())
    with Session(engine) as session:
        rows = agreement_rows(session, world.framework, tz=LONDON, first=month, last=month)
    [row] = rows.rows
    assert row.overall == ("inadequate", MINE), "the blind overall grade, not the confirmed one"
    assert row.domains and all(pair == ("inadequate", MINE) for pair in row.domains.values())


# -- Slack --------------------------------------------------------------------------------


@pytest.fixture
def slack_chat(
    db_url: str, engine: Engine, slack: FakeSlack, now: datetime
) -> Iterator[SlackModeration]:
    world = blind_world(seed_moderation_world(engine, now, "camden"))
    client, keys = app_for(db_url, engine, slack, now, world.audit, routes=router())
    with client:
        yield SlackModeration(client, slack, keys, world, engine)


def to_moderator(chat: SlackModeration, user: str) -> list[dict[str, Any]]:
    """Every payload the moderator was sent: messages, edits, modals."""
    sent = [
        c.params
        for method in ("chat.postMessage", "chat.update")
        for c in chat.slack.calls_to(method)
        if c.params.get("channel") in (user, f"D{user}")
    ]
    views = [c.params for m in ("views.open", "views.update") for c in chat.slack.calls_to(m)]
    return sent + views


def test_slack_the_moderator_grades_blind_then_sees_both_side_by_side(
    slack_chat: SlackModeration, now: datetime
) -> None:
    chat = slack_chat
    chat.submit_audit("inadequate")
    [row] = moderations(chat.engine)
    user = slack_id(row.moderator_id)
    request = chat.request_for(row)
    assert "blind" in all_text(request) and chat.world.audit.reference in all_text(request)
    chat.click(user, "moderation.open", chat.button(request, "moderation.open"))
    view = chat.last_view("views.open")
    assert "yourself first" in all_text(view), "the blind step first"
    before = to_moderator(chat, user)
    assert before, "the moderator was sent the request and the first step"
    for payload in before:
        assert GIVEN not in shown(payload), "the auditor's grade before the blind grades"

    body = chat.submit(user, view, blind_values(chat.engine, chat.world, row))
    assert body.get("response_action") == "update", body
    view = body["view"]
    side = all_text(view)
    assert f"{GIVEN} · you: Good" in side, "both grades, side by side"

    dialog = dialog_of(chat.engine, chat.world.framework, row)
    while body.get("response_action") == "update":
        view = body["view"]
        step = (chat.keys.verify(view["private_metadata"]) or "").rsplit(":", 1)[-1]
        values = moderation_answers(dialog.step(step), owner=chat.owner(view))
        body = chat.submit(user, view, values)
        assert body.get("response_action") != "errors", body
    [row] = moderations(chat.engine)
    assert row.outcome == "confirmed"
    assert_counted_blind(chat.engine, chat.world, now)


# -- Teams --------------------------------------------------------------------------------


@pytest.fixture
def teams_chat(
    db_url: str, engine: Engine, now: datetime, connector: FakeConnector
) -> Iterator[TeamsModeration]:
    world = blind_world(seed_moderation_world(engine, now, "camden"))
    connect_teams(engine, connector.url)
    connect_auditor(engine, world, connector.url)
    settings = teams_settings(db_url, QA_BOT_FRAMEWORK="camden")
    with app_client(settings, engine, now, framework=world.framework) as client:
        yield TeamsModeration(client, connector, keys_for(settings), world, engine)


def test_teams_the_moderator_grades_blind_then_sees_both_side_by_side(
    teams_chat: TeamsModeration, now: datetime
) -> None:
    chat = teams_chat
    chat.submit_audit("inadequate")
    [row] = moderations(chat.engine)
    user = aad_id(row.moderator_id)
    request = chat.request_for(row)
    assert "blind" in json.dumps(request)
    data = find_action(request, "moderation.open")
    assert data is not None
    card = chat.open(data, user)
    assert "yourself first" in json.dumps(card, ensure_ascii=False)
    for call in chat.sent_to(user):
        assert GIVEN not in shown(call.body), "the auditor's grade before the blind grades"
    assert GIVEN not in shown(card)

    step_data = find_action(card.get("actions", []), "moderation.step")
    assert step_data is not None
    values = blind_values(chat.engine, chat.world, row)
    card = chat.execute({**step_data, **{k: values.get(k, "") for k in inputs(card)}}, user)
    assert f"{GIVEN} · you: Good" in json.dumps(card, ensure_ascii=False)

    dialog = dialog_of(chat.engine, chat.world.framework, row)
    while (step_data := find_action(card.get("actions", []), "moderation.step")) is not None:
        step = (chat.keys.verify(step_data["routing_key"]) or "").rsplit(":", 1)[-1]
        values = moderation_answers(dialog.step(step), owner=chat.owner(card))
        before = step_data["routing_key"]
        card = chat.execute({**step_data, **{k: values.get(k, "") for k in inputs(card)}}, user)
        again = find_action(card.get("actions", []), "moderation.step")
        assert again is None or again["routing_key"] != before, "no errors"
    [row] = moderations(chat.engine)
    assert row.outcome == "confirmed"
    assert_counted_blind(chat.engine, chat.world, now)
