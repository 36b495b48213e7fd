"""Reaching someone who never opened the bot: Microsoft Graph finds, installs, gives the chat.

Fake Graph and a fake Entra token endpoint (one server) plus the fake Bot Connector;
the messenger is configured exactly as in production, only the base URLs differ.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.messenger import PermanentFailure, Recipient, RetryLater
from bot.settings import Settings
from bot.teams.messenger import TeamsMessenger
from qa.framework import load_framework
from storage.models import OutboxMessage, Person
from tests.fakes.connector import FakeConnector
from tests.fakes.graph import FakeGraph, GraphFault

FRAMEWORK = Path(__file__).parents[1] / "data" / "framework-small.yml"
RENDERED = {"text": "Hello", "card": {"type": "AdaptiveCard", "version": "1.5", "body": []}}
CLIENT_ID = "99999999-8888-7777-6666-555555555555"
TENANT = "00000000-0000-0000-0000-0000000000aa"
CATALOG_APP = "cccccccc-0000-0000-0000-000000000001"
USER = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph(client_secret="s3cret") as fake:
        fake.add_user(USER, "sam@testshire.gov.uk")
        yield fake


@pytest.fixture
def connector() -> Iterator[FakeConnector]:
    with FakeConnector() as fake:
        yield fake


def messenger(engine: Engine, graph: FakeGraph, connector: FakeConnector) -> TeamsMessenger:
    values: dict[str, Any] = {
        "QA_BOT_HOST": "127.0.0.1",
        "TEAMS_CLIENT_ID": CLIENT_ID,
        "TEAMS_CLIENT_SECRET": "s3cret",
        "TEAMS_TENANT_ID": TENANT,
        "QA_BOT_TEAMS_APP_CATALOG_ID": CATALOG_APP,
        "QA_BOT_GRAPH_URL": graph.graph_url,
        "QA_BOT_LOGIN_URL": graph.login_url,
    }
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    return TeamsMessenger(
        settings,
        engine=engine,
        framework=load_framework(str(FRAMEWORK)),
        default_service_url=connector.url,
    )


def add_person(engine: Engine, now: datetime, email: str = "sam@testshire.gov.uk") -> Person:
    with Session(engine, expire_on_commit=False) as session:
        person = Person(email=email, name="Sam", created_at=now, updated_at=now)
        session.add(person)
        session.commit()
        return person


def send(m: TeamsMessenger, person: Person, now: datetime) -> dict[str, Any]:
    message = OutboxMessage(
        id=7, idempotency_key="k7", template="notice", next_attempt_at=now, created_at=now
    )
    return asyncio.run(m.send(message, Recipient(person=person), RENDERED))


def test_found_by_email_installed_and_messaged_in_the_new_chat(
    engine: Engine, now: datetime, graph: FakeGraph, connector: FakeConnector
) -> None:
    person = add_person(engine, now)
    m = messenger(engine, graph, connector)

    assert m.can_reach(Recipient(person=person))
    ref = send(m, person, now)

    (lookup,) = graph.calls_to("get_user")
    assert lookup.path == "/v1.0/users/sam@testshire.gov.uk"
    (installed,) = graph.calls_to("install")
    assert installed.body == {
        "teamsApp@odata.bind": f"{graph.graph_url}appCatalogs/teamsApps/{CATALOG_APP}"
    }
    (listing,) = graph.calls_to("list_installed")
    assert listing.query == {"$expand": "teamsApp", "$filter": f"teamsApp/id eq '{CATALOG_APP}'"}
    assert len(graph.calls_to("get_chat")) == 1
    tokens = graph.calls_to("token")  # one for Graph, one for the Bot Connector
    assert {t.path for t in tokens} == {f"/{TENANT}/oauth2/v2.0/token"}
    assert {t.body["scope"] for t in tokens} == {
        f"{graph.base}/.default",
        "https://api.botframework.com/.default",
    }

    chat = FakeGraph.chat_id(USER)
    assert ref["conversation_id"] == chat
    (sent,) = connector.messages()
    assert sent.conversation_id == chat
    with Session(engine) as session:
        stored = session.get(Person, person.id)
        assert stored is not None
        assert stored.teams_user_id == USER
        assert stored.teams_conversation is not None
        assert stored.teams_conversation["conversation"]["id"] == chat


def test_the_lookup_happens_once(
    engine: Engine, now: datetime, graph: FakeGraph, connector: FakeConnector
) -> None:
    person = add_person(engine, now)
    m = messenger(engine, graph, connector)

    send(m, person, now)
    send(m, person, now)

    assert len(graph.calls_to("install")) == 1
    assert len(connector.messages()) == 2


def test_already_installed_is_fine(
    engine: Engine, now: datetime, graph: FakeGraph, connector: FakeConnector
) -> None:
    graph.mark_installed(USER, CATALOG_APP)
    person = add_person(engine, now)

    send(messenger(engine, graph, connector), person, now)

    assert len(connector.messages()) == 1


def test_no_such_user_is_a_permanent_failure(
    engine: Engine, now: datetime, graph: FakeGraph, connector: FakeConnector
) -> None:
    person = add_person(engine, now, email="left@testshire.gov.uk")

    with pytest.raises(PermanentFailure, match="not found"):
        send(messenger(engine, graph, connector), person, now)
    assert connector.calls_to() == []


def test_graph_throttling_means_retry_later_with_its_retry_after(
    engine: Engine, now: datetime, graph: FakeGraph, connector: FakeConnector
) -> None:
    graph.fail_next("install", GraphFault(status=429, retry_after=12))
    person = add_person(engine, now)

    with pytest.raises(RetryLater) as raised:
        send(messenger(engine, graph, connector), person, now)
    assert raised.value.after == 12.0


def test_missing_consent_says_which_permissions_are_needed(
    engine: Engine, now: datetime, graph: FakeGraph, connector: FakeConnector
) -> None:
    graph.fail_next("get_user", GraphFault(status=403, retry_after=None, code="Forbidden"))
    person = add_person(engine, now)

    with pytest.raises(PermanentFailure, match=r"TeamsAppInstallation\.ReadWriteSelfForUser\.All"):
        send(messenger(engine, graph, connector), person, now)
