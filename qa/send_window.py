"""When the bot may message people: working days, working hours, quiet hours.

Every framework says when its staff are messaged (`ReminderPolicy`): its working
weekdays, less England and Wales bank holidays if it says so, inside working hours and
outside quiet hours. Reminders, digests and calendar reminders share these rules, and
the weekly ones share the idea of "this ISO week's slot". Local wall-clock times in
the authority's zone, so 09:00 stays 09:00 across the clock changes. Pure.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from qa.framework import ReminderPolicy
from qa.working_days import Month, is_bank_holiday

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def is_policy_working_day(policy: ReminderPolicy, day: date) -> bool:
    """A day on which the framework's people are messaged (its weekdays, no bank holiday)."""
    if day.weekday() not in {WEEKDAYS[w] for w in policy.working_days}:
        return False
    return not (policy.bank_holidays == "england_and_wales" and is_bank_holiday(day))


def _in_quiet_hours(policy: ReminderPolicy, at: time) -> bool:
    start, end = policy.quiet_hours_start, policy.quiet_hours_end
    if start == end:
        return False
    if start > end:  # across midnight, e.g. 18:00 to 08:00
        return at >= start or at < end
    return start <= at < end


def in_send_window(policy: ReminderPolicy, now: datetime, tz: ZoneInfo) -> bool:
    """Inside working hours on a working day, and outside quiet hours (local time)."""
    here = to_local(now, tz)
    at = here.time()
    return (
        is_policy_working_day(policy, here.date())
        and policy.working_hours_start <= at < policy.working_hours_end
        and not _in_quiet_hours(policy, at)
    )


def window_opens(policy: ReminderPolicy, day: date, tz: ZoneInfo) -> datetime:
    """When `day`'s sending window opens, as an aware UTC instant."""
    at = policy.working_hours_start
    if _in_quiet_hours(policy, at):
        at = policy.quiet_hours_end
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def nth_policy_working_day(policy: ReminderPolicy, month: Month, n: int) -> date:
    """The month's `n`th (1-based) working day under the framework's policy; the last one
    when the month has fewer, the 1st when it has none."""
    days = (month.first + timedelta(days=i) for i in range(month.last.day))
    found = [d for d in days if is_policy_working_day(policy, d)]
    return found[min(n, len(found)) - 1] if found else month.first


def working_days_from(policy: ReminderPolicy, day: date, n: int) -> date:
    """The `n`th working day after `day` (before it when `n` is negative; `day` itself
    not counted)."""
    step = timedelta(days=1 if n >= 0 else -1)
    out, left = day, abs(n)
    while left > 0:
        out += step
        if is_policy_working_day(policy, out):
            left -= 1
    return out


def working_days_before(policy: ReminderPolicy, day: date, n: int) -> date:
    """The `n`th working day before `day` (`day` itself not counted)."""
    return working_days_from(policy, day, -n)


def snooze_until(policy: ReminderPolicy, today: date) -> date:
    """The date reminders resume when an owner snoozes today: `snooze_days` working days on."""
    return working_days_from(policy, today, policy.snooze_days)


def weekly_slot(policy: ReminderPolicy, day: date, weekday: str) -> date | None:
    """This ISO week's `weekday`, or the first working day after it that week (else None)."""
    monday = day - timedelta(days=day.weekday())
    later = (monday + timedelta(days=i) for i in range(WEEKDAYS[weekday], 7))
    return next((d for d in later if is_policy_working_day(policy, d)), None)


def iso_week(day: date) -> str:
    """`2026-W02`: the ISO year and week, the unit of weekly keys."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def require_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (e.g. datetime.now(UTC)), not naive")


def to_local(now: datetime, tz: ZoneInfo) -> datetime:
    require_aware(now)
    return now.astimezone(tz)


def sent_at(policy: ReminderPolicy, today: date, now: datetime, tz: ZoneInfo) -> datetime:
    """When a message of `today`'s window fell due: the window's opening, or `now`."""
    return min(window_opens(policy, today, tz), now.astimezone(UTC))
