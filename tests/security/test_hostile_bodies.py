"""Hostile bodies get a 4xx before any expensive work, and Teams replies are never lost.

Through the real endpoints: deeply nested JSON (which made Python's recursive JSON
parser raise `RecursionError`, a 500 with a traceback) on Slack (JSON and the
form-encoded `payload=`) and Teams; on Teams with authentication on, a token that
does not validate is refused before the body is parsed at all; an activity with no
`serviceUrl` is refused before any work; a reply quoting a lone surrogate is sent
(it used to fail to encode); a reply Teams will not take goes to the outbox.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine

from bot.body_limits import MAX_DEPTH, too_deep, without_lone_surrogates
from tests.fakes import connector as teams
from tests.fakes.connector import ConnectorFault, FakeConnector
from tests.fakes.slack_api import FakeSlack
from tests.security.endpoints import (
    CLIENT_ID,
    add_person,
    authenticated,
    row_counts,
    rows_of,
    slack_client,
    slack_headers,
    teams_client,
    teams_settings,
)
from tests.security.openid import OpenIdServer

AAD = "11111111-2222-3333-4444-555555555555"
DEEP = 5000  # far past the interpreter's recursion limit


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def deep_activity(service_url: str, depth: int = DEEP) -> str:
    """A real activity shape whose `value` nests `depth` levels."""
    shell = json.dumps(teams.message("help", service_url=service_url, aad_object_id=AAD))
    return shell[:-1] + ', "value": ' + nested(depth) + "}"


@pytest.fixture
def connector() -> Iterator[FakeConnector]:
    with FakeConnector() as fake:
        yield fake


# -- the depth scan itself -------------------------------------------------------------


def test_the_depth_scan_counts_structure_not_brackets_inside_strings() -> None:
    assert not too_deep(nested(MAX_DEPTH))
    assert too_deep(nested(MAX_DEPTH + 1))
    assert too_deep("[" * (MAX_DEPTH + 1))  # unterminated: refused, it is not JSON anyway
    assert not too_deep(json.dumps({"text": "[" * 10_000}))
    assert not too_deep(json.dumps({"a": ["[]"] * 5000}))  # wide, not deep
    assert not too_deep(json.dumps(["\\", {"b": '"[[['}] * 100))


def test_lone_surrogates_are_replaced_everywhere_in_a_reply() -> None:
    cleaned = without_lone_surrogates({"text": "a\ud800b", "\udfff": ["\udc00", 1, None]})

    assert cleaned == {"text": "a\ufffdb", "\ufffd": ["\ufffd", 1, None]}
    json.dumps(cleaned, ensure_ascii=False).encode("utf-8")  # now encodable


# -- Slack -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (nested(DEEP).encode(), "application/json"),
        (("[" * DEEP + "]" * DEEP).encode(), "application/json"),
        (urlencode({"payload": nested(DEEP)}).encode(), "application/x-www-form-urlencoded"),
        (urlencode({"payload": "[" * DEEP}).encode(), "application/x-www-form-urlencoded"),
    ],
    ids=["json-object", "json-array", "form-payload", "form-unterminated"],
)
def test_slack_refuses_deeply_nested_json_with_a_400(
    db_url: str, engine: Engine, now: datetime, body: bytes, content_type: str
) -> None:
    before = row_counts(engine)
    with FakeSlack() as slack, slack_client(db_url, engine, now, slack.url) as client:
        answer = client.post(
            "/slack/events", content=body, headers=slack_headers(body, content_type=content_type)
        )

    assert answer.status_code == 400
    assert "nests deeper" in answer.json()["error"]
    assert "Traceback" not in answer.text
    assert row_counts(engine) == before


def test_slack_still_takes_a_payload_nested_as_deep_as_real_ones(
    db_url: str, engine: Engine, now: datetime
) -> None:
    """The control: a view submission of ordinary depth goes through (here: refused politely)."""
    payload = {
        "type": "view_closed",
        "user": {"id": "U9NOBODY"},
        "team": {"id": "T0"},
        "view": {"id": "V1", "type": "modal", "callback_id": "x", "state": {"values": {}}},
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    with FakeSlack() as slack, slack_client(db_url, engine, now, slack.url) as client:
        answer = client.post(
            "/slack/events",
            content=body,
            headers=slack_headers(body, content_type="application/x-www-form-urlencoded"),
        )

    assert answer.status_code == 200


def test_a_slack_reply_quoting_a_lone_surrogate_is_delivered(
    db_url: str, engine: Engine, now: datetime
) -> None:
    add_person(engine, now, slack_user_id="U1LEAD")
    event = {
        "type": "event_callback",
        "event_id": "EvSurrogate",
        "event_time": int(time.time()),
        "team_id": "T0",
        "event": {
            "type": "message",
            "channel_type": "im",
            "channel": "DU1LEAD",
            "user": "U1LEAD",
            "text": "\ud800zzz please",
            "ts": "1.1",
        },
    }
    body = json.dumps(event).encode()  # the lone surrogate travels as the escape "\ud800"
    with FakeSlack() as slack, slack_client(db_url, engine, now, slack.url) as client:
        answer = client.post(
            "/slack/events",
            content=body,
            headers=slack_headers(body, content_type="application/json"),
        )
        assert client.app.state.slack_executor.wait_idle(10)
        sent = slack.calls_to("chat.postMessage")

    assert answer.status_code == 200
    assert len(sent) == 1  # the help reply, saying what it did not catch
    assert "\ufffdzzz" in json.dumps(sent[0].params, ensure_ascii=False)


# -- Teams -------------------------------------------------------------------------------


def test_teams_refuses_deeply_nested_json_with_a_400(
    db_url: str, engine: Engine, now: datetime, connector: FakeConnector
) -> None:
    before = row_counts(engine)
    with teams_client(teams_settings(db_url), engine, now) as client:
        deep = client.post(
            "/api/messages",
            content=deep_activity(connector.url).encode(),
            headers={"Content-Type": "application/json"},
        )
        bare = client.post("/api/messages", content=b"[" * DEEP)

    assert deep.status_code == 400 and bare.status_code == 400
    assert "nests deeper" in deep.json()["error"]
    assert row_counts(engine) == before
    assert connector.calls_to() == []


@pytest.fixture(scope="module")
def keys() -> Iterator[OpenIdServer]:
    with OpenIdServer() as server:
        yield server


@pytest.mark.parametrize(
    "body",
    [deep_activity("http://127.0.0.1:9/teams/"), "{not json", '"a string"'],
    ids=["deeply-nested", "not-json", "not-an-object"],
)
def test_teams_with_authentication_checks_the_token_before_reading_the_body(
    db_url: str, engine: Engine, now: datetime, keys: OpenIdServer, body: str
) -> None:
    """A forged token gets 401 whatever the body: nobody unauthenticated reaches the parser."""
    with teams_client(authenticated(db_url, keys), engine, now) as client:
        answer = client.post(
            "/api/messages",
            content=body.encode(),
            headers={"Authorization": "Bearer not.a.token", "Content-Type": "application/json"},
        )

    assert answer.status_code == 401


def test_teams_with_authentication_refuses_a_deep_body_with_a_good_token_as_400(
    db_url: str, engine: Engine, now: datetime, keys: OpenIdServer, connector: FakeConnector
) -> None:
    token = keys.token(audience=CLIENT_ID, service_url=connector.url)
    with teams_client(authenticated(db_url, keys), engine, now) as client:
        answer = client.post(
            "/api/messages",
            content=deep_activity(connector.url).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )

    assert answer.status_code == 400


@pytest.mark.parametrize("service_url", [None, "", "not a url", "ftp://host/x", "http://"])
def test_teams_refuses_an_activity_without_a_usable_service_url_before_any_work(
    db_url: str, engine: Engine, now: datetime, service_url: str | None
) -> None:
    pid = add_person(engine, now, teams_user_id=AAD)
    activity = teams.install(service_url="http://placeholder/", aad_object_id=AAD)
    if service_url is None:
        del activity["serviceUrl"]
    else:
        activity["serviceUrl"] = service_url
    before = row_counts(engine)
    with teams_client(teams_settings(db_url), engine, now) as client:
        answer = client.post("/api/messages", json=activity)

    assert answer.status_code == 400
    assert "serviceUrl" in answer.json()["error"]
    assert row_counts(engine) == before
    person = next(p for p in rows_of(engine, "person") if p["id"] == pid)
    assert person["teams_conversation"] is None


def test_a_teams_reply_quoting_a_lone_surrogate_is_delivered(
    db_url: str, engine: Engine, now: datetime, connector: FakeConnector
) -> None:
    add_person(engine, now, teams_user_id=AAD)
    # json.dumps writes the lone surrogate as the escape "\ud800": valid JSON.
    body = json.dumps(
        teams.message("\ud800zzz please", service_url=connector.url, aad_object_id=AAD)
    )
    with teams_client(teams_settings(db_url), engine, now) as client:
        answer = client.post(
            "/api/messages", content=body.encode(), headers={"Content-Type": "application/json"}
        )

    assert answer.status_code == 200
    sent = connector.messages()
    assert len(sent) == 1  # the help reply, saying what it did not catch
    assert "\ufffdzzz" in json.dumps(sent[0].body, ensure_ascii=False)
    assert rows_of(engine, "outboxmessage") == []


def test_a_teams_reply_that_cannot_be_sent_is_queued_in_the_outbox(
    db_url: str, engine: Engine, now: datetime, connector: FakeConnector
) -> None:
    pid = add_person(engine, now, teams_user_id=AAD)
    connector.fail_next("reply", ConnectorFault(status=503, retry_after=None), times=5)
    connector.fail_next("send", ConnectorFault(status=503, retry_after=None), times=5)
    with teams_client(teams_settings(db_url), engine, now) as client:
        message = teams.message("help", service_url=connector.url, aad_object_id=AAD)
        answer = client.post("/api/messages", json=message)
        again = client.post("/api/messages", json=message)  # the Bot Connector's retry

    assert answer.status_code == 200 and again.status_code == 200
    queued = rows_of(engine, "outboxmessage")
    assert len(queued) == 1  # one key per activity and reply: the retry adds nothing
    assert queued[0]["person_id"] == pid
    assert queued[0]["template"] == "notice"
    assert queued[0]["status"] == "pending"
    assert queued[0]["context"]["text"]
