"""A worker checks it still holds a claim just before sending, so a stale claim that
another worker took over is never sent twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.sender_store import Outcome, SenderStore
from storage.db import session_scope
from storage.models import OutboxMessage, Person
from storage.outbox import Message, claim, enqueue


def _store(engine, worker: str, now: datetime) -> SenderStore:  # type: ignore[no-untyped-def]
    return SenderStore(
        engine=engine,
        worker_id=worker,
        clock=lambda: now,
        stale_after=timedelta(minutes=5),
        max_attempts=12,
        give_up_after=timedelta(hours=24),
        backoff=lambda n: 1.0,
    )


def test_a_claim_taken_over_by_another_worker_is_not_ours_to_send(engine, now: datetime) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        p = Person(email="a@c.gov.uk", name="A", created_at=now, updated_at=now)
        s.add(p)
        s.flush()
        enqueue(session=s, message=Message("notice", "k1", person_id=p.id), now=now)
    with session_scope(engine) as s:
        [mine] = claim(session=s, now=now, worker="slow")
        message_id = mine.id or 0
    slow, quick = _store(engine, "slow", now), _store(engine, "quick", now)
    assert slow.still_ours(message_id)
    with session_scope(engine) as s:  # the slow worker's claim went stale; another takes it
        [taken] = claim(session=s, now=now + timedelta(minutes=6), worker="quick")
        assert taken.id == message_id
    assert not slow.still_ours(message_id)
    assert quick.still_ours(message_id)
    with session_scope(engine) as s:
        row = s.get(OutboxMessage, message_id)
        assert row is not None
    slow.record(row, Outcome("lost"))  # nothing recorded for the worker that lost it
    with session_scope(engine) as s:
        after = s.get(OutboxMessage, message_id)
        assert after is not None and after.claimed_by == "quick" and after.status == "sending"
