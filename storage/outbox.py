"""The outbox: every outbound message is a row here before it is a network call.

Handlers and jobs `enqueue` a `Message` in the same transaction as the change that
caused it. The sender `claim`s due rows, sends them and marks them sent. The unique
idempotency key makes a second enqueue of the same message a no-op, so reconcilers
can run as often as they like. The only window for a duplicate is a crash between a
successful send and `mark_sent`; a claim older than `stale_after` is taken again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from storage.models import OutboxMessage

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


@dataclass(frozen=True)
class Message:
    """A channel-neutral message: a template, its context, a recipient and a key.

    Exactly one of `person_id` (a direct message) or `channel` (a governance channel
    key from the framework file) is set. Channel messages carry aggregates only.
    """

    template: str
    idempotency_key: str
    context: dict[str, Any] = field(default_factory=dict)
    person_id: int | None = None
    channel: str | None = None

    def __post_init__(self) -> None:
        if (self.person_id is None) == (self.channel is None):
            raise ValueError("a Message goes to exactly one person or one channel")
        if not self.idempotency_key:
            raise ValueError("a Message needs an idempotency key")


def enqueue(*, session: Session, message: Message, now: datetime) -> bool:
    """Queue `message` unless its key is already queued; True when it was new.

    Uses INSERT ... ON CONFLICT DO NOTHING so two processes racing to queue the same
    message cannot both succeed, and neither sees an error.
    """
    values = {
        "idempotency_key": message.idempotency_key,
        "template": message.template,
        "context": message.context,
        "person_id": message.person_id,
        "channel": message.channel,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        # rowcount is unreliable across drivers; RETURNING says whether a row went in.
        .returning(col(OutboxMessage.id))
    )
    return session.execute(stmt).first() is not None


def claim(
    *,
    session: Session,
    now: datetime,
    worker: str,
    limit: int = 50,
    stale_after: timedelta = timedelta(minutes=5),
) -> list[OutboxMessage]:
    """Take up to `limit` due messages for `worker`, oldest first, in order per recipient.

    A message is not claimed while an earlier message to the same recipient is still
    waiting, so people read their messages in the order they were queued.
    """
    stale = now - stale_after
    due = or_(
        (col(OutboxMessage.status) == PENDING) & (col(OutboxMessage.next_attempt_at) <= now),
        (col(OutboxMessage.status) == SENDING) & (col(OutboxMessage.claimed_at) < stale),
    )
    query = select(OutboxMessage).where(due).order_by(col(OutboxMessage.id)).limit(limit * 4)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    candidates = list(session.exec(query))
    if not candidates:
        return []
    first_id = candidates[0].id or 0
    waiting = session.exec(
        select(OutboxMessage.person_id, OutboxMessage.channel, func.min(OutboxMessage.id))
        .where(col(OutboxMessage.status).in_([PENDING, SENDING]))
        .where(col(OutboxMessage.id) <= (candidates[-1].id or 0))
        .where(col(OutboxMessage.id) >= first_id - 100_000)
        .group_by(col(OutboxMessage.person_id), col(OutboxMessage.channel))
    ).all()
    head = {(p, c): i for p, c, i in waiting}
    taken: list[OutboxMessage] = []
    seen: set[tuple[int | None, str | None]] = set()
    for msg in candidates:
        key = (msg.person_id, msg.channel)
        if key in seen or head.get(key, msg.id) != msg.id:
            continue  # an earlier message to this recipient goes first
        seen.add(key)
        msg.status = SENDING
        msg.claimed_at = now
        msg.claimed_by = worker
        msg.attempts += 1
        session.add(msg)
        taken.append(msg)
        if len(taken) >= limit:
            break
    session.flush()
    return taken


def mark_sent(
    *, session: Session, message_id: int, now: datetime, platform: str, ref: dict[str, Any] | None
) -> None:
    msg = session.get(OutboxMessage, message_id)
    if msg is None:
        return
    msg.status, msg.sent_at, msg.platform, msg.platform_ref = SENT, now, platform, ref
    msg.last_error = None
    session.add(msg)


def mark_retry(*, session: Session, message_id: int, at: datetime, error: str) -> None:
    """Put a message back in the queue, not to be tried before `at`."""
    msg = session.get(OutboxMessage, message_id)
    if msg is None or msg.status == SENT:
        return
    msg.status, msg.next_attempt_at, msg.last_error = PENDING, at, error[:500]
    msg.claimed_at = msg.claimed_by = None
    session.add(msg)


def mark_failed(*, session: Session, message_id: int, error: str, platform: str | None) -> None:
    """A permanent failure (no such user, blocked the bot): kept for a person to see."""
    msg = session.get(OutboxMessage, message_id)
    if msg is None or msg.status == SENT:
        return
    msg.status, msg.last_error, msg.platform = FAILED, error[:500], platform
    session.add(msg)


def backlog(*, session: Session) -> tuple[int, datetime | None]:
    """How many messages wait to be sent, and when the oldest was queued."""
    count, oldest = session.exec(
        select(func.count(), func.min(OutboxMessage.created_at)).where(
            col(OutboxMessage.status).in_([PENDING, SENDING])
        )
    ).one()
    if oldest is not None and oldest.tzinfo is None:
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    return int(count), oldest


def failed_messages(*, session: Session, limit: int = 200) -> list[OutboxMessage]:
    return list(
        session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.status == FAILED)
            .order_by(col(OutboxMessage.id).desc())
            .limit(limit)
        )
    )
