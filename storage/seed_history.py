"""Write a demo history (`demo.history`) into the database, in bulk.

Why a module of its own: the demo should open on a year of work (status figures, a
board summary with trends), and thousands of rows must go in quickly. Rows are
inserted in a handful of bulk statements, parents first, with the ids the database
assigns read back in order (`RETURNING`) to link children to them.

Idempotent the simple way: when the database already holds any allocation or audit,
nothing is written (`HistoryReport.skipped`), so the history never lands on top of
real or earlier work. Everything happens in the caller's session: a failure rolls
back to nothing. People and cases must already be there (`storage.seed.seed_demo`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session, SQLModel, col

from demo.history import DemoHistory
from demo.history_answers import with_person_ids
from qa.dialog import END
from storage import models
from storage.seed import note_seeding


@dataclass(frozen=True)
class HistoryReport:
    """What seeding the history wrote (all zero and `skipped` when history was there)."""

    months: int = 0
    first_month: str = ""  # YYYY-MM
    last_month: str = ""
    allocations: int = 0
    audits: int = 0
    moderations: int = 0
    recommendations: int = 0
    escalations: int = 0
    skipped: bool = False


def has_history(*, session: Session) -> bool:
    """Whether any allocation or audit exists (then the history is not added)."""
    for column in (col(models.Allocation.id), col(models.Audit.id)):
        if session.execute(select(column).limit(1)).first() is not None:
            return True
    return False


def _ids(session: Session, key: Any, id_column: Any) -> dict[str, int]:
    return {row[0]: row[1] for row in session.execute(select(key, id_column))}


def _check(history: DemoHistory, people: Mapping[str, int], cases: Mapping[str, int]) -> None:
    emails = {a.person for a in history.allocations} | {a.auditor for a in history.audits}
    emails |= {m.moderator for m in history.moderations}
    emails |= {r.owner for r in history.recommendations} | {e.owner for e in history.escalations}
    refs = {a.case for a in history.allocations if a.case} | {a.case for a in history.audits}
    missing = sorted(emails - set(people)) + sorted(refs - set(cases))
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise ValueError(
            f"the demo history names {len(missing)} people or cases that are not in the "
            f"database ({shown}); seed the demo authority first, or rebuild with --reset"
        )


def _insert(session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert `rows`; the new ids, in the order of `rows`."""
    if not rows:
        return []
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)  # type: ignore[attr-defined]
    return list(session.scalars(stmt, list(rows)))


def _insert_keyed(
    session: Session, model: type[SQLModel], items: Sequence[Any], rows: Sequence[dict[str, Any]]
) -> dict[int, int]:
    """`_insert` the rows made from `items` (one each, in order); the new ids by each
    item's key, for the rows that point at them."""
    return dict(zip([i.key for i in items], _insert(session, model, rows), strict=True))


def seed_history(*, session: Session, history: DemoHistory, now: datetime) -> HistoryReport:
    """Write `history` unless there is history already; see the module docstring."""
    if now.tzinfo is None:
        raise ValueError("seed_history needs a timezone-aware `now`")
    if has_history(session=session):
        return HistoryReport(skipped=True)
    people = _ids(session, models.Person.email, models.Person.id)
    cases = _ids(session, models.Case.reference, models.Case.id)
    _check(history, people, cases)

    allocation_ids = _insert_keyed(session, models.Allocation, history.allocations, [
        {
            "month": a.month,
            "person_id": people[a.person],
            "case_id": cases[a.case] if a.case else None,
            "activity": a.activity,
            "due_on": a.due_on,
            "reason": a.reason,
            "status": a.status,
            "created_at": a.created_at,
            "updated_at": a.updated_at,
        }
        for a in history.allocations
    ])  # fmt: skip
    audit_ids = _insert_keyed(session, models.Audit, history.audits, [
        {
            "allocation_id": allocation_ids[a.allocation],
            "case_id": cases[a.case],
            "auditor_id": people[a.auditor],
            "step": a.step,
            "answers": with_person_ids(a.answers, people),
            "domain_grades": dict(a.domain_grades),
            "overall_grade": a.overall_grade,
            "final_grade": a.final_grade,
            "narrative": dict(a.narrative),
            "urgent_flags": [],
            "status": a.status,
            "history": [
                {"event": e.event, "at": e.at.isoformat(), "by": people[e.by]}
                for e in a.events
            ],
            "submitted_at": a.submitted_at,
            "finalised_at": a.finalised_at,
            "created_at": a.created_at,
            "updated_at": a.updated_at,
        }
        for a in history.audits
    ])  # fmt: skip
    _insert(session, models.Moderation, [
        {
            "audit_id": audit_ids[m.audit],
            "moderator_id": people[m.moderator],
            "month": m.month,
            "is_chair": m.is_chair,
            "step": END if m.status == "completed" else "grades",
            "answers": {},
            "outcome": m.outcome,
            "moderated_grade": m.moderated_grade,
            "comments": m.comments,
            "status": m.status,
            "due_on": m.due_on,
            "completed_at": m.completed_at,
            "created_at": m.created_at,
        }
        for m in history.moderations
    ])  # fmt: skip
    _recommendations(session, history, people, cases, audit_ids)
    _insert(session, models.Escalation, [
        {
            "kind": e.kind,
            "audit_id": audit_ids[e.audit],
            "case_id": cases.get(e.case),
            "grade": e.grade,
            "flag": None,
            "owner_id": people[e.owner],
            "level": 0,
            "deadline": e.deadline,
            "status": e.status,
            "response": e.response,
            "responded_at": e.responded_at,
            "created_at": e.created_at,
        }
        for e in history.escalations
    ])  # fmt: skip
    report = HistoryReport(
        months=len(history.months),
        first_month=history.months[0] if history.months else "",
        last_month=history.months[-1] if history.months else "",
        allocations=len(history.allocations),
        audits=len(history.audits),
        moderations=len(history.moderations),
        recommendations=len(history.recommendations),
        escalations=len(history.escalations),
    )
    note_seeding(
        session=session,
        now=now,
        action="demo.history",
        framework=history.framework,
        after={"today": history.today.isoformat(), **vars(report)},
    )
    session.flush()
    return report


def _recommendations(
    session: Session,
    history: DemoHistory,
    people: Mapping[str, int],
    cases: Mapping[str, int],
    audit_ids: Mapping[int, int],
) -> None:
    """The recommendations, and a `done` update for each one done (as the owner left it)."""
    recs = history.recommendations
    ids = _insert(session, models.Recommendation, [
        {
            "source": "audit",
            "audit_id": audit_ids[r.audit],
            "case_id": cases[r.case],
            "level": r.level,
            "action": r.action,
            "impact": r.impact,
            "owner_id": people[r.owner],
            "raised_by_id": people[r.raised_by],
            "due_on": r.due_on,
            "status": r.status,
            "impact_note": r.impact_note,
            "completed_at": r.completed_at,
            "created_at": r.created_at,
        }
        for r in recs
    ])  # fmt: skip
    done: Iterable[tuple[int, Any]] = (
        (i, r) for i, r in zip(ids, recs, strict=True) if r.completed_at is not None
    )
    _insert(session, models.RecommendationUpdate, [
        {
            "recommendation_id": i,
            "person_id": people[r.owner],
            "kind": "done",
            "note": r.impact_note or "",
            "created_at": r.completed_at,
        }
        for i, r in done
    ])  # fmt: skip
