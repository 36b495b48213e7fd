"""Every button and form, pressed by someone it was never meant for, changes nothing.

The routing keys here are *genuinely signed* with the app's secret and name real
records (another person's allocation, audit, moderation, action, escalation), as if
the intruder had copied a colleague's button value, card data or
`private_metadata`. So the signature check passes and only the handler's own
authorisation stands between the intruder and the record. Every registered action
and form is pressed with every key, on Slack and on Teams: never a 500, and not a
row changed anywhere (the retry guard `processed_event` aside).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel

from bot.routing_keys import RoutingKeys, keys_for
from storage.models import Person
from tests.fakes import connector as teams
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack
from tests.security.endpoints import (
    ROUTING_SECRET,
    add_person,
    slack_client,
    slack_headers,
    teams_client,
    teams_settings,
)
from tests.security.payloads import action_ids, submission_ids
from tests.storage.dp_records import Trail, history, people

INTRUDER_SLACK = "U7INTRUDER"
OWNER_SLACK = "U1ANN"  # the auditor whose allocation and audit these are
INTRUDER_AAD = "77777777-0000-0000-0000-000000000007"


def keys_for_records(trail: Trail) -> list[str]:
    """Routing keys for someone else's records, in the shapes the features use."""
    signer = RoutingKeys(ROUTING_SECRET)
    raw = [
        f"allocation:{trail.allocation}",
        f"audit:{trail.audit}",
        f"audit:{trail.audit}:review",
        f"moderation:{trail.moderation}",
        f"escalation:{trail.escalation}",
        f"escalation:{trail.escalation}|escalation-request:{trail.escalation}",
        f"rec:{trail.recommendation}|rec-progress:{trail.recommendation}",
        f"more-time:{trail.update}|rec-progress:{trail.recommendation}",
    ]
    return [signer.sign(k) for k in raw]


def snapshot(engine: Engine) -> dict[str, Any]:
    """Every row of every table but the retry guard (and the Teams conversation refresh)."""

    out: dict[str, Any] = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name == "processed_event":
                continue
            rows = [dict(r._mapping) for r in conn.execute(table.select())]
            if table.name == "person":
                for r in rows:
                    r.pop("teams_conversation", None)
                    r.pop("updated_at", None)
            out[table.name] = rows
        conn.rollback()
    return json.loads(json.dumps(out, default=str))


@pytest.fixture
def records(engine: Engine, now: datetime) -> Trail:
    """A colleague's open work (allocated, audit in draft), recent enough to act on."""
    with Session(engine) as session:
        who = people(session, now)
        trail = history(
            session, who, reference="EH-101", at=now - timedelta(days=2), open_work=True
        )
        owner = session.get(Person, who.auditor)
        assert owner is not None
        owner.slack_user_id = OWNER_SLACK
        session.add(owner)
        session.commit()
    add_person(
        engine,
        now,
        email="ivy.intruder@council.gov.uk",
        name="Ivy Intruder",
        roles=["practitioner"],
        slack_user_id=INTRUDER_SLACK,
        teams_user_id=INTRUDER_AAD,
    )
    return trail


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def _press(user: str, action_id: str, key: str, response_url: str) -> bytes:
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": "T0TEAM"},
        "trigger_id": "1.2.abc",
        "response_url": response_url,
        "channel": {"id": f"D{user}"},
        "container": {"type": "message", "channel_id": f"D{user}", "message_ts": "1.1"},
        "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "value": key}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def _submit(user: str, callback_id: str, key: str) -> bytes:
    values = {
        "reason": {"reason": {"type": "plain_text_input", "value": "I'll take it"}},
        "note": {"note": {"type": "plain_text_input", "value": "done"}},
        "progress": {"progress": {"type": "plain_text_input", "value": "all done"}},
        "new_due": {"new_due": {"type": "datepicker", "selected_date": "2027-01-15"}},
    }
    payload = {
        "type": "view_submission",
        "user": {"id": user},
        "team": {"id": "T0TEAM"},
        "view": {
            "id": "V0VIEW",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": key,
            "state": {"values": values},
        },
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def _press_everything(client: Any, user: str, keys: list[str], response_url: str) -> None:
    form = "application/x-www-form-urlencoded"
    for key in keys:
        bodies = [_press(user, a, key, response_url) for a in action_ids()]
        bodies += [_submit(user, s, key) for s in submission_ids()]
        for body in bodies:
            answer = client.post(
                "/slack/events", content=body, headers=slack_headers(body, content_type=form)
            )
            assert answer.status_code < 500, (body, answer.text)
    assert client.app.state.slack_executor.wait_idle(30)


def test_slack_buttons_and_forms_pressed_by_someone_else_change_nothing(
    db_url: str, engine: Engine, now: datetime, slack: FakeSlack, records: Trail
) -> None:
    keys = keys_for_records(records)
    app_keys = keys_for(teams_settings(db_url))
    assert all(app_keys.verify(k) for k in keys)  # the keys are genuine
    before = snapshot(engine)

    with slack_client(db_url, engine, now, slack.url) as client:
        _press_everything(client, INTRUDER_SLACK, keys, f"{slack.url}response")
        assert snapshot(engine) == before
        # The control: the same presses by the owner of the work do change something.
        _press_everything(client, OWNER_SLACK, keys, f"{slack.url}response")
        assert snapshot(engine) != before


def test_teams_cards_pressed_by_someone_else_change_nothing(
    db_url: str, engine: Engine, now: datetime, records: Trail
) -> None:
    with (
        FakeConnector() as connector,
        teams_client(teams_settings(db_url), engine, now) as client,
    ):
        hello = teams.message("help", service_url=connector.url, aad_object_id=INTRUDER_AAD)
        assert client.post("/api/messages", json=hello).status_code == 200
        before = snapshot(engine)
        for key in keys_for_records(records):
            for name in [*action_ids(), *submission_ids()]:
                data = {
                    "action": name,
                    "routing_key": key,
                    "reason": "mine now",
                    "note": "x",
                    "progress": "all done",
                    "new_due": "2027-01-15",
                }
                for activity in (
                    teams.execute(
                        data, verb=name, service_url=connector.url, aad_object_id=INTRUDER_AAD
                    ),
                    teams.activity(
                        "message",
                        service_url=connector.url,
                        aad_object_id=INTRUDER_AAD,
                        value=data,
                    ),
                ):
                    answer = client.post("/api/messages", json=activity)
                    assert answer.status_code < 500, (name, key, answer.text)

    assert snapshot(engine) == before
