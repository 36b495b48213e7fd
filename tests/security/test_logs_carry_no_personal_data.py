"""Logs carry ids and outcomes, never a name, an email or what someone typed.

Each test captures every log record at DEBUG while a real request goes through (a
Slack command and message, a Teams message, a staff import, a retention run, an
export), then looks for the personal data that request carried. The chat SDKs log
whole payloads at DEBUG, so `qa-bot serve` holds them at INFO whatever
QA_BOT_LOG_LEVEL says (`bot.server.quiet_libraries`); the tests do the same, and
everything else, ours included, logs at DEBUG. Every record goes through the same
filter `qa-bot serve` installs (`bot.logsafe`): one line each, arguments capped.

The hostile scenarios send what an attacker or a careless user would: a name and an
email typed as the first word, a button whose action id holds a newline and a forged
`ERROR` line, control bytes, a 5,000-character display name and word, and a Slack
`block_suggestion` (Bolt quotes part of an unhandled payload in its own warning).
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

from bot.logsafe import OneLineFormatter, SafeRecords, safe_word
from bot.server import LOG_FORMAT, PAYLOAD_LOGGERS, quiet_libraries
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
    safe = SafeRecords()
    caplog.handler.addFilter(safe)
    yield caplog
    caplog.handler.removeFilter(safe)
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


def forged_lines(records: list[logging.LogRecord]) -> list[str]:
    """Records whose message, or whose formatted line, is more than one line."""
    formatter = OneLineFormatter(LOG_FORMAT)
    found = []
    for record in records:
        text = record.getMessage()
        if any(c in text for c in "\n\r\x1b\x00\u2028") or "\n" in formatter.format(record):
            found.append(f"{record.name}: {text[:200]!r}")
    return found


def too_long(records: list[logging.LogRecord], limit: int = 2500) -> list[str]:
    return [f"{r.name}: {len(r.getMessage())}" for r in records if len(r.getMessage()) > limit]


HOSTILE_EMAIL = "jayden.smith@family.example"
FORGED = "my\n2026-12-01 09:00:00 ERROR bot.app forged line"
LONG = "Q" * 5000
CONTROL = "status \x1b[2J\x00\x07 Early\rHelp"
HOSTILE_WORDS = ("Jayden", HOSTILE_EMAIL, "forged", "home", "Q" * 60, "QQQ-suggest")


def test_a_hostile_slack_scenario_logs_one_line_per_record_and_nothing_typed(
    db_url: str, engine: Engine, now: datetime, logs: pytest.LogCaptureFixture
) -> None:
    add_person(engine, now, name=NAME, email=EMAIL, slack_user_id="U1LEAD")
    form = "application/x-www-form-urlencoded"

    def command(text: str, user: str = "U1LEAD") -> tuple[bytes, str]:
        body = {"command": "/qa", "user_id": user, "text": text, "team_id": "T0"}
        return urlencode(body).encode(), form

    def dm(text: str, n: int) -> tuple[bytes, str]:
        event = {
            "type": "message",
            "channel_type": "im",
            "channel": "DU1LEAD",
            "user": "U1LEAD",
            "text": text,
            "ts": f"1.{n}",
        }
        body = {
            "type": "event_callback",
            "event_id": f"EvHostile{n}",
            "event_time": int(time.time()),
            "team_id": "T0",
            "event": event,
        }
        return json.dumps(body).encode(), "application/json"

    def interactive(payload: dict[str, object]) -> tuple[bytes, str]:
        return urlencode({"payload": json.dumps(payload)}).encode(), form

    with FakeSlack() as slack, slack_client(db_url, engine, now, slack.url) as client:
        slack.add_user("U9NEW", "stranger@council.gov.uk", name=LONG)
        requests = [
            command(f"{HOSTILE_EMAIL} {TYPED}"),
            command("help Jayden Smith"),
            command(CONTROL),
            command(LONG),
            command(TYPED, user="U9NEW"),
            dm(f"Jayden Smith {HOSTILE_EMAIL} is at home", 1),
            dm(f"{LONG} {CONTROL}", 2),
            interactive(
                {
                    "type": "block_actions",
                    "user": {"id": "U1LEAD"},
                    "team": {"id": "T0"},
                    "trigger_id": "1.2.abc",
                    "channel": {"id": "DU1LEAD"},
                    "container": {"type": "message", "channel_id": "DU1LEAD", "message_ts": "1.1"},
                    "actions": [{"action_id": FORGED, "block_id": "b", "type": "button"}],
                }
            ),
            interactive(
                {
                    "type": "block_suggestion",
                    "user": {"id": "U1LEAD"},
                    "team": {"id": "T0"},
                    "action_id": "case.search",
                    "block_id": "b",
                    "value": "Jayden QQQ-suggest",
                }
            ),
        ]
        for body, kind in requests:
            answer = client.post(
                "/slack/events", content=body, headers=slack_headers(body, content_type=kind)
            )
            assert answer.status_code < 500
        assert client.app.state.slack_executor.wait_idle(10)
        assert slack.calls_to("chat.postMessage")

    assert any(r.name.startswith("handlers") for r in logs.records)
    assert any("Unhandled request" in r.getMessage() for r in logs.records)  # Bolt did warn
    assert leaked(logs.records, NAME, "Lee", EMAIL, "stranger@council", *HOSTILE_WORDS) == []
    assert forged_lines(logs.records) == []
    assert too_long(logs.records) == []


def test_a_hostile_teams_scenario_logs_one_line_per_record_and_nothing_typed(
    db_url: str, engine: Engine, now: datetime, logs: pytest.LogCaptureFixture
) -> None:
    add_person(engine, now, name=NAME, email=EMAIL, teams_user_id=AAD)
    with FakeConnector() as connector:
        with teams_client(teams_settings(db_url), engine, now) as client:

            def post(activity: dict[str, object]) -> None:
                activity["from"] = {"id": f"29:user-{AAD}", "aadObjectId": AAD, "name": LONG}
                assert client.post("/api/messages", json=activity).status_code < 500

            for text in (
                f"help {TYPED}",
                f"my {TYPED}",
                f"{HOSTILE_EMAIL} {TYPED}",
                f"Jayden Smith {HOSTILE_EMAIL} is at home",
                CONTROL,
                LONG,
            ):
                post(teams.message(text, service_url=connector.url, aad_object_id=AAD))
            post(
                teams.message(
                    "", service_url=connector.url, aad_object_id=AAD, value={"action": FORGED}
                )
            )
            post(
                teams.execute(
                    {"action": f"{FORGED}\x1b[31m", "routing_key": "Jayden"},
                    verb=FORGED,
                    service_url=connector.url,
                    aad_object_id=AAD,
                )
            )
            post(
                teams.message(
                    "my",
                    service_url=connector.url,
                    aad_object_id=AAD,
                    activity_id=f"act-{FORGED}-{LONG}",
                )
            )
        assert connector.messages()

    assert any(r.name.startswith("bot.teams") for r in logs.records)
    assert leaked(logs.records, NAME, "Lee", EMAIL, *HOSTILE_WORDS) == []
    assert forged_lines(logs.records) == []
    assert too_long(logs.records) == []


def test_safe_word_passes_known_words_only() -> None:
    known = {"help", "my", "allocation.confirm"}

    assert safe_word("allocation.confirm", known) == "allocation.confirm"
    assert safe_word(HOSTILE_EMAIL, known) == "-"
    assert safe_word(FORGED, known) == "-"
    assert safe_word(None, known) == "-"


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
