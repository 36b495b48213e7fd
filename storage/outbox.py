"""The outbox: every outbound message is a row here before it is a network call.

Handlers and jobs `enqueue` a `Message` in the same transaction as the change that
caused it. The sender `claim`s due rows, sends them and marks them sent. The unique
idempotency key makes a second enqueue of the same message a no-op, so reconcilers
can run as often as they like. The only window for a duplicate is a crash between a
successful send and `mark_sent`; a claim older than `stale_after` is taken again, and
a worker restarted under the same name hands its old claims back (`release_claims`).
Either way the message is marked `unconfirmed`, as it is after an answer that was lost
(a timeout, a 5xx), so the sender looks in the conversation before sending it again.
A message only paced, not tried, goes back without counting an attempt (`release`).

A message chat could not deliver may go by email (bot/sender.py): `mark_email_started`
records, just before the mail server is handed it, that it must never be handed over
again; `reached_by_email` lists who is being reached that way and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage.models import OutboxMessage, Person

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

    A message is due when it is pending and its time has come, or when it was claimed
    longer than `stale_after` ago by a worker that never reported back (it crashed).
    It is only taken when no earlier message to the same recipient is still pending or
    being sent, so people read their messages in the order they were queued, even
    when an earlier one waits for a retry. Each claim counts as one attempt.
    """
    stale = now - stale_after
    due = or_(
        (col(OutboxMessage.status) == PENDING) & (col(OutboxMessage.next_attempt_at) <= now),
        (col(OutboxMessage.status) == SENDING) & (col(OutboxMessage.claimed_at) < stale),
    )
    earlier = aliased(OutboxMessage)
    ahead = (
        exists()
        .where(col(earlier.id) < col(OutboxMessage.id))
        .where(col(earlier.status).in_([PENDING, SENDING]))
    )
    # Two plain conditions rather than one OR, so each can use the person_id index.
    person_waiting = ahead.where(col(earlier.person_id) == col(OutboxMessage.person_id))
    channel_waiting = ahead.where(col(earlier.person_id).is_(None)).where(
        col(earlier.channel) == col(OutboxMessage.channel)
    )
    waiting_ahead = person_waiting | (col(OutboxMessage.person_id).is_(None) & channel_waiting)
    query = (
        select(OutboxMessage)
        .where(due)
        .where(~waiting_ahead)
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    taken = list(session.exec(query))
    for msg in taken:
        if msg.status == SENDING:  # its worker died: it may have been sent already
            msg.unconfirmed = True
        msg.status = SENDING
        msg.claimed_at = now
        msg.claimed_by = worker
        msg.attempts += 1
        session.add(msg)
    session.flush()
    return taken


def mark_sent(
    *, session: Session, message_id: int, now: datetime, platform: str, ref: dict[str, Any] | None
) -> None:
    """The platform accepted the message: never send it again, whoever claimed it.

    One UPDATE, no read first: this runs once per message sent, right after the send.
    """
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(status=SENT, sent_at=now, platform=platform, platform_ref=ref, last_error=None)
    )


def _still_ours(msg: OutboxMessage | None, worker: str | None) -> bool:
    """False when the message was sent, or its claim has since been retaken by another worker."""
    if msg is None or msg.status == SENT:
        return False
    return worker is None or msg.status != SENDING or msg.claimed_by == worker


def mark_retry(
    *,
    session: Session,
    message_id: int,
    at: datetime,
    error: str,
    worker: str | None = None,
    maybe_sent: bool = False,
    email_not_sent: bool = False,
) -> None:
    """Put a message back in the queue, not to be tried before `at`.

    With `worker`, nothing happens if another worker has retaken the claim meanwhile.
    `maybe_sent`: the attempt's answer was lost, so it may have arrived (checked before
    the next send). `email_not_sent`: the mail server refused it for now, so the email
    may be tried again.
    """
    msg = session.get(OutboxMessage, message_id)
    if msg is None or not _still_ours(msg, worker):
        return
    if maybe_sent:
        msg.unconfirmed = True
    if email_not_sent:
        msg.email_started_at = None
    msg.status, msg.next_attempt_at, msg.last_error = PENDING, at, error[:500]
    msg.claimed_at = msg.claimed_by = None
    session.add(msg)


def release(*, session: Session, message_id: int, at: datetime, worker: str | None = None) -> None:
    """Hand a claimed message back unsent without counting an attempt (it was only paced)."""
    msg = session.get(OutboxMessage, message_id)
    if msg is None or msg.status != SENDING or not _still_ours(msg, worker):
        return
    msg.status, msg.next_attempt_at = PENDING, at
    msg.attempts = max(0, msg.attempts - 1)
    msg.claimed_at = msg.claimed_by = None
    session.add(msg)


def release_claims(*, session: Session, worker: str, now: datetime) -> int:
    """Hand back every claim `worker` holds; how many there were.

    A worker restarted under the same id calls this first: its previous life may have
    sent some of these and crashed before marking them, the only duplicate window.
    """
    held = list(
        session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.status == SENDING)
            .where(OutboxMessage.claimed_by == worker)
        )
    )
    for msg in held:
        msg.status, msg.next_attempt_at, msg.unconfirmed = PENDING, now, True
        msg.claimed_at = msg.claimed_by = None
        session.add(msg)
    return len(held)


def mark_email_started(
    *, session: Session, message_id: int, worker: str, now: datetime, reason: str
) -> bool:
    """Record that the mail server is about to be handed this message; False if it must not be.

    Only while `worker` still holds the claim and no email was started before: an email
    cannot be taken back or looked up, so it is handed over at most once, even if the
    process dies before it is marked sent.
    """
    stmt = (
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .where(col(OutboxMessage.status) == SENDING)
        .where(col(OutboxMessage.claimed_by) == worker)
        .where(col(OutboxMessage.email_started_at).is_(None))
        .values(email_started_at=now, fallback_reason=reason[:500])
        .returning(col(OutboxMessage.id))
    )
    return session.execute(stmt).first() is not None


def reached_by_email(*, session: Session, since: datetime | None = None) -> list[tuple[int, str]]:
    """(person id, why chat could not reach them) for everyone a message went to by email,
    most recently emailed first, each person once with their latest reason.

    For the QA lead's status: these people get their work by email until someone fixes
    their chat account. `since` limits it to emails started after that time.
    """
    query = (
        select(OutboxMessage.person_id, OutboxMessage.fallback_reason)
        .where(col(OutboxMessage.email_started_at).is_not(None))
        .where(col(OutboxMessage.status) == SENT)
        .where(col(OutboxMessage.person_id).is_not(None))
        .order_by(col(OutboxMessage.email_started_at).desc(), col(OutboxMessage.id).desc())
    )
    if since is not None:
        query = query.where(col(OutboxMessage.email_started_at) >= since)
    seen: dict[int, str] = {}
    for person_id, reason in session.exec(query):
        if person_id is not None and person_id not in seen:
            seen[person_id] = reason or ""
    return list(seen.items())


def mark_failed(
    *,
    session: Session,
    message_id: int,
    error: str,
    platform: str | None,
    worker: str | None = None,
    email_not_sent: bool = False,
) -> None:
    """A permanent failure (no such user, blocked the bot): kept for a person to see.

    `claimed_at` is left as it was: it is when the last attempt, the failing one, began.
    `email_not_sent`: the mail server refused the fallback email, so it did not go.
    """
    msg = session.get(OutboxMessage, message_id)
    if msg is None or not _still_ours(msg, worker):
        return
    if email_not_sent:
        msg.email_started_at = None
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


def next_due(*, session: Session) -> datetime | None:
    """When the earliest pending message may next be tried (None when nothing is pending)."""
    return session.exec(
        select(OutboxMessage.next_attempt_at)
        .where(OutboxMessage.status == PENDING)
        .order_by(col(OutboxMessage.next_attempt_at))
        .limit(1)
    ).first()


@dataclass(frozen=True)
class Failure:
    """One message that could not be delivered, as an operator needs to see it."""

    id: int
    at: datetime  # when the failing attempt began
    recipient: str  # the person's email, or "#<channel key>"
    template: str
    reason: str
    platform: str | None


def failures(*, session: Session, limit: int = 200) -> list[Failure]:
    """The most recent failures first, with who they were for."""
    rows = session.exec(
        select(OutboxMessage, Person.email)
        .join(Person, col(Person.id) == col(OutboxMessage.person_id), isouter=True)
        .where(OutboxMessage.status == FAILED)
        .order_by(col(OutboxMessage.id).desc())
        .limit(limit)
    ).all()
    return [
        Failure(
            id=msg.id or 0,
            at=msg.claimed_at or msg.created_at,
            recipient=email if email else f"#{msg.channel or '?'}",
            template=msg.template,
            reason=msg.last_error or "",
            platform=msg.platform,
        )
        for msg, email in rows
    ]
