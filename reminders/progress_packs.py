"""Progress packs at each follow-up window (City of London QAF 2023, Review Cycle).

"June/July: evidence of recommendations being progressed ... Reviewed and signed off in
'Achieving Excellence' meeting chaired by AD People" (and December/January). For each
window with `progress_pack: true`, from its first working day and while it lasts, inside
working hours: the pack of recommendations due by the window's end is made once
(`storage.progress_packs`) and sent to each QA lead once (a key per pack and person).
Run again, or after downtime within the window, it adds and sends nothing new.
"""

from __future__ import annotations

from messages.progress_packs import pack_context, pack_key
from messages.tracking import first_name
from qa.framework import FollowUpWindow
from qa.qa_calendar import first_working_day
from qa.send_window import in_send_window, to_local
from qa.working_days import Month
from reminders.jobs import Job, JobContext, JobResult
from storage.outbox import Message, enqueue
from storage.progress_packs import make_pack, pack_rows
from storage.tracking import directory

TEMPLATE = "progress_pack"


def window_start(window: FollowUpWindow, month: Month) -> Month | None:
    """The month the window holding `month` opened ([12, 1] in January: December)."""
    if month.month not in window.months:
        return None
    start = month
    for _ in range(len(window.months) - 1):
        before = start.shift(-1)
        if before.month not in window.months:
            break
        start = before
    return start


def run_progress_packs(ctx: JobContext) -> JobResult:
    policy = ctx.framework.reminders
    windows = [w for w in ctx.framework.follow_up_windows if w.progress_pack]
    if not windows or not in_send_window(policy, ctx.now, ctx.tz):
        return JobResult()
    today = to_local(ctx.now, ctx.tz).date()
    staff = None
    sent = changed = 0
    for window in windows:
        start = window_start(window, Month.of(today))
        if start is None or today < first_working_day(policy, start):
            continue
        due_by = start.shift(len(window.months) - 1).last
        pack = make_pack(
            session=ctx.session, window=window.label, month=start.key, due_by=due_by, now=ctx.now
        )
        changed += pack.created_at == ctx.now
        rows = pack_rows(session=ctx.session, pack_id=pack.id or 0)
        staff = staff or directory(session=ctx.session)
        for person in staff.role_holders().get(ctx.framework.qa_lead_role, ()):
            key = pack_key(pack.id or 0, person)
            context = pack_context(
                pack=pack,
                rows=rows,
                message_key=key,
                first_name=first_name(staff.name(person)),
                due_by=due_by,
                today=today,
            )
            message = Message(TEMPLATE, key, context, person_id=person)
            sent += enqueue(session=ctx.session, message=message, now=ctx.now)
    return JobResult(enqueued=sent, changed=changed)


PROGRESS_PACKS = Job(
    "progress_packs",
    "At each follow-up window, the QA lead's pack of recommendations due, to sign off",
    run_progress_packs,
)
