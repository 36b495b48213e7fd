"""Slack or Teams down for a while: messages wait, then go out once each, in order per person.

Time-compressed: "down for an hour" is a few seconds of wall time here, and the
sender's backoff is capped at a fraction of a second instead of five minutes, so the
same sequence (many failed attempts, then recovery) happens in under a minute. During
the outage the fake platform answers every send with a 5xx, and some sends hang past
the client's timeout (kept short here) before failing, as a struggling service does.

Order per person is checked against the order the messages were queued: the outbox
claims a person's next message only once the one before it has gone (storage/outbox.py).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.deps import Deps
from bot.messenger import Messenger
from bot.sender import OutboxSender, SenderPolicy
from bot.settings import Settings
from bot.slack.messenger import SlackMessenger
from bot.teams.connector import ConnectorClient
from bot.teams.messenger import TeamsMessenger
from qa.framework import load_framework
from storage.models import OutboxMessage
from storage.outbox import SENT
from tests.chat import add_staff, queue_notices
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack

pytestmark = pytest.mark.slow

FRAMEWORK = Path(__file__).parents[1] / "data" / "framework-small.yml"
KEY = re.compile(r"outage-\d+-\d+")
PEOPLE = 6
EACH = 4
OUTAGE_SECONDS = 3.0  # "an hour", compressed
CLIENT_TIMEOUT = 1  # seconds; a hung request fails after this
HANG_EVERY = 5  # one send in this many hangs past the client timeout during the outage
# Short waits for the test: many retries fit in the outage, and none waits long after it.
POLICY = SenderPolicy(retry_base=0.1, retry_cap=0.5, idle_poll=0.1)


class Outage:
    """A window of wall time during which the platform is down; starts at the first send."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started: float | None = None
        self.refused = 0
        self.hung = 0
        self._lock = threading.Lock()
        self._count = itertools.count(1)

    def down(self) -> tuple[bool, bool]:
        """(is the platform down now, should this request hang first)."""
        with self._lock:
            now = time.monotonic()
            if self.started is None:
                self.started = now
            if now - self.started >= self.seconds:
                return False, False
            self.refused += 1
            hang = next(self._count) % HANG_EVERY == 0
            self.hung += hang
            return True, hang


def queue_messages(engine: Engine, now: datetime, **account: Callable[[int], Any]) -> list[int]:
    """PEOPLE staff with `account` fields made from their index; EACH messages apiece,
    queued round by round (as jobs queue them), so each person's are interleaved."""
    ids = add_staff(engine, now, PEOPLE, **account)
    queue_notices(engine, now, ids, EACH, "outage")
    return ids


def expected_order(ids: list[int]) -> dict[int, list[str]]:
    return {pid: [f"outage-{pid}-{r}" for r in range(EACH)] for pid in ids}


def key_in(text: str) -> str:
    """The message's key (its text) inside a Teams activity."""
    found = KEY.search(text)
    assert found, text
    return found.group(0)


def drain(engine: Engine, settings: Settings, messenger: Messenger) -> None:
    deps = Deps(settings=settings, framework=load_framework(str(FRAMEWORK)), engine=engine)
    sender = OutboxSender(deps, [messenger], policy=POLICY)
    report = asyncio.run(sender.drain(until_empty=True, timeout=45))
    assert report.failed == 0, report
    assert report.remaining == 0, report
    assert report.retried > 0, report  # the outage was felt


def assert_all_sent(engine: Engine) -> None:
    with Session(engine) as s:
        total = s.exec(select(func.count()).select_from(OutboxMessage)).one()
        sent = s.exec(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == SENT)
        ).one()
    assert (sent, total) == (PEOPLE * EACH, PEOPLE * EACH)


@pytest.mark.timeout(90)
def test_slack_down_for_a_while_delivers_everything_once_in_order_per_person(
    engine: Engine,
) -> None:
    now = datetime.now(UTC)
    outage = Outage(OUTAGE_SECONDS)
    with FakeSlack() as fake:

        def intercept(method: str, _params: dict[str, Any]) -> Any:
            if method != "chat.postMessage":
                return None
            down, hang = outage.down()
            if not down:
                return None
            if hang:
                time.sleep(CLIENT_TIMEOUT * 1.5)  # the client has given up by now
            return 500, {"ok": False, "error": "internal_error"}, {}

        fake.state.interceptor = intercept
        ids = queue_messages(engine, now, slack_user_id=lambda i: f"U{i:05d}")
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, SLACK_BOT_TOKEN="xoxb-outage", SLACK_API_URL=fake.url
        )
        # The production client with a short timeout, so a hung request fails quickly.
        client = WebClient(token="xoxb-outage", base_url=fake.url, timeout=CLIENT_TIMEOUT)
        drain(engine, settings, SlackMessenger(client, settings, engine=engine))

        posts = fake.posts()
        assert fake.duplicates() == 0
        assert len(posts) == PEOPLE * EACH
        users = {pid: f"U{i:05d}" for i, pid in enumerate(ids)}
        got = {pid: [p.text for p in posts if p.channel == users[pid]] for pid in ids}
        assert got == expected_order(ids)
        assert outage.started is not None and posts[0].at >= outage.started + OUTAGE_SECONDS
    assert outage.refused >= PEOPLE and outage.hung > 0
    assert_all_sent(engine)


@pytest.mark.timeout(90)
def test_teams_down_for_a_while_delivers_everything_once_in_order_per_person(
    engine: Engine,
) -> None:
    now = datetime.now(UTC)
    outage = Outage(OUTAGE_SECONDS)
    with FakeConnector() as fake:
        answer = fake.answer

        def outage_answer(
            method: str, path: str, body: dict[str, Any], headers: dict[str, str]
        ) -> tuple[int, dict[str, Any], dict[str, str]]:
            if method == "POST" and path.endswith("/activities"):
                down, hang = outage.down()
                if down:
                    if hang:
                        time.sleep(CLIENT_TIMEOUT * 1.5)
                    status = 503 if outage.refused % 2 else 500
                    return status, {"error": {"code": "ServiceError", "message": "down"}}, {}
            return answer(method, path, body, headers)

        fake.answer = outage_answer  # type: ignore[method-assign]
        ids = queue_messages(
            engine,
            now,
            teams_conversation=lambda i: {
                "serviceUrl": fake.url,
                "channelId": "msteams",
                "conversation": {"id": f"a:chat-{i}", "conversationType": "personal"},
            },
        )
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            QA_BOT_HOST="127.0.0.1",
            QA_BOT_TEAMS_PLAYGROUND=True,
            TEAMS_CLIENT_ID=None,
            TEAMS_CLIENT_SECRET=None,
            TEAMS_TENANT_ID=None,
        )
        messenger = TeamsMessenger(
            settings, engine=engine, framework=load_framework(str(FRAMEWORK))
        )
        messenger.connector = ConnectorClient(
            tokens=None, token_tenant="botframework.com", timeout=CLIENT_TIMEOUT
        )
        drain(engine, settings, messenger)

        sent = fake.messages()  # only what the fake accepted: refused calls never reach it
        texts = [key_in(c.all_text) for c in sent]
        assert len(texts) == len(set(texts)) == PEOPLE * EACH
        conversations = {pid: f"a:chat-{i}" for i, pid in enumerate(ids)}
        got = {
            pid: [key_in(c.all_text) for c in sent if c.conversation_id == conv]
            for pid, conv in conversations.items()
        }
        assert got == expected_order(ids)
        assert outage.started is not None and sent[0].at >= outage.started + OUTAGE_SECONDS
    assert outage.refused >= PEOPLE and outage.hung > 0
    assert_all_sent(engine)
