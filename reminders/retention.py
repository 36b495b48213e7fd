"""The nightly retention job: apply the framework's retention policy at 02:00 local time.

A reconciler like every job: it removes what is past its period as of `now`, so a
night missed while the bot was down is caught up by the next run, and a second run
the same night finds nothing to do. The work itself is `storage.retention`; the
dry run is `qa-bot retention --dry-run`.
"""

from __future__ import annotations

from datetime import time

from reminders.jobs import Job, JobContext, JobResult
from storage.processed_events import prune
from storage.retention import apply_retention

RUN_AT = time(2, 0)  # quiet hours: nobody is mid-audit, the outbox is idle


def _run(ctx: JobContext) -> JobResult:
    report = apply_retention(
        session=ctx.session, framework=ctx.framework, now=ctx.now, actor="scheduler"
    )
    pruned = prune(session=ctx.session, now=ctx.now)
    notes = (*report.lines(), f"{pruned} once-only request key(s) pruned")
    return JobResult(changed=report.changed + pruned, notes=notes)


RETENTION = Job(
    name="retention",
    description="Anonymise old audits; delete old sent messages, audit-log rows and request keys",
    run=_run,
    at=lambda _fw: RUN_AT,
)
