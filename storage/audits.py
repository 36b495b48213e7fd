"""Audits in the database: the dialog's draft, its submission and its edits.

The audit dialog (`qa.dialog`, `qa.forms`) is pure; this module is where its state
lives between one click and the next. `Audit.answers` holds the whole `DialogState`
as JSON (the step, the trail, every answer, the flags raised), so a dialog closed
today resumes next week exactly where it stopped; `Audit.step` mirrors the step for
queries. A submitted audit keeps its status while it is being edited (the grades
stay what was last submitted until the edit is submitted too), so an abandoned edit
never takes an audit out of the month's figures.

Urgent flags are in `storage.urgent_flags`, the people one may pick or must tell in
`storage.audit_people`. Every function is keyword-only and takes the caller's
session (architecture.md, convention 5); the caller's transaction commits or rolls
back the lot.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from qa.dialog import END, DialogState
from qa.forms import AuditResult
from storage.allocations import ALLOCATED, COMPLETED, IN_PROGRESS
from storage.audit_log import By, record_row
from storage.models import (
    Allocation,
    Audit,
    Case,
    Moderation,
    Recommendation,
)
from storage.queries import in_id_order

DRAFT, SUBMITTED, RETURNED = "draft", "submitted", "returned"
# Allocation activities carried out with the audit dialog (moderation has its own).
AUDIT_ACTIVITIES = frozenset({"audit", "dip_sample", "themed_audit"})
# Allocation statuses from which an audit may still be started or continued.
OPEN_ALLOCATION = frozenset({ALLOCATED, IN_PROGRESS})


def audit_for_allocation(*, session: Session, allocation_id: int) -> Audit | None:
    """The audit already begun for an allocation, if any (the earliest one)."""
    return session.exec(
        select(Audit).where(Audit.allocation_id == allocation_id).order_by(col(Audit.id))
    ).first()


def start_draft(
    *, session: Session, allocation: Allocation, state: DialogState, now: datetime, actor: str
) -> Audit:
    """A new draft audit for `allocation` at the dialog's first step; the allocation
    is then in progress. Call `audit_for_allocation` first: one audit per allocation."""
    if allocation.case_id is None:
        raise ValueError(f"allocation {allocation.id} has no case to audit")
    audit = Audit(
        allocation_id=allocation.id,
        case_id=allocation.case_id,
        auditor_id=allocation.person_id,
        step=state.step,
        answers=state.to_json(),
        status=DRAFT,
        created_at=now,
        updated_at=now,
    )
    session.add(audit)
    if allocation.status == ALLOCATED:
        allocation.status = IN_PROGRESS
        allocation.updated_at = now
        session.add(allocation)
    session.flush()
    record_row(
        session,
        audit,
        "audit.start",
        By(actor, allocation.person_id, now),
        after={"allocation_id": allocation.id, "case_id": allocation.case_id},
    )
    return audit


def load_state(audit: Audit) -> DialogState | None:
    """The saved dialog state, or None when the row holds none (an imported audit)."""
    if not audit.answers or "dialog" not in audit.answers:
        return None
    return DialogState.from_json(audit.answers)


def save_state(*, session: Session, audit: Audit, state: DialogState, now: datetime) -> None:
    """Keep the dialog where it is, answers and all (a draft)."""
    audit.answers = state.to_json()
    audit.step = state.step
    audit.updated_at = now
    session.add(audit)


def is_editing(audit: Audit) -> bool:
    """A submitted audit reopened for an edit that is not yet submitted again."""
    return audit.status == SUBMITTED and audit.step != END


def moderation_started(*, session: Session, audit_id: int) -> bool:
    """Once a moderation exists for an audit, its author can no longer edit it."""
    found = session.exec(select(Moderation.id).where(Moderation.audit_id == audit_id)).first()
    return found is not None


def reopen(
    *, session: Session, audit: Audit, state: DialogState, now: datetime, actor: str
) -> None:
    """Save `state` (the review step, reopened) as an edit of a submitted audit."""
    save_state(session=session, audit=audit, state=state, now=now)
    record_row(session, audit, "audit.edit", By(actor, audit.auditor_id, now))


def _version(audit: Audit) -> dict[str, Any]:
    """What a submission said, for the edit history."""
    return {
        "overall_grade": audit.overall_grade,
        "domain_grades": dict(audit.domain_grades or {}),
        "narrative": dict(audit.narrative or {}),
        "urgent_flags": list(audit.urgent_flags or []),
    }


def submit(
    *,
    session: Session,
    audit: Audit,
    state: DialogState,
    result: AuditResult,
    now: datetime,
    actor: str,
) -> list[Recommendation]:
    """Store a finished dialog: grades, narrative, answers, recommendations; complete
    the allocation; append to the edit history. Returns the audit's recommendations."""
    if not state.finished:
        raise ValueError("only a finished dialog can be submitted")
    edit = audit.status == SUBMITTED
    entry: dict[str, Any] = {
        "event": "edited" if edit else "submitted",
        "at": now.isoformat(),
        "by": audit.auditor_id,
    }
    if edit:
        entry["previous"] = _version(audit)
    audit.status = SUBMITTED
    audit.overall_grade = result.overall_grade
    audit.domain_grades = dict(result.domain_grades)
    audit.narrative = dict(result.narrative)
    audit.urgent_flags = sorted({*(audit.urgent_flags or []), *(f.key for f in state.flags)})
    audit.history = [*(audit.history or []), entry]
    audit.submitted_at = audit.submitted_at or now
    save_state(session=session, audit=audit, state=state, now=now)
    if audit.allocation_id is not None:
        allocation = session.get(Allocation, audit.allocation_id)
        if allocation is not None and allocation.status != COMPLETED:
            allocation.status = COMPLETED
            allocation.updated_at = now
            session.add(allocation)
    recommendations = _sync_recommendations(session=session, audit=audit, result=result, now=now)
    record_row(
        session,
        audit,
        "audit.resubmit" if edit else "audit.submit",
        By(actor, audit.auditor_id, now),
        before=entry.get("previous"),
        after={**_version(audit), "recommendations": [r.id for r in recommendations]},
    )
    return recommendations


def _sync_recommendations(
    *, session: Session, audit: Audit, result: AuditResult, now: datetime
) -> list[Recommendation]:
    """The audit's recommendations as rows: an edit updates the rows it had, in order,
    adds new ones and cancels those it dropped, so ids (and any progress) stay put."""
    existing = in_id_order(
        session,
        Recommendation,
        Recommendation.audit_id == audit.id,
        Recommendation.source == "audit",
        Recommendation.status != "cancelled",
    )
    kept: list[Recommendation] = []
    for i, draft in enumerate(result.recommendations):
        row = existing[i] if i < len(existing) else None
        if row is None:
            row = Recommendation(
                source="audit",
                audit_id=audit.id,
                action=draft.action,
                owner_id=draft.owner_id,
                due_on=draft.due_on,
                created_at=now,
            )
        row.level = draft.level
        row.case_id = audit.case_id if draft.level != "service" else None
        row.action = draft.action
        row.impact = draft.impact
        row.owner_id = draft.owner_id
        row.raised_by_id = audit.auditor_id
        row.due_on = draft.due_on
        session.add(row)
        kept.append(row)
    for row in existing[len(result.recommendations) :]:
        row.status = "cancelled"
        session.add(row)
    session.flush()
    return kept


def resumable(*, session: Session, person_id: int, limit: int = 5) -> list[dict[str, Any]]:
    """Audits this person can pick up: drafts and edits first, then allocations not
    begun. Each is `{reference, action, routing_key, started}` for a button."""
    drafts = list(
        session.exec(
            select(Audit)
            .where(Audit.auditor_id == person_id)
            .where(col(Audit.status).in_([DRAFT, RETURNED]))
            .order_by(col(Audit.updated_at), col(Audit.id))
        )
    )
    begun = {a.allocation_id for a in drafts}
    allocations = list(
        session.exec(
            select(Allocation)
            .where(Allocation.person_id == person_id)
            .where(col(Allocation.status).in_(OPEN_ALLOCATION))
            .where(col(Allocation.activity).in_(AUDIT_ACTIVITIES))
            .where(col(Allocation.case_id).is_not(None))
            .order_by(col(Allocation.due_on), col(Allocation.id))
        )
    )
    case_ids = {a.case_id for a in drafts} | {a.case_id for a in allocations}
    refs = {
        c.id: c.reference
        for c in session.exec(select(Case).where(col(Case.id).in_(case_ids or {0})))
    }
    items = [
        {
            "reference": refs.get(a.case_id, ""),
            "action": "audit.continue",
            "routing_key": f"audit:{a.id}",
            "started": True,
        }
        for a in drafts
    ]
    for al in allocations:
        if al.id in begun:
            continue
        started = audit_for_allocation(session=session, allocation_id=al.id or 0) is not None
        items.append(
            {
                "reference": refs.get(al.case_id or 0, ""),
                "action": "audit.start",
                "routing_key": f"allocation:{al.id}",
                "started": started,
            }
        )
    return items[:limit]
