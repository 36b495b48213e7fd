"""The outbox: one row per idempotency key, claims in order per recipient."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from storage.db import session_scope
from storage.models import OutboxMessage, Person
from storage.outbox import (
    Message,
    backlog,
    claim,
    enqueue,
    failures,
    mark_failed,
    mark_retry,
    mark_sent,
)


def _people(engine, now: datetime, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        people = [
            Person(email=f"p{i}@council.gov.uk", name=f"P{i}", created_at=now, updated_at=now)
            for i in range(n)
        ]
        s.add_all(people)
        s.flush()
        return [p.id or 0 for p in people]


def test_the_same_key_is_queued_once(engine, now: datetime) -> None:  # type: ignore[no-untyped-def]
    (pid,) = _people(engine, now, 1)
    msg = Message(template="notice", idempotency_key="k1", person_id=pid, context={"a": 1})
    with session_scope(engine) as s:
        assert enqueue(session=s, message=msg, now=now) is True
    with session_scope(engine) as s:
        assert enqueue(session=s, message=msg, now=now) is False
    with Session(engine) as s:
        assert len(s.exec(select(OutboxMessage)).all()) == 1


def test_a_message_needs_exactly_one_recipient() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Message(template="t", idempotency_key="k", person_id=1, channel="board")
    with pytest.raises(ValueError, match="exactly one"):
        Message(template="t", idempotency_key="k")


def test_claims_keep_order_per_recipient_and_skip_those_waiting(engine, now: datetime) -> None:  # type: ignore[no-untyped-def]
    a, b = _people(engine, now, 2)
    with session_scope(engine) as s:
        for i, pid in enumerate([a, a, b, a, b]):
            enqueue(session=s, message=Message("notice", f"k{i}", person_id=pid), now=now)
    with session_scope(engine) as s:
        first = claim(session=s, now=now, worker="w1")
        keys = sorted(m.idempotency_key for m in first)
        ids = {m.idempotency_key: m.id for m in first}
    # one message per recipient at a time, the oldest for each
    assert keys == ["k0", "k2"]
    with session_scope(engine) as s:
        # k0 fails transiently: a's later messages must wait behind it
        mark_retry(session=s, message_id=ids["k0"] or 0, at=now + timedelta(minutes=1), error="500")
        mark_sent(session=s, message_id=ids["k2"] or 0, now=now, platform="slack", ref={"ts": "1"})
    with session_scope(engine) as s:
        second = claim(session=s, now=now, worker="w1")
    assert [m.idempotency_key for m in second] == ["k4"]
    with session_scope(engine) as s:
        later = claim(session=s, now=now + timedelta(minutes=2), worker="w1")
    assert [m.idempotency_key for m in later] == ["k0"]


def test_a_stale_claim_is_taken_again_after_a_crash(engine, now: datetime) -> None:  # type: ignore[no-untyped-def]
    (pid,) = _people(engine, now, 1)
    with session_scope(engine) as s:
        enqueue(session=s, message=Message("notice", "k", person_id=pid), now=now)
    with session_scope(engine) as s:
        assert len(claim(session=s, now=now, worker="dead")) == 1
    with session_scope(engine) as s:
        assert claim(session=s, now=now + timedelta(minutes=1), worker="w2") == []
    with session_scope(engine) as s:
        again = claim(session=s, now=now + timedelta(minutes=6), worker="w2")
    assert len(again) == 1 and again[0].attempts == 2


def test_backlog_and_failures_are_reported(engine, now: datetime) -> None:  # type: ignore[no-untyped-def]
    (pid,) = _people(engine, now, 1)
    with session_scope(engine) as s:
        enqueue(session=s, message=Message("notice", "k1", person_id=pid), now=now)
        enqueue(session=s, message=Message("notice", "k2", channel="board"), now=now)
    with Session(engine) as s:
        count, oldest = backlog(session=s)
    assert count == 2 and oldest == now
    with session_scope(engine) as s:
        msgs = claim(session=s, now=now, worker="w")
        mark_failed(
            session=s, message_id=msgs[0].id or 0, error="users_not_found", platform="slack"
        )
    with Session(engine) as s:
        failed = failures(session=s)
        assert [f.reason for f in failed] == ["users_not_found"]
        assert backlog(session=s)[0] == 1
