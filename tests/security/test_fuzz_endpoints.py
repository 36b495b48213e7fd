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
from urllib.parse import quote_plus

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.body_limits import MAX_BODY_BYTES, MAX_DEPTH
from tests.fakes import connector as teams
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
    after = _without_retry_guard(row_counts(engine))
    # A reply Teams would not take is queued in the outbox, never lost (issue 16): at
    # most one row, the reply to this activity; nothing else may be written.
    assert after.pop("outboxmessage") - counts.pop("outboxmessage") in (0, 1)
    assert after == counts


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


# -- hostile bodies: nesting, size, control characters, lone surrogates, duplicates -------

# Control characters, lone surrogates, separators, forged log lines, long runs.
HOSTILE_TEXT = st.lists(
    st.one_of(
        st.integers(0, 0x1F).map(chr),
        st.integers(0xD800, 0xDFFF).map(chr),
        st.sampled_from(["\u2028", "\x7f", "\x85", "\n2026-12-01 ERROR forged", "my", "status"]),
        st.integers(1, 5000).map(lambda n: "Q" * n),
        st.text(max_size=8),
    ),
    max_size=6,
).map("".join)
# Around the limit, and far past the interpreter's recursion limit.
DEPTHS = st.one_of(st.sampled_from([5000, 50_000]), st.integers(MAX_DEPTH - 2, 3000))


def nested(depth: int, opener: str) -> str:
    closer = "]" if opener == "[" else "}"
    return opener * depth + "1" + closer * depth


def _quote(text: str) -> str:
    """Form-encode text the way a client would, lone surrogates as their raw bytes."""
    return quote_plus(text.encode("utf-8", "surrogatepass"))


@st.composite
def hostile_slack_requests(draw: st.DrawFn) -> tuple[list[bytes], str]:
    """(copies of one body, content type): deep, oversized, hostile text, or resent."""
    form = "application/x-www-form-urlencoded"
    kind = draw(st.sampled_from(["deep-json", "deep-form", "size", "command", "event"]))
    if kind == "deep-json":
        inner = nested(draw(DEPTHS), draw(st.sampled_from(["[", '{"a":'])))
        body = '{"type":"event_callback","event_id":"EvDeep","event":{"type":"message","x":'
        return [(body + inner + "}}").encode()], "application/json"
    if kind == "deep-form":
        inner = nested(draw(DEPTHS), draw(st.sampled_from(["[", '{"a":'])))
        payload = '{"type":"block_actions","user":{"id":"U1LEAD"},"actions":' + inner + "}"
        return [("payload=" + _quote(payload)).encode()], form
    if kind == "size":
        extra = draw(st.integers(1, 2000))
        return [b'{"type":"x","pad":"' + b"a" * (MAX_BODY_BYTES + extra) + b'"}'], form
    copies = draw(st.integers(1, 3))
    text = draw(HOSTILE_TEXT)
    if kind == "command":
        user = draw(st.sampled_from([KNOWN_SLACK_USER, "U9STRANGER"]))
        body = f"command=%2Fqa&user_id={user}&team_id=T0&text={_quote(text)}".encode()
        return [body] * copies, form
    event = {
        "type": "event_callback",
        "event_id": draw(st.sampled_from(["EvSame", "Ev\n1", "Ev\ud800"])),
        "event_time": 1,
        "team_id": "T0",
        "event": {
            "type": "message",
            "channel_type": "im",
            "channel": "DU1LEAD",
            "user": KNOWN_SLACK_USER,
            "text": text,
            "ts": "1.1",
        },
    }
    return [json.dumps(event).encode()] * copies, "application/json"


@st.composite
def hostile_teams_bodies(draw: st.DrawFn, service_url: str) -> list[bytes]:
    """Copies of one Teams body: deep, oversized, hostile text, duplicate keys, resent."""
    kind = draw(st.sampled_from(["deep", "size", "text", "duplicate-keys", "no-service-url"]))
    base = teams.message("my", service_url=service_url, aad_object_id=KNOWN_AAD)
    if kind == "deep":
        inner = nested(draw(DEPTHS), draw(st.sampled_from(["[", '{"a":'])))
        return [(json.dumps(base)[:-1] + ', "value": ' + inner + "}").encode()]
    if kind == "size":
        base["text"] = "a" * (MAX_BODY_BYTES + draw(st.integers(1, 2000)))
        return [json.dumps(base).encode()]
    if kind == "duplicate-keys":
        other = draw(st.sampled_from(["invoke", "installationUpdate", "", "message"]))
        return [(json.dumps(base)[:-1] + f', "type": "{other}", "id": "dup"}}').encode()]
    if kind == "no-service-url":
        del base["serviceUrl"]
        return [json.dumps(base).encode()]
    base["text"] = draw(HOSTILE_TEXT)
    base["id"] = draw(st.sampled_from(["same-id", "id\nforged", "id\ud800"]))
    if draw(st.booleans()):
        base["value"] = {"action": draw(HOSTILE_TEXT), "routing_key": draw(HOSTILE_TEXT)}
    return [json.dumps(base).encode()] * draw(st.integers(1, 3))


def _grew_only_by_retry_guards(before: dict[str, int], engine: Engine) -> None:
    """Nothing written but the retry guard, and replies queued because Teams refused them."""
    after = _without_retry_guard(row_counts(engine))
    queued = [r for r in rows_of(engine, "outboxmessage") if r["idempotency_key"]]
    replies = sum(1 for r in queued if str(r["idempotency_key"]).startswith("teams-reply:"))
    assert {**after, "outboxmessage": after["outboxmessage"] - replies} == before


def _slack_hostile_case(client: Any, engine: Engine, request: tuple[list[bytes], str]) -> None:
    bodies, content_type = request
    before = _without_retry_guard(row_counts(engine))
    for body in bodies:
        response = client.post(
            "/slack/events", content=body, headers=slack_headers(body, content_type=content_type)
        )
        assert response.status_code < 500, response.text[:300]
        assert "Traceback" not in response.text
    assert client.app.state.slack_executor.wait_idle(10), "listeners still running"
    _grew_only_by_retry_guards(before, engine)


def _teams_hostile_case(client: Any, engine: Engine, bodies: list[bytes]) -> None:
    before = _without_retry_guard(row_counts(engine))
    for body in bodies:
        response = client.post(
            "/api/messages", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code < 500, response.text[:300]
        assert "Traceback" not in response.text
    _grew_only_by_retry_guards(before, engine)


@QUICK
@given(request=hostile_slack_requests())
def test_slack_answers_hostile_bodies_without_a_5xx_or_a_traceback(
    slack_api: Any, engine: Engine, request: tuple[list[bytes], str]
) -> None:
    _slack_hostile_case(slack_api, engine, request)


@QUICK
@given(data=st.data())
def test_teams_answers_hostile_bodies_without_a_5xx_or_a_traceback(
    teams_api: Any, connector: FakeConnector, engine: Engine, data: st.DataObject
) -> None:
    _teams_hostile_case(teams_api, engine, data.draw(hostile_teams_bodies(connector.url)))


@pytest.mark.slow
@SLOW
@given(request=hostile_slack_requests())
def test_slack_hostile_bodies_fuzzed_at_length(
    slack_api: Any, engine: Engine, request: tuple[list[bytes], str]
) -> None:
    _slack_hostile_case(slack_api, engine, request)


@pytest.mark.slow
@SLOW
@given(data=st.data())
def test_teams_hostile_bodies_fuzzed_at_length(
    teams_api: Any, connector: FakeConnector, engine: Engine, data: st.DataObject
) -> None:
    _teams_hostile_case(teams_api, engine, data.draw(hostile_teams_bodies(connector.url)))
