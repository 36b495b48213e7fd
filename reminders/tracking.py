"""The tracking jobs: escalations, reminders, digests, chasers and weekly reviews.

Each job is a small reconciler run at every tick: it reads what is open, asks the
pure rules (`qa.tracking`, `qa.grading`) what should exist by `now`, and enqueues
each message under the rule's idempotency key, so a repeated tick sends nothing
twice and a tick after downtime sends one message of each kind. The rules hold
messages to working hours; escalation requests made here are held the same way,
except urgent ones, which go at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlmodel import col, select

from messages.escalations import send_requests
from messages.tracking_dues import message_for, snapshot
from qa.grading import re_escalation
from qa.tracking import (
    Due,
    assignment_notices,
    before_due_reminders,
    case_review_reminders,
    overdue_digests,
    urgent_chasers,
    weekly_overdue_escalations,
)
from qa.tracking_types import ASSIGNMENT_NOTICE_WINDOW
from qa.working_days import Month
from reminders.allocations import queue_prompts
from reminders.jobs import Job, JobContext, JobResult
from storage.escalations import allocate_caseload, escalate_audit, graded_at
from storage.models import Audit, Case, Escalation
from storage.outbox import enqueue
from storage.tracking import (
    GRADED,
    INFORMED,
    OPEN,
    cases_under_review,
    directory,
    open_escalations,
    plan_of,
    siblings,
)
from storage.tracking_records import save_plans

# Audits graded this recently are checked for escalations the dialog's hook missed.
AUDIT_LOOKBACK = timedelta(days=14)


def _enqueue_dues(ctx: JobContext, dues: Iterable[Due]) -> int:
    dues = list(dues)
    if not dues:
        return 0
    snap = snapshot(ctx.session)
    sent = 0
    for due in dues:
        message = message_for(ctx.session, ctx.framework, snap, due, tz=ctx.tz, now=ctx.now)
        if message is not None:
            sent += enqueue(session=ctx.session, message=message, now=ctx.now)
    return sent


# -- escalations -------------------------------------------------------------------


def run_audit_escalations(ctx: JobContext) -> JobResult:
    """Requests for recently graded or flagged audits, and any request not yet sent."""
    since = ctx.now - AUDIT_LOOKBACK
    audits = ctx.session.exec(
        select(Audit).where(col(Audit.updated_at) >= since).order_by(col(Audit.id))
    ).all()
    staff = directory(session=ctx.session)
    created: list[Escalation] = []
    for audit in audits:
        if audit.status not in GRADED and not audit.urgent_flags:
            continue
        when = graded_at(audit)
        if audit.status in GRADED and (when is None or when < since):
            continue
        created += escalate_audit(
            session=ctx.session,
            framework=ctx.framework,
            audit=audit,
            staff=staff,
            now=ctx.now,
            tz=ctx.tz,
        )
        caseload = allocate_caseload(
            session=ctx.session, framework=ctx.framework, audit=audit, now=ctx.now, tz=ctx.tz
        )
        if caseload:  # what the hook missed; the month's top-up prompt lists it
            queue_prompts(
                session=ctx.session,
                framework=ctx.framework,
                month=Month.parse(caseload[0].month),
                now=ctx.now,
            )
    # Requests made earlier but not sent (outside working hours, or by a hook that
    # failed). Urgent flags raised in the audit dialog are messaged by the dialog.
    recent = ctx.session.exec(
        select(Escalation)
        .where(col(Escalation.created_at) >= ctx.now - ASSIGNMENT_NOTICE_WINDOW)
        .where(col(Escalation.status).in_([OPEN, INFORMED]))
        .where(col(Escalation.kind).in_(["grade", "dip_sample"]))
        .order_by(col(Escalation.id))
    ).all()
    return _send(ctx, [*created, *(r for r in recent if r not in created)], "request", created)


def run_re_escalations(ctx: JobContext) -> JobResult:
    """An open request past its deadline goes one level up (new rows, new requests)."""
    staff = directory(session=ctx.session)
    created: list[Escalation] = []
    for row in open_escalations(session=ctx.session):
        if ctx.now <= row.deadline:
            continue
        case = ctx.session.get(Case, row.case_id) if row.case_id is not None else None
        asked = [r.owner_id for r in siblings(session=ctx.session, row=row)]
        plans = re_escalation(
            ctx.framework,
            plan_of(row),
            now=ctx.now,
            tz=ctx.tz,
            role_holders=staff.holders_for_case(case),
            service_ad_ids=staff.service_ads(case.service_id if case else None),
            line_manager_of=staff.line_managers(),
            exclude=asked,
        )
        created += save_plans(session=ctx.session, plans=plans, now=ctx.now)
    return _send(ctx, created, "re_escalated", created)


def _send(
    ctx: JobContext, rows: list[Escalation], stage: str, created: list[Escalation]
) -> JobResult:
    """Queue the requests of `rows` not queued yet; the run changed `created`."""
    sent = send_requests(
        session=ctx.session, framework=ctx.framework, rows=rows, stage=stage, tz=ctx.tz, now=ctx.now
    )
    return JobResult(enqueued=sent, changed=len(created))


def run_urgent_chasers(ctx: JobContext) -> JobResult:
    items = snapshot(ctx.session).items(ctx.framework)
    return JobResult(enqueued=_enqueue_dues(ctx, urgent_chasers(items, ctx.now)))


# -- recommendations and escalation deadlines --------------------------------------


def run_reminders(ctx: JobContext) -> JobResult:
    """New actions' notices, then "due in N working days" and "due today" reminders."""
    items = snapshot(ctx.session).items(ctx.framework)
    recs = [i for i in items if i.kind == "recommendation"]
    dues = [
        *assignment_notices(recs, ctx.now),
        *before_due_reminders(ctx.framework.reminders, items, ctx.now, ctx.tz),
    ]
    return JobResult(enqueued=_enqueue_dues(ctx, dues))


def run_overdue_digests(ctx: JobContext) -> JobResult:
    items = snapshot(ctx.session).items(ctx.framework)
    dues = overdue_digests(ctx.framework.reminders, items, ctx.now, ctx.tz)
    return JobResult(enqueued=_enqueue_dues(ctx, dues))


def run_weekly_escalations(ctx: JobContext) -> JobResult:
    snap = snapshot(ctx.session)
    items = snap.items(ctx.framework)
    escalate_to = snap.staff.overdue_escalate_to(ctx.framework, {i.owner_id for i in items})
    dues = weekly_overdue_escalations(
        ctx.framework.reminders, ctx.framework.escalation, items, escalate_to, ctx.now, ctx.tz
    )
    return JobResult(enqueued=_enqueue_dues(ctx, dues))


def run_case_reviews(ctx: JobContext) -> JobResult:
    reviews = cases_under_review(session=ctx.session, framework=ctx.framework, tz=ctx.tz)
    dues = case_review_reminders(ctx.framework, reviews, ctx.now, ctx.tz)
    if not dues:
        return JobResult()
    snap = snapshot(ctx.session)
    grades = {r.case_id: ctx.framework.grade(r.grade).label for r in reviews}
    sent = 0
    for due in dues:
        message = message_for(
            ctx.session,
            ctx.framework,
            snap,
            due,
            tz=ctx.tz,
            now=ctx.now,
            grade=grades.get(due.case_ids[0]) if due.case_ids else None,
        )
        if message is not None:
            sent += enqueue(session=ctx.session, message=message, now=ctx.now)
    return JobResult(enqueued=sent)


AUDIT_ESCALATIONS = Job(
    "audit_escalations", "Escalate worrying audits and urgent flags", run_audit_escalations
)
RE_ESCALATIONS = Job(
    "re_escalations", "Take requests past their deadline one level up", run_re_escalations
)
URGENT_CHASERS = Job(
    "urgent_chasers", "Chase urgent flags until someone responds", run_urgent_chasers
)
REMINDERS = Job(
    "action_reminders", "New-action notices and reminders before due dates", run_reminders
)
OVERDUE_DIGESTS = Job(
    "overdue_digests", "One digest a day of each person's overdue actions", run_overdue_digests
)
WEEKLY_ESCALATIONS = Job(
    "overdue_escalations",
    "Weekly overdue actions to the owners' seniors",
    run_weekly_escalations,
)
CASE_REVIEWS = Job(
    "case_reviews", "Weekly case reviews until graded good or better", run_case_reviews
)
TRACKING_JOBS = (
    AUDIT_ESCALATIONS,
    RE_ESCALATIONS,
    URGENT_CHASERS,
    REMINDERS,
    OVERDUE_DIGESTS,
    WEEKLY_ESCALATIONS,
    CASE_REVIEWS,
)
