"""A Camden demo department with a month of audits, for the summary posting tests.

The demo seed gives services, teams, named staff and `DEMO-...` case references; on
top, `audit_month` stores November 2026's audits the way the features would, with
narratives that name the worker and quote the case reference (people do type that),
moderations, recommendations and escalations. The posted summary must carry none of
those names or references, on Slack or on Teams.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, select

from demo.authority import generate
from qa.framework import Framework, preset
from reminders.schedule import Ticker
from reminders.summary import POST_SUMMARY
from storage.models import Audit, Case, Escalation, Moderation, Person, Recommendation
from storage.seed import seed_demo

SUMMARY_AT = datetime(2026, 12, 3, 9, 1, tzinfo=UTC)  # Thursday 3 December: the 3rd working day
BOARD = "qa_board"
LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class Department:
    framework: Framework
    references: tuple[str, ...]
    names: tuple[str, ...]


def camden(*, slack_channel: str | None = None, teams_conversation: str | None = None) -> Framework:
    fw = preset("camden")
    addresses = {"slack": slack_channel, "teams": teams_conversation}
    board = fw.governance[0].model_copy(update={"addresses": addresses})
    return fw.model_copy(update={"governance": [board]})


def department(engine: Engine, fw: Framework, *, audits: int = 60) -> Department:
    """The demo department, and `audits` audits of November 2026 (some in October)."""
    start = datetime(2026, 10, 1, tzinfo=UTC)
    authority = generate(fw, today=start.date(), staff=60, cases=300)
    rng = random.Random(8)
    grades = fw.grade_keys
    with Session(engine) as s:
        seed_demo(session=s, framework=fw, authority=authority, now=start)
        cases = list(s.exec(select(Case).order_by(Case.id)))  # type: ignore[arg-type]
        people = {p.id: p for p in s.exec(select(Person))}
        auditors = [p for p in people.values() if p.team_id is not None]
        for i in range(audits):
            case = cases[i]
            author = auditors[i % len(auditors)]
            worker = people.get(case.worker_id) or author
            when = datetime(2026, 11 if i % 4 else 10, 2 + i % 25, 11, tzinfo=UTC)
            text = (
                f"Visited with {worker.name} about {case.reference}. The child's voice is "
                "clear and the plan is reviewed on time."
            )
            audit = Audit(
                case_id=case.id or 0,
                auditor_id=author.id or 0,
                status="submitted",
                overall_grade=rng.choice(grades),
                domain_grades={d.key: rng.choice(grades) for d in fw.audit_form.domains},
                narrative={p.key: text for p in fw.audit_form.narrative},
                submitted_at=when,
                created_at=when - timedelta(days=2),
                updated_at=when,
            )
            s.add(audit)
            s.flush()
            if i % 5 == 0:
                s.add(_moderation(audit, author, when, confirmed=i % 10 == 0, fw=fw))
            if i % 6 == 0:
                s.add(_recommendation(case, author, when))
            if i % 7 == 0:
                s.add(_escalation(case, author, when))
        references = tuple(c.reference for c in cases)
        names = tuple(p.name for p in people.values() if " " in p.name)
        s.commit()
    return Department(fw, references, names)


def _moderation(
    audit: Audit, person: Person, when: datetime, *, confirmed: bool, fw: Framework
) -> Moderation:
    lower = fw.grade_keys[-1]
    return Moderation(
        audit_id=audit.id or 0,
        moderator_id=person.id or 0,
        month="2026-11",
        outcome="confirmed" if confirmed else "regraded",
        moderated_grade=None if confirmed else lower,
        status="completed",
        due_on=date(2026, 11, 30),
        completed_at=when + timedelta(days=3),
        created_at=when,
    )


def _recommendation(case: Case, person: Person, when: datetime) -> Recommendation:
    return Recommendation(
        audit_id=None,
        case_id=case.id,
        action=f"Update the plan for {case.reference}",
        owner_id=person.id or 0,
        due_on=(when + timedelta(days=14)).date(),
        created_at=when,
    )


def _escalation(case: Case, person: Person, when: datetime) -> Escalation:
    return Escalation(
        kind="grade",
        case_id=case.id,
        owner_id=person.id or 0,
        deadline=when + timedelta(days=7),
        status="responded",
        response=f"Spoke to {person.name}",
        responded_at=when + timedelta(days=5),
        created_at=when,
    )


def run_post_summary(engine: Engine, fw: Framework) -> None:
    """The monthly job, run as the scheduler runs it at 09:00 on the summary day."""
    ticker = Ticker(engine=engine, framework=fw, tz=LONDON, jobs={POST_SUMMARY.name: POST_SUMMARY})
    ticker.run_job(POST_SUMMARY, now=SUMMARY_AT)


def strings(node: Any) -> Iterator[str]:
    """Every string in a message, a card or blocks, however deep."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def leaks(node: Any, dept: Department) -> list[str]:
    """The case references and staff names found anywhere in `node`."""
    text = "\n".join(strings(node))
    found = [r for r in dept.references if r in text]
    found += [n for n in dept.names if n in text]
    if "DEMO-" in text:
        found.append("DEMO-")
    return found
