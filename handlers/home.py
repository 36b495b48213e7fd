"""What is waiting for this person: the answer to `my`, and the Slack App Home.

Case references and dates only, never free text someone typed (a recommendation's
wording can name a child), so the list is safe on a phone screen in a corridor.
Lists are capped so a long backlog still fits a chat message; the rest is counted.

Statuses are matched by exclusion ("not finished"), so statuses added by later
dialogs (in progress, returned...) still show up as waiting. `audit_buttons` are the
audits one tap away (*Continue* a draft, *Start* an allocation): a few, not a list.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from handlers.help import first_name, help_context
from qa.framework import Framework
from storage.audits import resumable
from storage.models import Allocation, Audit, Case, Moderation, Person, Recommendation

LIST_LIMIT = 10
BUTTON_LIMIT = 5
FINISHED_ALLOCATION = {"completed", "done", "declined", "cancelled", "swapped", "withdrawn"}
# Not (or not yet) this person's to do: "Can't do this one", and a replacement awaiting the QA lead.
FINISHED_ALLOCATION |= {"released", "proposed"}
DRAFT_AUDIT = {"draft", "returned"}
FINISHED_MODERATION = {"completed", "done", "cancelled", "withdrawn"}
FINISHED_RECOMMENDATION = {"done", "completed", "closed", "cancelled", "refused"}


def _references(session: Session, case_ids: set[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    rows = session.exec(select(Case.id, Case.reference).where(col(Case.id).in_(case_ids))).all()
    return {int(i): ref for i, ref in rows if i is not None}


def _capped(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    return items[:LIST_LIMIT], max(0, len(items) - LIST_LIMIT)


def open_work(*, session: Session, person_id: int, today: date) -> dict[str, list[dict[str, Any]]]:
    """Everything not yet finished that belongs to `person_id`, soonest due first."""
    allocations = session.exec(
        select(Allocation)
        .where(Allocation.person_id == person_id)
        .where(col(Allocation.status).not_in(FINISHED_ALLOCATION))
        .order_by(col(Allocation.due_on), col(Allocation.id))
    ).all()
    drafts = session.exec(
        select(Audit)
        .where(Audit.auditor_id == person_id)
        .where(col(Audit.status).in_(DRAFT_AUDIT))
        .order_by(col(Audit.updated_at), col(Audit.id))
    ).all()
    moderations = session.exec(
        select(Moderation)
        .where(Moderation.moderator_id == person_id)
        .where(col(Moderation.status).not_in(FINISHED_MODERATION))
        .order_by(col(Moderation.due_on), col(Moderation.id))
    ).all()
    recommendations = session.exec(
        select(Recommendation)
        .where(Recommendation.owner_id == person_id)
        .where(col(Recommendation.status).not_in(FINISHED_RECOMMENDATION))
        .order_by(col(Recommendation.due_on), col(Recommendation.id))
    ).all()
    audit_ids = {m.audit_id for m in moderations}
    audit_case: dict[int, int] = {}
    if audit_ids:
        rows = session.exec(
            select(Audit.id, Audit.case_id).where(col(Audit.id).in_(audit_ids))
        ).all()
        audit_case = {int(i): c for i, c in rows if i is not None}
    case_ids = {a.case_id for a in allocations if a.case_id is not None}
    case_ids |= {d.case_id for d in drafts} | set(audit_case.values())
    case_ids |= {r.case_id for r in recommendations if r.case_id is not None}
    refs = _references(session, case_ids)

    def ref(case_id: int | None) -> str | None:
        return refs.get(case_id) if case_id is not None else None

    return {
        "allocations": [
            {
                "reference": ref(a.case_id),
                "activity": a.activity,
                "due_on": a.due_on.isoformat(),
                "overdue": a.due_on < today,
                "status": a.status,
            }
            for a in allocations
        ],
        "drafts": [{"reference": ref(d.case_id), "status": d.status} for d in drafts],
        "moderations": [
            {
                "reference": ref(audit_case.get(m.audit_id)),
                "due_on": m.due_on.isoformat(),
                "overdue": m.due_on < today,
            }
            for m in moderations
        ],
        "recommendations": [
            {
                "reference": ref(r.case_id),
                "due_on": r.due_on.isoformat(),
                "overdue": r.due_on < today,
            }
            for r in recommendations
        ],
    }


def my_work_context(*, session: Session, person: Person, now: datetime) -> dict[str, Any]:
    """The `my_work` template's context. `now` is in the authority's zone (its date is today)."""
    work = open_work(session=session, person_id=person.id or 0, today=now.date())
    context: dict[str, Any] = {"name": first_name(person)}
    total = 0
    for key, items in work.items():
        shown, more = _capped(items)
        context[key] = shown
        context[f"{key}_more"] = more
        total += len(items)
    context["total"] = total
    context["audit_buttons"] = resumable(
        session=session, person_id=person.id or 0, limit=BUTTON_LIMIT
    )
    return context


def home_context(
    *, session: Session, person: Person, framework: Framework, now: datetime
) -> dict[str, Any]:
    """The App Home: the person's options (as in help) and counts of what is waiting."""
    work = open_work(session=session, person_id=person.id or 0, today=now.date())
    counts = {key: len(items) for key, items in work.items()}
    overdue = sum(1 for items in work.values() for item in items if item.get("overdue"))
    return {
        **help_context(person=person, framework=framework),
        "counts": counts,
        "overdue": overdue,
        "total": sum(counts.values()),
        "audit_buttons": resumable(session=session, person_id=person.id or 0, limit=BUTTON_LIMIT),
    }
