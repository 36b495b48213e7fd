"""One test client for both chat platforms, through the app's public endpoints.

Every suite that drives the bot as people do goes through here, so that how a request
is signed, what a Slack payload or a Teams activity looks like, how a test waits for
the bot's after-acknowledgement work and how the common people are seeded are written
once. tests/conftest.py gives the fakes as fixtures (`slack`, `connector`) and the
default Slack app (`api`).

- **The app**: `slack_settings` / `teams_settings` (playground) /
  `authenticated_teams_settings` (bearer tokens checked against the local keys of
  tests/security/openid.py, which signs the fake JWTs), then `app_client` builds the app
  the way `qa-bot serve` does (`bot.app.build_app`) at a frozen `now` or a `Clock`, with
  `routes_with` for extra conversations. `settle` waits for Bolt's listeners (never a
  sleep); `deliver` / `deliver_unpaced` drain the outbox to the fakes.
- **Slack** (`POST /slack/events`): `signed_headers` (v0 HMAC over the raw bytes),
  `post_signed`, `post_command`, `post_event` (+ retry headers), `dm`, `click` and
  `block_actions` (fresh `trigger_id`), `post_interaction` for any interactivity
  payload; `modal`, `view_state`, `view_submission`, `view_closed` for modals.
- **Teams** (`POST /api/messages`): `post_activity` (with a bearer token when asked),
  `say` (a typed message; the one reply the fake connector got), `press` (an
  `Action.Execute`; the card shown in place), `submit` (an `Action.Submit`), and the
  activity builders of tests/fakes/connector.py (`message`, `execute`, `install`).
- **What was said back**: `all_text` of a Slack message or view, `last_view`, and the
  fakes' own `calls_to` / `messages`.
- **People and rows**: `add_person` (defaults: a QA lead), `add_lead`,
  `add_practitioner`, `add_staff` and `queue_notices` (many people, many messages),
  `count`, `row_counts`, `rows_of`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import warnings
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, select

from bot.app import build_app
from bot.composition import conversations
from bot.deps import Deps
from bot.sender import OutboxSender, SenderPolicy
from bot.settings import Settings
from handlers.conversation import Conversation
from handlers.menu import didnt_catch
from handlers.router import Router
from qa.framework import Framework, load_framework
from storage.db import session_scope
from storage.models import Person
from storage.outbox import Message, enqueue
from tests.fakes.connector import ConnectorCall, FakeConnector, activity, execute, install, message
from tests.fakes.slack_api import FakeSlack, new_trigger_id

with warnings.catch_warnings():  # Starlette nudges towards httpx2; httpx is what we have
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

__all__ = [
    "TestClient",
    "activity",
    "execute",
    "install",
    "message",
    "new_trigger_id",
]

SECRET = "test-signing-secret"
ROUTING_SECRET = "test-routing-secret"  # fixed, whatever the environment holds
SMALL = Path(__file__).parent / "data" / "framework-small.yml"
CLIENT_ID = "99999999-8888-7777-6666-555555555555"  # the bot's Entra app id
TEAM = "T0TEAM"
APP_ID = "A0APP"
FORM = "application/x-www-form-urlencoded"


# -- the app ------------------------------------------------------------------------------


def slack_settings(db_url: str, slack_url: str, **overrides: Any) -> Settings:
    """Settings for a Slack-only app whose Web API is the fake at `slack_url`."""
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": SECRET,
        "slack_api_url": slack_url,
        "database_url": db_url,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def teams_settings(db_url: str, **overrides: Any) -> Settings:
    """Settings for a Teams app in playground mode (no inbound token) unless overridden."""
    values: dict[str, Any] = {
        "QA_BOT_DATABASE_URL": db_url,
        "QA_BOT_FRAMEWORK": str(SMALL),
        "QA_BOT_HOST": "127.0.0.1",
        "QA_BOT_TEAMS_PLAYGROUND": True,
        "SLACK_BOT_TOKEN": None,
        "SLACK_APP_TOKEN": None,
        "TEAMS_CLIENT_ID": None,
        "TEAMS_CLIENT_SECRET": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class Clock:
    """A frozen clock a test can move on (`clock.now = ...`) between requests."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def authenticated_teams_settings(
    db_url: str, openid_url: str, *, login_url: str | None = None, **overrides: Any
) -> Settings:
    """Teams with inbound authentication on: bearer tokens are checked against the keys
    published at `openid_url` (tests/security/openid.py serves them, and signs the fake
    JWTs); `login_url` keeps the SDK's own sign-in local too."""
    values: dict[str, Any] = {
        "QA_BOT_TEAMS_PLAYGROUND": False,
        "TEAMS_CLIENT_ID": CLIENT_ID,
        "TEAMS_CLIENT_SECRET": "client-secret",
        "QA_BOT_TEAMS_OPENID_URL": openid_url,
    }
    if login_url is not None:
        values["QA_BOT_LOGIN_URL"] = login_url
    return teams_settings(db_url, **{**values, **overrides})


def app_client(
    settings: Settings,
    engine: Engine,
    now: datetime | Callable[[], datetime],
    *,
    framework: Framework | None = None,
    router: Router | None = None,
) -> TestClient:
    """The app as `serve` builds it, at a frozen `now` (or a `Clock`), without background jobs."""
    clock = now if callable(now) else (lambda: now)
    deps = Deps(
        settings=settings,
        framework=framework or load_framework(str(SMALL)),
        engine=engine,
        clock=clock,
    )
    if router is not None:
        deps.router = router
    return TestClient(build_app(deps, background=False))


def routes_with(*extra: Conversation) -> Router:
    """The product's router with `extra` conversations (say, one whose handler fails)."""
    return Router([*conversations(), *extra], fallback=didnt_catch)


def settle(api: TestClient) -> None:
    """Wait until Bolt has finished the work it does after acknowledging."""
    assert api.app.state.slack_executor.wait_idle(10), "listeners still running"  # type: ignore[attr-defined]


def drain(api: TestClient) -> Any:
    """Run the app's own outbox sender until nothing queued is due; its report."""
    return asyncio.run(api.app.state.sender.drain(timeout=10))  # type: ignore[attr-defined]


def deliver(api: TestClient) -> None:
    """Run the outbox sender until everything queued has gone to the fakes."""
    report = drain(api)
    assert report.remaining == 0 and report.failed == 0, report


def deliver_unpaced(api: TestClient) -> None:
    """Send everything queued at once: no sending windows (pacing has its own tests)."""
    state = api.app.state  # type: ignore[attr-defined]
    policy = SenderPolicy(windows={}, idle_poll=0.05)
    sender = OutboxSender(state.deps, state.messengers, renderer=state.renderer, policy=policy)
    report = asyncio.run(sender.drain(timeout=20))
    assert report.failed == 0 and report.remaining == 0, report


# -- Slack --------------------------------------------------------------------------------


def signed_headers(
    body: bytes, *, content_type: str, timestamp: int | None = None, secret: str = SECRET
) -> dict[str, str]:
    """Headers Slack would send: a timestamp (now unless given) and the v0 signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    try:
        signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    except UnicodeDecodeError:  # the SDK signs text; Slack's scheme signs the raw bytes
        mac = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256)
        signature = "v0=" + mac.hexdigest()
    assert signature is not None
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
    }


def post_signed(
    api: TestClient, body: bytes, *, content_type: str = FORM, **headers: str
) -> httpx.Response:
    """POST raw bytes to /slack/events, signed; `headers` are added after signing."""
    signed = signed_headers(body, content_type=content_type) | headers
    return api.post("/slack/events", content=body, headers=signed)


def interaction_body(payload: dict[str, Any]) -> bytes:
    """An interactivity payload as Slack encodes it: one form field holding JSON (with the
    workspace and app ids Slack adds)."""
    payload = {"team": {"id": TEAM}, "api_app_id": APP_ID, **payload}
    return urlencode({"payload": json.dumps(payload)}).encode()


def post_interaction(
    api: TestClient, payload: dict[str, Any], *, wait: bool = True
) -> httpx.Response:
    """Send an interactivity payload (`type` is set by the caller), signed."""
    response = post_signed(api, interaction_body(payload))
    if wait:
        settle(api)
    return response


def command_body(
    user_id: str, text: str, *, response_url: str = "http://127.0.0.1:9/response"
) -> bytes:
    """A `/qa` slash command body, with a fresh `trigger_id`."""
    return urlencode(
        {
            "token": "legacy",
            "team_id": TEAM,
            "channel_id": "C0GENERAL",
            "user_id": user_id,
            "command": "/qa",
            "text": text,
            "response_url": response_url,
            "trigger_id": new_trigger_id(),
        }
    ).encode()


def post_command(
    api: TestClient, slack: FakeSlack | None, user_id: str, text: str
) -> httpx.Response:
    """`/qa <text>` from `user_id`; the response URL points at the fake when given."""
    response_url = f"{slack.url}response" if slack else "http://127.0.0.1:9/response"
    return post_signed(api, command_body(user_id, text, response_url=response_url))


def event_body(event: dict[str, Any], *, event_id: str) -> bytes:
    """An Events API envelope around `event`."""
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": APP_ID,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": TEAM, "user_id": "U0BOT", "is_bot": True}],
        }
    ).encode()


def post_event(
    api: TestClient, event: dict[str, Any], *, event_id: str, retry: int | None = None
) -> httpx.Response:
    """An event callback; `retry` adds the headers Slack puts on a redelivery."""
    extra = {}
    if retry is not None:
        extra = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    body = event_body(event, event_id=event_id)
    return post_signed(api, body, content_type="application/json", **extra)


def dm(user: str, text: str, ts: str = "1700000000.000100") -> dict[str, Any]:
    """A `message` event in the bot's DM with `user`."""
    return {
        "type": "message",
        "channel_type": "im",
        "channel": f"D{user}",
        "user": user,
        "text": text,
        "ts": ts,
    }


def block_actions(
    user: str,
    action_id: str,
    value: str | None,
    *,
    channel: str | None = None,
    message_ts: str = "1.1",
    block_id: str = "b1",
    **extra: Any,
) -> dict[str, Any]:
    """A button press on a message (in the DM with `user` unless `channel` says)."""
    where = channel or f"D{user}"
    action: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "type": "button"}
    if value is not None:
        action["value"] = value
    return {
        "type": "block_actions",
        "user": {"id": user},
        "trigger_id": new_trigger_id(),
        "channel": {"id": where},
        "container": {"type": "message", "channel_id": where, "message_ts": message_ts},
        "actions": [action],
        **extra,
    }


def click(
    api: TestClient,
    user: str,
    action_id: str,
    value: str | None,
    *,
    channel: str | None = None,
    message_ts: str = "1.1",
    wait: bool = True,
    **extra: Any,
) -> httpx.Response:
    """Press a button on a message, signed, with a fresh `trigger_id`."""
    payload = block_actions(user, action_id, value, channel=channel, message_ts=message_ts, **extra)
    return post_interaction(api, payload, wait=wait)


def modal(view: dict[str, Any], state: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The `view` object Slack sends back for a modal the app showed, with `state`."""
    return {
        "id": view.get("id", "V0VIEW"),
        "type": "modal",
        "callback_id": view["callback_id"],
        "private_metadata": view.get("private_metadata", ""),
        "state": state,
        "hash": "1.h",
        **extra,
    }


def view_state(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """`view.state` as Slack builds it from the inputs on screen and what was typed
    (`values` by block id: text, option value, list of option values or ISO date)."""
    out: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element, key = block["element"], block["block_id"]
        raw = values.get(key)
        kind = element["type"]
        if kind == "plain_text_input":
            state: dict[str, Any] = {"value": raw}
        elif kind in ("radio_buttons", "static_select"):
            state = {"selected_option": {"value": raw} if raw else None}
        elif kind == "checkboxes":
            state = {"selected_options": [{"value": v} for v in raw or []]}
        elif kind == "datepicker":
            state = {"selected_date": raw}
        else:
            raise AssertionError(kind)
        out[key] = {element["action_id"]: {"type": kind, **state}}
    return {"values": out}


def view_submission(user: str, view: dict[str, Any]) -> dict[str, Any]:
    """A modal's submit, with a fresh `trigger_id`."""
    return {
        "type": "view_submission",
        "user": {"id": user},
        "trigger_id": new_trigger_id(),
        "view": view,
    }


def view_closed(user: str, view: dict[str, Any]) -> dict[str, Any]:
    """A modal closed with the X (Slack sends what was typed)."""
    return {"type": "view_closed", "user": {"id": user}, "is_cleared": False, "view": view}


def all_text(payload: dict[str, Any]) -> str:
    """Everything a Slack message or view says: its blocks as JSON plus its text."""
    blocks = payload.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return json.dumps(blocks or [], ensure_ascii=False) + str(payload.get("text", ""))


def last_view(slack: FakeSlack, method: str = "views.open") -> dict[str, Any]:
    """The view the app last asked Slack to open, push, update or publish."""
    view = slack.calls_to(method)[-1].params["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


# -- Teams --------------------------------------------------------------------------------


def post_activity(
    client: TestClient, body: dict[str, Any], *, token: str | None = None
) -> httpx.Response:
    """An activity into /api/messages, with a bearer token when the app checks them."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/api/messages", json=body, headers=headers)


def say(
    client: TestClient, connector: FakeConnector, aad_object_id: str, text: str, **kw: Any
) -> ConnectorCall:
    """Type `text` to the bot; the one message it sent back through the connector."""
    before = len(connector.messages())
    body = message(text, service_url=connector.url, aad_object_id=aad_object_id, **kw)
    assert post_activity(client, body).status_code == 200
    sent = connector.messages()[before:]
    assert len(sent) == 1, sent
    return sent[0]


def press(
    client: TestClient,
    connector: FakeConnector,
    aad_object_id: str,
    data: dict[str, Any],
    **kw: Any,
) -> dict[str, Any]:
    """An `Action.Execute` press with `data`; the card Teams shows in its place."""
    body = execute(
        data,
        verb=str(data.get("action")),
        service_url=connector.url,
        aad_object_id=aad_object_id,
        **kw,
    )
    answer = post_activity(client, body)
    assert answer.status_code == 200, answer.text
    reply: dict[str, Any] = answer.json()
    assert reply["statusCode"] == 200
    assert reply["type"] == "application/vnd.microsoft.card.adaptive", reply
    return dict(reply["value"])


def submit(data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """An `Action.Submit` press: a message activity whose value is the card's data."""
    return activity("message", value=data, **kwargs)


# -- people and rows ----------------------------------------------------------------------


def add_person(engine: Engine, now: datetime, **fields: Any) -> int:
    """One person (a QA lead unless `fields` say otherwise); their id."""
    values: dict[str, Any] = {
        "email": "lee.lead@council.gov.uk",
        "name": "Lee Lead",
        "roles": ["qa_lead"],
        "created_at": now,
        "updated_at": now,
    }
    values.update(fields)
    with Session(engine) as session:
        row = Person(**values)
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


def add_lead(engine: Engine, now: datetime, *, name: str = "Lee", **fields: Any) -> int:
    """Lee, a QA lead known in Slack as U1LEAD."""
    values = {"email": "lead@council.gov.uk", "slack_user_id": "U1LEAD", **fields}
    return add_person(engine, now, name=name, roles=["qa_lead"], **values)


def add_practitioner(engine: Engine, now: datetime, *, name: str = "Pat", **fields: Any) -> int:
    """Pat, a practitioner known in Slack as U2PRAC."""
    values = {"email": "pat@council.gov.uk", "slack_user_id": "U2PRAC", **fields}
    return add_person(engine, now, name=name, roles=["practitioner"], **values)


def add_staff(
    engine: Engine,
    now: datetime,
    people: int,
    *,
    email: Callable[[int], str] = lambda i: f"person{i}@testshire.gov.uk",
    **account: Callable[[int], Any],
) -> list[int]:
    """`people` staff ("Person 0"..., `email` made from their index) with chat `account`
    fields made from it too (say `slack_user_id=lambda i: f"U{i:05d}"`); their ids."""
    with session_scope(engine) as s:
        rows = [
            Person(
                email=email(i),
                name=f"Person {i}",
                created_at=now,
                updated_at=now,
                **{field: make(i) for field, make in account.items()},
            )
            for i in range(people)
        ]
        s.add_all(rows)
        s.flush()
        return [p.id or 0 for p in rows]


def queue_notices(engine: Engine, now: datetime, ids: list[int], rounds: int, prefix: str) -> None:
    """`rounds` notices for each person, queued round by round (as jobs queue them), so
    each person's are interleaved; each says its key, `<prefix>-<person id>-<round>`."""
    for r in range(rounds):
        with session_scope(engine) as s:
            for pid in ids:
                key = f"{prefix}-{pid}-{r}"
                msg = Message("notice", key, context={"text": key}, person_id=pid)
                enqueue(session=s, message=msg, now=now)


def count(engine: Engine, model: type[Any]) -> int:
    """Rows of one model."""
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table, by table name (to prove nothing was written)."""
    with engine.connect() as conn:
        counts = {
            t.name: int(conn.execute(sa_select(func.count()).select_from(t)).scalar_one())
            for t in SQLModel.metadata.sorted_tables
        }
        conn.rollback()
    return counts


def rows_of(engine: Engine, table: str) -> list[dict[str, Any]]:
    """Every row of one table, as dicts."""
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(SQLModel.metadata.tables[table].select())]
        conn.rollback()
    return rows
