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

Entries come round monthly (the months listed), quarterly (one month a quarter),
weekly or fortnightly (from `starts_on`, Camden's "fortnightly multi-agency Quality
Assurance panels"), or a set time after another entry (Lambeth's Practice Week report
"no later than one month after the Practice Week event"). A dated entry is reminded
`remind_days_before` its day and keyed by that day (`calendar:<index>:<YYYY-MM-DD>`);
missed, it is sent late until the day itself, never after. An entry set after
another is a deadline: after a dated entry, that date plus the offset; after a month
entry, which names no day, the end of the month the offset reaches (the event may be
on the month's last day, so "one month after June" is "by the end of July"); a
deadline off a working day moves to the working day before, so it is never later
than the framework allows. Month and quarter entries keep their monthly keys, so
upgrading repeats no reminder.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from qa.framework import CalendarEntry, FollowUpWindow, Framework, ReminderPolicy
from qa.send_window import in_send_window, is_policy_working_day, to_local
from qa.working_days import Month, add_months

# How far into the month a missed reminder is still worth sending.
CATCH_UP_DAYS = 7
# Weekly and fortnightly entries repeat every this many days.
STEP_DAYS = {"week": 7, "fortnight": 14}
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
    # Dated entries (weekly, fortnightly, after another): the day; None for a month.
    on: date | None = None
    # An entry set after another: `on` is its deadline, and `after` names the other.
    after: Anchor | None = None
    every: str = "month"


@dataclass(frozen=True)
class Anchor:
    """The entry a deadline follows, and the occurrence it follows (a day or a month)."""

    activity: str
    on: date | None
    month: Month
    months: int
    days: int


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


def working_day_on_or_before(policy: ReminderPolicy, day: date) -> date:
    """`day`, or the working day before it: a reminder or a deadline never comes later."""
    while not is_policy_working_day(policy, day):
        day -= timedelta(days=1)
    return day


def _dated_send_on(policy: ReminderPolicy, on: date, days_before: int) -> date:
    return working_day_on_or_before(policy, on - timedelta(days=days_before))


def _horizon(days_before: int) -> int:
    """How far ahead an occurrence's reminder can already be due (holidays move it back)."""
    return days_before + 14


def occurrences(entry: CalendarEntry, first: date, last: date) -> Iterator[date]:
    """The days a weekly or fortnightly entry falls on between `first` and `last`."""
    if entry.starts_on is None or entry.every not in STEP_DAYS:
        return
    step = STEP_DAYS[entry.every]
    allowed = set(entry.month_list)
    skip = max(0, -(-(first - entry.starts_on).days // step))
    day = entry.starts_on + timedelta(days=skip * step)
    while day <= last:
        if day.month in allowed:
            yield day
        day += timedelta(days=step)


def _deadlines(
    framework: Framework, entry: CalendarEntry, today: date
) -> Iterator[tuple[date, Anchor]]:
    """An entry set after another: each deadline whose reminder could be due today."""
    after = entry.after
    assert after is not None
    anchor = next(e for e in framework.calendar if e.key == after.entry)
    policy = framework.reminders
    latest = today + timedelta(days=_horizon(entry.remind_days_before))
    if anchor.every in STEP_DAYS:
        back = timedelta(days=after.days + 31 * (after.months + 1))
        for on in occurrences(anchor, today - back, latest):
            due = add_months(on, after.months) + timedelta(days=after.days)
            yield (
                working_day_on_or_before(policy, due),
                Anchor(anchor.activity, on, Month.of(on), after.months, after.days),
            )
        return
    first = Month.of(today).shift(-(after.months + after.days // 28 + 2))
    for i in range(Month.of(latest).ordinal - first.ordinal + 1):
        month = first.shift(i)
        if month.month not in anchor.month_list:
            continue
        due = month.shift(after.months).last + timedelta(days=after.days)
        yield (
            working_day_on_or_before(policy, due),
            Anchor(anchor.activity, None, month, after.months, after.days),
        )


def _entry_dues(
    framework: Framework, index: int, entry: CalendarEntry, today: date
) -> Iterator[CalendarDue]:
    policy = framework.reminders

    def due(month: Month, key: str, send_on: date, on: date | None = None) -> CalendarDue:
        return CalendarDue(
            kind="calendar",
            index=index,
            entry=entry,
            activity=entry.activity,
            month=month,
            owner_role=entry.owner_role,
            channel=entry.channel,
            key=f"calendar:{index}:{key}",
            send_on=send_on,
            on=on,
            after=anchors.get(on) if on is not None else None,
            every="after" if entry.after is not None else entry.every,
        )

    anchors: dict[date, Anchor] = {}
    if entry.after is None and entry.every in ("month", "quarter"):
        months = entry.month_list
        for month, send_on in _due_months(policy, today, entry.remind_days_before, months):
            yield due(month, month.key, send_on)
        return
    days: list[date]
    if entry.after is not None:
        found = list(_deadlines(framework, entry, today))
        anchors = dict(found)
        days = [on for on, _ in found]
    else:
        latest = today + timedelta(days=_horizon(entry.remind_days_before))
        days = list(occurrences(entry, today, latest))
    for on in days:
        send_on = _dated_send_on(policy, on, entry.remind_days_before)
        if send_on <= today <= on:
            yield due(Month.of(on), on.isoformat(), send_on, on)


def calendar_reminders(
    framework: Framework, now: datetime, tz: ZoneInfo
) -> tuple[CalendarDue, ...]:
    """The calendar reminders due at `now` (inside the sending window only)."""
    policy = framework.reminders
    if not in_send_window(policy, now, tz):
        return ()
    today = to_local(now, tz).date()
    out: list[CalendarDue] = []
    for index, entry in enumerate(framework.calendar):
        out.extend(_entry_dues(framework, index, entry, today))
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
