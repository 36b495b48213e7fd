"""The governance summary jobs: the monthly post, weekly tracking and quarterly analysis.

- `post_summary`, on the framework's summary day (`summary.working_day`-th working day
  of the month, at `summary.time`): last month's summary to each governance channel
  (`summary.post_to`, or all of them), one message per channel, key
  `summary:<channel>:<YYYY-MM>`. `qa-bot summary --post` queues the same messages
  (`queue_summary`), so the job and the command never post a month twice.
- `weekly_tracking`, on `summary.weekly_tracking_weekday` (the next working day of
  that week when it is a bank holiday): each holder of a `weekly_tracking_roles` role
  gets their team's (or service's, or everyone's, as their role sees) figures for
  the month so far, key `weekly_tracking:<person>:<ISO year>-W<week>`.
- `quarterly_analysis`, on the summary day of each `quarterly_analysis_months` month:
  each holder of a `quarterly_analysis_roles` role gets the three months before,
  key `quarterly_analysis:<person>:<last month covered, YYYY-MM>`.

- `framework_reports`, on the summary day: the reports the framework sets on its own
  rhythm (`summary.reports`: monthly, quarterly in the months the board sits, or after
  each review window closes), to their channels (key
  `report:<index>:<first>..<last month>:channel:<channel>`) and to each holder of a
  `send_to` role with the figures their role sees (key `...:<person>`).

Reconcilers, like every job: a run works out what should exist by `now` and queues
what is missing, so a run missed while the bot was down is caught up once, and a run
repeated queues nothing. Channels get aggregates with small numbers suppressed
(`small_number_threshold`); a manager's own weekly figures are within what their role
already sees, so every number is shown there.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from messages.summary import (
    quarter_months,
    quarterly_context,
    report_context,
    summary_post_context,
    weekly_context,
)
from messages.tracking import first_name
from qa.allocation_rules import uses_bank_holidays
from qa.framework import Framework, Report, ReviewWindow
from qa.reporting import Summary
from qa.working_days import Month, is_working_day, nth_working_day
from reminders.jobs import JobContext, JobResult, at_summary_time
from reminders.qa_alerts import period_facts
from reminders.timing import local_instant
from storage.models import Person, Service, Team
from storage.outbox import Message, enqueue
from storage.reporting import load_summary, report_rows
from storage.tracking import directory

POST, WEEKLY, QUARTERLY = "summary_post", "weekly_tracking", "quarterly_analysis"
REPORT = "framework_report"
# A report's title when the framework file gives it no `label`.
REPORT_TITLES = {
    "month": "Monthly report",
    "quarter": "Quarterly report",
    "review_window": "Review window report",
}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
THRESHOLD_ENV = "QA_BOT_SMALL_NUMBER_THRESHOLD"  # the variable `Settings` documents
DEFAULT_THRESHOLD = 5


def small_number_threshold() -> int:
    """The channel threshold for scheduled posts: `QA_BOT_SMALL_NUMBER_THRESHOLD`, else 5.

    Jobs are handed no settings (`JobContext`), so the job reads the variable itself;
    a value that is not a whole number of 1 or more falls back to the safe default.
    """
    raw = os.environ.get(THRESHOLD_ENV, "")
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_THRESHOLD
    return value if value >= 1 else DEFAULT_THRESHOLD


# -- when ---------------------------------------------------------------------------


def summary_day(fw: Framework, month: Month) -> date:
    return nth_working_day(month, fw.summary.working_day, bank_holidays=uses_bank_holidays(fw))


def latest_due_month(fw: Framework, now: datetime, tz: ZoneInfo) -> Month:
    """The month whose summary is due by `now`: last month once this month's day has come."""
    this = Month.of(now.astimezone(tz).date())
    due = local_instant(summary_day(fw, this), fw.summary.time, tz)
    return this.shift(-1) if now >= due else this.shift(-2)


def weekly_day(fw: Framework, day: date) -> date | None:
    """The day of `day`'s week the tracking goes: the weekday, or the next working day."""
    monday = day - timedelta(days=day.weekday())
    target = monday + timedelta(days=WEEKDAYS.index(fw.summary.weekly_tracking_weekday))
    bank = uses_bank_holidays(fw)
    while target.weekday() < 5 and not is_working_day(target, bank_holidays=bank):
        target += timedelta(days=1)
    return target if target - monday < timedelta(days=7) else None


# -- the monthly post -----------------------------------------------------------------


@dataclass(frozen=True)
class PostResult:
    channels: tuple[str, ...]  # the channel keys posted to
    queued: int  # messages queued now; the rest were queued before


def channels_for(fw: Framework) -> list[tuple[str, str]]:
    """(key, name) of the channels the summary goes to: `post_to`, or every one."""
    wanted = set(fw.summary.post_to)
    return [(c.key, c.name) for c in fw.governance if not wanted or c.key in wanted]


def queue_summary(
    session: Session,
    framework: Framework,
    month: Month,
    *,
    now: datetime,
    tz: ZoneInfo,
    threshold: int,
) -> PostResult:
    """One summary message per governance channel for `month` (once: keyed)."""
    channels = channels_for(framework)
    if not channels:
        return PostResult((), 0)
    s = load_summary(
        session=session,
        framework=framework,
        month=month,
        tz=tz,
        today=now.astimezone(tz).date(),
        threshold=threshold,
    )
    queued = 0
    for key, name in channels:
        context = summary_post_context(s, channel=name)
        message = Message(POST, f"summary:{key}:{month.key}", context, channel=key)
        queued += enqueue(session=session, message=message, now=now)
    return PostResult(tuple(k for k, _ in channels), queued)


def run_post_summary(ctx: JobContext) -> JobResult:
    month = latest_due_month(ctx.framework, ctx.now, ctx.tz)
    result = queue_summary(
        ctx.session,
        ctx.framework,
        month,
        now=ctx.now,
        tz=ctx.tz,
        threshold=small_number_threshold(),
    )
    notes = () if result.channels else ("the framework file names no governance channel",)
    return JobResult(enqueued=result.queued, notes=notes)


# -- people and their scope -------------------------------------------------------------


def _holders(session: Session, roles: Collection[str]) -> list[Person]:
    staff = directory(session=session)
    return [p for p in staff.people.values() if set(p.roles or ()) & set(roles)]


def _scope(
    fw: Framework, session: Session, person: Person, roles: Collection[str]
) -> tuple[str, tuple[int, ...] | None] | None:
    """(label, team ids or None for all) a person's figures cover; None: cannot tell."""
    order = ("own", "team", "service", "all")
    known = set(fw.role_keys)
    sees = max(
        (fw.role(r).sees for r in person.roles or () if r in roles and r in known),
        key=order.index,
        default="own",
    )
    if sees == "all":
        return "All services", None
    team = session.get(Team, person.team_id) if person.team_id is not None else None
    if team is None or team.id is None:
        return None
    if sees == "service":
        service = session.get(Service, team.service_id)
        ids = session.exec(select(Team.id).where(Team.service_id == team.service_id)).all()
        label = f"Service: {service.name if service else ''}"
        return label, tuple(i for i in ids if i is not None)
    return f"Team: {team.name}", (team.id,)


# -- weekly tracking and the quarterly analysis ----------------------------------------


def run_weekly_tracking(ctx: JobContext) -> JobResult:
    fw, today = ctx.framework, ctx.now.astimezone(ctx.tz).date()
    roles = fw.summary.weekly_tracking_roles
    if not roles:
        return JobResult()
    year, week, _ = today.isocalendar()
    month = Month.of(today)
    summaries: dict[tuple[int, ...] | None, Summary] = {}
    queued, skipped = 0, 0
    for person in _holders(ctx.session, roles):
        scope = _scope(fw, ctx.session, person, roles)
        if scope is None:
            skipped += 1
            continue
        label, teams = scope
        if teams not in summaries:
            summaries[teams] = load_summary(
                session=ctx.session, framework=fw, month=month, tz=ctx.tz,
                today=today, threshold=1, teams=teams,
            )  # fmt: skip
        context = weekly_context(
            summaries[teams],
            first_name=first_name(person.name),
            scope=label,
        )
        key = f"{WEEKLY}:{person.id}:{year}-W{week:02d}"
        queued += enqueue(
            session=ctx.session,
            message=Message(WEEKLY, key, context, person_id=person.id),
            now=ctx.now,
        )
    notes = (f"{skipped} manager(s) with no team: no figures sent",) if skipped else ()
    return JobResult(enqueued=queued, notes=notes)


def run_quarterly_analysis(ctx: JobContext) -> JobResult:
    fw = ctx.framework
    roles = fw.summary.quarterly_analysis_roles
    month = Month.of(ctx.now.astimezone(ctx.tz).date())
    if not roles or month.month not in fw.summary.quarterly_analysis_months:
        return JobResult()
    if ctx.now < local_instant(summary_day(fw, month), fw.summary.time, ctx.tz):
        return JobResult()
    last = month.shift(-1)
    first = quarter_months(last)[0]
    threshold = small_number_threshold()
    queued = 0
    for person in _holders(ctx.session, roles):
        scope = _scope(fw, ctx.session, person, roles)
        if scope is None:
            continue
        rows = report_rows(
            session=ctx.session, framework=fw, first=first, last=last, tz=ctx.tz, teams=scope[1]
        )
        context = quarterly_context(
            fw, last, rows, threshold=threshold, first_name=first_name(person.name)
        )
        context["scope"] = scope[0]
        key = f"{QUARTERLY}:{person.id}:{last.key}"
        queued += enqueue(
            session=ctx.session,
            message=Message(QUARTERLY, key, context, person_id=person.id),
            now=ctx.now,
        )
    return JobResult(enqueued=queued)


# -- reports on the framework's own rhythm (summary.reports) ---------------------------


def window_end(window: ReviewWindow) -> int | None:
    """The month a review window closes in: [10, 11] closes in 11, [12, 1] in 1."""
    months = set(window.months)
    ends = [m for m in window.months if m % 12 + 1 not in months]
    return ends[0] if ends else None  # every month listed: it never closes


def report_months(fw: Framework, report: Report, sent_in: Month) -> tuple[Month, ...]:
    """The months the report sent in `sent_in` covers; () when none is due that month."""
    last = sent_in.shift(-1)
    if report.every == "month":
        return (last,)
    if report.every == "quarter":
        return quarter_months(last) if sent_in.month in report.quarter_months else ()
    for window in fw.review_windows:
        if window_end(window) == last.month:
            run = 1
            while run < 12 and last.shift(-run).month in window.months:
                run += 1
            return tuple(last.shift(-i) for i in reversed(range(run)))
    return ()


def report_title(report: Report) -> str:
    return report.label or REPORT_TITLES[report.every]


def _report(
    ctx: JobContext,
    months: tuple[Month, ...],
    title: str,
    teams: tuple[int, ...] | None,
    scope: str,
    name: str | None,
    threshold: int,
) -> dict[str, Any]:
    """One report's context for one reader: the figures of `teams` (None: all)."""
    rows = report_rows(
        session=ctx.session, framework=ctx.framework, first=months[0], last=months[-1],
        tz=ctx.tz, teams=teams,
    )  # fmt: skip
    context = report_context(
        ctx.framework, months, rows, threshold=threshold, first_name=name, title=title, scope=scope
    )
    alerts = period_facts(ctx, months[0].first, months[-1].last, teams, threshold)
    return context | {"facts": [*context["facts"], *alerts]} if alerts else context


def run_framework_reports(ctx: JobContext) -> JobResult:
    """Queue each report due on the latest summary day: to its channels, to its roles."""
    fw = ctx.framework
    if not fw.summary.reports:
        return JobResult()
    sent_in = latest_due_month(fw, ctx.now, ctx.tz).shift(1)
    threshold = small_number_threshold()
    names = {c.key: c.name for c in fw.governance}
    queued, skipped = 0, 0
    for index, report in enumerate(fw.summary.reports):
        months = report_months(fw, report, sent_in)
        if not months:
            continue
        period = f"{months[0].key}..{months[-1].key}"
        title = report_title(report)

        for channel in report.post_to:
            if channel not in names:
                continue
            message = Message(
                REPORT,
                f"report:{index}:{period}:channel:{channel}",
                _report(ctx, months, title, None, "All services", None, threshold)
                | {"channel": names[channel]},
                channel=channel,
            )
            queued += enqueue(session=ctx.session, message=message, now=ctx.now)
        for person in _holders(ctx.session, report.send_to):
            scope = _scope(fw, ctx.session, person, report.send_to)
            if scope is None:
                skipped += 1
                continue
            message = Message(
                REPORT,
                f"report:{index}:{period}:{person.id}",
                _report(ctx, months, title, scope[1], scope[0], first_name(person.name), threshold)
                | {"channel": None},
                person_id=person.id,
            )
            queued += enqueue(session=ctx.session, message=message, now=ctx.now)
    notes = (f"{skipped} reader(s) with no team: no report sent",) if skipped else ()
    return JobResult(enqueued=queued, notes=notes)


def _is_summary_day(fw: Framework, d: date) -> bool:
    return d == summary_day(fw, Month.of(d))


POST_SUMMARY = at_summary_time(
    "post_summary",
    "Post last month's governance summary to each governance channel",
    run_post_summary,
    _is_summary_day,
)


def _is_weekly_day(fw: Framework, d: date) -> bool:
    return bool(fw.summary.weekly_tracking_roles) and d == weekly_day(fw, d)


WEEKLY_TRACKING = at_summary_time(
    "weekly_tracking",
    "Send managers their team's figures for the month so far",
    run_weekly_tracking,
    _is_weekly_day,
)


def _is_report_day(fw: Framework, d: date) -> bool:
    return bool(fw.summary.reports) and _is_summary_day(fw, d)


FRAMEWORK_REPORTS = at_summary_time(
    "framework_reports",
    "Send the reports the framework sets on its own rhythm, to channels and roles",
    run_framework_reports,
    _is_report_day,
)


def _is_quarterly_day(fw: Framework, d: date) -> bool:
    return (
        bool(fw.summary.quarterly_analysis_roles)
        and d.month in fw.summary.quarterly_analysis_months
        and _is_summary_day(fw, d)
    )


QUARTERLY_ANALYSIS = at_summary_time(
    "quarterly_analysis",
    "Send the quarterly analysis of audit findings to the Director",
    run_quarterly_analysis,
    _is_quarterly_day,
)
