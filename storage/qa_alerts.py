"""QA alerts (Lambeth QAF 8): raised on a case, asked of the person who acts, acted on.

The person asked is the holder of `qa_alerts.acted_on_by` nearest the case (its own
team's team manager, else its service's, else anyone's), found through the staff
directory as the escalations are. The week's alerts and the period counts for the
reports are read here; nothing here sends a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, func, select

from qa.framework import QaAlerts
from storage.models import Case, QaAlert
from storage.tracking import directory


@dataclass(frozen=True)
class AlertCounts:
    """Alerts raised in a period, and how many of those were acted on or are still open."""

    raised: int
    acted_on: int
    open: int


def request_key(alert_id: int) -> str:
    """The outbox key of the request to act (its edits add `:edit:...`)."""
    return f"qa-alert:{alert_id}"


def case_by_reference(*, session: Session, reference: str) -> Case | None:
    """An open, active case by its reference, ignoring case and surrounding spaces."""
    wanted = reference.strip().upper()
    if not wanted:
        return None
    return session.exec(
        select(Case)
        .where(func.upper(col(Case.reference)) == wanted)
        .where(col(Case.active).is_(True))
    ).first()


def raise_alert(
    *,
    session: Session,
    policy: QaAlerts,
    case: Case,
    kind: str,
    note: str,
    raised_by_id: int,
    now: datetime,
    today: date,
) -> QaAlert:
    """Store the alert, asked of the `acted_on_by` holder nearest the case (if any)."""
    holders = directory(session=session).holders_for_case(case).get(policy.acted_on_by, ())
    alert = QaAlert(
        case_id=case.id or 0,
        raised_by_id=raised_by_id,
        kind=kind,
        note=note,
        raised_at=now,
        due_on=today + timedelta(days=policy.respond_within_days),
        acted_on_by_id=holders[0] if holders else None,
    )
    session.add(alert)
    session.flush()
    return alert


def act_on(*, session: Session, alert: QaAlert, note: str, person_id: int, now: datetime) -> None:
    alert.acted_at, alert.acted_by_id, alert.action_note = now, person_id, note
    session.add(alert)
    session.flush()


def raised_between(*, session: Session, start: datetime, end: datetime) -> list[QaAlert]:
    """Alerts raised in [start, end), oldest first."""
    return list(
        session.exec(
            select(QaAlert)
            .where(col(QaAlert.raised_at) >= start)
            .where(col(QaAlert.raised_at) < end)
            .order_by(col(QaAlert.raised_at), col(QaAlert.id))
        )
    )


def late(*, session: Session, today: date) -> list[QaAlert]:
    """Alerts still open after their day to be acted on, oldest first."""
    return list(
        session.exec(
            select(QaAlert)
            .where(col(QaAlert.acted_at).is_(None))
            .where(col(QaAlert.due_on) < today)
            .order_by(col(QaAlert.due_on), col(QaAlert.id))
        )
    )


def counts(
    *, session: Session, start: datetime, end: datetime, teams: tuple[int, ...] | None = None
) -> AlertCounts:
    """Alerts raised in [start, end) on cases of `teams` (None: all), as they stand now."""
    rows = raised_between(session=session, start=start, end=end)
    if teams is not None:
        wanted = set(teams)
        cases = {c.id: c.team_id for c in session.exec(select(Case))}
        rows = [a for a in rows if cases.get(a.case_id) in wanted]
    acted = sum(1 for a in rows if a.acted_at is not None)
    return AlertCounts(raised=len(rows), acted_on=acted, open=len(rows) - acted)
