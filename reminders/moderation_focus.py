"""The QA lead's moderation summary: where the figures raise the share moderated, and why.

Issue 15, sampling that follows the figures. Where the framework says
`moderation.follow_figures: true`, once a month, from the month's allocation day (the
day the QA lead's allocation summary goes) inside working hours, each QA lead is told
which domains moderators agree with too seldom and which auditors' grades are often
changed, with the share of their audits now moderated and the counts behind it
(`qa.moderation_focus.focus_lines`, from the same figures the selection uses). One
message per lead per month (`moderation-focus:<month>:<lead id>`): a run repeated
sends nothing twice; a month whose figures raise nothing sends nothing.
"""

from __future__ import annotations

from sqlmodel import col, select

from messages.moderation import queue_focus
from qa.allocation_rules import allocation_day
from qa.moderation import DRIFT_MIN_MODERATIONS, DRIFT_WINDOW_MONTHS
from qa.moderation_focus import figures, focus_lines
from qa.send_window import in_send_window, to_local
from qa.working_days import Month
from reminders.jobs import Job, JobContext, JobResult
from storage.models import Person
from storage.moderation_inputs import selection_history


def run_focus(ctx: JobContext) -> JobResult:
    framework = ctx.framework
    if not framework.moderation.follow_figures:
        return JobResult()
    if not in_send_window(framework.reminders, ctx.now, ctx.tz):
        return JobResult()
    today = to_local(ctx.now, ctx.tz).date()
    month = Month.of(today)
    if today < allocation_day(framework, month):
        return JobResult()
    history = selection_history(session=ctx.session, framework=framework, tz=ctx.tz)
    found = figures(
        framework,
        month,
        history,
        window_months=DRIFT_WINDOW_MONTHS,
        min_moderations=DRIFT_MIN_MODERATIONS,
    )
    if not found.auditors and not found.domains:
        return JobResult()
    ids = sorted(found.auditors)
    names = {
        p.id or 0: p.name for p in ctx.session.exec(select(Person).where(col(Person.id).in_(ids)))
    }
    lines = focus_lines(framework, found, names)
    sent = queue_focus(
        session=ctx.session, framework=framework, month=month, lines=lines, now=ctx.now
    )
    return JobResult(enqueued=sent)


MODERATION_FOCUS = Job(
    "moderation_focus",
    "Tell the QA lead where the figures raise the share moderated this month, and why",
    run_focus,
)
