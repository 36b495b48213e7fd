"""The append-only audit log: who did what to which record, when, before and after.

Written in the same transaction as the change it records, so the log and the data
never disagree. Nothing updates or deletes a row here except the retention job.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel

from storage import models
from storage.models import AuditLogEntry

# `AuditLogEntry.record_type` for each table, as the features write it (and as
# `storage.exports` finds a row's entries again).
RECORD_TYPES: dict[type[SQLModel], str] = {
    models.Person: "person",
    models.Absence: "absence",
    models.Case: "case",
    models.Allocation: "allocation",
    models.Audit: "audit",
    models.Moderation: "moderation",
    models.Recommendation: "recommendation",
    models.RecommendationUpdate: "recommendation_update",
    models.Escalation: "escalation",
}


def snapshot(
    record: Any, *, exclude: set[str] | None = None, include: Collection[str] | None = None
) -> dict[str, Any]:
    """A JSON-safe copy of a table row's fields (only `include`, when given), for `before`
    and `after`."""
    data = record.model_dump(
        include=set(include) if include is not None else None, exclude=exclude or set()
    )
    return {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in data.items()}


def record(
    *,
    session: Session,
    now: datetime,
    action: str,
    record_type: str,
    record_id: str | int,
    actor: str,
    actor_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditLogEntry(
            at=now,
            actor=actor,
            actor_id=actor_id,
            action=action,
            record_type=record_type,
            record_id=str(record_id),
            before=before,
            after=after,
        )
    )


@dataclass(frozen=True)
class By:
    """Who made a change and when, as the audit log records it: the actor's label (an
    email, a platform account, the scheduler), the person's id when a person did it, and
    the time. One value, so "who and when" travels as one piece."""

    actor: str
    actor_id: int | None
    at: datetime


def record_row(
    session: Session,
    row: SQLModel,
    action: str,
    by: By | None = None,
    *,
    now: datetime | None = None,
    actor: str | None = None,
    actor_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """`record` a change to one table row, naming it by its table (`RECORD_TYPES`) and
    id, so every feature names a row the way the exports look it up.

    Who and when come as `by`; the keywords `now`, `actor` and `actor_id` say the same one
    by one (the older spelling, which callers may still use)."""
    if by is None:
        if now is None or actor is None:
            raise TypeError("record_row needs `by`, or `now` and `actor`")
        by = By(actor, actor_id, now)
    record(
        session=session,
        now=by.at,
        action=action,
        record_type=RECORD_TYPES[type(row)],
        record_id=getattr(row, "id", None) or 0,
        actor=by.actor,
        actor_id=by.actor_id,
        before=before,
        after=after,
    )


def record_created(
    *,
    session: Session,
    now: datetime,
    action: str,
    rows: Iterable[SQLModel],
    actor: str,
    fields: Collection[str],
) -> None:
    """Log each of `rows`, just added, as created, with the `fields` that say what it is
    (ids, dates: nothing a person typed). Flushes first, so each row has its id."""
    session.flush()
    for row in rows:
        record_row(session, row, action, By(actor, None, now), after=snapshot(row, include=fields))
