"""A seeded demo authority ready for moderation, and answers that fill its dialog.

Shared by the moderation tests (handlers, Slack, Teams). Built on
`tests.handlers.audit_world` (one audit allocated to a team manager): every holder of
a moderation role gets a Slack id and a Teams id, so requests reach them; in Camden
the Heads of Quality Assurance and of Practice and Learning and the QA manager are on
leave this week, and the auditor's line manager is a Head of Service, so the audit
must go to another Head of Service. `moderation_answers` fills a moderation step the
way a moderator would; tests leave things out on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.moderation_session import dialog_for
from qa.dialog import Dialog, Step
from qa.framework import Framework
from storage.models import (
    Absence,
    Allocation,
    Audit,
    Case,
    Escalation,
    Moderation,
    Person,
    Recommendation,
)
from storage.moderation_inputs import moderator_roles
from tests.handlers.audit_world import DUE, World, seed_world

WHY = "The plan has drifted since the review and the risks are not addressed."
REASON = "Please add the evidence from the last two visits before I can moderate this."
ACTION = "Hold a strategy discussion within five working days."


@dataclass(frozen=True)
class ModerationWorld:
    audit: World
    moderator_ids: tuple[int, ...]  # everyone who may be asked to moderate
    line_manager_id: int | None  # the auditor's line manager (Camden: a Head of Service)

    @property
    def framework(self) -> Framework:
        return self.audit.framework


def slack_id(person_id: int) -> str:
    return f"U0MOD{person_id:04d}"


def aad_id(person_id: int) -> str:
    return f"bbbbbbbb-0000-0000-0000-{person_id:012d}"


def seed_moderation_world(engine: Engine, now: datetime, preset: str) -> ModerationWorld:
    world = seed_world(engine, now, preset)
    roles = moderator_roles(world.framework)
    with Session(engine) as session:
        people = list(session.exec(select(Person).order_by(col(Person.id))))
        holders = [p for p in people if roles & set(p.roles or [])]
        for p in holders:
            p.slack_user_id, p.teams_user_id = slack_id(p.id or 0), aad_id(p.id or 0)
            session.add(p)
        auditor = session.get(Person, world.auditor_id)
        assert auditor is not None
        line_manager = auditor.line_manager_id
        if preset == "camden":
            heads = [p for p in holders if p.roles == ["head_of_service"]]
            auditor.line_manager_id = line_manager = heads[0].id
            session.add(auditor)
            for p in holders:
                if "head_of_service" not in (p.roles or []):
                    session.add(
                        Absence(
                            person_id=p.id or 0,
                            starts_on=now.date() - timedelta(days=1),
                            ends_on=now.date() + timedelta(days=14),
                            reason="annual leave",
                        )
                    )
        session.commit()
        return ModerationWorld(world, tuple(p.id or 0 for p in holders), line_manager)


def connect_teams(engine: Engine, service_url: str) -> None:
    """Everyone with a Teams id can be messaged there (a stored conversation reference)."""
    with Session(engine) as session:
        for p in session.exec(select(Person).where(col(Person.teams_user_id).is_not(None))):
            p.teams_conversation = {
                "serviceUrl": service_url,
                "conversation": {"id": f"a:chat-{p.teams_user_id}"},
            }
            session.add(p)
        session.commit()


def connect_auditor(engine: Engine, world: ModerationWorld, service_url: str) -> None:
    """The auditor's own 1:1 chat with the bot is on the connector at `service_url`."""
    with Session(engine) as session:
        auditor = session.get(Person, world.audit.auditor_id)
        assert auditor is not None
        auditor.teams_conversation = {
            "serviceUrl": service_url,
            "conversation": {"id": f"a:chat-{auditor.teams_user_id}"},
        }
        session.add(auditor)
        session.commit()


def dialog_of(engine: Engine, framework: Framework, row: Moderation) -> Dialog:
    """The moderation dialog for `row`, as the handler builds it from the audit and case."""
    with Session(engine) as session:
        audit = session.get(Audit, row.audit_id)
        case = session.get(Case, audit.case_id) if audit else None
        assert audit is not None and case is not None
        return dialog_for(framework, audit, case)


def audit_of(engine: Engine, world: ModerationWorld) -> Audit:
    """The audit the world's auditor submitted."""
    with Session(engine) as session:
        return session.exec(
            select(Audit).where(Audit.allocation_id == world.audit.allocation_id)
        ).one()


def moderations(engine: Engine) -> list[Moderation]:
    with Session(engine) as session:
        return list(session.exec(select(Moderation).order_by(col(Moderation.id))))


def case_team_id(engine: Engine, case_id: int) -> int:
    with Session(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.team_id


def moderation_answers(
    step: Step,
    *,
    owner: int | str = 0,
    grade: str | None = None,
    outcome: str = "confirmed",
    actions: int = 0,
    reason: str = "",
    questions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Values (as a form sends them) for `step`: agree with every domain; disagree with
    the overall grade when `grade` is given; `actions` actions arising on page one.
    The framework's own questions (`mod.q.<key>`) take `questions[<field key>]` when
    given (None leaves one blank), else their first option, or `DUE` for a date."""
    values: dict[str, Any] = {}
    for f in step.fields:
        key = f.key
        if key.startswith("mod.q."):
            given = (questions or {}).get(key, ...)
            if given is not ...:
                if given is not None:
                    values[key] = given
            elif key.endswith(".comments"):
                pass
            elif f.kind == "date":
                values[key] = DUE
            elif f.kind == "multi":
                values[key] = [f.options[0].value]
            elif f.options:
                values[key] = f.options[0].value
            else:
                values[key] = "Answered as the template asks."
            continue
        if key.startswith("act."):
            n, part = int(key.split(".")[1]), key.split(".")[2]
            if n <= actions:
                values[key] = {"action": ACTION, "owner": str(owner), "due": DUE}[part]
            continue
        if key.startswith("actions.more"):
            values[key] = "no"
        elif key == "mod.overall.agree":
            values[key] = "no" if grade else "yes"
        elif key == "mod.overall.grade":
            if grade:
                values[key] = grade
        elif key == "mod.overall.why":
            if grade:
                values[key] = WHY
        elif key.endswith(".agree"):
            values[key] = "yes"
        elif key == "mod.outcome":
            values[key] = outcome
        elif key == "mod.outcome.reason" and reason:
            values[key] = reason
    return values


def moderator_and_case(
    engine: Engine, world: ModerationWorld, row: Moderation
) -> tuple[Person, Case]:
    """Who was asked to moderate `row`, and the audited case (to check they are not too close)."""
    with Session(engine) as session:
        moderator = session.get(Person, row.moderator_id)
        case = session.get(Case, world.audit.case_id)
        assert moderator is not None and case is not None
        return moderator, case


def allocation_status(engine: Engine, world: ModerationWorld) -> str:
    """The status of the allocation the world's audit answers."""
    with Session(engine) as session:
        allocation = session.get(Allocation, world.audit.allocation_id)
        assert allocation is not None
        return allocation.status


def grade_escalations_and_actions(engine: Engine) -> tuple[list[Escalation], list[Recommendation]]:
    """Grade escalations raised, and actions that came out of moderation."""
    with Session(engine) as session:
        escalations = session.exec(select(Escalation).where(Escalation.kind == "grade")).all()
        recs = session.exec(
            select(Recommendation).where(Recommendation.source == "moderation")
        ).all()
        return list(escalations), list(recs)


def relevant_assistant_director(
    engine: Engine, world: ModerationWorld
) -> tuple[int, dict[int, Person]]:
    """The first Assistant Director up the audited case worker's line management (Lambeth
    QAF 4: "the relevant Assistant Director"), and everyone by id."""
    with Session(engine) as session:
        case = session.get(Case, world.audit.case_id)
        assert case is not None and case.worker_id is not None
        people = {p.id or 0: p for p in session.exec(select(Person))}
    chain, boss = [], people[case.worker_id].line_manager_id
    while boss is not None and boss not in chain:
        chain.append(boss)
        boss = people[boss].line_manager_id
    [ad] = [p for p in chain if "assistant_director" in people[p].roles][:1]
    return ad, people
