"""The moderation jobs: assign what the dialog's hook missed, and remind moderators.

- `moderation_assign`, at every tick: every audit submitted (or resubmitted) since the
  start of last month that needs a moderation and has none for its round is selected
  and assigned, and its moderators asked. The audit dialog's after-submit hook does
  the same at once; this is the catch-up when that failed or a moderator was not
  free (next month's capacity takes a carried-over audit). Selection is seeded from
  the submission month, so the job agrees with the hook and with itself.
- `moderation_reminders`, at every tick: a moderator is reminded `n` working days
  before the due date (the framework's `reminders.before_due_working_days`) and on
  the day, inside working hours, once each (`moderation-due:<moderation id>:<n>`).
  A reminder missed while the bot was down goes at the next tick unless a closer one
  has come due since, which replaces it; none for a day on or before the one the
  moderation was assigned (the request told them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from messages.moderation import assign_and_request, queue_reminder
from qa.framework import ReminderPolicy
from qa.send_window import in_send_window, to_local, working_days_before
from qa.working_days import Month
from reminders.jobs import Job, JobContext, JobResult
from storage.audits import SUBMITTED
from storage.models import Audit, Moderation
from storage.moderations import OPEN, Candidates, recently_submitted


@dataclass(frozen=True)
class ModerationToRemind:
    """What the reminder rule needs of a moderation: its due date and when it was made."""

    id: int
    due_on: date
    created_on: date


def due_reminders(
    policy: ReminderPolicy, items: Iterable[ModerationToRemind], now: datetime, tz: ZoneInfo
) -> list[tuple[int, int]]:
    """(moderation id, working days before the due date: 0 on the day) due at `now`."""
    if not in_send_window(policy, now, tz):
        return []
    today = to_local(now, tz).date()
    out = []
    for item in items:
        if today > item.due_on:
            continue
        if today == item.due_on:
            if policy.on_due_day and item.created_on < today:
                out.append((item.id, 0))
            continue
        reached = [
            n
            for n in policy.before_due_working_days
            if n > 0 and item.created_on < working_days_before(policy, item.due_on, n) <= today
        ]
        if reached:
            out.append((item.id, min(reached)))
    return out


def _since(now: datetime, tz: ZoneInfo) -> datetime:
    """The start of last month, local time: how far back the catch-up looks."""
    first = Month.of(to_local(now, tz).date()).shift(-1).first
    return datetime.combine(first, time.min, tzinfo=tz).astimezone(UTC)


def run_assign(ctx: JobContext) -> JobResult:
    audits = recently_submitted(session=ctx.session, since=_since(ctx.now, ctx.tz))
    candidates = Candidates(audits, ctx.now, ctx.tz)
    done = assign_and_request(session=ctx.session, framework=ctx.framework, candidates=candidates)
    notes = tuple(f"audit {u.audit_id} unassigned: {u.reason}" for u in done.unassigned)
    return JobResult(enqueued=len(done.created), changed=len(done.created), notes=notes)


def run_reminders(ctx: JobContext) -> JobResult:
    rows = ctx.session.exec(
        select(Moderation)
        .join(Audit, col(Audit.id) == col(Moderation.audit_id))
        .where(col(Moderation.status).in_(OPEN))
        .where(Audit.status == SUBMITTED)
        .order_by(col(Moderation.id))
    ).all()
    by_id = {r.id or 0: r for r in rows}
    items = [
        ModerationToRemind(r.id or 0, r.due_on, r.created_at.astimezone(ctx.tz).date())
        for r in rows
    ]
    sent = 0
    for moderation_id, days in due_reminders(ctx.framework.reminders, items, ctx.now, ctx.tz):
        sent += queue_reminder(
            session=ctx.session,
            moderation=by_id[moderation_id],
            days=days,
            now=ctx.now,
        )
    return JobResult(enqueued=sent)


MODERATION_ASSIGN = Job(
    "moderation_assign",
    "Select and assign moderators for submitted audits not yet assigned",
    run_assign,
)
MODERATION_REMINDERS = Job(
    "moderation_reminders",
    "Remind moderators before their moderations are due",
    run_reminders,
)
