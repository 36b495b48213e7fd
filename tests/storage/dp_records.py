"""A little QA history to export and to age: people, cases, and a finished audit's trail.

`history(...)` writes one case's full trail (allocation, audit with free text,
moderation, recommendation and its update, escalation, a sent message, and the
audit-log rows the features would write) as of `at`, so retention tests can make
old and recent trails side by side and export tests can check nothing leaks from
one case or person into another's export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from storage.audit_log import record, snapshot
from storage.models import (
    Absence,
    Allocation,
    Audit,
    Case,
    Escalation,
    Moderation,
    OutboxMessage,
    Person,
    Recommendation,
    RecommendationUpdate,
    Service,
    Team,
)

FREE_TEXT = "Mother said Jayden Smith was frightened at home"


@dataclass(frozen=True)
class Trail:
    case: int
    allocation: int
    audit: int
    moderation: int
    recommendation: int
    update: int
    escalation: int
    outbox: int


@dataclass(frozen=True)
class People:
    auditor: int
    worker: int
    moderator: int
    director: int


def people(session: Session, now: datetime) -> People:
    service = Service(name="Early Help")
    session.add(service)
    session.flush()
    session.add(Team(name="Alpha", service_id=service.id or 0))
    session.flush()

    def person(email: str, name: str, roles: list[str]) -> int:
        row = Person(email=email, name=name, roles=roles, team_id=1, created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        record(
            session=session,
            now=now,
            action="create",
            record_type="person",
            record_id=row.id or 0,
            actor="cli:import",
            after=snapshot(row),
        )
        return row.id or 0

    found = People(
        auditor=person("ann.auditor@council.gov.uk", "Ann Auditor", ["team_manager"]),
        worker=person("will.worker@council.gov.uk", "Will Worker", ["practitioner"]),
        moderator=person("mo.moderator@council.gov.uk", "Mo Moderator", ["head_of_service"]),
        director=person("dee.director@council.gov.uk", "Dee Director", ["director"]),
    )
    session.add(
        Absence(
            person_id=found.auditor,
            starts_on=date(2026, 8, 3),
            ends_on=date(2026, 8, 14),
            reason="leave",
        )
    )
    session.flush()
    return found


def answers(text: str) -> dict[str, Any]:
    """A finished audit's saved dialog state, coded answers and free text mixed."""
    return {
        "version": 1,
        "dialog": "audit",
        "step": "end",
        "trail": ["context", "checklist", "domains", "narrative", "overall", "review"],
        "answers": {
            "checklist": {"checklist.visits.answer": "Partly", "checklist.visits.action": text},
            "domains": {
                "domain.assessment.grade": "inadequate",
                "domain.assessment.evidence": text,
                "domain.planning.grade": "requires_improvement",
                "domain.planning.evidence": "Plan is vague",
            },
            "narrative": {"narrative.working_well": text},
            "overall": {"overall.grade": "inadequate"},
            "recommendations": {
                "rec.1.level": "child",
                "rec.1.action": text,
                "rec.1.owner": 2,
                "rec.1.due": "2027-01-15",
            },
        },
        "flags": [{"key": "safeguarding", "note": text, "by": 1, "step": "domains"}],
        "history": [
            {"action": "next", "from_step": "context", "to_step": "checklist", "confirmed": []}
        ],
    }


def history(
    session: Session,
    who: People,
    *,
    reference: str,
    at: datetime,
    text: str = FREE_TEXT,
    open_work: bool = False,
) -> Trail:
    """One case's whole QA trail, every row dated `at`: finished, or with `open_work`
    still in progress (allocated, audit in draft, moderation assigned, action and
    escalation open)."""
    case = Case(
        reference=reference,
        service_id=1,
        team_id=1,
        worker_id=who.worker,
        area="early_help",
        opened_on=date(2020, 1, 6),
    )
    session.add(case)
    session.flush()
    assert case.id is not None
    allocation = Allocation(
        month=f"{at:%Y-%m}",
        person_id=who.auditor,
        case_id=case.id,
        due_on=at.date(),
        reason="cycle",
        status="allocated" if open_work else "completed",
        decline_reason=text,
        created_at=at,
        updated_at=at,
    )
    session.add(allocation)
    session.flush()
    audit = Audit(
        allocation_id=allocation.id,
        case_id=case.id,
        auditor_id=who.auditor,
        step="end",
        answers=answers(text),
        domain_grades={"assessment": "inadequate", "planning": "requires_improvement"},
        overall_grade="inadequate",
        final_grade="inadequate",
        narrative={"working_well": text},
        urgent_flags=["safeguarding"],
        status="draft" if open_work else "final",
        history=[{"action": "submitted", "at": at.isoformat(), "note": text}],
        submitted_at=None if open_work else at,
        finalised_at=None if open_work else at,
        created_at=at,
        updated_at=at,
    )
    session.add(audit)
    session.flush()
    assert audit.id is not None
    moderation = Moderation(
        audit_id=audit.id,
        moderator_id=who.moderator,
        month=f"{at:%Y-%m}",
        answers={"mod.overall.agree": "yes", "mod.overall.why": text},
        outcome=None if open_work else "confirmed",
        moderated_grade=None if open_work else "inadequate",
        comments=text,
        status="assigned" if open_work else "done",
        due_on=at.date(),
        completed_at=None if open_work else at,
        created_at=at,
    )
    recommendation = Recommendation(
        audit_id=audit.id,
        case_id=case.id,
        action=text,
        impact=text,
        owner_id=who.worker,
        raised_by_id=who.auditor,
        due_on=at.date(),
        status="open" if open_work else "done",
        impact_note=text,
        completed_at=None if open_work else at,
        created_at=at,
    )
    session.add_all([moderation, recommendation])
    session.flush()
    update = RecommendationUpdate(
        recommendation_id=recommendation.id or 0,
        person_id=who.worker,
        kind="done",
        note=text,
        created_at=at,
    )
    escalation = Escalation(
        kind="grade",
        audit_id=audit.id,
        case_id=case.id,
        grade="inadequate",
        owner_id=who.director,
        deadline=at,
        status="open" if open_work else "done",
        response=None if open_work else text,
        responded_at=None if open_work else at,
        created_at=at,
    )
    outbox = OutboxMessage(
        idempotency_key=f"allocation-prompt:{who.auditor}:{reference}",
        template="allocation_prompt",
        context={"first_name": "Ann", "items": [{"reference": reference}]},
        person_id=who.auditor,
        platform="slack",
        status="sent",
        next_attempt_at=at,
        sent_at=at,
        created_at=at,
    )
    session.add_all([update, escalation, outbox])
    session.flush()
    for row, record_type, actor_id in (
        (allocation, "allocation", None),
        (audit, "audit", who.auditor),
        (moderation, "moderation", who.moderator),
        (recommendation, "recommendation", who.auditor),
        (update, "recommendation_update", who.worker),
        (escalation, "escalation", who.director),
    ):
        record(
            session=session,
            now=at,
            action="create",
            record_type=record_type,
            record_id=row.id or 0,
            actor="scheduler" if actor_id is None else f"slack:U{actor_id}",
            actor_id=actor_id,
            after=snapshot(row),
        )
    record(
        session=session,
        now=at,
        action="create",
        record_type="case",
        record_id=case.id,
        actor="cli:import",
        after=snapshot(case),
    )
    session.flush()
    return Trail(
        case=case.id,
        allocation=allocation.id or 0,
        audit=audit.id,
        moderation=moderation.id or 0,
        recommendation=recommendation.id or 0,
        update=update.id or 0,
        escalation=escalation.id or 0,
        outbox=outbox.id or 0,
    )
