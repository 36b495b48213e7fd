"""The database restarts under the bot: it recovers on its own and nothing is lost.

A PostgreSQL restart ends every connection the bot holds. Restarting the machine's
server would disturb other test runs, so the tests do what a restart does to the bot's
pool: an admin connection terminates every backend of the test database
(`pg_terminate_backend`), several times, while the bot works. The engine pre-pings
pooled connections and `with_retries` repeats a unit of work cut off mid-way
(storage/db.py). PostgreSQL only: SQLite has no server to restart.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from bot.deps import Deps
from bot.sender import OutboxSender, SenderPolicy
from bot.settings import Settings
from bot.slack.messenger import SlackMessenger
from qa.framework import load_framework
from storage.audits import load_state
from storage.models import OutboxMessage
from storage.outbox import SENT
from tests.bot.test_audit_slack import SlackAudit, app_for, stored
from tests.chat import add_staff, queue_notices
from tests.conftest import PG_URL, _pg_admin
from tests.fakes.slack_api import FakeSlack
from tests.handlers.audit_world import seed_world

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="needs QA_BOT_TEST_DATABASE_URL (PostgreSQL)"),
]

FRAMEWORK = Path(__file__).parents[1] / "data" / "framework-small.yml"
PEOPLE, EACH = 100, 3


def restart(db_url: str) -> int:
    """End every connection to the test database, as a server restart does; how many."""
    name = make_url(db_url).database
    with _pg_admin(PG_URL) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
    return len(rows)


class Restarts:
    """Terminates the test database's connections every `every` seconds, in a thread."""

    def __init__(self, db_url: str, every: float = 0.4) -> None:
        self.db_url, self.every = db_url, every
        self.rounds = 0
        self.killed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.killed += restart(self.db_url)
            self.rounds += 1

    def __enter__(self) -> Restarts:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def queue_dms(engine: Engine, fake: FakeSlack, now: datetime) -> None:
    ids = add_staff(engine, now, PEOPLE, slack_user_id=lambda i: f"U{i:05d}")
    fake.add_users([(f"U{i:05d}", f"person{i}@testshire.gov.uk") for i in range(PEOPLE)])
    queue_notices(engine, now, ids, EACH, "restart")


def count(engine: Engine, *statuses: str) -> int:
    with Session(engine) as s:
        query = select(func.count()).select_from(OutboxMessage)
        if statuses:
            query = query.where(OutboxMessage.status.in_(statuses))  # type: ignore[attr-defined]
        return int(s.exec(query).one())


@pytest.mark.timeout(120)
def test_connections_cut_during_a_fan_out_lose_and_repeat_nothing(
    db_url: str, engine: Engine
) -> None:
    now = datetime.now(UTC)
    with FakeSlack() as fake:
        queue_dms(engine, fake, now)
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, SLACK_BOT_TOKEN="xoxb-restart", SLACK_API_URL=fake.url
        )
        deps = Deps(settings=settings, framework=load_framework(str(FRAMEWORK)), engine=engine)
        messenger = SlackMessenger.from_settings(settings, engine=engine)
        sender = OutboxSender(deps, [messenger], policy=SenderPolicy(idle_poll=0.1))
        with Restarts(db_url) as restarts:
            report = asyncio.run(sender.drain(until_empty=True, timeout=60))
        assert restarts.rounds >= 3 and restarts.killed > 0, "the database was cut off"
        assert fake.duplicates() == 0
        assert len(fake.posts()) == PEOPLE * EACH
    assert report.failed == 0 and report.remaining == 0, report
    assert count(engine, SENT) == count(engine) == PEOPLE * EACH


@pytest.fixture
def auditor(db_url: str, engine: Engine, now: datetime) -> Iterator[SlackAudit]:
    with FakeSlack() as slack:
        world = seed_world(engine, now, "camden")
        client, keys = app_for(db_url, engine, slack, now, world)
        with client:
            yield SlackAudit(client, slack, keys, world)


@pytest.mark.timeout(120)
def test_connections_cut_during_an_audit_dialog_lose_no_answer(
    db_url: str, engine: Engine, auditor: SlackAudit
) -> None:
    auditor.open()
    steps = 0
    while auditor.step() != "review":
        step, values = auditor.step(), auditor.answer()
        assert restart(db_url) > 0, "the bot's pooled connections were cut"
        body = auditor.submit(values)  # a 500 fails inside `submit`
        assert body.get("response_action") == "update", body
        draft = stored(engine, auditor.world)
        assert draft.step == auditor.step() != step, "the step moved on"
        assert draft.status == "draft"
        state = load_state(draft)
        assert state is not None
        saved = state.answers.get(step, {})
        assert set(values) <= set(saved), f"answers lost at step {step}"
        assert all(str(saved[k]) == str(v) for k, v in values.items() if isinstance(v, str))
        steps += 1
    assert steps > 3
    restart(db_url)
    auditor.submit({})
    audit = stored(engine, auditor.world)
    assert audit.status == "submitted"
