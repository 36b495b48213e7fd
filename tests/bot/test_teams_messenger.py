"""Proactive Teams sends through `TeamsMessenger`, against the fake Bot Connector.

The sender only sees three outcomes: a reference, `RetryLater` or `PermanentFailure`;
these tests pin down which Teams answers become which.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.messenger import PermanentFailure, Recipient, RetryLater
from bot.settings import Settings
from bot.teams.messenger import TeamsMessenger
from qa.framework import Framework, load_framework
from storage.models import OutboxMessage, Person
from tests.fakes.connector import ConnectorFault, FakeConnector, blocked_by_user
from tests.fakes.graph import FakeGraph

FRAMEWORK = Path(__file__).parents[1] / "data" / "framework-small.yml"
CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Hi"}]}
RENDERED = {"text": "You have an audit to do", "card": CARD}
CLIENT_ID = "99999999-8888-7777-6666-555555555555"
TENANT = "00000000-0000-0000-0000-0000000000aa"


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "QA_BOT_HOST": "127.0.0.1",
        "QA_BOT_TEAMS_PLAYGROUND": True,
        "TEAMS_CLIENT_ID": None,
        "TEAMS_CLIENT_SECRET": None,
        "TEAMS_TENANT_ID": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def framework_with_board(conversation_id: str) -> Framework:
    framework = load_framework(str(FRAMEWORK))
    board = framework.governance[0].model_copy(update={"addresses": {"teams": conversation_id}})
    return framework.model_copy(update={"governance": [board]})


def outbox_message(now: datetime) -> OutboxMessage:
    return OutboxMessage(
        id=1, idempotency_key="k1", template="notice", next_attempt_at=now, created_at=now
    )


def add_person(engine: Engine, now: datetime, **fields: Any) -> Person:
    with Session(engine, expire_on_commit=False) as session:
        person = Person(
            email=fields.pop("email", "sam@testshire.gov.uk"),
            name="Sam",
            created_at=now,
            updated_at=now,
            **fields,
        )
        session.add(person)
        session.commit()
        return person


def reload(engine: Engine, person: Person) -> Person:
    with Session(engine) as session:
        found = session.get(Person, person.id)
        assert found is not None
        return found


def reference(service_url: str, conversation_id: str = "a:chat-1") -> dict[str, Any]:
    return {
        "serviceUrl": service_url,
        "channelId": "msteams",
        "conversation": {"id": conversation_id, "conversationType": "personal"},
    }


@pytest.fixture
def connector() -> Iterator[FakeConnector]:
    with FakeConnector() as fake:
        yield fake


def test_a_person_with_a_stored_conversation_gets_the_card(
    engine: Engine, now: datetime, connector: FakeConnector
) -> None:
    person = add_person(engine, now, teams_conversation=reference(connector.url))
    messenger = TeamsMessenger(settings(), engine=engine, framework=load_framework(str(FRAMEWORK)))
    recipient = Recipient(person=person)

    assert messenger.can_reach(recipient)
    assert messenger.pace_key(recipient) == "a:chat-1"
    ref = asyncio.run(messenger.send(outbox_message(now), recipient, RENDERED))

    (sent,) = connector.messages()
    assert sent.conversation_id == "a:chat-1"
    assert sent.cards == [CARD]
    assert sent.body["summary"] == "You have an audit to do"
    assert "authorization" not in sent.headers  # playground: no outbound token
    assert ref == {
        "platform": "teams",
        "service_url": connector.url,
        "conversation_id": "a:chat-1",
        "activity_id": ref["activity_id"],
    }
    assert ref["activity_id"]


def test_a_sent_card_can_be_edited_in_place(
    engine: Engine, now: datetime, connector: FakeConnector
) -> None:
    person = add_person(engine, now, teams_conversation=reference(connector.url))
    messenger = TeamsMessenger(settings(), engine=engine, framework=load_framework(str(FRAMEWORK)))
    ref = asyncio.run(messenger.send(outbox_message(now), Recipient(person=person), RENDERED))

    updated = asyncio.run(messenger.update(ref, {"text": "Done", "card": CARD}))

    (call,) = connector.calls_to("update")
    assert call.activity_id == ref["activity_id"]
    assert call.method == "PUT"
    assert updated["activity_id"] == ref["activity_id"]


@pytest.mark.parametrize(
    ("fault", "outcome", "after"),
    [
        (ConnectorFault(status=429, retry_after=7), RetryLater, 7.0),
        (ConnectorFault(status=412, retry_after=None), RetryLater, None),
        (ConnectorFault(status=500, retry_after=None), RetryLater, None),
        (ConnectorFault(status=502, retry_after=2), RetryLater, 2.0),
        (blocked_by_user(), PermanentFailure, None),
        (
            ConnectorFault(status=404, retry_after=None, code="ConversationNotFound"),
            PermanentFailure,
            None,
        ),
    ],
)
def test_teams_answers_become_retry_later_or_permanent_failure(
    engine: Engine,
    now: datetime,
    connector: FakeConnector,
    fault: ConnectorFault,
    outcome: type[Exception],
    after: float | None,
) -> None:
    person = add_person(engine, now, teams_conversation=reference(connector.url))
    messenger = TeamsMessenger(settings(), engine=engine, framework=load_framework(str(FRAMEWORK)))
    connector.fail_next("send", fault)

    with pytest.raises(outcome) as raised:
        asyncio.run(messenger.send(outbox_message(now), Recipient(person=person), RENDERED))

    if isinstance(raised.value, RetryLater):
        assert raised.value.after == after
    if fault.code:
        assert fault.code in str(raised.value)


def test_a_connector_that_cannot_be_reached_means_retry_later(
    engine: Engine, now: datetime
) -> None:
    with FakeConnector() as gone:
        url = gone.url
    person = add_person(engine, now, teams_conversation=reference(url))
    messenger = TeamsMessenger(settings(), engine=engine, framework=load_framework(str(FRAMEWORK)))

    with pytest.raises(RetryLater, match="network"):
        asyncio.run(messenger.send(outbox_message(now), Recipient(person=person), RENDERED))


def test_a_governance_channel_post_goes_to_its_teams_conversation(
    engine: Engine, now: datetime, connector: FakeConnector
) -> None:
    add_person(engine, now, email="new@testshire.gov.uk")  # no conversation (JSON null)
    add_person(engine, now, teams_conversation=reference(connector.url))  # gives the service URL
    messenger = TeamsMessenger(
        settings(), engine=engine, framework=framework_with_board("19:board@thread.tacv2")
    )
    recipient = Recipient(channel_key="board", channel_id="19:board@thread.tacv2")

    assert messenger.can_reach(recipient)
    assert messenger.pace_key(recipient) == "19:board@thread.tacv2"
    asyncio.run(messenger.send(outbox_message(now), recipient, RENDERED))

    (sent,) = connector.messages()
    assert sent.conversation_id == "19:board@thread.tacv2"


def test_a_channel_without_a_teams_conversation_is_not_reachable(engine: Engine) -> None:
    messenger = TeamsMessenger(settings(), engine=engine, framework=load_framework(str(FRAMEWORK)))

    assert not messenger.can_reach(Recipient(channel_key="board"))


def test_a_person_with_a_teams_id_but_no_chat_gets_one_opened_and_remembered(
    engine: Engine, now: datetime, connector: FakeConnector
) -> None:
    person = add_person(engine, now, teams_user_id="aad-1")
    messenger = TeamsMessenger(
        settings(),
        engine=engine,
        framework=load_framework(str(FRAMEWORK)),
        default_service_url=connector.url,
    )

    asyncio.run(messenger.send(outbox_message(now), Recipient(person=person), RENDERED))

    (opened,) = connector.calls_to("create_conversation")
    assert opened.body["members"] == [{"id": "aad-1"}]
    (sent,) = connector.messages()
    assert sent.conversation_id == "a:chat-with-aad-1"
    stored = reload(engine, person).teams_conversation
    assert stored is not None
    assert stored["conversation"]["id"] == "a:chat-with-aad-1"
    assert stored["serviceUrl"] == connector.url


def test_someone_with_only_an_email_and_no_graph_is_not_reachable_on_teams(
    engine: Engine, now: datetime
) -> None:
    person = add_person(engine, now)
    messenger = TeamsMessenger(settings(), engine=engine, framework=load_framework(str(FRAMEWORK)))

    assert not messenger.can_reach(Recipient(person=person))


def test_with_credentials_each_send_carries_an_app_token(
    engine: Engine, now: datetime, connector: FakeConnector
) -> None:
    person = add_person(engine, now, teams_conversation=reference(connector.url))
    with FakeGraph(client_secret="s3cret") as login:
        messenger = TeamsMessenger(
            settings(
                QA_BOT_TEAMS_PLAYGROUND=False,
                TEAMS_CLIENT_ID=CLIENT_ID,
                TEAMS_CLIENT_SECRET="s3cret",
                TEAMS_TENANT_ID=TENANT,
                QA_BOT_LOGIN_URL=login.login_url,
            ),
            engine=engine,
            framework=load_framework(str(FRAMEWORK)),
        )
        for _ in range(2):
            asyncio.run(messenger.send(outbox_message(now), Recipient(person=person), RENDERED))
        (token_call,) = login.calls_to("token")  # cached for the second send

    assert token_call.path == f"/{TENANT}/oauth2/v2.0/token"
    assert token_call.body["scope"] == "https://api.botframework.com/.default"
    assert token_call.body["grant_type"] == "client_credentials"
    assert [c.headers["authorization"] for c in connector.messages()] == ["Bearer tok-1"] * 2


def test_a_refused_login_is_retried_later_and_never_shows_the_secret(
    engine: Engine, now: datetime, connector: FakeConnector
) -> None:
    person = add_person(engine, now, teams_conversation=reference(connector.url))
    with FakeGraph(client_secret="the-right-one") as login:
        messenger = TeamsMessenger(
            settings(
                QA_BOT_TEAMS_PLAYGROUND=False,
                TEAMS_CLIENT_ID=CLIENT_ID,
                TEAMS_CLIENT_SECRET="wrong-secret",
                QA_BOT_LOGIN_URL=login.login_url,
            ),
            engine=engine,
            framework=load_framework(str(FRAMEWORK)),
        )
        with pytest.raises(RetryLater) as raised:
            asyncio.run(messenger.send(outbox_message(now), Recipient(person=person), RENDERED))

    assert "TEAMS_CLIENT_SECRET" in raised.value.reason
    assert "wrong-secret" not in raised.value.reason
    assert connector.messages() == []


def test_the_outbox_sender_delivers_through_teams_and_records_a_blocked_user(
    db_url: str, engine: Engine, now: datetime, connector: FakeConnector
) -> None:
    from bot.app import build_app
    from bot.deps import Deps
    from storage import outbox

    reachable = add_person(engine, now, teams_conversation=reference(connector.url, "a:ok"))
    blocked = add_person(
        engine,
        now,
        email="gone@testshire.gov.uk",
        teams_conversation=reference(connector.url, "a:x"),
    )
    with Session(engine) as session:
        for key, who in (("n1", reachable), ("n2", blocked)):
            message = outbox.Message("notice", key, {"text": "Audit due"}, person_id=who.id)
            outbox.enqueue(session=session, message=message, now=now)
        session.commit()
    connector.fail_conversation("a:x", blocked_by_user())
    deps = Deps(
        settings(QA_BOT_DATABASE_URL=db_url, QA_BOT_FRAMEWORK=str(FRAMEWORK)),
        load_framework(str(FRAMEWORK)),
        engine,
        clock=lambda: now,
    )
    api = build_app(deps, background=False)

    asyncio.run(api.state.sender.drain(timeout=20))

    by_conversation = {c.conversation_id: c for c in connector.messages()}
    assert len(connector.messages()) == 2  # one each: a blocked user is not retried
    assert "Audit due" in by_conversation["a:ok"].all_text
    with Session(engine) as session:
        rows = {m.idempotency_key: m for m in session.exec(select(OutboxMessage)).all()}
    assert rows["n1"].status == "sent"
    assert rows["n1"].platform_ref is not None
    assert rows["n1"].platform_ref["conversation_id"] == "a:ok"
    assert rows["n2"].status == "failed"
    assert "MessageWritesBlocked" in (rows["n2"].last_error or "")
