"""One effect and one reply per request, on both platforms, through the real endpoints.

The Bot Connector resends an activity (same `id`) when the bot is slow; Slack resends
events; people double-click. The shared turn runner (`bot/turns.py`) claims each
request's key in the same transaction as its effects, so every copy after the first,
sequential or concurrent, does nothing and says nothing. A handler that raises gets
the same polite answer on Teams as on Slack.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from handlers.conversation import Conversation
from handlers.interaction import Reply
from handlers.turn import Turn
from storage.models import Audit
from tests import chat
from tests.bot.test_audit_slack import SlackAudit, app_for
from tests.bot.test_teams_adapter import AAD
from tests.bot.test_teams_adapter import add_person as add_teams_person
from tests.chat import (
    TestClient,
    add_lead,
    app_client,
    interaction_body,
    post_activity,
    post_signed,
    routes_with,
    settle,
    slack_settings,
    teams_settings,
)
from tests.fakes import connector as teams
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack
from tests.handlers.audit_world import SLACK_AUDITOR, seed_world

COPIES = 3


def _boom(_turn: Turn) -> list[Reply]:
    raise RuntimeError("a child's name would be here")


FAULTY = Conversation(name="faulty", actions={"boom": _boom})


def teams_client(db_url: str, engine: Engine, now: datetime, *extra: Conversation) -> TestClient:
    return app_client(teams_settings(db_url), engine, now, router=routes_with(*extra))


def slack_client(db_url: str, engine: Engine, now: datetime, slack: FakeSlack) -> TestClient:
    return app_client(slack_settings(db_url, slack.url), engine, now)


# -- Teams ----------------------------------------------------------------------------------


def test_the_same_teams_activity_three_times_in_a_row_is_answered_once(
    db_url: str, engine: Engine, now: datetime, connector: FakeConnector
) -> None:
    add_teams_person(engine, now, email="sam@testshire.gov.uk", teams_user_id=AAD)
    activity = teams.message("help", service_url=connector.url, aad_object_id=AAD)
    with teams_client(db_url, engine, now) as client:
        codes = [post_activity(client, activity).status_code for _ in range(COPIES)]
    assert codes == [200] * COPIES
    assert len(connector.messages()) == 1


def test_three_concurrent_copies_of_a_teams_activity_are_answered_once(
    db_url: str, engine: Engine, now: datetime, connector: FakeConnector
) -> None:
    add_teams_person(engine, now, email="sam@testshire.gov.uk", teams_user_id=AAD)
    activity = teams.message("my", service_url=connector.url, aad_object_id=AAD)
    with teams_client(db_url, engine, now) as client, ThreadPoolExecutor(COPIES) as pool:
        codes = list(pool.map(lambda _: post_activity(client, activity).status_code, range(3)))
    assert codes == [200] * COPIES
    assert len(connector.messages()) == 1


def test_a_resent_card_press_on_teams_has_one_effect_and_says_so(
    db_url: str, engine: Engine, now: datetime, connector: FakeConnector
) -> None:
    add_teams_person(engine, now, email="sam@testshire.gov.uk", teams_user_id=AAD)
    press = teams.execute({"action": "help"}, service_url=connector.url, aad_object_id=AAD)
    with teams_client(db_url, engine, now) as client:
        first = post_activity(client, press).json()
        again = post_activity(client, press).json()
    assert first["type"] == "application/vnd.microsoft.card.adaptive"
    assert again["value"] == "That press was already received."


def test_other_activities_with_their_own_ids_are_each_answered(
    db_url: str, engine: Engine, now: datetime, connector: FakeConnector
) -> None:
    add_teams_person(engine, now, email="sam@testshire.gov.uk", teams_user_id=AAD)
    with teams_client(db_url, engine, now) as client:
        for _ in range(COPIES):
            activity = teams.message("help", service_url=connector.url, aad_object_id=AAD)
            assert post_activity(client, activity).status_code == 200
    assert len(connector.messages()) == COPIES


def test_a_handler_that_raises_gets_a_polite_reply_on_teams_too(
    db_url: str,
    engine: Engine,
    now: datetime,
    connector: FakeConnector,
    caplog: pytest.LogCaptureFixture,
) -> None:
    add_teams_person(engine, now, email="sam@testshire.gov.uk", teams_user_id=AAD)
    press = {"action": "boom", "kind": "action"}
    activity = teams.message("", service_url=connector.url, aad_object_id=AAD, value=press)
    with teams_client(db_url, engine, now, FAULTY) as client:
        assert post_activity(client, activity).status_code == 200
    [sent] = connector.messages()
    assert "Please try again in a minute" in sent.all_text
    assert "RuntimeError" in caplog.text and "child's name" not in caplog.text


# -- Slack ----------------------------------------------------------------------------------


def _press(action_id: str, user: str, *, action_ts: str, value: str = "k") -> bytes:
    payload = chat.block_actions(user, action_id, value)
    payload["trigger_id"] = "1.2.abc"
    payload["actions"][0]["action_ts"] = action_ts
    return interaction_body(payload)


def _post(api: TestClient, body: bytes) -> int:
    return post_signed(api, body).status_code


@pytest.mark.parametrize("concurrent", [False, True], ids=["in-a-row", "at-once"])
def test_a_resent_slack_click_has_one_effect_and_one_reply(
    db_url: str, engine: Engine, now: datetime, slack: FakeSlack, concurrent: bool
) -> None:
    add_lead(engine, now)
    body = _press("my", "U1LEAD", action_ts="1700000000.000001")
    with slack_client(db_url, engine, now, slack) as api:
        if concurrent:
            with ThreadPoolExecutor(COPIES) as pool:
                codes = list(pool.map(lambda _: _post(api, body), range(COPIES)))
        else:
            codes = [_post(api, body) for _ in range(COPIES)]
        settle(api)
    assert codes == [200] * COPIES
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_separate_clicks_on_the_same_button_are_each_answered(
    db_url: str, engine: Engine, now: datetime, slack: FakeSlack
) -> None:
    add_lead(engine, now)
    with slack_client(db_url, engine, now, slack) as api:
        for n in range(COPIES):
            assert _post(api, _press("my", "U1LEAD", action_ts=f"1700000000.00000{n}")) == 200
        settle(api)
    assert len(slack.calls_to("chat.postMessage")) == COPIES


def test_twenty_quick_clicks_on_start_open_one_modal_until_it_is_closed(
    db_url: str, engine: Engine, now: datetime, slack: FakeSlack
) -> None:
    world = seed_world(engine, now, "camden")
    client, keys = app_for(db_url, engine, slack, now, world)
    with client:
        auditor = SlackAudit(client, slack, keys, world)
        for _ in range(20):
            auditor.click_in_dm("audit.start", f"allocation:{world.allocation_id}")
        assert len(slack.calls_to("views.open")) == 1
        with Session(engine) as session:
            assert session.exec(select(func.count()).select_from(Audit)).one() == 1
        # Closed, the modal may be opened again by the next click.
        view: dict[str, Any] = {"id": "V0STEP", **auditor._last_view("views.open")}
        closed = {"type": "view_closed", "user": {"id": SLACK_AUDITOR}}
        auditor._post({**closed, "view": {**view, "state": {"values": {}}, "hash": "1.h"}})
        settle(client)
        auditor.click_in_dm("audit.start", f"allocation:{world.allocation_id}")
    assert len(slack.calls_to("views.open")) == 2


@pytest.mark.parametrize("concurrent", [False, True], ids=["in-a-row", "at-once"])
def test_a_resent_slack_form_submission_has_one_effect_and_one_answer(
    db_url: str, engine: Engine, now: datetime, slack: FakeSlack, concurrent: bool
) -> None:
    world = seed_world(engine, now, "camden")
    client, keys = app_for(db_url, engine, slack, now, world)
    with client:
        auditor = SlackAudit(client, slack, keys, world)
        auditor.open()
        first_step = auditor.step()
        view = auditor.view
        payload = {
            "type": "view_submission",
            "user": {"id": SLACK_AUDITOR},
            "trigger_id": "9.9.resent",  # one submission, delivered three times
            "view": {
                **view,
                "id": "V0STEP",
                "state": auditor.state(auditor.answer(), view),
                "hash": "1.h",
            },
        }

        def send(_: int) -> dict[str, Any]:
            answer = post_signed(client, interaction_body(payload))
            assert answer.status_code == 200
            return answer.json() if answer.content else {}

        if concurrent:
            with ThreadPoolExecutor(COPIES) as pool:
                bodies = list(pool.map(send, range(COPIES)))
        else:
            bodies = [send(n) for n in range(COPIES)]
        settle(client)
    updates = [b for b in bodies if b.get("response_action") == "update"]
    assert len(updates) == 1, bodies  # one answer: the next step
    assert [b for b in bodies if b is not updates[0]] == [{}] * (COPIES - 1)
    assert keys.verify(updates[0]["view"]["private_metadata"]) != f"audit:1:{first_step}"


def test_a_resent_slash_command_is_answered_once(
    db_url: str, engine: Engine, now: datetime, slack: FakeSlack
) -> None:
    add_lead(engine, now)
    raw = urlencode(
        {"command": "/qa", "user_id": "U1LEAD", "text": "my", "trigger_id": "7.7.same"}
    ).encode()
    with slack_client(db_url, engine, now, slack) as api:
        answers = []
        for _ in range(COPIES):
            answers.append(post_signed(api, raw))
        settle(api)
    assert [a.status_code for a in answers] == [200] * COPIES
    with_reply = [a for a in answers if a.content and a.json().get("blocks")]
    assert len(with_reply) == 1
