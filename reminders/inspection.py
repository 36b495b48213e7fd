"""Inspection mode's chase: every working day, each auditor with an inspection audit to submit.

Inspection audits are urgent (`handlers/inspection.py`): inside the day's sending
window, each auditor with one not yet submitted gets one message listing their
inspection cases and deadlines, keyed by person and date, so a repeated tick sends
nothing twice and a day of downtime sends one chase, not two.
"""

from __future__ import annotations

from messages.inspection import chase_messages
from qa.send_window import in_send_window, to_local
from reminders.jobs import Job, JobContext, JobResult
from storage.inspection_mode import open_inspection_audits
from storage.outbox import enqueue


def run_inspection_chase(ctx: JobContext) -> JobResult:
    if not in_send_window(ctx.framework.reminders, ctx.now, ctx.tz):
        return JobResult()
    rows = open_inspection_audits(session=ctx.session)
    if not rows:
        return JobResult()
    today = to_local(ctx.now, ctx.tz).date()
    to_chase = [r for r in rows if to_local(r[0].started_at, ctx.tz).date() < today]
    sent = 0
    for message in chase_messages(ctx.session, ctx.framework, to_chase, today):
        sent += enqueue(session=ctx.session, message=message, now=ctx.now)
    return JobResult(enqueued=sent)


INSPECTION_CHASE = Job(
    "inspection_chase",
    "Inspection mode: chase each urgent inspection audit every working day until submitted",
    run_inspection_chase,
)
