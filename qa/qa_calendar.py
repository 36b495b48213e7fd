"""The recurring QA calendar: remind each activity's owner ahead of its month.

Frameworks list recurring activities by month (City of London's timeline, Camden's
bi-monthly meetings) with an owner role and `remind_days_before`, and the months in
which recommendations are followed up. The calendar says the month, not the day, so a
reminder is counted back from the month's first working day.

`remind_days_before` is read as calendar days: unlike `before_due_working_days` its
name does not say "working", and a QA lead reading "10 days before" counts on a wall
calendar. A reminder that lands on a weekend or bank holiday moves back to the working
day before, so it is never less notice than asked. Missed (the bot was down), it is
sent late until `CATCH_UP_DAYS` into the month, then it is stale and dropped.

Each reminder is keyed per entry and month (`calendar:<entry index>:<YYYY-MM>`,
`follow-up:<window index>:<YYYY-MM>`); the caller resolves the owner role to people
and adds each person to the key. The index is the entry's position in the framework
file: reordering entries mid-month can repeat a reminder, so edit calendars between
reminders, or append.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from qa.framework import CalendarEntry, FollowUpWindow, Framework, ReminderPolicy
from qa.send_window import in_send_window, is_policy_working_day, to_local
from qa.working_days import Month

# How far into the month a missed reminder is still worth sending.
CATCH_UP_DAYS = 7
# Follow-up windows have no lead time of their own: the calendar's default.
FOLLOW_UP_LEAD_DAYS: int = CalendarEntry.model_fields["remind_days_before"].default


@dataclass(frozen=True)
class CalendarDue:
    """Remind holders of `owner_role` that `activity` comes up in `month`."""

    kind: Literal["calendar", "follow_up"]
    index: int
    entry: CalendarEntry | FollowUpWindow
    activity: str
    month: Month
    owner_role: str
    channel: str | None
    key: str
    send_on: date


def first_working_day(policy: ReminderPolicy, month: Month) -> date:
    """The month's first working day under the framework's policy."""
    day = month.first
    while not is_policy_working_day(policy, day):
        day += timedelta(days=1)
    return day


def reminder_date(policy: ReminderPolicy, month: Month, days_before: int) -> date:
    """`days_before` calendar days before the month's first working day, on a working day."""
    day = first_working_day(policy, month) - timedelta(days=days_before)
    while not is_policy_working_day(policy, day):
        day -= timedelta(days=1)
    return day


def _months_ahead(today: date, days_before: int) -> list[Month]:
    """This month and every month whose reminder could already be due."""
    last = Month.of(today + timedelta(days=days_before + 31))
    first = Month.of(today)
    return [first.shift(i) for i in range(last.ordinal - first.ordinal + 1)]


def _due_months(
    policy: ReminderPolicy, today: date, days_before: int, months: Collection[int]
) -> Iterator[tuple[Month, date]]:
    """The months in `months` whose reminder, `days_before` their start, is due today,
    each with the day it was due on: calendar entries and follow-up windows alike."""
    for month in _months_ahead(today, days_before):
        if month.month not in months:
            continue
        send_on = reminder_date(policy, month, days_before)
        if send_on <= today <= month.first + timedelta(days=CATCH_UP_DAYS - 1):
            yield month, send_on


def calendar_reminders(
    framework: Framework, now: datetime, tz: ZoneInfo
) -> tuple[CalendarDue, ...]:
    """The calendar reminders due at `now` (inside the sending window only)."""
    policy = framework.reminders
    if not in_send_window(policy, now, tz):
        return ()
    today = to_local(now, tz).date()
    out = []
    for index, entry in enumerate(framework.calendar):
        for month, send_on in _due_months(policy, today, entry.remind_days_before, entry.months):
            out.append(
                CalendarDue(
                    kind="calendar",
                    index=index,
                    entry=entry,
                    activity=entry.activity,
                    month=month,
                    owner_role=entry.owner_role,
                    channel=entry.channel,
                    key=f"calendar:{index}:{month.key}",
                    send_on=send_on,
                )
            )
    return tuple(out)


def window_starts(window: FollowUpWindow) -> list[int]:
    """The months a follow-up window opens: [6, 7] opens in 6, [12, 1] in 12."""
    months = set(window.months)
    starts = [m for m in window.months if (m - 2) % 12 + 1 not in months]
    return starts or window.months[:1]  # every month listed: it "opens" in the first


def follow_up_reminders(
    framework: Framework, now: datetime, tz: ZoneInfo
) -> tuple[CalendarDue, ...]:
    """Remind the owner that a recommendations follow-up window is about to open."""
    policy = framework.reminders
    if not in_send_window(policy, now, tz):
        return ()
    today = to_local(now, tz).date()
    out = []
    for index, window in enumerate(framework.follow_up_windows):
        starts = window_starts(window)
        for month, send_on in _due_months(policy, today, FOLLOW_UP_LEAD_DAYS, starts):
            out.append(
                CalendarDue(
                    kind="follow_up",
                    index=index,
                    entry=window,
                    activity=window.label,
                    month=month,
                    owner_role=window.owner_role,
                    channel=window.channel,
                    key=f"follow-up:{index}:{month.key}",
                    send_on=send_on,
                )
            )
    return tuple(out)
