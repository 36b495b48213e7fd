"""The messages the demo QA lead would have had: her moderation and escalation requests.

Why: the demo history writes rows, not the messages the live product sends when it
makes them, so the lead's open moderation and escalation were never asked of her and
she had nothing to open them from. This queues, for the person given, the same
requests under the same idempotency keys the live product uses
(`moderation-request:<id>`, the escalation's own key), so a job that later finds them
sends nothing twice, and seeding again queues nothing new.

Requests go out at once, whatever the hour: the demo is being shown now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from messages.escalations import request_message
from messages.moderation import queue_requests
from qa.framework import Framework
from storage.models import Escalation, Moderation
from storage.moderations import OPEN as OPEN_MODERATION
from storage.outbox import enqueue
from storage.tracking import OPEN as OPEN_ESCALATION
from storage.tracking import directory, key_of


@dataclass(frozen=True)
class Requests:
    """How many requests were queued now (0 when they were queued before)."""

    moderations: int = 0
    escalations: int = 0


def queue_open_requests(
    *, session: Session, framework: Framework, person_id: int, now: datetime, tz: ZoneInfo
) -> Requests:
    """Queue a request for each of `person_id`'s open moderations and escalations."""
    moderations = session.exec(
        select(Moderation)
        .where(Moderation.moderator_id == person_id)
        .where(col(Moderation.status).in_(OPEN_MODERATION))
        .order_by(col(Moderation.id))
    ).all()
    asked = queue_requests(
        session=session, framework=framework, rows=moderations, reasons={}, round_of={}, now=now
    )
    escalations = session.exec(
        select(Escalation)
        .where(Escalation.owner_id == person_id)
        .where(Escalation.status == OPEN_ESCALATION)
        .where(col(Escalation.kind).in_(["grade", "dip_sample"]))
        .order_by(col(Escalation.id))
    ).all()
    staff = directory(session=session)
    escalated = 0
    for row in escalations:
        message = request_message(
            session, framework, row, stage="request", message_key=key_of(row),
            staff=staff, tz=tz, now=now,
        )  # fmt: skip
        escalated += enqueue(session=session, message=message, now=now)
    return Requests(moderations=asked, escalations=escalated)
