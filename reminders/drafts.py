"""Draft audits are reminded before their due date (issue: never lose an answer).

A level-triggered reconciler: at each run it finds drafts whose allocation is due
within the framework's reminder days and queues one reminder per draft per
threshold, keyed `draft-reminder:<audit>:<n>wd`, with a Continue button. Reminders
go out on working days, inside working hours, never in quiet hours.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select

from qa.framework import Framework
from qa.send_window import in_send_window
from qa.working_days import working_days_after
from reminders.jobs import Job, JobContext, JobResult
from storage.models import Allocation, Audit, Case
from storage.outbox import Message, enqueue

DRAFT = ("draft", "returned")


def working_days_until(today: date, due: date, *, bank_holidays: bool) -> int:
    """How many working days from `today` until `due` (0 when due today or past)."""
    n = 0
    while working_days_after(today, n, bank_holidays=bank_holidays) < due:
        n += 1
        if n > 60:
            break
    return n


def _run(ctx: JobContext) -> JobResult:
    fw: Framework = ctx.framework
    policy = fw.reminders
    local = ctx.now.astimezone(ctx.tz)
    bank = policy.bank_holidays != "none"
    if not in_send_window(policy, ctx.now, ctx.tz):
        return JobResult()
    thresholds = sorted(set(policy.before_due_working_days) | ({0} if policy.on_due_day else set()))
    rows = ctx.session.exec(
        select(Audit, Allocation, Case)
        .join(Allocation, col(Audit.allocation_id) == col(Allocation.id))
        .join(Case, col(Audit.case_id) == col(Case.id))
        .where(col(Audit.status).in_(DRAFT))
        .where(col(Allocation.due_on) >= local.date())
    ).all()
    sent = 0
    for audit, allocation, case in rows:
        left = working_days_until(local.date(), allocation.due_on, bank_holidays=bank)
        due = [t for t in thresholds if left <= t]
        if not due:
            continue
        threshold = min(due)  # the closest one only: a missed earlier reminder is not sent late
        key = f"draft-reminder:{audit.id}:{threshold}wd"
        sent += enqueue(
            session=ctx.session,
            message=Message(
                "audit_draft_reminder",
                key,
                {
                    "reference": case.reference,
                    "due": allocation.due_on.isoformat(),
                    "today": threshold == 0,
                    "audit_key": f"audit:{audit.id}",
                },
                person_id=audit.auditor_id,
            ),
            now=ctx.now,
        )
    return JobResult(enqueued=sent)


DRAFT_REMINDERS = Job(
    name="draft_reminders",
    description="Remind auditors of unfinished drafts before they are due",
    run=_run,
)
