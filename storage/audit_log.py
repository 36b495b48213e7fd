"""The append-only audit log: who did what to which record, when, before and after.

Written in the same transaction as the change it records, so the log and the data
never disagree. Nothing updates or deletes a row here except the retention job.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from storage.models import AuditLogEntry


def snapshot(record: Any, *, exclude: set[str] | None = None) -> dict[str, Any]:
    """A JSON-safe copy of a table row's fields, for `before` and `after`."""
    data = record.model_dump(exclude=exclude or set())
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
