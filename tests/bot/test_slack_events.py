"""Slack, through the real endpoint: signed requests into `POST /slack/events`.

The app is built by `bot.app.build_app` exactly as `serve` builds it, with the Web
API pointed at the in-project fake (tests/fakes/slack_api.py). Replies that Bolt
sends after acknowledging are awaited through the listener pool going idle, never
by sleeping.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.app import build_app
from bot.deps import Deps
from handlers.conversation import Conversation
from handlers.interaction import Reply
from handlers.turn import Turn
from qa.framework import load_framework
from storage.models import AuditLogEntry, OutboxMessage, Person, ProcessedEvent
from tests.chat import (
    SMALL,
    TestClient,
    add_lead,
    add_person,
    add_practitioner,
    all_text,
    app_client,
    click,
    count,
    dm,
    post_command,
    post_event,
    post_interaction,
    routes_with,
    settle,
    signed_headers,
    slack_settings,
)
from tests.fakes.slack_api import FakeSlack, new_trigger_id


def slack_deps(
    db_url: str, engine: Engine, slack: FakeSlack, now: datetime, *extra: Conversation
) -> Deps:
    """The app's dependencies; `extra` conversations join the product's own."""
    return Deps(
        settings=slack_settings(db_url, slack.url),
        framework=load_framework(str(SMALL)),
        engine=engine,
        clock=lambda: now,
        router=routes_with(*extra),
    )


# -- slash command ----------------------------------------------------------------------


def test_qa_lead_asking_for_help_sees_status_and_the_operator_commands(
    api: TestClient, slack: FakeSlack, engine: Engine, now: datetime
) -> None:
    add_lead(engine, now, name="Lee Lead")
    response = post_command(api, slack, "U1LEAD", "help")
    assert response.status_code == 200
    reply = response.json()
    assert reply["response_type"] == "ephemeral"
    text = all_text(reply)
    assert "Hello Lee" in text
    assert "/qa status" in text and "across Testshire County Council" in text
    assert "qa-bot allocate --month YYYY-MM" in text
    assert not slack.calls_to("users.info")  # already matched by Slack id


def test_practitioner_help_offers_only_their_own_work(
    api: TestClient, slack: FakeSlack, engine: Engine, now: datetime
) -> None:
    add_practitioner(engine, now, name="Pat Practitioner")
    text = all_text(post_command(api, slack, "U2PRAC", "").json())
    assert "/qa my" in text
    assert "/qa status" not in text and "qa-bot" not in text


def test_an_unknown_word_gets_help_with_a_gentle_note(
    api: TestClient, slack: FakeSlack, engine: Engine, now: datetime
) -> None:
    add_practitioner(engine, now)
    text = all_text(post_command(api, slack, "U2PRAC", "florb the widgets").json())
    assert "didn't catch" in text and "florb" in text and "widgets" not in text
    assert "/qa my" in text


def test_unknown_user_gets_one_polite_reply_and_nothing_is_stored(
    api: TestClient,
    slack: FakeSlack,
    engine: Engine,
    now: datetime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    add_person(engine, now, email="lead@council.gov.uk", name="Lee", roles=["qa_lead"])
    slack.add_user("U9NEW", "new.person@council.gov.uk")
    before = count(engine, Person)
    response = post_command(api, slack, "U9NEW", "my")
    settle(api)
    assert response.status_code == 200
    reply = response.json()
    assert len(reply["blocks"]) == 1
    assert (
        "I don't recognise you yet: ask your QA lead to add new.person@council.gov.uk"
        in all_text(reply)
    )
    assert "Lee" not in all_text(reply)
    assert count(engine, Person) == before
    assert count(engine, AuditLogEntry) == 0 and count(engine, OutboxMessage) == 0
    assert not slack.calls_to("chat.postMessage") and not slack.calls_to("response")
    assert "new.person" not in caplog.text and "U9NEW" not in caplog.text


def test_unknown_user_without_an_email_is_asked_for_their_work_email(
    api: TestClient, slack: FakeSlack
) -> None:
    reply = post_command(api, slack, "U404", "help").json()  # users.info: user_not_found
    assert "ask your QA lead to add your work email" in all_text(reply)


def test_inactive_person_is_treated_as_unknown(
    api: TestClient, slack: FakeSlack, engine: Engine, now: datetime
) -> None:
    add_person(
        engine,
        now,
        email="gone@council.gov.uk",
        name="Gone",
        roles=["qa_lead"],
        slack_user_id="U7GONE",
        active=False,
    )
    slack.add_user("U7GONE", "gone@council.gov.uk")
    assert "I don't recognise you yet" in all_text(post_command(api, slack, "U7GONE", "my").json())


def test_person_matched_by_email_has_their_slack_id_stored(
    api: TestClient, slack: FakeSlack, engine: Engine, now: datetime
) -> None:
    person_id = add_person(
        engine, now, email="sam.jones@council.gov.uk", name="Sam Jones", roles=["team_manager"]
    )
    slack.add_user("U3SAM", "Sam.Jones@Council.gov.uk")
    first = post_command(api, slack, "U3SAM", "my").json()
    assert "Nothing is waiting for you right now, Sam" in all_text(first)
    with Session(engine) as session:
        assert session.get(Person, person_id).slack_user_id == "U3SAM"  # type: ignore[union-attr]
    assert len(slack.calls_to("users.info")) == 1
    post_command(api, slack, "U3SAM", "help")
    assert len(slack.calls_to("users.info")) == 1  # known by Slack id now


# -- request verification ---------------------------------------------------------------


def _command_body(user_id: str = "U3SAM") -> bytes:
    return urlencode({"command": "/qa", "user_id": user_id, "text": "my"}).encode()


def test_forged_signature_is_refused_and_nothing_is_stored(
    api: TestClient, slack: FakeSlack, engine: Engine, now: datetime
) -> None:
    person_id = add_person(engine, now, email="sam@council.gov.uk", name="Sam", roles=[])
    slack.add_user("U3SAM", "sam@council.gov.uk")
    body = _command_body()
    headers = signed_headers(
        body, content_type="application/x-www-form-urlencoded", secret="not-the-secret"
    )
    response = api.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 401
    with Session(engine) as session:
        assert session.get(Person, person_id).slack_user_id is None  # type: ignore[union-attr]
    assert count(engine, ProcessedEvent) == 0 and count(engine, AuditLogEntry) == 0
    assert not slack.calls_to("users.info")


def test_body_changed_after_signing_is_refused(api: TestClient) -> None:
    headers = signed_headers(_command_body(), content_type="application/x-www-form-urlencoded")
    response = api.post("/slack/events", content=_command_body("U1OTHER"), headers=headers)
    assert response.status_code == 401


def test_stale_timestamp_is_refused(api: TestClient) -> None:
    body = _command_body()
    headers = signed_headers(
        body,
        content_type="application/x-www-form-urlencoded",
        timestamp=int(time.time()) - 301,
    )
    assert api.post("/slack/events", content=body, headers=headers).status_code == 401


@pytest.mark.parametrize("drop", ["X-Slack-Signature", "X-Slack-Request-Timestamp"])
def test_missing_signature_headers_are_refused(api: TestClient, drop: str) -> None:
    body = _command_body()
    headers = signed_headers(body, content_type="application/x-www-form-urlencoded")
    del headers[drop]
    assert api.post("/slack/events", content=body, headers=headers).status_code == 401


def test_non_numeric_timestamp_is_refused(api: TestClient) -> None:
    body = _command_body()
    headers = signed_headers(body, content_type="application/x-www-form-urlencoded")
    headers["X-Slack-Request-Timestamp"] = "yesterday"
    assert api.post("/slack/events", content=body, headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'{"type": "event_callback", "event_id": "Ev1", "event": "nope"}', "application/json"),
        (b'{"type": "event_callback", "event": {"type": "message"}}', "application/json"),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded"),
        (b"payload=%7B%22type%22%3A%22block_actions%22%7D", "application/x-www-form-urlencoded"),
        (
            b'payload={"type":"view_submission","user":{"id":"U1"},"view":{"callback_id":"x"}}',
            "application/x-www-form-urlencoded",
        ),
        (b"command=%2Fqa", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00", "application/json"),
        (b"", "application/json"),
    ],
)
def test_malformed_bodies_get_a_4xx_not_a_500(
    api: TestClient, engine: Engine, body: bytes, content_type: str
) -> None:
    response = api.post(
        "/slack/events", content=body, headers=signed_headers(body, content_type=content_type)
    )
    assert 400 <= response.status_code < 500, response.text
    assert count(engine, ProcessedEvent) == 0


def test_url_verification_is_answered(api: TestClient) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"}).encode()
    response = api.post(
        "/slack/events", content=body, headers=signed_headers(body, content_type="application/json")
    )
    assert response.status_code == 200 and "abc123" in response.text


# -- events -----------------------------------------------------------------------------


def test_direct_message_help_is_answered_in_the_dm(
    api: TestClient, slack: FakeSlack, engine: Engine, now: datetime
) -> None:
    add_lead(engine, now)
    assert post_event(api, dm("U1LEAD", "help"), event_id="Ev0001").status_code == 200
    settle(api)
    [call] = slack.calls_to("chat.postMessage")
    assert call.params["channel"] == "DU1LEAD"
    assert "/qa status" in all_text(call.params)


def test_an_event_retried_by_slack_is_answered_once(
    api: TestClient, slack: FakeSlack, engine: Engine, now: datetime
) -> None:
    add_lead(engine, now)
    assert post_event(api, dm("U1LEAD", "my"), event_id="Ev0002").status_code == 200
    settle(api)
    for attempt in (1, 2):
        assert post_event(api, dm("U1LEAD", "my"), event_id="Ev0002", retry=attempt).is_success
    settle(api)
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert count(engine, ProcessedEvent) == 1


def test_simultaneous_deliveries_of_one_event_reply_once(
    api: TestClient, slack: FakeSlack, engine: Engine, now: datetime
) -> None:
    add_lead(engine, now)
    statuses: list[int] = []
    workers = [
        threading.Thread(
            target=lambda n=n: statuses.append(
                post_event(api, dm("U1LEAD", "help"), event_id="Ev0009", retry=n).status_code
            )
        )
        for n in (None, 1, 2, 3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    settle(api)
    assert statuses == [200] * 4
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_messages_from_bots_and_edits_are_ignored(
    api: TestClient, slack: FakeSlack, engine: Engine, now: datetime
) -> None:
    add_lead(engine, now)
    post_event(api, {**dm("U1LEAD", "help"), "bot_id": "B0OTHER"}, event_id="Ev0003")
    post_event(api, {**dm("U1LEAD", "help"), "subtype": "message_changed"}, event_id="Ev0004")
    settle(api)
    assert not slack.calls_to("chat.postMessage")


def test_a_mention_in_a_channel_is_answered_privately(
    api: TestClient, slack: FakeSlack, engine: Engine, now: datetime
) -> None:
    add_lead(engine, now)
    event = {
        "type": "app_mention",
        "channel": "C0GENERAL",
        "user": "U1LEAD",
        "text": "<@U0BOT> my",
        "ts": "1700000000.000200",
    }
    post_event(api, event, event_id="Ev0005")
    settle(api)
    assert not slack.calls_to("chat.postMessage")
    [call] = slack.calls_to("chat.postEphemeral")
    assert call.params["channel"] == "C0GENERAL" and call.params["user"] == "U1LEAD"
    assert "Nothing is waiting for you right now" in all_text(call.params)


def test_opening_the_home_tab_publishes_a_home_view(
    api: TestClient, slack: FakeSlack, engine: Engine, now: datetime
) -> None:
    add_lead(engine, now)
    event = {"type": "app_home_opened", "user": "U1LEAD", "channel": "DU1LEAD", "tab": "home"}
    post_event(api, event, event_id="Ev0006")
    settle(api)
    [call] = slack.calls_to("views.publish")
    assert call.params["user_id"] == "U1LEAD"
    view = call.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["type"] == "home"
    assert "Hello Lee" in json.dumps(view)


def test_the_my_work_button_on_the_home_tab_answers_in_a_dm(
    api: TestClient, slack: FakeSlack, engine: Engine, now: datetime
) -> None:
    add_lead(engine, now)
    payload = {
        "type": "block_actions",
        "user": {"id": "U1LEAD"},
        "trigger_id": new_trigger_id(),
        "container": {"type": "view", "view_id": "V0VIEW"},
        "view": {"id": "V0VIEW", "type": "home", "callback_id": ""},
        "actions": [{"action_id": "my", "block_id": "b1", "type": "button", "value": ""}],
    }
    response = post_interaction(api, payload)
    assert response.status_code == 200
    [call] = slack.calls_to("chat.postMessage")
    assert call.params["channel"] == "U1LEAD"
    assert "Nothing is waiting for you right now" in all_text(call.params)


def test_a_failing_handler_or_template_still_gets_a_polite_answer(
    db_url: str,
    slack: FakeSlack,
    engine: Engine,
    now: datetime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.DEBUG, logger="handlers")

    def boom(_turn: Turn) -> list[Reply]:
        raise RuntimeError("child's name would be here")

    faulty = Conversation(
        name="faulty",
        actions={"boom": boom, "bad_template": lambda _t: [Reply("no_such_template")]},
    )
    add_lead(engine, now)
    app = build_app(slack_deps(db_url, engine, slack, now, faulty), background=False)
    with TestClient(app) as api:
        assert click(api, "U1LEAD", "boom", "k", wait=False).status_code == 200
        assert click(api, "U1LEAD", "bad_template", "k", wait=False).status_code == 200
        settle(api)
    calls = slack.calls_to("chat.postMessage")
    assert len(calls) == 2
    assert all("Sorry, that didn't work" in all_text(c.params) for c in calls)
    assert "RuntimeError" in caplog.text  # what failed is logged, what it said is not
    for personal in ("child's name", "lead@council.gov.uk", "Lee"):
        assert personal not in caplog.text


# -- health -----------------------------------------------------------------------------


def test_healthz_answers_json(api: TestClient) -> None:
    response = api.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok" and body["slack"] is True


# -- the event loop and Socket Mode ---------------------------------------------------------


def test_a_slow_slack_request_does_not_hold_up_other_requests(
    api: TestClient, slack: FakeSlack
) -> None:
    release = threading.Event()

    def slow_users_info(method: str, _params: dict[str, Any]) -> Any:
        if method == "users.info":
            release.wait(10)  # Slack being slow to answer: the listener thread waits here
        return None

    slack.state.interceptor = slow_users_info
    answers: list[httpx.Response] = []
    worker = threading.Thread(
        target=lambda: answers.append(post_command(api, slack, "U9NEW", "help"))
    )
    worker.start()
    try:
        slack.wait_for("users.info")
        assert api.get("/healthz").status_code == 200  # served while Slack work waits
        assert not answers
    finally:
        release.set()
        worker.join(10)
    assert answers and answers[0].status_code == 200


def test_socket_mode_uses_the_app_token_and_stops_cleanly(
    db_url: str, engine: Engine, slack: FakeSlack, now: datetime
) -> None:
    settings = slack_settings(
        db_url, slack.url, slack_signing_secret=None, slack_app_token="xapp-test-token"
    )
    app = app_client(settings, engine, now).app
    [socket_loop] = [f for f in app.state.loops if "socket_mode" in f.__qualname__]
    with TestClient(app) as client:  # no signing secret: no HTTP endpoint to attack
        assert client.post("/slack/events", content=b"{}").status_code in {404, 405}

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(socket_loop(stop))
        await asyncio.to_thread(slack.wait_for, "apps.connections.open")
        stop.set()
        await asyncio.wait_for(task, timeout=10)

    asyncio.run(run())
