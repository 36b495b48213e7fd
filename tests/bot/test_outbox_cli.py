"""`qa-bot outbox send` and `qa-bot outbox failed` through typer's CliRunner."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from bot.commands.outbox import app
from storage.db import session_scope
from storage.models import Person
from storage.outbox import Message, enqueue
from tests.fakes.slack_api import FakeSlack

Invoke = Callable[..., Result]
FRAMEWORK = str(Path(__file__).parents[1] / "data" / "framework-small.yml")


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSlack) -> Invoke:
    monkeypatch.chdir(tmp_path)  # no stray .env from the working directory
    env = {
        "QA_BOT_DATABASE_URL": db_url,
        "QA_BOT_FRAMEWORK": FRAMEWORK,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": fake.url,
    }

    def invoke(*args: str, **extra_env: str | None) -> Result:
        return CliRunner().invoke(app, list(args), env={**env, **extra_env})

    return invoke


def queue_two(engine: Engine) -> None:
    """One person Slack knows, one it does not; queued now (the CLI reads the real clock)."""
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        known = Person(
            email="sam@council.gov.uk",
            name="Sam",
            slack_user_id="U1",
            created_at=now,
            updated_at=now,
        )
        unknown = Person(email="ali@council.gov.uk", name="Ali", created_at=now, updated_at=now)
        s.add_all([known, unknown])
        s.flush()
        for p in (known, unknown):
            msg = Message("notice", f"hello-{p.id}", {"text": "hello"}, person_id=p.id)
            enqueue(session=s, message=msg, now=now)


def test_send_delivers_what_it_can_and_failed_lists_the_rest(
    cli: Invoke, engine: Engine, fake: FakeSlack
) -> None:
    queue_two(engine)

    sent = cli("send")
    assert sent.exit_code == 0, sent.output
    assert "Delivered 1, retried 0, failed 1" in sent.stdout
    assert "qa-bot outbox failed" in sent.stdout
    assert [p.channel for p in fake.posts()] == ["U1"]

    table = cli("failed")
    assert table.exit_code == 0, table.output
    assert "ali@council.gov.uk" in table.stdout and "notice" in table.stdout
    assert "Slack has no user" in table.stdout

    listed = json.loads(cli("failed", "--json").stdout)
    assert [(f["recipient"], f["template"], f["platform"]) for f in listed] == [
        ("ali@council.gov.uk", "notice", "slack")
    ]
    assert "slack_user_id" in listed[0]["reason"]


def test_send_twice_delivers_nothing_new(cli: Invoke, engine: Engine, fake: FakeSlack) -> None:
    queue_two(engine)
    cli("send")

    again = cli("send", "--json")

    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["delivered"] == 0
    assert len(fake.posts()) == 1


def test_send_without_a_chat_platform_says_what_to_set(cli: Invoke) -> None:
    result = cli("send", SLACK_BOT_TOKEN=None)

    assert result.exit_code == 1
    assert "set SLACK_BOT_TOKEN" in result.output


def test_failed_with_nothing_failed_says_so(cli: Invoke) -> None:
    result = cli("failed")

    assert result.exit_code == 0
    assert "Nothing has failed" in result.stdout


def test_failed_explains_messages_to_people_with_no_chat_account(
    cli: Invoke, engine: Engine
) -> None:
    """Right after `make demo` most staff have no chat account: say that this is expected."""
    from sqlmodel import select

    from bot.sender import NO_ACCOUNT
    from storage.models import OutboxMessage
    from storage.outbox import mark_failed

    queue_two(engine)
    with session_scope(engine) as s:
        for row in s.exec(select(OutboxMessage)).all():
            assert row.id is not None
            mark_failed(session=s, message_id=row.id, error=NO_ACCOUNT, platform=None)

    result = cli("failed")

    assert result.exit_code == 0, result.output
    assert "2 of these went to people with no chat account" in " ".join(result.stdout.split())
    assert "expected in the demo" in " ".join(result.stdout.split())
