"""The sender's side of the outbox table: claim work, record what happened.

Blocking database calls, run by the sender in a worker thread, each one short
transaction retried on transient errors (`with_retries`). A claim comes back with what
sending needs (the person, and the reference of a message to edit in place), so the
send itself touches no database. Outcomes map onto storage/outbox.py: sent, put back
for a retry (or given up after many attempts over a long time), handed back unsent
(only paced), or failed for a person to see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from storage import outbox
from storage.db import with_retries
from storage.models import OutboxMessage, Person


@dataclass
class ClaimedMessage:
    """A claimed message with what sending it needs."""

    message: OutboxMessage
    person: Person | None
    update_ref: tuple[str | None, dict[str, Any]] | None  # platform and ref of the original


@dataclass
class Outcome:
    kind: Literal["sent", "retry", "failed", "paced", "lost"]
    platform: str | None = None
    ref: dict[str, Any] | None = None
    error: str = ""
    delay: float | None = None  # Retry-After or pace wait, in seconds
    recorded: bool = False
    maybe_sent: bool = False  # the answer was lost: look before sending it again
    email_not_sent: bool = False  # the mail server certainly does not have it


@dataclass
class SenderStore:
    engine: Engine
    worker_id: str
    clock: Callable[[], datetime]
    stale_after: timedelta
    max_attempts: int
    give_up_after: timedelta
    backoff: Callable[[int], float]  # attempts so far -> seconds to wait

    def claim(self, limit: int) -> list[ClaimedMessage]:
        now = self.clock()

        def work(session: Session) -> list[ClaimedMessage]:
            msgs = outbox.claim(
                session=session,
                now=now,
                worker=self.worker_id,
                limit=limit,
                stale_after=self.stale_after,
            )
            if not msgs:
                return []
            ids = {m.person_id for m in msgs if m.person_id is not None}
            people = {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(ids)))}
            refs = _sent_refs(session, {_update_of(m) for m in msgs} - {None})
            return [
                ClaimedMessage(
                    m,
                    people.get(m.person_id) if m.person_id is not None else None,
                    refs.get(_update_of(m) or ""),
                )
                for m in msgs
            ]

        return with_retries(self.engine, work)

    def record(self, msg: OutboxMessage, outcome: Outcome) -> None:
        """Write `outcome`; a retry that has gone on too long becomes a failure."""
        if outcome.kind == "lost":  # another worker took the claim: it is theirs to record
            return
        now, mid, worker = self.clock(), msg.id or 0, self.worker_id
        if outcome.kind == "retry" and self._give_up(msg, now):
            outcome.kind = "failed"
            outcome.error = f"gave up after {msg.attempts} attempts: {outcome.error}"

        def work(session: Session) -> None:
            if outcome.kind == "sent":
                outbox.mark_sent(
                    session=session,
                    message_id=mid,
                    now=now,
                    platform=outcome.platform or "",
                    ref=outcome.ref,
                )
            elif outcome.kind == "failed":
                outbox.mark_failed(
                    session=session,
                    message_id=mid,
                    error=outcome.error,
                    platform=outcome.platform,
                    worker=worker,
                    email_not_sent=outcome.email_not_sent,
                )
            elif outcome.kind == "paced":
                at = now + timedelta(seconds=outcome.delay or 0)
                outbox.release(session=session, message_id=mid, at=at, worker=worker)
            else:
                delay = outcome.delay if outcome.delay is not None else self.backoff(msg.attempts)
                outbox.mark_retry(
                    session=session,
                    message_id=mid,
                    at=now + timedelta(seconds=delay),
                    error=outcome.error,
                    worker=worker,
                    maybe_sent=outcome.maybe_sent,
                    email_not_sent=outcome.email_not_sent,
                )

        with_retries(self.engine, work)

    def still_ours(self, message_id: int) -> bool:
        """Whether this worker still holds the claim, checked just before a send.

        A claim that waited too long in memory goes stale and may be taken by another
        worker; sending it anyway would send it twice.
        """

        def work(session: Session) -> bool:
            row = session.get(OutboxMessage, message_id)
            return (
                row is not None
                and row.status == outbox.SENDING
                and (row.claimed_by == self.worker_id)
            )

        return with_retries(self.engine, work)

    def email_started(self, message_id: int, reason: str) -> bool:
        """Just before the mail server gets the message: record it, once; False if it
        must not be handed over (another worker has the claim, or it was emailed before).

        Called from the mailer's thread, so it is its own short transaction."""
        now, worker = self.clock(), self.worker_id
        return with_retries(
            self.engine,
            lambda s: outbox.mark_email_started(
                session=s, message_id=message_id, worker=worker, now=now, reason=reason
            ),
        )

    def _give_up(self, msg: OutboxMessage, now: datetime) -> bool:
        old_enough = now - msg.created_at >= self.give_up_after
        return msg.attempts >= self.max_attempts and old_enough

    def release_own_claims(self) -> int:
        now = self.clock()
        return with_retries(
            self.engine,
            lambda s: outbox.release_claims(session=s, worker=self.worker_id, now=now),
        )

    def next_due(self) -> datetime | None:
        with Session(self.engine) as session:
            return outbox.next_due(session=session)

    def backlog(self) -> int:
        with Session(self.engine) as session:
            return outbox.backlog(session=session)[0]


def _update_of(msg: OutboxMessage) -> str | None:
    """The idempotency key of the earlier message this one edits in place, if any."""
    key = (msg.context or {}).get("update_of")
    return str(key) if key else None


def _sent_refs(session: Session, keys: set[str | None]) -> dict[str, tuple[str | None, Any]]:
    if not keys:
        return {}
    rows = session.exec(select(OutboxMessage).where(col(OutboxMessage.idempotency_key).in_(keys)))
    return {
        r.idempotency_key: (r.platform, r.platform_ref)
        for r in rows
        if r.status == outbox.SENT and r.platform_ref
    }
