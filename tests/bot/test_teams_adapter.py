"""Teams through the real endpoint: activities into `POST /api/messages`.

The app is the one `qa-bot serve` runs (`build_app`), in playground mode (no inbound
authentication) unless a test turns authentication on. Each activity's `serviceUrl`
points at an in-project fake Bot Connector, which records what the bot sent back.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.settings import Settings
from storage.models import Person
from tests import chat
from tests.chat import (
    CLIENT_ID,
    SMALL,
    TestClient,
    app_client,
    authenticated_teams_settings,
    post_activity,
    teams_settings,
)
from tests.fakes import connector as teams
from tests.fakes.connector import ConnectorFault, FakeConnector

FRAMEWORK = SMALL
AAD = "11111111-2222-3333-4444-555555555555"


def make_settings(db_url: str, **overrides: Any) -> Settings:
    """Teams in playground mode; kept under this name for the suites that import it."""
    return teams_settings(db_url, **overrides)


def client_for(settings: Settings, engine: Engine, now: datetime) -> TestClient:
    return app_client(settings, engine, now)


def add_person(
    engine: Engine, now: datetime, *, email: str, teams_user_id: str | None = None
) -> int:
    """Sam, a practitioner, known on Teams by `teams_user_id` when given."""
    return chat.add_person(
        engine,
        now,
        email=email,
        name="Sam Practitioner",
        roles=["practitioner"],
        teams_user_id=teams_user_id,
    )


def person(engine: Engine, person_id: int) -> Person:
    with Session(engine) as session:
        found = session.get(Person, person_id)
        assert found is not None
        return found


@pytest.fixture
def client(db_url: str, engine: Engine, now: datetime) -> Iterator[TestClient]:
    with client_for(make_settings(db_url), engine, now) as test_client:
        yield test_client


def test_help_from_a_known_person_gets_the_help_card_back(
    client: TestClient, connector: FakeConnector, engine: Engine, now: datetime
) -> None:
    pid = add_person(engine, now, email="sam@testshire.gov.uk", teams_user_id=AAD)

    answer = client.post(
        "/api/messages", json=teams.message("help", service_url=connector.url, aad_object_id=AAD)
    )

    assert answer.status_code == 200
    (sent,) = connector.messages()
    assert sent.conversation_id == "a:personal-chat-1"
    assert sent.body["type"] == "message"
    (card,) = sent.cards
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    assert "what I can do" in sent.all_text
    stored = person(engine, pid).teams_conversation
    assert stored is not None
    assert stored["serviceUrl"] == connector.url
    assert stored["conversation"]["id"] == "a:personal-chat-1"


def test_a_mention_in_a_channel_is_stripped_and_the_channel_is_not_kept_as_a_dm(
    client: TestClient, connector: FakeConnector, engine: Engine, now: datetime
) -> None:
    pid = add_person(engine, now, email="sam@testshire.gov.uk", teams_user_id=AAD)
    channel_message = teams.message(
        "<at>QA bot</at> help",
        service_url=connector.url,
        aad_object_id=AAD,
        conversation_id="19:board@thread.tacv2",
        conversation_type="channel",
    )

    assert client.post("/api/messages", json=channel_message).status_code == 200

    (sent,) = connector.messages()
    assert sent.conversation_id.startswith("19:board@thread.tacv2")
    assert "what I can do" in sent.all_text
    assert person(engine, pid).teams_conversation is None


def test_an_unknown_user_gets_one_polite_reply_and_nothing_else(
    client: TestClient,
    connector: FakeConnector,
    engine: Engine,
    now: datetime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    pid = add_person(engine, now, email="sam@testshire.gov.uk")
    caplog.set_level(logging.INFO)

    answer = client.post(
        "/api/messages",
        json=teams.message("my", service_url=connector.url, aad_object_id="stranger-oid"),
    )

    assert answer.status_code == 200
    (sent,) = connector.messages()
    assert "don't recognise you" in sent.all_text
    assert "Sam" not in sent.all_text
    stored = person(engine, pid)
    assert stored.teams_user_id is None and stored.teams_conversation is None
    assert "Test User" not in caplog.text  # logs carry ids, never names


def test_a_first_message_links_the_person_by_the_email_on_the_roster(
    client: TestClient, connector: FakeConnector, engine: Engine, now: datetime
) -> None:
    pid = add_person(engine, now, email="sam@testshire.gov.uk")
    connector.add_member(f"29:user-{AAD}", aad_object_id=AAD, email="Sam@Testshire.gov.uk")

    client.post(
        "/api/messages", json=teams.message("help", service_url=connector.url, aad_object_id=AAD)
    )

    (sent,) = connector.messages()
    assert "what I can do" in sent.all_text
    stored = person(engine, pid)
    assert stored.teams_user_id == AAD
    assert stored.teams_conversation is not None


def test_install_stores_the_conversation_reference_and_welcomes_once(
    client: TestClient, connector: FakeConnector, engine: Engine, now: datetime
) -> None:
    pid = add_person(engine, now, email="sam@testshire.gov.uk", teams_user_id=AAD)
    bot_added = teams.activity(
        "conversationUpdate",
        service_url=connector.url,
        aad_object_id=AAD,
        membersAdded=[{"id": f"29:user-{AAD}"}, {"id": f"28:{teams.BOT_ID}"}],
    )

    assert (
        client.post(
            "/api/messages", json=teams.install(service_url=connector.url, aad_object_id=AAD)
        ).status_code
        == 200
    )
    assert client.post("/api/messages", json=bot_added).status_code == 200

    stored = person(engine, pid).teams_conversation
    assert stored is not None
    assert stored["serviceUrl"] == connector.url
    assert stored["conversation"]["id"] == "a:personal-chat-1"
    assert stored["conversation"]["tenantId"] == teams.TENANT_ID
    (welcome,) = connector.messages()
    assert "quality assurance assistant" in welcome.all_text


def test_an_action_execute_press_answers_with_the_card_to_show_in_place(
    client: TestClient, connector: FakeConnector, engine: Engine, now: datetime
) -> None:
    add_person(engine, now, email="sam@testshire.gov.uk", teams_user_id=AAD)

    answer = client.post(
        "/api/messages",
        json=teams.execute(
            {"action": "help"}, verb="help", service_url=connector.url, aad_object_id=AAD
        ),
    )

    assert answer.status_code == 200
    body = answer.json()
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert body["value"]["type"] == "AdaptiveCard"
    assert connector.messages() == []


def test_an_action_submit_press_arrives_as_a_message_with_a_value(
    client: TestClient, connector: FakeConnector, engine: Engine, now: datetime
) -> None:
    add_person(engine, now, email="sam@testshire.gov.uk", teams_user_id=AAD)
    pressed = teams.activity(
        "message", service_url=connector.url, aad_object_id=AAD, value={"action": "help"}
    )

    assert client.post("/api/messages", json=pressed).status_code == 200

    (sent,) = connector.messages()
    assert "what I can do" in sent.all_text


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"this is not json", 400),
        (b"[1, 2, 3]", 400),
        (b'{"type": "message", "text": "help"}', 400),
        (b'{"text": "no type"}', 400),
    ],
)
def test_malformed_requests_get_a_4xx_and_change_nothing(
    client: TestClient,
    connector: FakeConnector,
    engine: Engine,
    now: datetime,
    body: bytes,
    expected: int,
) -> None:
    pid = add_person(engine, now, email="sam@testshire.gov.uk", teams_user_id=AAD)

    answer = client.post(
        "/api/messages", content=body, headers={"Content-Type": "application/json"}
    )

    assert answer.status_code == expected
    assert "error" in answer.json()
    assert connector.calls_to() == []
    assert person(engine, pid).teams_conversation is None


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-jwt", "Basic dXNlcjpwYXNz"])
def test_with_a_client_id_a_request_without_a_valid_token_is_refused(
    db_url: str,
    engine: Engine,
    now: datetime,
    connector: FakeConnector,
    authorization: str | None,
) -> None:
    settings = make_settings(
        db_url, QA_BOT_TEAMS_PLAYGROUND=False, TEAMS_CLIENT_ID=CLIENT_ID, TEAMS_CLIENT_SECRET="s"
    )
    pid = add_person(engine, now, email="sam@testshire.gov.uk", teams_user_id=AAD)
    headers = {"Authorization": authorization} if authorization else {}

    with client_for(settings, engine, now) as client:
        answer = client.post(
            "/api/messages",
            json=teams.install(service_url=connector.url, aad_object_id=AAD),
            headers=headers,
        )

    assert answer.status_code == 401
    assert connector.calls_to() == []
    assert person(engine, pid).teams_conversation is None


def test_health_reports_teams_on(client: TestClient) -> None:
    assert client.get("/healthz").json()["teams"] is True


def test_only_personal_chats_are_stored(
    client: TestClient, connector: FakeConnector, engine: Engine, now: datetime
) -> None:
    pid = add_person(engine, now, email="sam@testshire.gov.uk", teams_user_id=AAD)
    group = teams.install(
        service_url=connector.url,
        aad_object_id=AAD,
        conversation_id="19:group@thread.v2",
        conversation_type="groupChat",
    )

    client.post("/api/messages", json=group)

    assert person(engine, pid).teams_conversation is None
    with Session(engine) as session:
        assert session.exec(select(Person)).one().teams_user_id == AAD


class KeyServer:
    """Serves a JWKS like the Bot Framework's OpenID keys endpoint, and signs tokens with it."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa
        from jwt.algorithms import RSAAlgorithm

        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        keys = json.dumps({"keys": [{**jwk, "kid": "test-key", "use": "sig", "alg": "RS256"}]})

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                payload = keys.encode()
                self.send_response(200 if self.path.endswith("/keys") else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def openid_url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/v1/.well-known/openidconfiguration"

    def token(self, *, audience: str, service_url: str) -> str:
        import jwt

        issued = int(time.time())
        claims = {
            "iss": "https://api.botframework.com",
            "aud": audience,
            "serviceurl": service_url,
            "iat": issued,
            "nbf": issued,
            "exp": issued + 600,
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": "test-key"})

    def __enter__(self) -> KeyServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.mark.parametrize(
    ("audience", "token_service_url", "expected"),
    [
        (CLIENT_ID, None, 200),
        ("some-other-bot", None, 401),
        (CLIENT_ID, "https://elsewhere.example/teams/", 401),
    ],
)
def test_a_token_signed_by_the_bot_framework_keys_for_this_bot_is_accepted(
    db_url: str,
    engine: Engine,
    now: datetime,
    connector: FakeConnector,
    audience: str,
    token_service_url: str | None,
    expected: int,
) -> None:
    bot_added = teams.activity(
        "conversationUpdate",
        service_url=connector.url,
        aad_object_id=AAD,
        membersAdded=[{"id": f"28:{teams.BOT_ID}"}],
    )
    with KeyServer() as keys:
        settings = authenticated_teams_settings(db_url, keys.openid_url, TEAMS_CLIENT_SECRET="s")
        token = keys.token(audience=audience, service_url=token_service_url or connector.url)
        with client_for(settings, engine, now) as client:
            answer = post_activity(client, bot_added, token=token)

    assert answer.status_code == expected


def test_a_reply_teams_will_not_take_does_not_undo_the_turn(
    client: TestClient, connector: FakeConnector, engine: Engine, now: datetime
) -> None:
    pid = add_person(engine, now, email="sam@testshire.gov.uk", teams_user_id=AAD)
    connector.fail_next("*", ConnectorFault(status=403, retry_after=None, code="Forbidden"))

    answer = client.post(
        "/api/messages", json=teams.install(service_url=connector.url, aad_object_id=AAD)
    )

    assert answer.status_code == 200  # a 5xx would make Teams send the activity again
    assert person(engine, pid).teams_conversation is not None


@pytest.mark.parametrize(
    "broken",
    [
        teams.activity(
            "invoke",
            service_url="http://127.0.0.1:9/",
            aad_object_id=AAD,
            name="adaptiveCard/action",
            value={},
        ),
        {**teams.message("help", service_url="http://127.0.0.1:9/", aad_object_id=AAD), "from": {}},
        {
            **teams.message("help", service_url="http://127.0.0.1:9/", aad_object_id=AAD),
            "conversation": "x",
        },
    ],
    ids=["execute-without-action", "from-without-id", "conversation-not-an-object"],
)
def test_activities_missing_what_teams_always_sends_are_refused_with_400(
    client: TestClient, broken: dict[str, Any]
) -> None:
    answer = client.post("/api/messages", json=broken)

    assert answer.status_code == 400
    assert "not valid" in answer.json()["error"]
