"""A year of synthetic QA history for the demo authority, so the demo tells a story.

Why: a demo that starts with an empty database shows empty status figures and a board
summary with nothing to compare. This makes the thirteen months before `today`'s
month (last month's summary compares with a year earlier) and today's month so far
as the product itself would have: the real allocation engine
each month, the framework's moderation selection and assignment, its escalation
rules; then what people did, drawn from a seeded random generator. The grade mix
improves over the year (Good or better from about 55% to about 75%), re-audits of
cases below Good mostly move up, ~15% of moderations regrade, ~70% of recommendations
are done on time, most escalations are answered. Texts come from small phrase banks
(`demo.history_text`) that name nobody.

Pure: no clock (`today` is given), no I/O, no global random state. The same
framework, authority, `today` and seed always give the same history. Rows are keyed
by email, case reference and a local audit number (`demo.history_rows`);
`storage.seed_history` writes them.

Where things live: `_world` (people and cases numbered for the engines), `_build`
(allocations and audits), `_review` (moderation), `_actions` (recommendations and
escalations), `_answers` (the audit dialog's saved state), `_grades`, `_text`, `_days`.
"""

from __future__ import annotations

import random
from datetime import date
from zoneinfo import ZoneInfo

from demo.authority import DemoAuthority
from demo.history_actions import Actions
from demo.history_answers import state_json
from demo.history_build import AllocationRecord, AuditRecord, Builder
from demo.history_days import Days
from demo.history_lead import give_an_action, keep_a_moderation, keep_an_escalation, lead_month
from demo.history_review import Review
from demo.history_rows import (
    AuditEvent,
    DemoHistory,
    HistoryAllocation,
    HistoryAudit,
    HistoryEscalation,
    HistoryModeration,
    HistoryRecommendation,
)
from demo.history_world import World
from qa.framework import Framework
from qa.working_days import Month

__all__ = [
    "HISTORY_MONTHS",
    "AuditEvent",
    "DemoHistory",
    "HistoryAllocation",
    "HistoryAudit",
    "HistoryEscalation",
    "HistoryModeration",
    "HistoryRecommendation",
    "generate_history",
    "history_months",
]

# Whole months before today's month: thirteen, so that last month's board summary has
# the same month a year earlier to compare with.
HISTORY_MONTHS = 13
LONDON = ZoneInfo("Europe/London")


def history_months(today: date, months: int = HISTORY_MONTHS) -> tuple[Month, ...]:
    """The months covered: `months` whole months before today's, then today's."""
    current = Month.of(today)
    return tuple(current.shift(i - months) for i in range(months + 1))


def generate_history(
    framework: Framework,
    authority: DemoAuthority,
    *,
    today: date,
    seed: int = 2026,
    tz: ZoneInfo = LONDON,
    months: int = HISTORY_MONTHS,
) -> DemoHistory:
    """The demo authority's history up to (not including) `today`; see the module docstring."""
    if authority.framework != framework.name:
        raise ValueError(
            f"the demo authority was made for framework '{authority.framework}', "
            f"not '{framework.name}'"
        )
    rng = random.Random(f"demo-history:{framework.name}:{authority.seed}:{seed}")
    world = World(framework, authority)
    builder = Builder(world, rng, Days(framework, today, tz, rng))
    review = Review(builder)
    covered = history_months(today, months)
    builder.lead_month = lead_month(builder, covered)
    for i, month in enumerate(covered):
        builder.month(month, i / max(1, len(covered) - 1))
        review.moderate(month)
    keep_a_moderation(review)
    actions = Actions(builder, kept_open=give_an_action(builder))
    actions.run()
    lead = world.email.get(builder.lead) if builder.lead is not None else None
    keep_an_escalation(actions, lead)
    return DemoHistory(
        framework=framework.name,
        today=today,
        months=tuple(m.key for m in covered),
        allocations=tuple(_allocation(world, r) for r in builder.allocations),
        audits=tuple(_audit(world, a) for a in builder.audits),
        moderations=tuple(review.moderations),
        recommendations=tuple(actions.recommendations),
        escalations=tuple(actions.escalations),
        lead_month=builder.lead_month.key if builder.lead_month else None,
    )


def _allocation(world: World, r: AllocationRecord) -> HistoryAllocation:
    a = r.plan
    return HistoryAllocation(
        key=r.key,
        month=r.month.key,
        person=world.email[a.person_id],
        case=world.cases[a.case_id].reference if a.case_id is not None else None,
        activity=a.activity,
        due_on=a.due_on,
        reason=a.reason,
        status=r.status,
        created_at=r.created,
        updated_at=r.updated,
    )


def _audit(world: World, a: AuditRecord) -> HistoryAudit:
    dialog = world.dialog(a.area)
    submitted = a.submitted is not None
    state = state_json(dialog, a.answers, at=None if submitted else a.draft_step)
    events = tuple(AuditEvent(e, at, world.email[by]) for e, at, by in a.events)
    return HistoryAudit(
        key=a.key,
        allocation=a.allocation,
        case=world.cases[a.case_id].reference,
        auditor=world.email[a.auditor],
        activity=a.activity,
        area=a.area,
        status=a.status,
        step=str(state["step"]),
        answers=state,
        domain_grades=dict(a.domains) if submitted else {},
        overall_grade=a.overall if submitted else None,
        final_grade=a.final,
        narrative=(
            {
                p.key: str(a.answers.get(f"narrative.{p.key}", ""))
                for p in world.framework.audit_form.narrative
            }
            if submitted
            else {}
        ),
        events=events,
        created_at=a.started,
        updated_at=max([a.started, *(at for _, at, _ in a.events)]),
        submitted_at=a.submitted,
        finalised_at=a.finalised,
    )
