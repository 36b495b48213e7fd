"""The weekly review until Good (Lambeth's PRIMs): each week, ask the owner for the outcome.

Lambeth QAF 4: "The case is then reviewed by the practice assurance team through
Practice Review Improvement Meetings (PRIMs) at weekly intervals until practice and
decision making is evaluated as 'Good' or better." Each tick reconciles the reviews
(`storage.case_reviews`: started for a case whose latest grade is below good, ended at
Good), then, on the week's escalation day (or the first working day after it) inside
working hours, makes this week's meeting of each open review and prompts its owner to
record the outcome. Keys are per meeting, meetings per ISO week: a run repeated sends
nothing twice, a run after downtime sends this week's prompt only. The first meeting
is the week after the grade. Messages carry the case reference and grades, no names.
"""

from __future__ import annotations

from typing import Any

from messages.tracking import first_name, route
from qa.send_window import in_send_window, iso_week, to_local, weekly_slot
from reminders.jobs import Job, JobContext, JobResult
from storage.case_reviews import meeting_for, meetings, open_reviews, prompt_key, reconcile
from storage.models import Case
from storage.outbox import Message, enqueue
from storage.tracking import directory

TEMPLATE = "review_prompt"


def run_weekly_reviews(ctx: JobContext) -> JobResult:
    done = reconcile(session=ctx.session, framework=ctx.framework, now=ctx.now)
    changed = done.started + done.ended
    policy = ctx.framework.reminders
    if not in_send_window(policy, ctx.now, ctx.tz):
        return JobResult(changed=changed)
    today = to_local(ctx.now, ctx.tz).date()
    slot = weekly_slot(policy, today, ctx.framework.escalation.overdue_actions_weekday)
    if slot is None or today < slot:
        return JobResult(changed=changed)
    week = iso_week(today)
    staff = None
    sent = 0
    for review in open_reviews(session=ctx.session):
        started = review.started_at.astimezone(ctx.tz).date()
        if started.isocalendar()[:2] >= today.isocalendar()[:2]:
            continue  # the first meeting is the week after the grade
        meeting = meeting_for(session=ctx.session, review=review, week=week, now=ctx.now)
        if meeting.recorded_at is not None:
            continue
        staff = staff or directory(session=ctx.session)
        case = ctx.session.get(Case, review.case_id)
        held = [m for m in meetings(session=ctx.session, review_id=review.id or 0) if m.grade]
        last = held[-1].grade if held else review.grade
        key = prompt_key(meeting.id or 0)
        context: dict[str, Any] = {
            "first_name": first_name(staff.name(review.owner_id)),
            "reference": case.reference if case else None,
            "grade": _label(ctx, last),
            "week_of": slot.isoformat(),
            "held": len(held),
            "routing_key": route("review", meeting.id or 0, key),
        }
        message = Message(TEMPLATE, key, context, person_id=review.owner_id)
        sent += enqueue(session=ctx.session, message=message, now=ctx.now)
    return JobResult(enqueued=sent, changed=changed)


def _label(ctx: JobContext, grade: str | None) -> str | None:
    fw = ctx.framework
    return fw.grade(grade).label if grade in fw.grade_keys else grade


WEEKLY_REVIEWS = Job(
    "weekly_reviews",
    "Weekly case reviews until Good: ask the owner for each meeting's outcome",
    run_weekly_reviews,
)
