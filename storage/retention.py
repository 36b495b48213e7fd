"""The retention policy applied: what the framework says may be kept, and nothing longer.

`framework.retention` names three periods (qa.framework.Retention):

- `audits_months`: audit work older than this is anonymised, not deleted. Free text
  (answers, narrative, comments, recommendation wording, notes, responses, decline
  reasons) is blanked; grades, coded answers, dates and ids stay, so the trends and
  counts the boards rely on survive. The same free text is blanked in the audit-log
  snapshots of those records.
- `outbox_days`: messages sent longer ago than this are deleted (their context holds
  first names and case references; once delivered the chat platform has the copy).
- `audit_log_months`: audit-log rows older than this are deleted.

`apply_retention` is a reconciler like every job: running it twice changes nothing
the second time. With `dry_run` it counts what it would do and writes nothing. A
real run records one summary row (counts only) in the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from qa.framework import Framework
from qa.working_days import add_months
from storage.anonymise import anonymised_fields, coded_values
from storage.audit_log import record
from storage.models import (
    Allocation,
    Audit,
    AuditLogEntry,
    Escalation,
    Moderation,
    OutboxMessage,
    QaAlert,
    Recommendation,
    RecommendationUpdate,
)

SENT = "sent"

# Record type -> (table, the times that date a record: the first one set counts).
_DATED: dict[str, tuple[type[Any], tuple[str, ...]]] = {
    "audit": (Audit, ("finalised_at", "submitted_at", "created_at")),
    "moderation": (Moderation, ("completed_at", "created_at")),
    "recommendation": (Recommendation, ("completed_at", "created_at")),
    "recommendation_update": (RecommendationUpdate, ("created_at",)),
    "escalation": (Escalation, ("responded_at", "created_at")),
    "allocation": (Allocation, ("updated_at",)),
    "qa_alert": (QaAlert, ("acted_at", "raised_at")),
}


@dataclass(frozen=True)
class Cutoffs:
    audits: datetime
    outbox: datetime
    audit_log: datetime


@dataclass
class RetentionReport:
    """What a run did (or, dry, would do): counts by record type, never contents."""

    dry_run: bool
    cutoffs: Cutoffs
    anonymised: dict[str, int] = field(default_factory=dict)
    log_rows_redacted: int = 0
    outbox_deleted: int = 0
    audit_log_deleted: int = 0

    @property
    def changed(self) -> int:
        return (
            sum(self.anonymised.values())
            + self.log_rows_redacted
            + self.outbox_deleted
            + self.audit_log_deleted
        )

    def summary(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "anonymised": dict(self.anonymised),
            "log_rows_redacted": self.log_rows_redacted,
            "outbox_deleted": self.outbox_deleted,
            "audit_log_deleted": self.audit_log_deleted,
            "cutoffs": {k: v.isoformat() for k, v in vars(self.cutoffs).items()},
        }

    def lines(self) -> list[str]:
        """One line per kind of change, for the CLI and the job's notes."""
        verb = "would be" if self.dry_run else "were"
        out = [
            f"{n} {kind.replace('_', ' ')} record(s) older than "
            f"{self.cutoffs.audits:%Y-%m-%d} {verb} anonymised"
            for kind, n in self.anonymised.items()
            if n
        ]
        if self.log_rows_redacted:
            out.append(f"{self.log_rows_redacted} audit-log row(s) {verb} redacted")
        out.append(
            f"{self.outbox_deleted} sent message(s) from before "
            f"{self.cutoffs.outbox:%Y-%m-%d} {verb} deleted"
        )
        out.append(
            f"{self.audit_log_deleted} audit-log row(s) from before "
            f"{self.cutoffs.audit_log:%Y-%m-%d} {verb} deleted"
        )
        return out


def _months_before(now: datetime, months: int) -> datetime:
    d = add_months(now.date(), -months)
    return now.replace(year=d.year, month=d.month, day=d.day)


def cutoffs_for(framework: Framework, now: datetime) -> Cutoffs:
    policy = framework.retention
    return Cutoffs(
        audits=_months_before(now, policy.audits_months),
        outbox=now - timedelta(days=policy.outbox_days),
        audit_log=_months_before(now, policy.audit_log_months),
    )


def _dated(row: Any, fields: Sequence[str]) -> datetime | None:
    return next((getattr(row, f) for f in fields if getattr(row, f) is not None), None)


def _count(session: Session, stmt: Any) -> int:
    return int(session.exec(select(func.count()).select_from(stmt.subquery())).one())


def _anonymise(
    session: Session, report: RetentionReport, coded: frozenset[str]
) -> dict[str, list[str]]:
    """Blank free text of records older than the cutoff; returns their ids by record type."""
    cutoff = report.cutoffs.audits
    old: dict[str, list[str]] = {}
    for record_type, (model, fields) in _DATED.items():
        # The last of the dating fields is always set and never later than the others.
        candidates = session.exec(select(model).where(getattr(model, fields[-1]) < cutoff))
        changed = 0
        for row in candidates:
            when = _dated(row, fields)
            if when is None or when >= cutoff:
                continue
            old.setdefault(record_type, []).append(str(row.id))
            new = anonymised_fields(record_type, row.model_dump(), coded)
            diff = {k: v for k, v in new.items() if getattr(row, k) != v}
            if not diff:
                continue
            changed += 1
            if not report.dry_run:
                for name, value in diff.items():
                    setattr(row, name, value)
                session.add(row)
        report.anonymised[record_type] = changed
    return old


def _redact_log(
    session: Session, report: RetentionReport, old: dict[str, list[str]], coded: frozenset[str]
) -> None:
    """Blank the same free text where the audit log copied it into `before`/`after`."""
    for record_type, ids in old.items():
        for start in range(0, len(ids), 500):
            rows = session.exec(
                select(AuditLogEntry)
                .where(AuditLogEntry.record_type == record_type)
                .where(col(AuditLogEntry.at) >= report.cutoffs.audit_log)  # not being deleted
                .where(col(AuditLogEntry.record_id).in_(ids[start : start + 500]))
            )
            for row in rows:
                new: dict[str, Any] = {}
                for side in ("before", "after"):
                    snap = getattr(row, side)
                    if snap:
                        fixed = {**snap, **anonymised_fields(record_type, snap, coded)}
                        if fixed != snap:
                            new[side] = fixed
                if not new:
                    continue
                report.log_rows_redacted += 1
                if not report.dry_run:
                    for side, value in new.items():
                        setattr(row, side, value)
                    session.add(row)


def apply_retention(
    *, session: Session, framework: Framework, now: datetime, actor: str, dry_run: bool = False
) -> RetentionReport:
    """Apply `framework.retention` as of `now`, in the caller's transaction."""
    report = RetentionReport(dry_run=dry_run, cutoffs=cutoffs_for(framework, now))
    old_log = select(AuditLogEntry.id).where(col(AuditLogEntry.at) < report.cutoffs.audit_log)
    sent = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == SENT)
        .where(col(OutboxMessage.sent_at) < report.cutoffs.outbox)
    )
    report.audit_log_deleted = _count(session, old_log)
    report.outbox_deleted = _count(session, sent)
    if not dry_run:
        session.exec(delete(AuditLogEntry).where(col(AuditLogEntry.id).in_(old_log)))  # type: ignore[call-overload]
        session.exec(delete(OutboxMessage).where(col(OutboxMessage.id).in_(sent)))  # type: ignore[call-overload]
    coded = coded_values(framework)
    old = _anonymise(session, report, coded)
    _redact_log(session, report, old, coded)
    if not dry_run:
        session.flush()
        record(
            session=session,
            now=now,
            action="retention.run",
            record_type="retention",
            record_id=now.date().isoformat(),
            actor=actor,
            after=report.summary(),
        )
        session.flush()
    return report
