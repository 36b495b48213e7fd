"""Nothing sent twice after a crash, on Slack: the history check before a resend.

Every post carries its idempotency key in Slack message metadata. A claim its worker
never confirmed (it died between Slack accepting the post and the mark, or Slack's
answer was lost) is looked for in the conversation before it is sent again, and
marked sent with the ts found. The crash is played by a database that fails the
"sent" mark (the claim stays, exactly as after SIGKILL); the restart is a second
sender under the same worker id, or another worker taking the stale claim over.
The slow suite kills a real `qa-bot serve` (tests/faults/test_crash_recovery.py).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.sender import OutboxSender
from bot.sender_store import Outcome
from storage.db import session_scope
from storage.outbox import SENDING, SENT, claim
from tests.bot.test_sender import add_people, dm, make_sender, queue, rows, running_clock
from tests.fakes.slack_api import FakeSlack


def crash_after_sending(sender: OutboxSender, monkeypatch: pytest.MonkeyPatch) -> None:
    """Slack accepts each post, then the process 'dies' before marking it sent."""
    record = sender.store.record

    def dying(msg: Any, outcome: Outcome) -> None:
        if outcome.kind == "sent":
            raise RuntimeError("killed before the mark")
        record(msg, outcome)

    monkeypatch.setattr(sender.store, "record", dying)


def test_posts_slack_accepted_before_a_crash_are_found_and_not_sent_again(
    engine: Engine, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = add_people(engine, now, 3)
    queue(engine, now, *[dm(f"k-{p}", p) for p in people])
    with FakeSlack() as fake:
        first = make_sender(engine, fake, now, worker_id="serve-1")
        crash_after_sending(first, monkeypatch)
        asyncio.run(first.drain(until_empty=False, timeout=10))
        accepted = {p.key: p.ts for p in fake.posts()}
        assert len(accepted) == 3 and {m.status for m in rows(engine).values()} == {SENDING}
        every_post_has_its_key = [p.metadata for p in fake.posts()]
        assert all(m and m["event_type"] == "qa_bot_message" for m in every_post_has_its_key)

        restarted = make_sender(engine, fake, now, worker_id="serve-1")
        report = asyncio.run(restarted.drain(timeout=10))

        assert report.delivered == 3
        assert fake.copies() == {f"k-{p}": 1 for p in people}  # one copy each, not two
        assert len(fake.calls_to("conversations.history")) == 3
    stored = rows(engine)
    assert {m.status for m in stored.values()} == {SENT}
    assert {k: m.platform_ref["ts"] for k, m in stored.items()} == accepted  # type: ignore[index]


def test_a_stale_claim_taken_over_by_another_worker_is_checked_first(
    engine: Engine, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    (pid,) = add_people(engine, now, 1)
    queue(engine, now, dm("only", pid))
    with FakeSlack() as fake:
        dead = make_sender(engine, fake, now, worker_id="replica-a")
        crash_after_sending(dead, monkeypatch)
        asyncio.run(dead.drain(until_empty=False, timeout=10))

        later = running_clock(now + timedelta(minutes=6))  # the claim has gone stale
        other = make_sender(engine, fake, now, worker_id="replica-b", clock=later)
        asyncio.run(other.drain(timeout=10))

        assert fake.copies() == {"only": 1}
    assert rows(engine)["only"].status == SENT


def test_a_claim_that_never_reached_slack_is_sent_after_the_check(
    engine: Engine, now: datetime
) -> None:
    """Killed after claiming, before posting: the history has nothing, so it is sent."""
    (pid,) = add_people(engine, now, 1)
    queue(engine, now, dm("unsent", pid))
    with session_scope(engine) as s:
        claim(session=s, now=now, worker="serve-1")
    with FakeSlack() as fake:
        asyncio.run(make_sender(engine, fake, now, worker_id="serve-1").drain(timeout=10))

        assert fake.copies() == {"unsent": 1}
        assert fake.calls_to("conversations.history")
    assert rows(engine)["unsent"].status == SENT


def test_an_answer_lost_after_slack_accepted_the_post_is_not_sent_twice(
    engine: Engine, now: datetime
) -> None:
    """Slack took the post but the bot saw a 500: the retry looks before it posts."""
    (pid,) = add_people(engine, now, 1)
    queue(engine, now, dm("lost-answer", pid))
    with FakeSlack() as fake:
        failed_once: list[bool] = []

        def accept_then_fail(method: str, params: dict[str, Any]) -> Any:
            if method != "chat.postMessage" or failed_once:
                return None
            failed_once.append(True)
            fake.state.interceptor = None
            fake.answer(method, params)  # Slack keeps the post ...
            return 500, {"ok": False, "error": "internal_error"}, {}  # ... the answer is lost

        fake.state.interceptor = accept_then_fail
        report = asyncio.run(make_sender(engine, fake, now).drain(timeout=10))

        assert report.retried == 1 and report.delivered == 1
        assert fake.copies() == {"lost-answer": 1}
    assert rows(engine)["lost-answer"].status == SENT


def test_a_normal_send_reads_no_history(engine: Engine, now: datetime) -> None:
    """The check costs a call only for unconfirmed claims, never on the happy path."""
    people = add_people(engine, now, 3)
    queue(engine, now, *[dm(f"n-{p}", p) for p in people])
    with FakeSlack() as fake:
        asyncio.run(make_sender(engine, fake, now).drain(timeout=10))

        assert len(fake.posts()) == 3
        assert fake.calls_to("conversations.history") == []
