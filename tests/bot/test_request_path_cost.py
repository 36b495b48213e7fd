"""What one request costs the database, through the real endpoints (issue 18).

Under load every extra transaction on a request queues behind the others, so a known
person's request must be one transaction: no separate "is this user linked?" before
the turn on either platform. A newcomer still gets their email looked up and linked
(tests/bot/test_slack_events.py, tests/bot/test_teams_adapter.py cover that).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, event

from tests.bot.test_teams_adapter import add_person as add_teams_person
from tests.chat import add_person as add_slack_person
from tests.chat import (
    all_text,
    app_client,
    post_activity,
    post_command,
    settle,
    slack_settings,
    teams_settings,
)
from tests.fakes import connector as teams
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack

AAD = "11111111-2222-3333-4444-555555555555"


@contextmanager
def transactions(engine: Engine) -> Iterator[list[int]]:
    """Count the transactions `engine` begins inside the block (reads and writes)."""
    begun: list[int] = []

    def on_begin(_conn: Any) -> None:
        begun.append(1)

    event.listen(engine, "begin", on_begin)
    try:
        yield begun
    finally:
        event.remove(engine, "begin", on_begin)


def test_a_slack_command_from_a_known_person_is_one_transaction_and_no_lookup(
    db_url: str, engine: Engine, now: datetime
) -> None:
    add_slack_person(
        engine, now, email="sam@council.gov.uk", name="Sam", roles=["team_manager"],
        slack_user_id="U3SAM",
    )  # fmt: skip
    with (
        FakeSlack() as slack,
        app_client(slack_settings(db_url, slack.url), engine, now) as api,
    ):
        post_command(api, slack, "U3SAM", "help")  # warm: the first request builds caches
        settle(api)
        with transactions(engine) as begun:
            answer = post_command(api, slack, "U3SAM", "help")
            settle(api)

    assert answer.status_code == 200
    assert "help" in all_text(answer.json()).lower()
    assert len(begun) == 1
    assert slack.calls_to("users.info") == []


def test_a_teams_message_from_a_known_person_is_one_transaction_and_no_roster_call(
    db_url: str, engine: Engine, now: datetime
) -> None:
    add_teams_person(engine, now, email="sam@testshire.gov.uk", teams_user_id=AAD)
    with FakeConnector() as connector, app_client(teams_settings(db_url), engine, now) as client:
        message = teams.message("help", service_url=connector.url, aad_object_id=AAD)
        post_activity(client, message)  # warm, as above
        message = teams.message("help", service_url=connector.url, aad_object_id=AAD)
        message["id"] = "another-activity"
        with transactions(engine) as begun:
            answer = post_activity(client, message)

    assert answer.status_code == 200
    assert len(connector.messages()) == 2
    assert len(begun) == 1
    assert [c for c in connector.calls_to() if c.operation == "get_member"] == []
