"""A Slack API failure after the acknowledgement is logged, never turned into a 500."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
from sqlalchemy import Engine

from tests.chat import TestClient, add_lead, dm, post_event, settle
from tests.fakes.slack_api import FakeSlack, Fault


def test_a_reply_slack_refuses_is_logged_and_the_event_still_gets_200(
    api: TestClient,
    slack: FakeSlack,
    engine: Engine,
    now: datetime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    add_lead(engine, now, name="Lee Lead", slack_user_id="U1")
    slack.fail_next("chat.postMessage", Fault(error="channel_not_found"))
    with caplog.at_level(logging.WARNING):
        response = post_event(api, dm("U1", "help"), event_id="Ev1")
        settle(api)
    assert response.status_code == 200
    assert slack.calls_to("chat.postMessage")  # it tried
    assert "delivering dm reply failed: SlackApiError" in caplog.text
    assert "Lee Lead" not in caplog.text and "help" not in caplog.text.replace("dm reply", "")
