"""The append-only audit log: who did what to which record, when, before and after.

Written in the same transaction as the change it records, so the log and the data
never disagree. Nothing updates or deletes a row here except the retention job.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
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


def record_row(
    *,
    session: Session,
    now: datetime,
    action: str,
    row: SQLModel,
    actor: str,
    actor_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """`record` a change to one table row, naming it by its table (`RECORD_TYPES`) and
    id, so every feature names a row the way the exports look it up."""
    record(
        session=session,
        now=now,
        action=action,
        record_type=RECORD_TYPES[type(row)],
        record_id=getattr(row, "id", None) or 0,
        actor=actor,
        actor_id=actor_id,
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
        record_row(
            session=session,
            now=now,
            action=action,
            row=row,
            actor=actor,
            after=snapshot(row, include=fields),
        )
