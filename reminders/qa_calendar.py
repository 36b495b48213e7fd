"""The QA calendar job: remind each recurring activity's owners ahead of its month.

`qa.qa_calendar` says which calendar entries and recommendation follow-up windows are
due at `now` (inside working hours only) with a key per entry and month; here the
owner role becomes people, each with their own key (`calendar:0:2027-01:<person>`),
and an entry with a governance channel is also posted there once (`...:channel`).
A calendar reminder names an activity and a month or a day (weekly, fortnightly and
"after another" entries): nothing personal, fine for a channel.
"""

from __future__ import annotations

from typing import Any

from messages.tracking import first_name
from qa.qa_calendar import CalendarDue, calendar_reminders, first_working_day, follow_up_reminders
from reminders.jobs import Job, JobContext, JobResult
from storage.outbox import Message, enqueue
from storage.tracking import directory

TEMPLATE = "calendar_reminder"


def _context(ctx: JobContext, due: CalendarDue, name: str | None) -> dict[str, Any]:
    """The words' facts: a month entry's first working day, a dated entry's day, and for
    a deadline the entry it follows (its activity, and the day or month it was in)."""
    starts = first_working_day(ctx.framework.reminders, due.month)
    after = None
    if due.after is not None:
        a = due.after
        after = {
            "activity": a.activity,
            "on": a.on.isoformat() if a.on is not None else None,
            "month": f"{a.month.first:%B %Y}",
            "months": a.months,
            "days": a.days,
        }
    return {
        "kind": due.kind,
        "activity": due.activity,
        "month": f"{due.month.first:%B %Y}",
        "starts_on": starts.isoformat(),
        "first_name": name,
        "on": due.on.isoformat() if due.on is not None else None,
        "every": due.every,
        "after": after,
    }


def run_calendar(ctx: JobContext) -> JobResult:
    dues = [
        *calendar_reminders(ctx.framework, ctx.now, ctx.tz),
        *follow_up_reminders(ctx.framework, ctx.now, ctx.tz),
    ]
    if not dues:
        return JobResult()
    staff = directory(session=ctx.session)
    holders = staff.role_holders()
    channels = set(ctx.framework.channel_keys)
    sent = 0
    for due in dues:
        for person in holders.get(due.owner_role, ()):
            context = _context(ctx, due, first_name(staff.name(person)))
            message = Message(TEMPLATE, f"{due.key}:{person}", context, person_id=person)
            sent += enqueue(session=ctx.session, message=message, now=ctx.now)
        if due.channel in channels:
            message = Message(
                TEMPLATE, f"{due.key}:channel", _context(ctx, due, None), channel=due.channel
            )
            sent += enqueue(session=ctx.session, message=message, now=ctx.now)
    return JobResult(enqueued=sent)


QA_CALENDAR = Job(
    "qa_calendar", "Remind owners of recurring QA activities ahead of time", run_calendar
)
