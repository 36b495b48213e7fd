"""Fuzzing both chat endpoints: whatever arrives, never a 500 and never a stray write.

Slack requests are validly signed (so they get past the signature check and reach
parsing, Bolt and the handlers); Teams activities arrive in playground mode (no
token needed). Payloads come from tests/security/payloads.py: real shapes with any
field broken, every known button and form pressed with a forged routing key, random
JSON and random bytes. After each one the only table allowed to grow is
`processed_event` (the retry guard), and the known person's row is unchanged on
Slack (on Teams, the conversation reference may be refreshed: that is an update).

A quick run (a few examples, the same ones every time) is in the fast suite; the
long run is marked slow.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack
from tests.security.endpoints import (
    add_person,
    row_counts,
    rows_of,
    slack_client,
    slack_headers,
    teams_client,
    teams_settings,
)
from tests.security.payloads import (
    KNOWN_AAD,
    KNOWN_SLACK_USER,
    slack_requests,
    teams_activities,
)

QUICK = settings(
    max_examples=15,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
SLOW = settings(QUICK, max_examples=400, derandomize=False)


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture(scope="module")
def connector() -> Iterator[FakeConnector]:
    with FakeConnector() as fake:
        yield fake


def _without_retry_guard(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if k != "processed_event"}


@pytest.fixture
def slack_api(db_url: str, engine: Engine, now: datetime, slack: FakeSlack) -> Iterator[Any]:
    add_person(engine, now, roles=["practitioner"], slack_user_id=KNOWN_SLACK_USER)
    with slack_client(db_url, engine, now, slack.url) as client:
        yield client


@pytest.fixture
def teams_api(db_url: str, engine: Engine, now: datetime) -> Iterator[Any]:
    add_person(engine, now, roles=["practitioner"], teams_user_id=KNOWN_AAD)
    with teams_client(teams_settings(db_url), engine, now) as client:
        yield client


def _slack_case(client: Any, engine: Engine, request: tuple[bytes, str]) -> None:
    body, content_type = request
    counts = _without_retry_guard(row_counts(engine))
    people = rows_of(engine, "person")

    response = client.post(
        "/slack/events", content=body, headers=slack_headers(body, content_type=content_type)
    )
    assert client.app.state.slack_executor.wait_idle(10), "listeners still running"

    assert response.status_code < 500, response.text
    assert _without_retry_guard(row_counts(engine)) == counts
    assert rows_of(engine, "person") == people


def _teams_case(client: Any, engine: Engine, activity: Any) -> None:
    counts = _without_retry_guard(row_counts(engine))

    response = client.post(
        "/api/messages",
        content=json.dumps(activity).encode(),
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code < 500, response.text
    assert _without_retry_guard(row_counts(engine)) == counts


@QUICK
@given(data=st.data())
def test_slack_never_answers_500_nor_writes_for_malformed_signed_requests(
    slack_api: Any, slack: FakeSlack, engine: Engine, data: st.DataObject
) -> None:
    _slack_case(slack_api, engine, data.draw(slack_requests(f"{slack.url}response")))


@QUICK
@given(data=st.data())
def test_teams_never_answers_500_nor_writes_for_malformed_activities(
    teams_api: Any, connector: FakeConnector, engine: Engine, data: st.DataObject
) -> None:
    _teams_case(teams_api, engine, data.draw(teams_activities(connector.url)))


@pytest.mark.slow
@SLOW
@given(data=st.data())
def test_slack_fuzzed_at_length(
    slack_api: Any, slack: FakeSlack, engine: Engine, data: st.DataObject
) -> None:
    _slack_case(slack_api, engine, data.draw(slack_requests(f"{slack.url}response")))


@pytest.mark.slow
@SLOW
@given(data=st.data())
def test_teams_fuzzed_at_length(
    teams_api: Any, connector: FakeConnector, engine: Engine, data: st.DataObject
) -> None:
    _teams_case(teams_api, engine, data.draw(teams_activities(connector.url)))
