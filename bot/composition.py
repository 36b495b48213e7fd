"""What the bot answers and what it runs on its own: the one list of each.

Every conversation the router knows and every job the scheduler ticks is named here,
in order, and nowhere else: a feature module defines its `CONVERSATION` and its jobs
as values, and does not register itself by being imported. Adding a feature means
adding it to these lists; a test checks every button and form the templates can
produce has a route here, and every job here is scheduled.

Order matters only for hooks: they run in the order their conversations are listed
(an audit's escalation is asked for before it is selected for moderation).
"""

from __future__ import annotations

from handlers import (
    allocation,
    allocation_lead,
    audit,
    calibration_case,
    case_reviews,
    closing,
    escalation,
    escalation_actions,
    inspection,
    menu,
    moderation,
    more_time,
    observations,
    progress_packs,
    qa_alerts,
    recommendations,
    status,
)
from handlers.conversation import Conversation
from handlers.router import Router
from handlers.turn import Hooks
from reminders import allocations, drafts, qa_calendar, retention, summary, tracking
from reminders import calibration_case as calibration_case_jobs
from reminders import case_reviews as case_review_jobs
from reminders import inspection as inspection_jobs
from reminders import moderation as moderation_jobs
from reminders import progress_packs as progress_pack_jobs
from reminders import qa_alerts as qa_alert_jobs
from reminders.jobs import Job
from reminders.moderation_focus import MODERATION_FOCUS


def conversations() -> tuple[Conversation, ...]:
    return (
        menu.CONVERSATION,
        status.CONVERSATION,
        allocation.CONVERSATION,
        allocation_lead.CONVERSATION,
        audit.CONVERSATION,
        escalation.CONVERSATION,
        moderation.CONVERSATION,
        closing.CONVERSATION,  # after moderation's hooks: final only when none follows
        escalation_actions.CONVERSATION,
        recommendations.CONVERSATION,
        more_time.CONVERSATION,
        case_reviews.CONVERSATION,
        progress_packs.CONVERSATION,
        qa_alerts.CONVERSATION,
        inspection.CONVERSATION,
        observations.CONVERSATION,
        calibration_case.CONVERSATION,
    )


def router(*, hooks: Hooks | None = None) -> Router:
    """The router of the whole product; `hooks` replaces the composed hooks (tests)."""
    return Router(conversations(), fallback=menu.didnt_catch, hooks=hooks)


def jobs() -> dict[str, Job]:
    """Every scheduled job by name, in the order a tick runs them."""
    listed: tuple[Job, ...] = (
        allocations.ALLOCATE_MONTH,
        drafts.DRAFT_REMINDERS,
        moderation_jobs.MODERATION_ASSIGN,
        moderation_jobs.MODERATION_REMINDERS,
        MODERATION_FOCUS,
        *tracking.TRACKING_JOBS,
        case_review_jobs.WEEKLY_REVIEWS,
        inspection_jobs.INSPECTION_CHASE,
        qa_calendar.QA_CALENDAR,
        progress_pack_jobs.PROGRESS_PACKS,
        calibration_case_jobs.CALIBRATION_CASE,
        summary.POST_SUMMARY,
        summary.WEEKLY_TRACKING,
        summary.QUARTERLY_ANALYSIS,
        summary.FRAMEWORK_REPORTS,
        qa_alert_jobs.WEEKLY_ALERTS,
        retention.RETENTION,
    )
    by_name: dict[str, Job] = {}
    for job in listed:
        if job.name in by_name:
            raise ValueError(f"job {job.name!r} is listed twice")
        by_name[job.name] = job
    return by_name
