"""Logs carry ids and outcomes, never a name, an email or what someone typed.

Each test captures every log record at DEBUG while a real request goes through (a
Slack command and message, a Teams message, a staff import, a retention run, an
export), then looks for the personal data that request carried. The chat SDKs log
whole payloads at DEBUG, so `qa-bot serve` holds them at INFO whatever
QA_BOT_LOG_LEVEL says (`bot.server.quiet_libraries`); the tests do the same, and
everything else, ours included, logs at DEBUG.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.server import PAYLOAD_LOGGERS, quiet_libraries
from qa.framework import load_framework
from storage.exports import person_export
from storage.imports import ImportRejected, import_staff
from storage.retention import apply_retention
from tests.fakes import connector as teams
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack
from tests.security.endpoints import (
    ROUTING_SECRET,
    SMALL,
    add_person,
    slack_client,
    slack_headers,
    teams_client,
    teams_settings,
)
from tests.storage.dp_records import FREE_TEXT, history, people

NAME, EMAIL = "Lee Lead", "lee.lead@council.gov.uk"
TYPED = "Jayden Smith told me about home"
AAD = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record at DEBUG, with the chat SDKs held at INFO as `qa-bot serve` holds them."""
    saved = {name: logging.getLogger(name).level for name in PAYLOAD_LOGGERS}
    caplog.set_level(logging.DEBUG)
    quiet_libraries("DEBUG")
    yield caplog
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def leaked(records: list[logging.LogRecord], *secrets: str) -> list[str]:
    """Log lines (message and any traceback) that contain one of `secrets`."""
    found = []
    for record in records:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        if any(s.lower() in text.lower() for s in secrets):
            found.append(f"{record.name}: {text[:200]}")
    return found


def test_a_slack_command_and_message_log_no_name_email_or_text(
    db_url: str, engine: Engine, now: datetime, logs: pytest.LogCaptureFixture
) -> None:
    add_person(engine, now, name=NAME, email=EMAIL, slack_user_id="U1LEAD")
    with FakeSlack() as slack, slack_client(db_url, engine, now, slack.url) as client:
        slack.add_user("U9NEW", "stranger@council.gov.uk")
        command = urlencode(
            {"command": "/qa", "user_id": "U1LEAD", "text": f"help {TYPED}", "team_id": "T0"}
        ).encode()
        stranger = urlencode({"command": "/qa", "user_id": "U9NEW", "text": TYPED}).encode()
        event = json.dumps(
            {
                "type": "event_callback",
                "event_id": "Ev1",
                "event_time": int(time.time()),
                "team_id": "T0",
                "event": {
                    "type": "message",
                    "channel_type": "im",
                    "channel": "DU1LEAD",
                    "user": "U1LEAD",
                    "text": f"my {TYPED}",
                    "ts": "1.1",
                },
            }
        ).encode()
        form = "application/x-www-form-urlencoded"
        for body, kind in ((command, form), (stranger, form), (event, "application/json")):
            answer = client.post(
                "/slack/events", content=body, headers=slack_headers(body, content_type=kind)
            )
            assert answer.status_code == 200
        assert client.app.state.slack_executor.wait_idle(10)
        assert slack.calls_to("chat.postMessage")  # the replies went out (and said hello)

    assert any(r.name.startswith("handlers") for r in logs.records)  # ours, at DEBUG/INFO
    assert (
        leaked(logs.records, NAME, "Lee", EMAIL, "stranger@council.gov.uk", "Jayden", "home") == []
    )


def test_a_teams_message_logs_no_name_email_or_text(
    db_url: str, engine: Engine, now: datetime, logs: pytest.LogCaptureFixture
) -> None:
    add_person(engine, now, name=NAME, email=EMAIL, teams_user_id=AAD)
    with FakeConnector() as connector:
        with teams_client(teams_settings(db_url), engine, now) as client:
            for text in (f"help {TYPED}", f"my {TYPED}"):
                message = teams.message(text, service_url=connector.url, aad_object_id=AAD)
                assert client.post("/api/messages", json=message).status_code == 200
        assert connector.messages()

    assert any(r.name.startswith("bot.teams") for r in logs.records)
    assert leaked(logs.records, NAME, "Lee", EMAIL, "Jayden", "Test User") == []


def test_an_import_logs_no_name_or_email_whether_accepted_or_rejected(
    engine: Engine, now: datetime, logs: pytest.LogCaptureFixture
) -> None:
    framework = load_framework(str(SMALL))
    good = (
        "email,name,roles,team,service\n"
        f"{EMAIL},{NAME},qa_lead,Alpha,Early Help\n"
        "ann.other@council.gov.uk,Ann Other,practitioner,Alpha,Early Help\n"
    ).encode()
    bad = good + b"ann.other@council.gov.uk,Jayden Smith,ceo,Alpha,Elsewhere\n"

    import_staff(engine=engine, source=good, framework=framework, now=now)
    with pytest.raises(ImportRejected):
        import_staff(engine=engine, source=bad, framework=framework, now=now)

    assert leaked(logs.records, NAME, EMAIL, "Ann Other", "ann.other", "Jayden") == []


def test_retention_and_exports_log_no_free_text(
    engine: Engine, now: datetime, logs: pytest.LogCaptureFixture
) -> None:
    framework = load_framework(str(SMALL))
    with Session(engine) as session:
        who = people(session, now)
        history(session, who, reference="EH-1", at=now.replace(year=now.year - 7))
        session.commit()
        assert person_export(session=session, email="ann.auditor@council.gov.uk", now=now)
        apply_retention(session=session, framework=framework, now=now, actor="cli")
        session.commit()

    assert leaked(logs.records, FREE_TEXT, "Ann Auditor", "ann.auditor@council.gov.uk") == []


def test_settings_never_show_a_secret(db_url: str) -> None:
    settings = teams_settings(
        db_url,
        SLACK_BOT_TOKEN="xoxb-very-secret",
        SLACK_SIGNING_SECRET="signing-very-secret",
        TEAMS_CLIENT_SECRET="client-very-secret",
    )
    shown = " ".join([repr(settings), str(settings), settings.model_dump_json()])

    assert "very-secret" not in shown and ROUTING_SECRET not in shown
