"""The new cards' world for the Playground walk (`test_playground_browser.py`).

City of London: a practice and impact review submitted and picked for moderation by
the Head of Safeguarding and QA (the panel's chair, who is also the QA lead and holds
the closing block), who becomes the Playground's user; a few recommendations due in
the December/January follow-up window for the progress pack. And every sample context of
the templates no button reaches with a real row (framework reports, calendar
reminders, the weekly review's variants), queued to the Playground's user as they
are, to be seen rendered. And Lambeth's weekly PRIM review of one Inadequate case,
held by the practice assurance lead, who becomes the Playground's user.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.allocation_messages import queue_new_prompt
from qa.dialog import Step
from qa.framework import Framework
from storage.models import Allocation, Case, Person
from storage.outbox import Message, enqueue
from tests.bot.samples import collect
from tests.handlers.audit_world import answers_for
from tests.handlers.moderation_world import ModerationWorld, moderations
from tests.reminders.followthrough_chat import case, person, teams_and_services
from tests.reminders.tracking_world import add_audit, add_recommendation, at

CITY = "city-of-london"
LAMBETH = "lambeth"
LAMBETH_CASE = "LAM-0001"
PLAYGROUND_SLACK = "U0PLAYGROUND"
# Shown as they are: the templates no button of this walk reaches with a real row.
RENDERED_ONLY = (
    "findings",
    "review_prompt",
    "review_form",
    "review_receipt",
    "framework_report",
    "calendar_reminder",
)


def make_chair_the_user(engine: Engine, world: ModerationWorld, user: dict[str, Any]) -> int:
    """The chair's moderation goes to the Playground's user, who is also the case's
    allocated worker (so the findings reach them too) and holds the closing block's
    role, the QA lead's (so the closing request and the progress pack reach them);
    nobody else is in Teams."""
    framework = world.framework
    assert framework.closing is not None
    [chair] = [m for m in moderations(engine) if m.is_chair]
    with Session(engine) as session:
        person = session.get(Person, chair.moderator_id)
        case = session.get(Case, world.audit.case_id)
        assert person is not None and person.id is not None and case is not None
        person.teams_user_id = user["aadObjectId"]
        person.slack_user_id = PLAYGROUND_SLACK
        roles = [framework.closing.role, framework.qa_lead_role]
        person.roles = [*(person.roles or []), *(r for r in roles if r not in (person.roles or []))]
        case.worker_id = person.id
        session.add_all([person, case])
        for other in session.exec(select(Person).where(Person.id != person.id)):
            other.teams_user_id, other.teams_conversation = None, None
            session.add(other)
        session.commit()
        return person.id


def add_pack_recommendations(engine: Engine, owner: int, made: datetime) -> int:
    """Two recommendations on one case due in the December/January window."""
    with Session(engine) as session:
        case = session.exec(select(Case).order_by(col(Case.id))).first()
        assert case is not None and case.id is not None
        case_id = case.id
    for due in (date(2026, 12, 15), date(2027, 1, 20)):
        add_recommendation(engine, owner=owner, due=due, created=made, case=case_id)
    return case_id


def queue_samples(engine: Engine, person_id: int, now: datetime) -> list[str]:
    """Every sample context of `RENDERED_ONLY` to the Playground's user; their names."""
    samples, extra = collect()
    names: list[str] = []
    with Session(engine) as session:
        for template in RENDERED_ONLY:
            for n, context in enumerate([samples[template], *extra.get(template, [])]):
                key = f"playground-sample:{template}:{n}"
                enqueue(
                    session=session,
                    message=Message(template, key, context, person_id=person_id),
                    now=now,
                )
                names.append(f"{template}-{n}")
        session.commit()
    return names


def lambeth_prim(engine: Engine) -> dict[str, int]:
    """Lambeth's PRIM world (`test_lambeth_weekly_prim`): a case graded Inadequate on
    Wednesday 2 December 2026, reviewed weekly by the practice assurance lead, who
    also reads the monthly audit report."""
    teams_and_services(engine)
    # Also the Principal Social Worker, a reader of the monthly audit report.
    roles = ["practice_assurance_lead", "principal_social_worker"]
    pal = person(engine, "Pat Assurance", roles, team=4)
    worker = person(engine, "Sam Worker", ["practitioner"], team=1)
    auditor = person(engine, "Al Auditor", ["service_manager"], team=3)
    prim = case(engine, LAMBETH_CASE, worker=worker)
    add_audit(engine, case=prim, auditor=auditor, grade="inadequate", when=at(2026, 12, 2, 15))
    return {"pal": pal, "worker": worker}


def make_the_user(engine: Engine, person_id: int, user: dict[str, Any]) -> None:
    """`person_id` is the Playground's user; nobody else is in Teams."""
    with Session(engine) as session:
        for p in session.exec(select(Person)):
            mine = p.id == person_id
            p.teams_user_id = user["aadObjectId"] if mine else None
            p.teams_conversation = None
            session.add(p)
        session.commit()


IDENTITY = "checklist.identity_recorded.answer"  # City of London: No needs a recommendation


def give_an_audit(
    engine: Engine, framework: Framework, now: datetime, person_id: int, *, not_case: int
) -> tuple[int, str]:
    """A review of another case for `person_id` this month, its prompt queued; the
    allocation's id and the case's reference."""
    with Session(engine) as session:
        case = session.exec(
            select(Case)
            .where(Case.id != not_case)
            .where(Case.area == session.get(Case, not_case).area)  # type: ignore[union-attr]
            .order_by(col(Case.id).desc())
        ).first()
        assert case is not None and case.id is not None
        allocation = Allocation(
            month=f"{now:%Y-%m}",
            person_id=person_id,
            case_id=case.id,
            activity="audit",
            due_on=date(now.year, now.month, 18),
            reason="peer audit",
            created_at=now,
            updated_at=now,
        )
        session.add(allocation)
        session.commit()
        queue_new_prompt(session, framework, allocation, now)
        session.commit()
        return allocation.id or 0, case.reference


def identity_unknown(step: Step, owner: str) -> dict[str, Any]:
    """A careful reviewer's answers to `step`: identity not ascertained, and no
    recommendation."""
    values = answers_for(step, owner=owner, grade="good", recs=0)
    if IDENTITY in values:
        values[IDENTITY] = "No"
    return values
