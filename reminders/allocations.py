"""The monthly allocation: make the month's allocations and queue the prompts.

Runs on the framework's allocation day (e.g. the first working day at 09:00), and
from `qa-bot allocate`. Both are the same reconciler: allocations already stored are
kept (the engine tops up), and every message has an idempotency key per person and
month, so running it twice, or the job and the CLI both, sends nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from qa.allocation import AllocationPlan, allocate
from qa.allocation_rules import allocation_day, is_active
from qa.framework import Framework
from qa.working_days import Month, long_date
from reminders.jobs import Job, JobContext, JobResult
from storage.allocations import ALLOCATED, build_inputs, save_plan, unstored
from storage.models import Allocation, Case, OutboxMessage, Person, Team
from storage.outbox import Message, enqueue


@dataclass(frozen=True)
class AllocationRun:
    plan: AllocationPlan
    created: int
    enqueued: int


def allocate_month(
    session: Session,
    framework: Framework,
    month: Month,
    *,
    now: datetime,
    tz: ZoneInfo,
    actor: str,
    dry_run: bool = False,
) -> AllocationRun:
    """Plan `month`, store what is new, and queue one prompt per person plus a summary.

    The returned plan lists exactly what was stored (or, in a dry run, what would be):
    `unstored` is the one filter both use, so a listing never promises more than it keeps.
    """
    planned = allocate(build_inputs(session=session, framework=framework, month=month, tz=tz))
    plan = unstored(session=session, plan=planned)
    if dry_run:
        return AllocationRun(plan=plan, created=len(plan.allocations), enqueued=0)
    rows = save_plan(session=session, plan=plan, now=now, actor=actor)
    enqueued = queue_prompts(session=session, framework=framework, month=month, now=now)
    enqueued += queue_summary(session=session, framework=framework, plan=plan, now=now)
    return AllocationRun(plan=plan, created=len(rows), enqueued=enqueued)


def prompt_items(
    session: Session, framework: Framework, rows: list[Allocation]
) -> list[dict[str, Any]]:
    """What a person is shown for each allocation: case reference only, never a name."""
    case_ids = {r.case_id for r in rows if r.case_id is not None}
    cases = {c.id: c for c in session.exec(select(Case).where(col(Case.id).in_(case_ids)))}
    teams = {t.id: t.name for t in session.exec(select(Team))}
    areas = {a.key: a.label for a in framework.areas}
    items = []
    for r in rows:
        case = cases.get(r.case_id) if r.case_id is not None else None
        items.append(
            {
                "allocation_id": r.id,
                "activity": r.activity,
                "reference": case.reference if case else None,
                "area": areas.get(case.area, case.area) if case else None,
                "team": teams.get(case.team_id, "") if case else None,
                "due": long_date(r.due_on),
                "due_on": r.due_on.isoformat(),  # for the weekday ("Friday 22 January")
                "reason": r.reason,
                "routing_key": f"allocation:{r.id}",
            }
        )
    return items


def queue_prompts(*, session: Session, framework: Framework, month: Month, now: datetime) -> int:
    """One message per allocated person for the month (docs/ux.md: group, don't flood).

    A re-run that tops up a month tells each person only about what is new to them:
    allocations already listed in a message to them are left out, and the new ones
    come as one further message keyed by the first new allocation.
    """
    rows = session.exec(
        select(Allocation)
        .where(Allocation.month == month.key)
        .where(Allocation.status == ALLOCATED)
        .order_by(col(Allocation.due_on), col(Allocation.id))
    ).all()
    by_person: dict[int, list[Allocation]] = defaultdict(list)
    for r in rows:
        by_person[r.person_id].append(r)
    people = {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(by_person)))}
    told = _already_listed(session, list(by_person))
    sent = 0
    for person_id, mine in by_person.items():
        person = people.get(person_id)
        if person is None or not person.active:
            continue
        new = [r for r in mine if r.id not in told.get(person_id, set())]
        if not new:
            continue
        monthly = f"allocation-prompt:{person_id}:{month.key}"
        first = person_id not in told
        key = monthly if first else f"{monthly}:more:{min(r.id or 0 for r in new)}"
        context = {
            "first_name": person.name.split()[0] if person.name else "",
            "month": month.name,
            "audit_word": framework.vocabulary.audit,
            "audits_word": framework.vocabulary.audits,
            "items": prompt_items(session, framework, new),
        }
        sent += enqueue(
            session=session,
            message=Message("allocation_prompt", key, context, person_id=person_id),
            now=now,
        )
    return sent


def _already_listed(session: Session, person_ids: list[int]) -> dict[int, set[int]]:
    """Allocation ids each person has already been sent in an allocation prompt."""
    listed: dict[int, set[int]] = defaultdict(set)
    for message in session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.template == "allocation_prompt")
        .where(col(OutboxMessage.person_id).in_(person_ids))
    ):
        for item in (message.context or {}).get("items", []):
            if isinstance(item, dict) and isinstance(item.get("allocation_id"), int):
                listed[message.person_id or 0].add(item["allocation_id"])
    return listed


def queue_summary(
    *, session: Session, framework: Framework, plan: AllocationPlan, now: datetime
) -> int:
    """The QA lead's one summary: how many, to how many people, what is short."""
    rows = session.exec(select(Allocation).where(Allocation.month == plan.month.key)).all()
    leads = [
        p
        for p in session.exec(select(Person).where(col(Person.active)))
        if framework.qa_lead_role in (p.roles or [])
    ]
    context = {
        "month": plan.month.name,
        "audits_word": framework.vocabulary.audits,
        "allocations": len(rows),
        "people": len({r.person_id for r in rows}),
        "by_activity": _count_by(rows, "activity"),
        "shortfalls": [s.message for s in plan.shortfalls],
        "note": plan.note,
    }
    sent = 0
    for lead in leads:
        key = f"allocation-summary:{plan.month.key}:{lead.id}"
        sent += enqueue(
            session=session,
            message=Message("allocation_summary", key, context, person_id=lead.id),
            now=now,
        )
    return sent


def _count_by(rows: Sequence[Allocation], attr: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for r in rows:
        out[str(getattr(r, attr))] += 1
    return dict(out)


def _is_allocation_day(fw: Framework, d: date) -> bool:
    month = Month.of(d)
    return is_active(fw, month) and d == allocation_day(fw, month)


def _run(ctx: JobContext) -> JobResult:
    month = Month.of(ctx.now.astimezone(ctx.tz).date())
    result = allocate_month(
        ctx.session, ctx.framework, month, now=ctx.now, tz=ctx.tz, actor="scheduler"
    )
    return JobResult(
        enqueued=result.enqueued,
        changed=result.created,
        notes=tuple(s.message for s in result.plan.shortfalls),
    )


ALLOCATE_MONTH = Job(
    name="allocate_month",
    description="Make the month's allocations and send each person their list",
    run=_run,
    at=lambda fw: fw.allocation.time,
    on=_is_allocation_day,
)
