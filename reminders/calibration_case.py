"""The monthly calibration case: send it to everyone who audits, then the result to the QA leads.

From the month's send day (`calibration.working_day`) until its close day, inside the
send window, every active holder of a `calibration.roles` role is sent the case's
prompt; someone who joins mid-month is sent it on the next tick. On the close day
(`open_working_days` working days later) the case closes and each QA lead is sent
the result: counts per grade per domain beside the reference grade, never who graded
what. Keys are per month and person, so a run repeated, or after downtime, sends
nothing twice. A month with no case set sends nothing, but in the three working days
before its send day the QA leads are reminded to set it, with the button that does.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from messages.calibration_case import month_label, result_context
from messages.tracking import first_name, route
from qa.calibration_case import close_day, send_day
from qa.send_window import in_send_window, to_local, working_days_before
from qa.working_days import Month
from reminders.jobs import Job, JobContext, JobResult
from storage.calibration_cases import (
    case_for,
    graders,
    nudge_key,
    prompt_key,
    prompts_sent,
    result_key,
)
from storage.models import CalibrationCase
from storage.outbox import Message, enqueue

PROMPT = "calibration_prompt"
NUDGE_WORKING_DAYS = 3  # how early the QA leads are reminded to set a month's case
RESULT = "calibration_result"


def run_calibration_case(ctx: JobContext) -> JobResult:
    policy = ctx.framework.calibration
    if policy is None or not in_send_window(ctx.framework.reminders, ctx.now, ctx.tz):
        return JobResult()
    today = to_local(ctx.now, ctx.tz).date()
    sent = changed = 0
    this = Month.of(today)
    # Last month's case may close in this month's first days: look at both.
    for month in (this.shift(-1), this):
        case = case_for(session=ctx.session, month=month.key)
        if case is None:
            continue
        opens = send_day(policy, ctx.framework.reminders, month)
        closes = close_day(policy, ctx.framework.reminders, opens)
        if today < opens:
            continue
        if today < closes and case.closed_at is None:
            if case.sent_at is None:
                case.sent_at, changed = ctx.now, changed + 1
                ctx.session.add(case)
            sent += _send_prompts(ctx, case, policy.roles, closes.isoformat())
        elif case.sent_at is not None:
            if case.closed_at is None:
                case.closed_at, changed = ctx.now, changed + 1
                ctx.session.add(case)
            sent += _send_results(ctx, case)
    # The reminder to set a case may fall in the month before its send day.
    sent += sum(_nudge(ctx, month, today) for month in (this, this.shift(1)))
    return JobResult(enqueued=sent, changed=changed)


def _nudge(ctx: JobContext, month: Month, today: date) -> int:
    """In the working days before the send day, remind the QA leads to set the month's
    case if nobody has (with the button that sets it); once per month and lead."""
    policy = ctx.framework.calibration
    if policy is None or case_for(session=ctx.session, month=month.key) is not None:
        return 0
    opens = send_day(policy, ctx.framework.reminders, month)
    if not working_days_before(ctx.framework.reminders, opens, NUDGE_WORKING_DAYS) <= today:
        return 0
    if today > opens:
        return 0
    sent = 0
    for lead in graders(session=ctx.session, roles=[ctx.framework.qa_lead_role]):
        context = {
            "result": None,
            "nudge": True,
            "first_name": first_name(lead.name),
            "set_month": month_label(month.key),
            "set_already": False,
            "send_on": opens.isoformat(),
            "routing_key": route("calset", month.year * 100 + month.month, "calibration-set"),
        }
        key = nudge_key(month.key, lead.id or 0)
        sent += enqueue(
            session=ctx.session,
            message=Message(RESULT, key, context, person_id=lead.id),
            now=ctx.now,
        )
    return sent


def _send_prompts(ctx: JobContext, case: CalibrationCase, roles: list[str], closes: str) -> int:
    sent = 0
    for person in graders(session=ctx.session, roles=roles):
        key = prompt_key(case.month, person.id or 0)
        context: dict[str, Any] = {
            "first_name": first_name(person.name),
            "month": month_label(case.month),
            "closes_on": closes,
            "routing_key": route("calcase", case.id or 0, key),
        }
        message = Message(PROMPT, key, context, person_id=person.id)
        sent += enqueue(session=ctx.session, message=message, now=ctx.now)
    return sent


def _send_results(ctx: JobContext, case: CalibrationCase) -> int:
    leads = graders(session=ctx.session, roles=[ctx.framework.qa_lead_role])
    if not leads:
        return 0
    asked = prompts_sent(session=ctx.session, month=case.month)
    result = result_context(
        session=ctx.session, framework=ctx.framework, case=case, sent=asked, final=True
    )
    sent = 0
    for lead in leads:
        context = {"result": result, "first_name": first_name(lead.name), "set_month": None}
        message = Message(RESULT, result_key(case.month, lead.id or 0), context, person_id=lead.id)
        sent += enqueue(session=ctx.session, message=message, now=ctx.now)
    return sent


CALIBRATION_CASE = Job(
    "calibration_case",
    "The monthly calibration case: send it to everyone who audits, the result to the QA leads",
    run_calibration_case,
)
