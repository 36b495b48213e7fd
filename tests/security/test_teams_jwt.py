"""Teams inbound authentication: only a Bot Framework token for this bot gets through.

The bot runs with `TEAMS_CLIENT_ID` set, and `QA_BOT_TEAMS_OPENID_URL` pointing at a
local OpenID metadata document and key set (tests/security/openid.py), so the real
SDK validation runs against keys made for this test and never touches the network.
Each forged token is sent with an activity that would otherwise change something
(install: store the conversation, say welcome); refused means 401 and no effect.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import jwt
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from storage.models import Person
from tests.fakes import connector as teams
from tests.fakes.connector import FakeConnector
from tests.security.endpoints import (
    CLIENT_ID,
    add_person,
    authenticated,
    row_counts,
    teams_client,
)
from tests.security.openid import OpenIdServer, new_key

AAD = "11111111-2222-3333-4444-555555555555"


@pytest.fixture(scope="module")
def keys() -> Iterator[OpenIdServer]:
    with OpenIdServer() as server:
        yield server


def send(
    db_url: str,
    engine: Engine,
    now: datetime,
    keys: OpenIdServer,
    connector: FakeConnector,
    authorization: str,
    activity: dict[str, Any] | None = None,
) -> int:
    settings = authenticated(db_url, keys)
    body = activity or teams.install(service_url=connector.url, aad_object_id=AAD)
    with teams_client(settings, engine, now) as client:
        answer = client.post("/api/messages", json=body, headers={"Authorization": authorization})
    return answer.status_code


def conversation_of(engine: Engine, person_id: int) -> Any:
    with Session(engine) as session:
        found = session.get(Person, person_id)
        assert found is not None
        return found.teams_conversation


def test_a_token_from_the_local_keys_for_this_bot_is_accepted(
    db_url: str, engine: Engine, now: datetime, keys: OpenIdServer, connector: FakeConnector
) -> None:
    """The control: the same set-up lets a good token through, so the refusals below mean it."""
    pid = add_person(engine, now, teams_user_id=AAD)
    keys.requests.clear()
    token = keys.token(audience=CLIENT_ID, service_url=connector.url)

    status = send(db_url, engine, now, keys, connector, f"Bearer {token}")

    assert status == 200
    assert conversation_of(engine, pid) is not None  # the install was processed
    assert any(path.endswith("/keys") for path in keys.requests)  # keys came from 127.0.0.1


def _forged(keys: OpenIdServer, service_url: str) -> dict[str, str]:
    now = time.time()
    return {
        "wrong audience": keys.token(audience="another-bot-id", service_url=service_url),
        "wrong issuer": keys.token(
            audience=CLIENT_ID, service_url=service_url, issuer="https://evil.example.com"
        ),
        "expired": keys.token(
            audience=CLIENT_ID, service_url=service_url, issued_at=now - 3600, lifetime=600
        ),
        "issued in the future": keys.token(
            audience=CLIENT_ID, service_url=service_url, issued_at=now + 3600
        ),
        "unknown signing key": keys.token(
            audience=CLIENT_ID, service_url=service_url, key=new_key(), kid="not-published"
        ),
        "known key id, other key": keys.token(
            audience=CLIENT_ID, service_url=service_url, key=keys.rogue
        ),
        "serviceUrl not the token's": keys.token(
            audience=CLIENT_ID, service_url="https://elsewhere.example.com/teams/"
        ),
        "no serviceurl claim": keys.token(audience=CLIENT_ID, service_url=None),
        "unsigned (alg none)": jwt.encode(
            {"iss": "https://api.botframework.com", "aud": CLIENT_ID, "exp": int(now) + 600},
            key=None,
            algorithm="none",
        ),
        "Entra token from another app": keys.token(
            audience=CLIENT_ID,
            service_url=service_url,
            issuer=f"{keys.base}/{teams.TENANT_ID}/v2.0",
            tid=teams.TENANT_ID,
            azp="some-other-app",
        ),
    }


FORGERIES = [
    "wrong audience",
    "wrong issuer",
    "expired",
    "issued in the future",
    "unknown signing key",
    "known key id, other key",
    "serviceUrl not the token's",
    "no serviceurl claim",
    "unsigned (alg none)",
    "Entra token from another app",
]


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_forged_or_misdirected_token_is_refused_and_changes_nothing(
    db_url: str,
    engine: Engine,
    now: datetime,
    keys: OpenIdServer,
    connector: FakeConnector,
    forgery: str,
) -> None:
    pid = add_person(engine, now, teams_user_id=AAD)
    token = _forged(keys, connector.url)[forgery]
    before = row_counts(engine)

    status = send(db_url, engine, now, keys, connector, f"Bearer {token}")

    assert status == 401
    assert connector.calls_to() == []
    assert conversation_of(engine, pid) is None
    assert row_counts(engine) == before


def test_a_good_token_replayed_for_another_service_url_is_refused(
    db_url: str, engine: Engine, now: datetime, keys: OpenIdServer, connector: FakeConnector
) -> None:
    """A token captured from one request cannot carry an activity pointing elsewhere."""
    pid = add_person(engine, now, teams_user_id=AAD)
    token = keys.token(audience=CLIENT_ID, service_url=connector.url)
    redirected = teams.install(service_url="http://127.0.0.1:9/teams/", aad_object_id=AAD)

    status = send(db_url, engine, now, keys, connector, f"Bearer {token}", redirected)

    assert status == 401
    assert conversation_of(engine, pid) is None
