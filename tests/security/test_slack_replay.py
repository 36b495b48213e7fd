"""Slack replays: a captured request sent again never doubles an effect.

tests/bot/test_slack_events.py covers Slack's own retries (`X-Slack-Retry-Num`) and
refuses forged, stale and unsigned requests; these add the attacker's version: the
same signed event replayed as a fresh delivery (no retry header), and a captured
request replayed after the five-minute window, checking there is no side effect at
all (no row, no call to Slack).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.chat import signed_headers
from tests.fakes.slack_api import FakeSlack
from tests.security.endpoints import add_person, row_counts, slack_client

EVENT = {
    "type": "event_callback",
    "team_id": "T0TEAM",
    "api_app_id": "A0APP",
    "event_id": "Ev0REPLAY",
    "event": {
        "type": "message",
        "channel_type": "im",
        "channel": "DU1LEAD",
        "user": "U1LEAD",
        "text": "my",
        "ts": "1700000000.000100",
    },
}


def signed(body: bytes, timestamp: int) -> dict[str, str]:
    return signed_headers(body, content_type="application/json", timestamp=timestamp)


@pytest.fixture
def client(db_url: str, engine: Engine, now: datetime, slack: FakeSlack) -> Iterator[Any]:
    add_person(engine, now, slack_user_id="U1LEAD")
    with slack_client(db_url, engine, now, slack.url) as test_client:
        yield test_client


def test_the_same_event_replayed_without_a_retry_header_is_answered_once(
    client: Any, slack: FakeSlack, engine: Engine
) -> None:
    body = json.dumps(EVENT).encode()
    headers = signed(body, int(time.time()))

    for _ in range(3):
        assert client.post("/slack/events", content=body, headers=headers).status_code == 200
    assert client.app.state.slack_executor.wait_idle(10)

    assert len(slack.calls_to("chat.postMessage")) == 1
    assert row_counts(engine)["processed_event"] == 1


@pytest.mark.parametrize("age", [301, 3600, -301], ids=["just-stale", "an-hour", "future"])
def test_a_captured_request_replayed_outside_five_minutes_has_no_effect(
    client: Any, slack: FakeSlack, engine: Engine, age: int
) -> None:
    body = json.dumps(EVENT).encode()
    before = row_counts(engine)
    headers = signed(body, int(time.time()) - age)

    answer = client.post("/slack/events", content=body, headers=headers)
    assert client.app.state.slack_executor.wait_idle(10)

    assert answer.status_code == 401
    assert row_counts(engine) == before
    with slack.state.lock:
        assert slack.state.calls == []
