"""A seeded demo authority with one audit allocated, and answers that fill its form.

Shared by the audit tests (handlers, Slack, Teams): the authority comes from
`demo.authority.generate` (60 staff, 300 cases) seeded through `storage.seed.seed_demo`, so
the dialog runs against a whole department as the demo does. `answers_for` fills a
step the way a careful auditor would; tests then leave things out on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from demo.authority import generate
from qa.dialog import Step
from qa.framework import Framework, load_framework
from storage.models import Allocation, Audit, Case, OutboxMessage, Person, Team
from storage.seed import seed_demo

SLACK_AUDITOR, SLACK_OTHER = "U0AUDITOR", "U0OTHER"
AAD_AUDITOR = "aaaaaaaa-0000-0000-0000-000000000001"
AAD_OTHER = "aaaaaaaa-0000-0000-0000-000000000002"
DUE = "2027-01-12"  # a Tuesday: a working day after the tests' today (1 December 2026)
SPOKEN_ON = "2026-11-20"


@dataclass(frozen=True)
class World:
    framework: Framework
    allocation_id: int
    auditor_id: int
    other_id: int
    case_id: int
    reference: str
    area: str


def _area(framework: Framework) -> str:
    """The area with the most graded domains (Lambeth: Early Help has one more)."""
    return max(framework.area_keys, key=lambda a: len(framework.domains_for(a)))


def seed_world(engine: Engine, now: datetime, preset: str) -> World:
    framework = load_framework(preset)
    authority = generate(framework, today=now.date(), staff=60, cases=300)
    area = _area(framework)
    with Session(engine) as session:
        seed_demo(session=session, framework=framework, authority=authority, now=now)
        people = list(session.exec(select(Person).order_by(col(Person.id))))
        case = session.exec(select(Case).where(Case.area == area).order_by(col(Case.id))).first()
        assert case is not None and case.id is not None
        managers = [
            p for p in people if "team_manager" in (p.roles or []) and p.team_id != case.team_id
        ]
        auditor, other = managers[0], managers[1]
        auditor.slack_user_id, auditor.teams_user_id = SLACK_AUDITOR, AAD_AUDITOR
        other.slack_user_id, other.teams_user_id = SLACK_OTHER, AAD_OTHER
        allocation = Allocation(
            month="2026-12",
            person_id=auditor.id or 0,
            case_id=case.id,
            activity="audit",
            due_on=date(2026, 12, 18),
            reason="peer audit",
            created_at=now,
            updated_at=now,
        )
        session.add_all([auditor, other, allocation])
        session.commit()
        return World(
            framework=framework,
            allocation_id=allocation.id or 0,
            auditor_id=auditor.id or 0,
            other_id=other.id or 0,
            case_id=case.id,
            reference=case.reference,
            area=area,
        )


def team_of(engine: Engine, case_id: int) -> str:
    with Session(engine) as session:
        case = session.get(Case, case_id)
        team = session.get(Team, case.team_id) if case else None
        return team.name if team else ""


def answers_for(
    step: Step, *, owner: int | str, grade: str = "inadequate", recs: int = 2
) -> dict[str, Any]:
    """Plain values (as a form sends them) for every field of `step`.

    Recommendations: the first `recs` slots of the first page are filled (the first
    child-level, the second service-level), the rest left blank, and no more pages.
    """
    values: dict[str, Any] = {}
    for f in step.fields:
        parts = f.key.split(".")
        if parts[0] == "rec":
            n = int(parts[1])
            if n > recs:
                continue
            if parts[2] == "level":
                values[f.key] = "child" if n == 1 else f.options[-1].value
            elif parts[2] == "owner":
                values[f.key] = str(owner)
            elif parts[2] == "due":
                values[f.key] = DUE
            else:
                values[f.key] = f"Recommendation {n}: {parts[2]} in plain words."
            continue
        if f.key.startswith("recommendations.more"):
            values[f.key] = "no"
        elif f.kind == "grade":
            values[f.key] = grade
        elif f.kind == "choice":
            wanted = {"spoken": "yes", "method": "home_visit"}.get(parts[-1])
            options = [o.value for o in f.options]
            values[f.key] = wanted if wanted in options else options[-2 if len(options) > 1 else 0]
        elif f.kind == "multi":
            values[f.key] = [f.options[0].value]
        elif f.kind == "date":
            values[f.key] = SPOKEN_ON if f.dates == "not_future" else DUE
        elif f.kind == "person":
            values[f.key] = str(owner)
        else:
            values[f.key] = f"Evidence for {f.label.lower()}: seen in the case record."
    return values


def make_dip_sample(engine: Engine, world: World, now: datetime) -> World:
    """Wandsworth's dip sample: the world's allocation becomes a dip sample, after an
    audit of another of the same worker's cases graded Requires Improvement; the
    framework allocates the whole caseload when the same concerns are found."""
    from dataclasses import replace
    from datetime import timedelta

    ds = world.framework.dip_sample
    assert ds is not None, "a framework with dip samples (Wandsworth)"
    fw = world.framework.model_copy(
        update={"dip_sample": ds.model_copy(update={"caseload": "allocate"})}
    )
    with Session(engine) as session:
        allocation = session.get(Allocation, world.allocation_id)
        case = session.get(Case, world.case_id)
        assert allocation is not None and case is not None and case.worker_id is not None
        allocation.activity = "dip_sample"
        others = session.exec(
            select(Case)
            .where(Case.worker_id == case.worker_id)
            .where(Case.id != case.id)
            .where(Case.status == "open")
            .order_by(col(Case.id))
        ).all()
        assert len(others) >= 2, "the worker has a caseload to audit"
        earlier = now - timedelta(days=20)
        session.add(
            Audit(
                case_id=others[0].id or 0, auditor_id=world.other_id,
                overall_grade="requires_improvement", status="submitted",
                submitted_at=earlier, created_at=earlier, updated_at=earlier,
            )
        )  # fmt: skip
        session.add(allocation)
        session.commit()
    return replace(world, framework=fw)


def caseload_and_prompts(
    engine: Engine, world: World
) -> tuple[list[Allocation], list[OutboxMessage]]:
    """The auditor's audit allocations and the whole-caseload prompts queued, after a dip
    sample (Wandsworth QAF 33: same concerns found means the caseload is audited)."""
    with Session(engine) as session:
        caseload = session.exec(
            select(Allocation)
            .where(Allocation.person_id == world.auditor_id)
            .where(Allocation.activity == "audit")
        ).all()
        prompts = session.exec(
            select(OutboxMessage).where(
                col(OutboxMessage.idempotency_key).startswith("allocation-caseload:")
            )
        ).all()
    return list(caseload), list(prompts)
