"""The outbox sender against the fake Slack Web API: once each, in order, politely.

Each test queues messages in a fresh database, runs `OutboxSender.drain` (or `run`)
against the fake, and checks what the fake accepted and what the outbox recorded.
The sender's clock starts at `now` and moves with real time, so retries come due.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.deps import Deps
from bot.messenger import Recipient
from bot.sender import NO_ACCOUNT, OutboxSender, SenderPolicy
from bot.settings import Settings
from bot.slack.messenger import SlackMessenger
from qa.framework import load_framework
from storage.db import session_scope
from storage.models import OutboxMessage, Person
from storage.outbox import SENDING, SENT, Message, claim, enqueue, failures
from tests.chat import add_staff
from tests.fakes.slack_api import FakeSlack, Fault, RateLimits

FRAMEWORK = Path(__file__).parents[1] / "data" / "framework-small.yml"
# Short waits; Slack pacing as in production (about one a second per channel).
PACED = SenderPolicy(retry_base=0.05, retry_cap=0.5, idle_poll=0.1)
# Where the fake enforces no limits, pace faster so tests stay quick.
FAST = replace(PACED, windows={"slack": ((1, 0.05),)})


def running_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that starts at `start` and moves with real time."""
    t0 = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - t0)


def add_people(
    engine: Engine, now: datetime, n: int, *, slack: bool = True, prefix: str = "p"
) -> list[int]:
    account = {"slack_user_id": lambda i: f"U{prefix.upper()}{i:04d}"} if slack else {}
    return add_staff(engine, now, n, email=lambda i: f"{prefix}{i}@council.gov.uk", **account)


def queue(engine: Engine, now: datetime, *messages: Message) -> list[bool]:
    with session_scope(engine) as s:
        return [enqueue(session=s, message=m, now=now) for m in messages]


def dm(key: str, person_id: int, **context: Any) -> Message:
    return Message(
        "notice", key, context={"text": f"message {key}", **context}, person_id=person_id
    )


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


def make_sender(
    engine: Engine,
    fake: FakeSlack,
    now: datetime,
    *,
    policy: SenderPolicy = FAST,
    worker_id: str | None = None,
    clock: Callable[[], datetime] | None = None,
) -> OutboxSender:
    settings = Settings(slack_bot_token="xoxb-test", slack_api_url=fake.url)  # type: ignore[call-arg]
    deps = Deps(
        settings=settings,
        framework=load_framework(str(FRAMEWORK)),
        engine=engine,
        clock=clock or running_clock(now),
    )
    client = WebClient(token="xoxb-test", base_url=fake.url)
    messenger = SlackMessenger(client, settings, engine=engine)
    return OutboxSender(deps, [messenger], worker_id=worker_id, policy=policy)


def rows(engine: Engine) -> dict[str, OutboxMessage]:
    with Session(engine) as s:
        return {m.idempotency_key: m for m in s.exec(select(OutboxMessage))}


def texts(fake: FakeSlack, channel: str | None = None) -> list[str]:
    return [p.text for p in fake.posts() if channel is None or p.channel == channel]


def test_every_queued_message_is_delivered_once_and_marked_sent(
    engine: Engine, now: datetime
) -> None:
    people = add_people(engine, now, 5)
    queue(engine, now, *[dm(f"k{r}-{p}", p) for r in range(2) for p in people])
    with FakeSlack(limits=RateLimits()) as fake:
        report = asyncio.run(make_sender(engine, fake, now, policy=PACED).drain(timeout=20))

        assert (report.delivered, report.failed, report.remaining) == (10, 0, 0)
        assert fake.duplicates() == 0 and len(fake.posts()) == 10
        assert fake.violations == 0
    stored = rows(engine)
    assert {m.status for m in stored.values()} == {SENT}
    assert all(m.platform == "slack" and m.platform_ref["ts"] for m in stored.values())  # type: ignore[index]


def test_a_retry_after_is_honoured_before_the_channel_gets_another_message(
    engine: Engine, now: datetime, fake: FakeSlack
) -> None:
    (pid,) = add_people(engine, now, 1)
    queue(engine, now, dm("first", pid), dm("second", pid))
    fake.fail_next("chat.postMessage", Fault(status=429, retry_after=1))

    report = asyncio.run(make_sender(engine, fake, now).drain(timeout=20))

    calls = fake.calls_to("chat.postMessage")
    assert report.delivered == 2 and report.retried == 1
    assert calls[1].at - calls[0].at >= 1.0  # nothing to the channel until Retry-After ran out
    assert fake.violations == 0
    assert texts(fake) == ["message first", "message second"]


def test_a_server_error_is_retried_and_delivered_once(
    engine: Engine, now: datetime, fake: FakeSlack
) -> None:
    (pid,) = add_people(engine, now, 1)
    queue(engine, now, dm("k", pid))
    fake.fail_next("chat.postMessage", Fault(status=500, retry_after=None))

    report = asyncio.run(make_sender(engine, fake, now).drain(timeout=20))

    assert (report.delivered, report.retried) == (1, 1)
    assert texts(fake) == ["message k"]
    assert rows(engine)["k"].attempts == 2


def test_a_person_slack_does_not_know_is_recorded_as_failed(
    engine: Engine, now: datetime, fake: FakeSlack
) -> None:
    (pid,) = add_people(engine, now, 1, slack=False, prefix="gone")
    queue(engine, now, dm("k", pid))

    report = asyncio.run(make_sender(engine, fake, now).drain(timeout=20))

    assert (report.delivered, report.failed) == (0, 1)
    with Session(engine) as s:
        (failure,) = failures(session=s)
    assert failure.recipient == "gone0@council.gov.uk"
    assert "Slack has no user with their email address" in failure.reason
    assert failure.platform == "slack"


def test_nobody_reachable_is_a_failure_that_says_what_to_add(
    engine: Engine, now: datetime, fake: FakeSlack
) -> None:
    (pid,) = add_people(engine, now, 1)
    queue(engine, now, dm("k", pid))
    sender = make_sender(engine, fake, now)
    sender.messengers = [OtherPlatform(reach=False)]

    report = asyncio.run(sender.drain(timeout=20))

    assert report.failed == 1
    assert rows(engine)["k"].last_error == NO_ACCOUNT


def test_with_no_chat_platform_at_all_the_queue_is_kept_for_later(
    engine: Engine, now: datetime, fake: FakeSlack
) -> None:
    (pid,) = add_people(engine, now, 1)
    queue(engine, now, dm("k", pid))
    sender = make_sender(engine, fake, now)
    sender.messengers = []

    report = asyncio.run(sender.drain(timeout=20))

    assert (report.failed, report.remaining) == (0, 1)
    assert rows(engine)["k"].status == "pending"


def test_queueing_the_same_key_again_sends_nothing_new(
    engine: Engine, now: datetime, fake: FakeSlack
) -> None:
    (pid,) = add_people(engine, now, 1)
    assert queue(engine, now, dm("k", pid)) == [True]
    asyncio.run(make_sender(engine, fake, now).drain(timeout=20))

    assert queue(engine, now, dm("k", pid)) == [False]
    report = asyncio.run(make_sender(engine, fake, now).drain(timeout=20))

    assert report.delivered == 0
    assert texts(fake) == ["message k"]


def test_a_persons_messages_keep_their_order_while_an_earlier_one_waits_for_a_retry(
    engine: Engine, now: datetime, fake: FakeSlack
) -> None:
    a, b = add_people(engine, now, 2)
    queue(engine, now, dm("a1", a), dm("a2", a), dm("a3", a), dm("b1", b))
    fake.fail_next("chat.postMessage", Fault(status=500, retry_after=None), times=2)

    report = asyncio.run(make_sender(engine, fake, now).drain(timeout=20))

    assert report.delivered == 4
    assert texts(fake, "UP0000") == ["message a1", "message a2", "message a3"]


def test_a_sender_killed_between_send_and_mark_repeats_at_most_what_was_in_flight(
    engine: Engine, now: datetime, fake: FakeSlack
) -> None:
    people = add_people(engine, now, 3)
    queue(engine, now, *[dm(f"k{p}", p) for p in people])
    with session_scope(engine) as s:  # a worker claims all three ...
        in_flight = len(claim(session=s, now=now, worker="dead"))
    # ... sends the first, and is killed before it can mark it sent.
    WebClient(token="xoxb-test", base_url=fake.url).chat_postMessage(
        channel="UP0000", text=f"message k{people[0]}"
    )
    early = make_sender(engine, fake, now, clock=lambda: now + timedelta(minutes=1))
    assert asyncio.run(early.drain(until_empty=False)).delivered == 0  # claims not stale yet

    later = make_sender(engine, fake, now, clock=running_clock(now + timedelta(minutes=6)))
    report = asyncio.run(later.drain(timeout=20))

    assert report.delivered == 3 and report.remaining == 0
    assert fake.duplicates() == 1 <= in_flight


def test_a_sender_restarted_under_its_name_takes_its_claims_back_at_once(
    engine: Engine, now: datetime, fake: FakeSlack
) -> None:
    people = add_people(engine, now, 2)
    queue(engine, now, *[dm(f"k{p}", p) for p in people])
    with session_scope(engine) as s:
        claim(session=s, now=now, worker="node-1")

    report = asyncio.run(make_sender(engine, fake, now, worker_id="node-1").drain(timeout=20))

    assert report.delivered == 2
    assert {m.status for m in rows(engine).values()} == {SENT}


def test_channel_posts_go_to_the_governance_channel_and_unknown_keys_fail(
    engine: Engine, now: datetime, fake: FakeSlack
) -> None:
    queue(
        engine,
        now,
        Message("notice", "board", context={"text": "monthly figures"}, channel="board"),
        Message("notice", "nowhere", context={"text": "lost"}, channel="nowhere"),
    )

    report = asyncio.run(make_sender(engine, fake, now).drain(timeout=20))

    assert (report.delivered, report.failed) == (1, 1)
    assert texts(fake, "C0BOARD") == ["monthly figures"]
    assert "not in the framework file's governance list" in (
        rows(engine)["nowhere"].last_error or ""
    )


def test_a_message_that_updates_an_earlier_one_edits_it_in_place(
    engine: Engine, now: datetime, fake: FakeSlack
) -> None:
    (pid,) = add_people(engine, now, 1)
    queue(engine, now, dm("ask", pid), dm("done", pid, update_of="ask"))

    asyncio.run(make_sender(engine, fake, now).drain(timeout=20))

    (edit,) = fake.calls_to("chat.update")
    first = rows(engine)["ask"].platform_ref or {}
    assert (edit.params["channel"], edit.params["ts"]) == (first["channel"], first["ts"])
    assert texts(fake) == ["message ask"]  # one post, then the edit
    assert (rows(engine)["done"].platform_ref or {}).get("edited") is True


def test_a_slack_id_found_by_email_is_stored_and_looked_up_once(
    engine: Engine, now: datetime, fake: FakeSlack
) -> None:
    (pid,) = add_people(engine, now, 1, slack=False)
    fake.add_user("U0FOUND", "p0@council.gov.uk")
    queue(engine, now, dm("k1", pid), dm("k2", pid))

    report = asyncio.run(make_sender(engine, fake, now).drain(timeout=20))

    assert report.delivered == 2
    assert len(fake.calls_to("users.lookupByEmail")) == 1
    assert texts(fake, "U0FOUND") == ["message k1", "message k2"]
    with Session(engine) as s:
        person = s.get(Person, pid)
        assert person is not None and person.slack_user_id == "U0FOUND"


def test_a_workspace_rate_limit_holds_the_method_for_everyone(
    engine: Engine, now: datetime
) -> None:
    people = add_people(engine, now, 5, slack=False)
    queue(engine, now, *[dm(f"k{p}", p) for p in people])
    limits = RateLimits(methods={"users.lookupByEmail": (2, 1.0)})
    with FakeSlack(limits=limits) as fake:
        for i in range(5):
            fake.add_user(f"U{i}", f"p{i}@council.gov.uk")
        report = asyncio.run(make_sender(engine, fake, now, policy=PACED).drain(timeout=30))

        assert report.delivered == 5
        assert fake.state.rate_limited >= 1  # the limit was reached ...
        assert fake.violations == 0  # ... and nothing was sent before its Retry-After ran out


def test_the_background_loop_sends_what_is_queued_and_stops_promptly(
    engine: Engine, now: datetime, fake: FakeSlack
) -> None:
    (pid,) = add_people(engine, now, 1)
    sender = make_sender(engine, fake, now)

    async def scenario() -> float:
        stop = asyncio.Event()
        task = asyncio.create_task(sender.run(stop))
        await asyncio.sleep(0)
        queue(engine, now, dm("k", pid))
        sender.nudge()
        await asyncio.to_thread(fake.wait_for, "chat.postMessage", 1, 10.0)
        for _ in range(200):
            if rows(engine)["k"].status == SENT:
                break
            await asyncio.sleep(0.02)
        started = time.monotonic()
        stop.set()
        await asyncio.wait_for(task, timeout=5)
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 1.0
    assert rows(engine)["k"].status == SENT


def test_an_abandoned_claim_is_not_sent_twice_while_it_is_fresh(
    engine: Engine, now: datetime, fake: FakeSlack
) -> None:
    (pid,) = add_people(engine, now, 1)
    queue(engine, now, dm("k", pid))
    with session_scope(engine) as s:
        claim(session=s, now=now, worker="elsewhere")

    report = asyncio.run(make_sender(engine, fake, now).drain(until_empty=False))

    assert report.delivered == 0 and report.remaining == 1
    assert rows(engine)["k"].status == SENDING
    assert fake.posts() == []


def test_a_message_that_keeps_failing_for_a_day_is_given_up_and_recorded(
    engine: Engine, now: datetime, fake: FakeSlack
) -> None:
    (pid,) = add_people(engine, now, 1)
    queue(engine, now - timedelta(hours=25), dm("k", pid))
    with session_scope(engine) as s:
        row = s.exec(select(OutboxMessage)).one()
        row.attempts = 11  # eleven tries over the last day already
        s.add(row)
    fake.fail_next("chat.postMessage", Fault(status=500, retry_after=None))

    report = asyncio.run(make_sender(engine, fake, now).drain(timeout=20))

    assert (report.delivered, report.failed) == (0, 1)
    error = rows(engine)["k"].last_error
    assert error == "gave up after 12 attempts: slack chat.postMessage: HTTP 500"


def test_a_template_that_cannot_be_rendered_is_a_visible_failure(
    engine: Engine, now: datetime, fake: FakeSlack
) -> None:
    (pid,) = add_people(engine, now, 1)
    queue(engine, now, Message("no_such_template", "k", person_id=pid))

    report = asyncio.run(make_sender(engine, fake, now).drain(timeout=20))

    assert report.failed == 1
    assert "cannot be rendered for slack" in (rows(engine)["k"].last_error or "")
    assert fake.posts() == []


class OtherPlatform:
    """A second platform (reaching everyone, or no one), recording what it was given."""

    platform = "teams"

    def __init__(self, *, reach: bool = True) -> None:
        self.reach = reach
        self.sent: list[str] = []

    def can_reach(self, recipient: Recipient) -> bool:
        return self.reach

    def pace_key(self, recipient: Recipient) -> str:
        return f"person:{recipient.person.id if recipient.person else recipient.channel_id}"

    async def send(
        self, message: OutboxMessage, recipient: Recipient, rendered: dict[str, Any]
    ) -> dict[str, Any]:
        self.sent.append(message.idempotency_key)
        return {"conversation_id": "a:1", "activity_id": "1"}


def test_someone_slack_does_not_know_is_reached_on_the_next_platform(
    engine: Engine, now: datetime, fake: FakeSlack
) -> None:
    (pid,) = add_people(engine, now, 1, slack=False)  # Slack has nobody with this email
    queue(engine, now, dm("k", pid))
    sender = make_sender(engine, fake, now)
    teams = OtherPlatform()
    sender.messengers.append(teams)

    report = asyncio.run(sender.drain(timeout=20))

    assert report.delivered == 1 and teams.sent == ["k"]
    assert rows(engine)["k"].platform == "teams"
